"""The refresh job: data hash, reuse on unchanged data, and concurrent/killed jobs as real
processes.

The forecasting function here is a small real one (seasonal naive: the same interval one
week earlier), so these tests do not depend on ``forecast.panel``. Processes synchronise
with multiprocessing events, never with sleeps.
"""

from __future__ import annotations

import functools
import multiprocessing as mp
import os
import signal
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecast.refresh import RefreshResult, data_hash, data_window, refresh
from forecast.store.runs import (
    StoreLocked,
    latest_run,
    list_runs,
    load_choices,
    load_forecast,
    load_metrics,
    store_lock,
)

CTX = mp.get_context("fork")  # POSIX only, like flock; children start without re-imports
WAIT_S = 120  # upper bound for a child to reach a sync point on a busy machine
WEEK = pd.Timedelta(days=7)
START = pd.Timestamp("2026-10-05T00:00Z")  # a Monday


def make_contacts(weeks=5, freq="60min", seed=0, queues=(("chat", "en"), ("chat", "zh"),
                                                           ("email", "en"))) -> pd.DataFrame:
    """Contacts in the contract's in-memory shape: Poisson counts with a daily rhythm."""
    rng = np.random.default_rng(seed)
    idx = pd.date_range(START, START + weeks * WEEK, freq=freq, inclusive="left")
    hour = idx.hour.to_numpy()
    frames = []
    for k, (ch, lang) in enumerate(queues):
        rate = (3.0 + k) * (1.2 + np.sin((hour - 6) / 24 * 2 * np.pi))
        n = rng.poisson(rate)
        aht = np.where(n > 0, rng.normal(300, 30, len(idx)), np.nan)
        frames.append(pd.DataFrame({"interval_start": idx, "channel": ch, "language": lang,
                                    "contacts": n.astype("int64"), "aht_s": aht}))
    return pd.concat(frames, ignore_index=True)


def make_market(weeks=5) -> pd.DataFrame:
    ts = pd.date_range(START, START + weeks * WEEK, freq="60min", inclusive="left")
    price = 60_000 * np.exp(np.cumsum(np.random.default_rng(1).normal(0, 0.01, len(ts))))
    return pd.DataFrame({"timestamp": ts, "price": price})


def seasonal_naive(contacts, market, *, asof, horizon_days, scenario, jobs):
    """Forecast each interval as the same interval one week before ``asof``'s last week."""
    hist = contacts.loc[contacts["interval_start"] < asof]
    _, end = data_window(hist)
    step = end - hist["interval_start"].max()
    last = hist.loc[hist["interval_start"] >= asof - WEEK].copy()
    last["offset"] = (last["interval_start"] - (asof - WEEK)) // step
    per_week = WEEK // step
    future = pd.date_range(asof, asof + pd.Timedelta(days=horizon_days), freq=step,
                           inclusive="left")
    grid = pd.DataFrame({"interval_start": future, "offset": np.arange(len(future)) % per_week})
    aht = hist.groupby(["channel", "language"])["aht_s"].mean().rename("aht_s").reset_index()
    fc = grid.merge(last[["channel", "language", "offset", "contacts"]], on="offset")
    fc = fc.merge(aht, on=["channel", "language"])
    fc["contacts"] = fc["contacts"].astype("float64")
    fc["contacts_p10"] = 0.7 * fc["contacts"]
    fc["contacts_p50"] = fc["contacts"]
    fc["contacts_p90"] = 1.4 * fc["contacts"] + 1.0
    fc["model"] = "seasonal_naive"
    fc["scenario"] = scenario if market is not None else "none"
    return fc.drop(columns="offset")


def week_backtest(contacts, market, *, origins, horizon_days, jobs, every_days=7):
    """WAPE of the seasonal-naive forecast over the last ``origins`` one-week windows."""
    _, end = data_window(contacts)
    rows = []
    for k in range(1, origins + 1):
        origin = end - k * WEEK
        fc = seasonal_naive(contacts, market, asof=origin, horizon_days=7, scenario="typical",
                            jobs=jobs)
        actual = fc.merge(contacts, on=["interval_start", "channel", "language"],
                          suffixes=("", "_actual"))
        err = actual.groupby(["channel", "language"]).apply(
            lambda g: np.abs(g["contacts"] - g["contacts_actual"]).sum()
            / g["contacts_actual"].sum(), include_groups=False)
        rows.append(err.rename("wape").reset_index().assign(origin=origin))
    return pd.concat(rows, ignore_index=True)


class Recorder:
    """Wraps a function and records the calls' keyword arguments and data extent."""

    def __init__(self, fn):
        self.fn, self.calls = fn, []

    def __call__(self, contacts, market, **kw):
        self.calls.append({**kw, "last": contacts["interval_start"].max(),
                           "market_last": None if market is None else market["timestamp"].max()})
        return self.fn(contacts, market, **kw)


