"""Effective shrinkage: the shrinkage at which the formulas give a delivered service level."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from optimize.queueing.calibration import AGREE, effective_shrinkage, with_shrinkage
from optimize.queueing.requirements import evaluate_staffing
from optimize.scenario.config import ChannelConfig, ScenarioConfig, ShiftRules

START = pd.Timestamp("2026-11-30", tz="UTC")
STEP = 1800
N = 48  # one day


def _config() -> ScenarioConfig:
    return ScenarioConfig(
        channels={"chat": ChannelConfig(name="chat", model="erlang_a", patience_s=200,
                                        answer_time_s=30, concurrency=2),
                  "email": ChannelConfig(name="email", kind="deferred", response_window_h=4)},
        shifts=ShiftRules(templates=()))


def _desk():
    t = START + pd.to_timedelta(np.arange(N) * STEP, unit="s")
    rows = [(ts, ch, lang) for ts in t for ch, lang in
            (("chat", "en"), ("chat", "ko"), ("email", "en"))]
    fc = pd.DataFrame(rows, columns=["interval_start", "channel", "language"])
    fc["contacts"] = np.where(fc["channel"] == "email", 6.0,
                              np.where(fc["language"] == "en", 30.0, 0.5))
    fc["aht_s"] = np.where(fc["channel"] == "email", 600.0, 400.0)
    staffed = fc[["interval_start", "channel", "language"]].assign(
        scheduled_agents=np.where(fc["language"] == "en", 6.0, 3.0))
    return fc, staffed


def _queue_sl(fc, staffed, shrink_by_queue):
    config = _config()
    fit = pd.DataFrame([(c, lg, s) for (c, lg), s in shrink_by_queue.items()],
                       columns=["channel", "language", "shrinkage"])
    cov = evaluate_staffing(with_shrinkage(fc, fit, config), staffed, config, interval_s=STEP)
    cov = cov.merge(fc, on=["interval_start", "channel", "language"])
    return (cov["service_level"] * cov["contacts"]).groupby(
        [cov["channel"], cov["language"]]).sum() / cov.groupby(
        ["channel", "language"])["contacts"].sum()


def test_recovers_the_shrinkage_that_produced_the_delivered_level():
    fc, staffed = _desk()
    truth = _queue_sl(fc, staffed, {("chat", "en"): 0.42, ("chat", "ko"): 0.3,
                                    ("email", "en"): 0.3})
    delivered = truth.rename("service_level").reset_index()
    delivered.loc[delivered["channel"] == "email", "service_level"] = 0.2  # not calibrated
    fit = effective_shrinkage(fc, staffed, _config(), delivered, interval_s=STEP,
                              window=(START, START + pd.Timedelta(days=1))).set_index(
        ["channel", "language"])
    assert fit.loc[("chat", "en"), "shrinkage"] == pytest.approx(0.42, abs=0.002)
    assert fit.loc[("chat", "en"), "fitted"] == pytest.approx(truth[("chat", "en")], abs=0.002)
    assert fit.loc[("chat", "en"), "promised"] > fit.loc[("chat", "en"), "delivered"]
    # already right (a quiet queue at 100%): keeps the configured shrinkage
    assert abs(fit.loc[("chat", "ko"), "promised"] - truth[("chat", "ko")]) <= AGREE
    assert fit.loc[("chat", "ko"), "shrinkage"] == 0.3
    # deferred queues are not calibrated by default
    assert fit.loc[("email", "en"), "shrinkage"] == 0.3


def test_with_shrinkage_fills_unfitted_queues_with_the_configured_value():
    fc, _ = _desk()
    fit = pd.DataFrame({"channel": ["chat"], "language": ["en"], "shrinkage": [0.37]})
    out = with_shrinkage(fc, fit, _config())
    assert set(out.loc[out["language"] == "en"].groupby("channel")["shrinkage"].first()) == {
        0.37, 0.3}
    assert (out.loc[out["language"] == "ko", "shrinkage"] == 0.3).all()
