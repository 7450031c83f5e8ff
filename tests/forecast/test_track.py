"""The forecast's track record (issue 14, part 5): each refresh scores the earlier runs on
the actuals that arrived since, per queue and horizon, and keeps the scores."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecast.refresh import refresh
from forecast.store.runs import list_runs
from forecast.store.track import load_scores, score_run, score_runs, track_record
from optimize.cli import main

ASOF = pd.Timestamp("2026-11-02", tz="UTC")


def test_scores_by_hand():
    t = pd.DatetimeIndex([ASOF + pd.Timedelta(hours=10), ASOF + pd.Timedelta(days=1, hours=10),
                          ASOF + pd.Timedelta(days=9)])
    fc = pd.DataFrame({"interval_start": t, "channel": "chat", "language": "en",
                       "contacts": [10.0, 20.0, 5.0], "contacts_p10": [8.0, 10.0, 4.0],
                       "contacts_p90": [12.0, 15.0, 6.0]})
    act = fc[["interval_start", "channel", "language"]].assign(contacts=[12.0, 30.0, 0.0])
    s = score_run(fc, act, ASOF).set_index("horizon")
    assert s.loc["1", "wape"] == pytest.approx(2 / 12) and s.loc["1", "bias"] == pytest.approx(-2 / 12)
    assert s.loc["1", "coverage"] == 1.0 and s.loc["1", "mape"] == pytest.approx(2 / 12)
    assert s.loc["2-7", "wape"] == pytest.approx(10 / 30) and s.loc["2-7", "coverage"] == 0.0
    assert np.isnan(s.loc["8-14", "wape"]) and np.isnan(s.loc["8-14", "mape"])  # no actuals
    assert s.loc["8-14", "intervals"] == 1
    assert score_run(fc, act.iloc[:0], ASOF).empty


def _contacts(days: int) -> pd.DataFrame:
    rng = np.random.default_rng(9)
    t = pd.date_range("2026-08-03", periods=days * 48, freq="30min", tz="UTC")
    slot = (t.hour * 2 + t.minute // 30).to_numpy()
    return pd.DataFrame({"interval_start": t, "channel": "chat", "language": "en",
                         "contacts": rng.poisson(np.where((slot >= 16) & (slot < 36), 10.0, 1.0)),
                         "aht_s": 300.0})


def test_a_refresh_scores_the_runs_before_it(tmp_path, capsys):
    store = tmp_path / "runs.sqlite"
    full = _contacts(91)
    cut = full["interval_start"] < pd.Timestamp("2026-10-24", tz="UTC")
    first = refresh(full[cut], None, store, horizon_days=14, backtest_origins=0)
    assert load_scores(store).empty  # nothing to score yet
    second = refresh(full, None, store, horizon_days=14, backtest_origins=0)
    scores = load_scores(store)
    assert set(scores["run_id"]) == {first.run.run_id}  # the new run has no actuals yet
    assert sorted(scores["horizon"]) == ["1", "2-7", "8-14"]
    rec = track_record(scores)
    assert rec["horizon"].tolist() == ["1", "2-7", "8-14"]
    assert (rec["wape"] < 0.6).all() and rec["coverage"].between(0.5, 1.0).all()
    assert second.run.run_id in {r.run_id for r in list_runs(store)}

    assert score_runs(store, full).empty  # scored through these actuals already: skipped
    assert main(["runs", "--store", str(store), "--accuracy"]) == 0
    out = capsys.readouterr().out
    assert first.run.run_id in out and "scored through 2026-11-01T23:30:00Z" in out


def test_a_runs_last_half_hour_is_scored_when_it_arrives(tmp_path):
    # 30-minute data: a run scored through its last hour but one is scored again once its
    # last half-hour has arrived (it was skipped for good, as if the data were hourly)
    store = tmp_path / "runs.sqlite"
    full = _contacts(70)
    cut = full["interval_start"] < pd.Timestamp("2026-10-05", tz="UTC")
    run = refresh(full[cut], None, store, horizon_days=7, backtest_origins=0).run
    run_end = run.asof + pd.Timedelta(days=7)
    t = full["interval_start"]
    score_runs(store, full[t < run_end - pd.Timedelta("30min")])  # through run_end - 1 h
    first = load_scores(store)["intervals"].sum()
    score_runs(store, full[t < run_end])  # the last half-hour arrives
    assert load_scores(store)["intervals"].sum() == first + 1