# --- the data hash ---------------------------------------------------------------------


def test_data_hash_ignores_row_order_time_zone_and_integer_encoding():
    contacts, market = make_contacts(), make_market()
    h = data_hash(contacts, market)
    assert len(h) == 64 and int(h, 16) >= 0
    shuffled = contacts.sample(frac=1.0, random_state=3).reset_index(drop=True)
    assert data_hash(shuffled, market) == h
    tokyo = contacts.assign(interval_start=contacts["interval_start"].dt.tz_convert("Asia/Tokyo"))
    assert data_hash(tokyo, market) == h
    assert data_hash(contacts.assign(contacts=contacts["contacts"].astype(float)), market) == h
    assert data_hash(contacts.assign(note="not a contract column"), market) == h


def test_data_hash_changes_with_any_value():
    contacts, market = make_contacts(), make_market()
    h = data_hash(contacts, market)
    bumped = contacts.copy()
    bumped.loc[1234, "contacts"] += 1
    aht = contacts.copy()
    aht.loc[7, "aht_s"] = 301.5 if aht.loc[7, "aht_s"] != 301.5 else 302.0
    renamed = contacts.assign(language=contacts["language"].replace("zh", "ko"))
    moved = market.copy()
    moved.loc[0, "price"] *= 1.0001
    digests = {h, data_hash(bumped, market), data_hash(aht, market),
               data_hash(renamed, market), data_hash(contacts, moved),
               data_hash(contacts, None), data_hash(contacts.iloc[:-1], market)}
    assert len(digests) == 7


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), data=st.data())
def test_data_hash_is_a_function_of_content_only(seed, data):
    base = make_contacts(weeks=1, seed=seed % 7)
    perm = data.draw(st.permutations(range(len(base))))
    assert data_hash(base.iloc[list(perm)], None) == data_hash(base, None)


def test_data_window_ends_one_interval_after_the_last_row():
    start, end = data_window(make_contacts(weeks=4, freq="30min"))
    assert start == START
    assert end == START + 4 * WEEK  # the last row starts at end - 30 min


# --- the job ---------------------------------------------------------------------------


def test_refresh_publishes_forecast_and_metrics_then_reuses_on_unchanged_data(tmp_path):
    store = tmp_path / "runs.sqlite"
    contacts, market = make_contacts(), make_market()
    fc_fn, bt_fn = Recorder(seasonal_naive), Recorder(week_backtest)
    res = refresh(contacts, market, store, horizon_days=14, forecast_fn=fc_fn,
                  backtest_fn=bt_fn, backtest_origins=2)
    assert isinstance(res, RefreshResult) and not res.reused
    end = START + 5 * WEEK
    run = res.run
    assert (run.asof, run.data_start, run.data_end) == (end, START, end)
    assert (run.horizon_days, run.scenario, run.n_rows) == (14, "typical", 3 * 14 * 24)
    assert run.data_hash == data_hash(contacts, market)
    assert run.models == {"chat/en": "seasonal_naive", "chat/zh": "seasonal_naive",
                          "email/en": "seasonal_naive"}
    assert fc_fn.calls == [{"asof": end, "horizon_days": 14, "scenario": "typical", "jobs": 1,
                            "last": end - pd.Timedelta("60min"),
                            "market_last": market["timestamp"].max()}]
    assert [(c["origins"], c["horizon_days"]) for c in bt_fn.calls] == [(2, 14)]
    # the stored forecast is exactly the function's output
    expected = seasonal_naive(contacts, market, asof=end, horizon_days=14, scenario="typical",
                              jobs=1)
    got = load_forecast(store)
    exp = expected[list(got.columns)].sort_values(["channel", "language", "interval_start"])
    pd.testing.assert_frame_equal(got, exp.reset_index(drop=True), check_dtype=False)
    # next week repeats last week: seasonal naive on the last day of history
    last_week = contacts.loc[contacts["interval_start"] >= end - WEEK]
    assert got["contacts"].sum() == pytest.approx(2 * last_week["contacts"].sum())
    metrics = load_metrics(store)
    assert len(metrics) == 2 * 3 and metrics["wape"].between(0.05, 1.0).all()
    assert res.summary.startswith(f"published run {run.run_id} to {store}: 3 queues, 1008 rows")
    assert "models: seasonal_naive x3" in res.summary and "\n" not in res.summary

    again = refresh(contacts.iloc[::-1], market, store, horizon_days=14, forecast_fn=fc_fn,
                    backtest_fn=bt_fn, backtest_origins=2)
    assert again.reused and again.run == run
    assert again.summary.startswith(f"reused run {run.run_id} (data unchanged)")
    assert len(fc_fn.calls) == 1 and len(bt_fn.calls) == 1  # nothing refitted
    assert list_runs(store) == [run]


