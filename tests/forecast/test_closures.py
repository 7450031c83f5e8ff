"""Closed days in the history (issue 14, part 1): found, left out, not learnt as zeros."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from forecast import forecast_panel
from forecast.closures import catch_up, closed_days, fill_closed
from forecast.queue import QueueInput, forecast_queue

SPD = 48


def _weeks(n_weeks: int, seed: int = 0) -> np.ndarray:
    """A weekday-daytime queue: 08:00-18:00 open Mon-Fri, about 300 contacts a weekday."""
    rng = np.random.default_rng(seed)
    slot = np.arange(SPD)
    day_shape = np.where((slot >= 16) & (slot < 36), 15.0, 0.0)
    weekday = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0])  # the series starts on a Monday
    rate = np.concatenate([day_shape * weekday[d % 7] for d in range(7 * n_weeks)])
    return rng.poisson(rate).astype(float)


def test_an_empty_busy_weekday_is_closed_a_weekend_is_not():
    y = _weeks(10)
    y[(7 * 8 + 2) * SPD:(7 * 8 + 3) * SPD] = 0.0  # Wednesday of week 9
    closed = closed_days(y, SPD)
    assert np.flatnonzero(closed).tolist() == [7 * 8 + 2]  # weekends are empty every week
    known = np.zeros(70, dtype=bool)
    known[7 * 5] = True  # a Monday the calendar closes, with contacts in the file
    assert np.flatnonzero(closed_days(y, SPD, known)).tolist() == [35, 58]


def test_a_closed_day_is_filled_from_the_open_same_weekdays_before_it():
    y = _weeks(10)
    day = 7 * 8 + 2
    y[day * SPD:(day + 1) * SPD] = 0.0
    filled = fill_closed(y, SPD, closed_days(y, SPD))
    before = [day - 7 * k for k in range(1, 5)]
    want = np.mean([y[d * SPD:(d + 1) * SPD] for d in before], axis=0)
    assert filled[day * SPD:(day + 1) * SPD] == pytest.approx(want)
    mask = np.ones(len(y), bool)
    mask[day * SPD:(day + 1) * SPD] = False
    assert (filled[mask] == y[mask]).all()  # nothing else moves


@pytest.mark.parametrize("model", ["mean4w", "ets_profile", None])
def test_a_closure_last_week_does_not_pull_next_weeks_forecast_down(model):
    y = _weeks(20, seed=3)
    shut = y.copy()
    last_wed = len(y) // SPD - 5  # Wednesday of the last week
    shut[last_wed * SPD:(last_wed + 1) * SPD] = 0.0
    runs = [forecast_queue(QueueInput("chat", "en", s, np.full(len(s), 300.0), SPD, 7 * SPD),
                           model=model) for s in (y, shut)]
    wed = slice(2 * SPD, 3 * SPD)  # next Wednesday
    assert runs[1].mean[wed].sum() == pytest.approx(runs[0].mean[wed].sum(), rel=0.1)
    assert runs[1].found_closed == (5,)  # five days before the forecast starts
    assert runs[0].found_closed == ()


def test_days_known_to_be_closed_ahead_are_forecast_as_zero():
    y = _weeks(12)
    future = np.zeros(7, dtype=bool)
    future[3] = True  # Thursday
    fc = forecast_queue(QueueInput("chat", "en", y, np.full(len(y), 300.0), SPD, 7 * SPD,
                                   closed_future=future), model="mean4w")
    assert fc.mean[3 * SPD:4 * SPD].sum() == 0.0
    assert fc.mean[2 * SPD:3 * SPD].sum() > 200


def test_the_panel_names_the_probable_outage(caplog):
    y = _weeks(10, seed=5)
    t = pd.date_range("2026-09-07", periods=len(y), freq="30min", tz="UTC")  # a Monday
    contacts = pd.DataFrame({"interval_start": t, "channel": "chat", "language": "en",
                             "contacts": y, "aht_s": 300.0})
    outage = (t >= "2026-10-28") & (t < "2026-10-29")  # a Wednesday
    contacts.loc[outage, "contacts"] = 0.0
    with caplog.at_level(logging.WARNING, logger="forecast.panel"):
        fc = forecast_panel(contacts, None, asof=t[-1] + pd.Timedelta("30min"), horizon_days=7)
    assert "chat/en: no contacts at all on Wed 2026-10-28" in caplog.text
    wed = fc[fc["interval_start"].dt.day_of_week == 2]["contacts"].sum()
    tue = fc[fc["interval_start"].dt.day_of_week == 1]["contacts"].sum()
    assert wed == pytest.approx(tue, rel=0.15)  # not dragged down by the outage


def _with_catch_up(n_weeks: int, closures: list[int], seed: int = 6) -> np.ndarray:
    """Weekday queue whose closed days are followed by a day at 1.5 times its usual level."""
    y = _weeks(n_weeks, seed=seed)
    rng = np.random.default_rng(seed + 1)
    for d in closures:
        y[d * SPD:(d + 1) * SPD] = 0.0
        nxt = slice((d + 1) * SPD, (d + 2) * SPD)
        y[nxt] = rng.poisson(1.5 * y[nxt] + 0.1)
    return y


def test_the_day_after_a_closure_gets_the_catch_up_the_history_showed():
    # Wednesdays closed in weeks 10 and 14, each followed by a Thursday at 1.5x
    y = _with_catch_up(16, [7 * 9 + 2, 7 * 13 + 2])
    after, factor = catch_up(y, SPD, closed_days(y, SPD))
    assert np.flatnonzero(after).tolist() == [7 * 9 + 3, 7 * 13 + 3]
    d = y.reshape(-1, SPD).sum(axis=1)  # by hand: each Thursday against the 4 usual before
    want = np.mean([d[7 * 9 + 3] / d[[7 * 8 + 3, 7 * 7 + 3, 7 * 6 + 3, 7 * 5 + 3]].mean(),
                    d[7 * 13 + 3] / d[[7 * 12 + 3, 7 * 11 + 3, 7 * 10 + 3, 7 * 8 + 3]].mean()])
    assert factor == pytest.approx(1 + (want - 1) * 2 / 3)  # two days: shrunk by 2/3
    assert 1.3 < factor < 2.0
    future = np.zeros(7, dtype=bool)
    future[2] = True  # next Wednesday closed
    q = QueueInput("chat", "en", y, np.full(len(y), 300.0), SPD, 7 * SPD, closed_future=future)
    fc = forecast_queue(q, model="mean4w")
    plain = forecast_queue(QueueInput("chat", "en", y, np.full(len(y), 300.0), SPD, 7 * SPD),
                           model="mean4w")
    thu, fri = slice(3 * SPD, 4 * SPD), slice(4 * SPD, 5 * SPD)
    assert fc.mean[2 * SPD:3 * SPD].sum() == 0.0
    assert fc.mean[thu].sum() == pytest.approx(factor * plain.mean[thu].sum(), rel=1e-9)
    assert fc.mean[fri].sum() == pytest.approx(plain.mean[fri].sum(), rel=1e-9)
    # the past catch-up Thursday (week 14, inside the 4-week mean) does not inflate Thursdays
    clean = _weeks(16, seed=6)
    usual = forecast_queue(QueueInput("chat", "en", clean, np.full(len(clean), 300.0), SPD,
                                      7 * SPD), model="mean4w")
    assert plain.mean[thu].sum() == pytest.approx(usual.mean[thu].sum(), rel=0.05)


def test_no_closure_no_catch_up():
    y = _weeks(8)
    after, factor = catch_up(y, SPD, closed_days(y, SPD))
    assert not after.any() and factor == 1.0