def test_new_data_or_new_question_publishes_a_new_latest_run(tmp_path):
    store = tmp_path / "runs.sqlite"
    contacts = make_contacts(weeks=5)
    kw = dict(forecast_fn=seasonal_naive, backtest_origins=0)
    first = refresh(contacts, None, store, horizon_days=7, **kw).run
    grown = make_contacts(weeks=6)  # a week more history: new hash, new default asof
    second = refresh(grown, None, store, horizon_days=7, **kw).run
    third = refresh(grown, None, store, horizon_days=7, scenario="stressed", **kw).run
    assert second.asof == first.asof + WEEK and second.data_hash != first.data_hash
    assert third.data_hash == second.data_hash and third.scenario == "stressed"
    assert list_runs(store) == [third, second, first]
    assert latest_run(store) == third
    assert load_metrics(store).empty  # backtest skipped


def test_asof_inside_the_data_limits_the_backtest_to_earlier_data(tmp_path):
    store = tmp_path / "runs.sqlite"
    contacts, market = make_contacts(weeks=6), make_market(weeks=6)
    asof = START + 5 * WEEK + pd.Timedelta(hours=13)
    bt_fn = Recorder(week_backtest)
    res = refresh(contacts, market, store, horizon_days=2, asof=asof.tz_convert("Asia/Seoul"),
                  forecast_fn=seasonal_naive, backtest_fn=bt_fn, backtest_origins=1)
    assert res.run.asof == asof and res.run.data_end == START + 6 * WEEK
    assert load_forecast(store)["interval_start"].min() == asof
    # contacts strictly before asof; the market price at asof itself is known at asof
    assert bt_fn.calls[0]["last"] == asof - pd.Timedelta("60min")
    assert bt_fn.calls[0]["market_last"] == asof
    assert bt_fn.calls[0]["every_days"] == 2  # origins one 2-day horizon apart


def test_backtest_horizon_is_its_own_parameter(tmp_path):
    bt_fn = Recorder(week_backtest)
    res = refresh(make_contacts(weeks=6), None, tmp_path / "runs.sqlite", horizon_days=3,
                  forecast_fn=seasonal_naive, backtest_fn=bt_fn, backtest_origins=2,
                  backtest_horizon_days=14)
    assert [(c["origins"], c["horizon_days"]) for c in bt_fn.calls] == [(2, 14)]
    assert res.run.horizon_days == 3 and res.run.n_rows == 3 * 3 * 24


@dataclass(frozen=True)
class Backtested:
    """A backtest result shaped like ``forecast.BacktestResult``."""

    metrics: pd.DataFrame
    summary: pd.DataFrame
    choice: pd.DataFrame


def test_backtest_runs_first_and_its_choice_fixes_the_forecast_models(tmp_path):
    store = tmp_path / "runs.sqlite"
    contacts = make_contacts()

    def backtest_with_choice(contacts, market, *, origins, horizon_days, jobs):
        per_origin = week_backtest(contacts, market, origins=origins, horizon_days=horizon_days,
                                   jobs=jobs)
        summary = per_origin.groupby(["channel", "language"], as_index=False)["wape"].mean()
        choice = summary[["channel", "language"]].assign(model="seasonal_naive")
        return Backtested(metrics=per_origin, summary=summary, choice=choice)

    def forecast_with_models(contacts, market, *, models, **kw):
        fc = seasonal_naive(contacts, market, **kw)
        fc["model"] = [f"{models[(c, lang)]}*" for c, lang in zip(fc["channel"], fc["language"],
                                                                  strict=True)]
        return fc

    res = refresh(contacts, None, store, horizon_days=7, forecast_fn=forecast_with_models,
                  backtest_fn=backtest_with_choice, backtest_origins=3)
    assert set(res.run.models.values()) == {"seasonal_naive*"}
    metrics = load_metrics(store)
    assert list(metrics.columns) == ["channel", "language", "wape"] and len(metrics) == 3
    # the choice is recorded with the run it made
    choices = load_choices(store, res.run.run_id)
    assert choices[["channel", "language", "model"]].values.tolist() == [
        [c, lang, "seasonal_naive"] for c, lang in metrics[["channel", "language"]].values]


@pytest.mark.parametrize(("kw", "message"), [
    ({"horizon_days": 0}, "horizon_days must be a positive integer, got 0"),
    ({"jobs": 0}, "jobs must be a positive integer, got 0"),
    ({"backtest_origins": -1}, "backtest_origins must be an integer >= 0, got -1"),
    ({"backtest_horizon_days": 0}, "backtest_horizon_days must be a positive integer, got 0"),
    ({"asof": "2026-11-01T00:00"}, "asof must be timezone-aware"),
])
def test_bad_arguments_are_refused_with_the_value(tmp_path, kw, message):
    with pytest.raises(ValueError, match=message):
        refresh(make_contacts(weeks=1), None, tmp_path / "s.sqlite",
                forecast_fn=seasonal_naive, **kw)
    assert not (tmp_path / "s.sqlite").exists()


def test_failing_forecast_publishes_nothing_and_releases_the_lock(tmp_path):
    store = tmp_path / "runs.sqlite"
    contacts = make_contacts()
    first = refresh(contacts, None, store, forecast_fn=seasonal_naive, backtest_origins=0).run

    def broken(*args, **kw):
        raise RuntimeError("model blew up")

    with pytest.raises(RuntimeError, match="model blew up"):
        refresh(make_contacts(seed=5), None, store, forecast_fn=broken, backtest_origins=0)
    assert list_runs(store) == [first]
    with store_lock(store):  # free again
        pass


# --- real processes: two jobs at once, a job killed mid-run ----------------------------


def blocking_forecast(contacts, market, *, started, go, **kw):
    """Seasonal naive that signals ``started`` and waits for ``go`` before returning."""
    started.set()
    if not go.wait(WAIT_S):
        raise TimeoutError("never told to go")
    return seasonal_naive(contacts, market, **kw)


def _refresh_child(store: str, outcome, seed: int, started=None, go=None) -> None:
    """Child: one refresh job; reports ``published <id>``, ``reused <id>`` or ``locked``."""
    fn = seasonal_naive if started is None else functools.partial(
        blocking_forecast, started=started, go=go)
    try:
        res = refresh(make_contacts(seed=seed), None, store, forecast_fn=fn, backtest_origins=0)
    except StoreLocked as exc:
        outcome.put(f"locked: {exc}")
        return
    outcome.put(f"{'reused' if res.reused else 'published'} {res.run.run_id}")


def _stop(proc) -> None:
    proc.join(WAIT_S)
    if proc.is_alive():
        proc.kill()
        proc.join()


def test_two_jobs_at_once_one_publishes_the_other_is_locked_out(tmp_path):
    store = str(tmp_path / "runs.sqlite")
    started, go, outcome = CTX.Event(), CTX.Event(), CTX.Queue()
    first = CTX.Process(target=_refresh_child, args=(store, outcome, 0, started, go))
    first.start()
    try:
        assert started.wait(WAIT_S), "first job never started forecasting"
        second = CTX.Process(target=_refresh_child, args=(store, outcome, 0))
        second.start()
        _stop(second)
        assert outcome.get(timeout=WAIT_S).startswith(f"locked: store {store!r} is locked")
        assert second.exitcode == 0
    finally:
        go.set()
        _stop(first)
    assert first.exitcode == 0
    published = outcome.get(timeout=WAIT_S)
    runs = list_runs(store)
    assert published == f"published {runs[0].run_id}" and len(runs) == 1
    assert load_forecast(store)["contacts"].notna().all()


def test_jobs_racing_without_coordination_leave_exactly_one_run(tmp_path):
    store = str(tmp_path / "runs.sqlite")
    outcome = CTX.Queue()
    procs = [CTX.Process(target=_refresh_child, args=(store, outcome, 0)) for _ in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        _stop(p)
    assert [p.exitcode for p in procs] == [0, 0, 0]
    results = sorted(outcome.get(timeout=WAIT_S).split(" ")[0] for _ in procs)
    runs = list_runs(store)
    assert len(runs) == 1
    # one job published; each other one was either locked out or found the run done
    assert results.count("published") == 1
    assert set(results) <= {"published", "reused", "locked:"}


def test_job_killed_mid_forecast_leaves_store_and_lock_usable(tmp_path):
    store = str(tmp_path / "runs.sqlite")
    before = refresh(make_contacts(seed=1), None, store, forecast_fn=seasonal_naive,
                     backtest_origins=0).run
    started, go, outcome = CTX.Event(), CTX.Event(), CTX.Queue()
    job = CTX.Process(target=_refresh_child, args=(store, outcome, 0, started, go))
    job.start()
    try:
        assert started.wait(WAIT_S)
        with pytest.raises(StoreLocked):
            refresh(make_contacts(seed=0), None, store, forecast_fn=seasonal_naive,
                    backtest_origins=0)
        os.kill(job.pid, signal.SIGKILL)
    finally:
        _stop(job)
    assert job.exitcode == -signal.SIGKILL
    assert list_runs(store) == [before]
    after = refresh(make_contacts(seed=0), None, store, forecast_fn=seasonal_naive,
                    backtest_origins=0)
    assert not after.reused and list_runs(store) == [after.run, before]
