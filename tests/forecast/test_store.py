"""The forecast run store: round trips, run identity, and the fault cases with real processes.

The kill test SIGKILLs a child process in the middle of its publishing transaction (after
half of a large run's rows went to the write-ahead log) and checks that the previous run
is still the latest and loads completely, also while the child is still writing.
Processes synchronise with multiprocessing events, never with sleeps.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import sqlite3
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecast.store import runs as store
from forecast.store.runs import (
    FORECAST_COLUMNS,
    StoreLocked,
    latest_run,
    list_runs,
    load_forecast,
    load_metrics,
    open_store,
    prune_runs,
    publish_run,
    store_lock,
)

CTX = mp.get_context("fork")  # POSIX only, like flock; children start without re-imports
WAIT_S = 120  # generous upper bound for a child to reach a sync point on a busy machine
ASOF = pd.Timestamp("2026-12-01T00:00Z")


def make_forecast(channels=("chat", "email"), languages=("en", "zh"), days=7, seed=0,
                  freq="30min", model="seasonal_naive") -> pd.DataFrame:
    """A forecast table in the contract's shape, sorted like load_forecast returns it."""
    rng = np.random.default_rng(seed)
    idx = pd.date_range(ASOF, ASOF + pd.Timedelta(days=days), freq=freq, inclusive="left")
    frames = []
    for ch in channels:
        for lang in languages:
            mean = rng.gamma(2.0, 3.0, size=len(idx))
            frames.append(pd.DataFrame({
                "interval_start": idx, "channel": ch, "language": lang, "contacts": mean,
                "contacts_p10": 0.7 * mean, "contacts_p50": mean, "contacts_p90": 1.4 * mean,
                "aht_s": np.where(mean > 1, 300.0 + rng.normal(0, 20, len(idx)), np.nan),
                "model": model if ch == "chat" else "week_average", "scenario": "typical"}))
    return pd.concat(frames, ignore_index=True)


def publish(path, forecast=None, *, data_hash="h0", metrics=None, **kw) -> store.RunInfo:
    args = dict(data_start="2026-10-01T00:00Z", data_end=ASOF, asof=ASOF, horizon_days=7,
                scenario="typical")
    args.update(kw)
    return publish_run(path, forecast=make_forecast() if forecast is None else forecast,
                       metrics=metrics, data_hash=data_hash, **args)


def assert_same_forecast(loaded: pd.DataFrame, expected: pd.DataFrame) -> None:
    exp = expected.sort_values(["channel", "language", "interval_start"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(loaded, exp, check_dtype=False)
    assert str(loaded["interval_start"].dtype) == "datetime64[ns, UTC]"
    assert all(loaded[c].dtype == np.float64 for c in ("contacts", "contacts_p10", "aht_s"))


# --- round trips and run identity -------------------------------------------------------


def test_publish_then_load_round_trips_forecast_metrics_and_run_info(tmp_path):
    path = tmp_path / "runs.sqlite"
    fc = make_forecast()
    metrics = pd.DataFrame({"channel": ["chat", "email"], "language": ["en", "zh"],
                            "model": ["seasonal_naive", "week_average"], "wape": [0.21, np.nan],
                            "coverage_p10_p90": [0.8, 0.75], "chosen": [True, False],
                            "origins": [4, 4]})
    info = publish(path, fc, metrics=metrics, data_hash="abc123")
    assert info.n_rows == len(fc) == 4 * 7 * 48
    assert info.models == {"chat/en": "seasonal_naive", "chat/zh": "seasonal_naive",
                           "email/en": "week_average", "email/zh": "week_average"}
    assert (info.asof, info.data_end, info.horizon_days) == (ASOF, ASOF, 7)
    assert info.data_start == pd.Timestamp("2026-10-01T00:00Z")
    assert info.created_at.tzinfo is not None
    assert list_runs(path) == [info]
    assert latest_run(path) == info
    assert_same_forecast(load_forecast(path), fc)
    assert_same_forecast(load_forecast(path, info.run_id), fc)
    pd.testing.assert_frame_equal(load_metrics(path), metrics)


def test_timestamps_are_stored_as_iso_utc_text(tmp_path):
    path = tmp_path / "runs.sqlite"
    fc = make_forecast(days=1)
    fc["interval_start"] = fc["interval_start"].dt.tz_convert("Asia/Tokyo")  # same instants
    info = publish(path, fc, asof="2026-12-01T09:00+09:00")
    with sqlite3.connect(path) as conn:
        asof, created = conn.execute("SELECT asof, created_at FROM runs").fetchone()
        first = conn.execute("SELECT MIN(interval_start) FROM forecast_rows").fetchone()[0]
    assert asof == "2026-12-01T00:00:00Z"
    assert first == "2026-12-01T00:00:00Z"
    assert created.endswith("Z") and pd.Timestamp(created) == info.created_at
    assert load_forecast(path)["interval_start"].min() == ASOF


def test_list_runs_is_newest_first_and_load_picks_by_id(tmp_path):
    path = tmp_path / "runs.sqlite"
    fcs = [make_forecast(seed=s, days=2) for s in range(3)]
    infos = [publish(path, fc, data_hash=f"h{i}") for i, fc in enumerate(fcs)]
    assert [r.run_id for r in list_runs(path)] == [i.run_id for i in reversed(infos)]
    assert latest_run(path) == infos[-1]
    assert len({i.run_id for i in infos}) == 3
    for info, fc in zip(infos, fcs, strict=True):
        assert_same_forecast(load_forecast(path, info.run_id), fc)
    assert load_metrics(path, infos[0].run_id).empty  # published without metrics


def test_same_identity_is_refused_and_leaves_the_store_unchanged(tmp_path):
    path = tmp_path / "runs.sqlite"
    first = publish(path, data_hash="same")
    with pytest.raises(ValueError, match=rf"run {first.run_id} already holds data hash same"):
        publish(path, make_forecast(seed=9), data_hash="same")
    assert list_runs(path) == [first]
    # any difference in the identity (asof, horizon, scenario, hash) is a new run
    publish(path, data_hash="same", asof="2026-12-01T00:30Z")
    publish(path, data_hash="same", horizon_days=8)
    publish(path, data_hash="same", scenario="stressed")
    assert len(list_runs(path)) == 4


def test_missing_store_reads_as_empty_without_creating_it(tmp_path):
    path = tmp_path / "nope.sqlite"
    assert list_runs(path) == []
    assert latest_run(path) is None
    with pytest.raises(ValueError, match="does not exist; run `staffcast refresh`"):
        load_forecast(path)
    assert not path.exists()


def test_empty_store_and_unknown_run_give_clear_errors(tmp_path):
    path = tmp_path / "runs.sqlite"
    open_store(path).close()
    assert list_runs(path) == [] and latest_run(path) is None
    with pytest.raises(ValueError, match="has no runs"):
        load_forecast(path)
    publish(path)
    with pytest.raises(ValueError, match="has no run 'r-404'"):
        load_metrics(path, "r-404")


def test_open_store_uses_wal_and_refuses_bad_files(tmp_path):
    path = tmp_path / "runs.sqlite"
    conn = open_store(path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        conn.execute("PRAGMA user_version=99")
    finally:
        conn.close()
    with pytest.raises(ValueError, match="has schema version 99; this staffcast reads up to 4"):
        open_store(path)
    junk = tmp_path / "junk.sqlite"
    junk.write_text("not a database, just text " * 100)
    with pytest.raises(ValueError, match="is not a usable SQLite database"):
        open_store(junk)
    with pytest.raises(ValueError, match="store directory .* does not exist"):
        open_store(tmp_path / "missing" / "runs.sqlite")


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda fc: fc.drop(columns="contacts_p90"), r"lacks column\(s\) \['contacts_p90'\]"),
    (lambda fc: fc.iloc[:0], "has no rows"),
    (lambda fc: fc.assign(interval_start=fc["interval_start"].dt.tz_localize(None)),
     "must be tz-aware datetimes, got dtype datetime64"),
    (lambda fc: pd.concat([fc, fc.iloc[[5]]]), "duplicate rows for chat/en at 2026-12-01T02:30"),
    (lambda fc: fc.assign(language=fc["language"].where(fc.index != 3, None)),
     "column 'language' has missing values"),
])
def test_malformed_forecast_is_refused_before_writing(tmp_path, mutate, message):
    path = tmp_path / "runs.sqlite"
    with pytest.raises(ValueError, match=message):
        publish(path, mutate(make_forecast(days=1)))
    assert list_runs(path) == []


def test_naive_asof_and_bad_horizon_are_refused(tmp_path):
    with pytest.raises(ValueError, match="asof must be timezone-aware"):
        publish(tmp_path / "s.sqlite", asof="2026-12-01T00:00")
    with pytest.raises(ValueError, match="horizon_days must be a positive integer, got 0"):
        publish(tmp_path / "s.sqlite", horizon_days=0)


def test_error_inside_the_transaction_rolls_everything_back(tmp_path, monkeypatch):
    path = tmp_path / "runs.sqlite"
    first = publish(path)
    real = store._forecast_records

    def failing(run_id, fc):
        for i, rec in enumerate(real(run_id, fc)):
            if i == 100:
                raise RuntimeError("disk on fire")
            yield rec

    monkeypatch.setattr(store, "_forecast_records", failing)
    with pytest.raises(RuntimeError, match="disk on fire"):
        publish(path, make_forecast(seed=1), data_hash="h1")
    assert list_runs(path) == [first]
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM forecast_rows").fetchone()[0] == first.n_rows


def test_prune_keeps_the_newest_runs_and_deletes_their_rows(tmp_path):
    path = tmp_path / "runs.sqlite"
    metrics = pd.DataFrame({"wape": [0.2]})
    choices = pd.DataFrame({"channel": ["chat"], "language": ["en"], "model": ["mean8w"]})
    infos = [publish(path, make_forecast(days=1, seed=s), data_hash=f"h{s}", metrics=metrics,
                     choices=choices) for s in range(4)]
    assert prune_runs(path, keep=2) == [infos[1].run_id, infos[0].run_id]
    assert list_runs(path) == [infos[3], infos[2]]
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM forecast_rows").fetchone()[0] == 2 * 4 * 48
        assert conn.execute("SELECT COUNT(*) FROM run_metrics").fetchone()[0] == 2
        assert conn.execute("SELECT COUNT(*) FROM run_choices").fetchone()[0] == 2
    assert prune_runs(path, keep=2) == []
    with pytest.raises(ValueError, match="keep must be a positive integer, got 0"):
        prune_runs(path, keep=0)


# --- real processes: kill mid-transaction, the writer lock ------------------------------


def _big_forecast() -> pd.DataFrame:
    return make_forecast(channels=("chat", "vip_chat", "email", "social"),
                         languages=("en", "zh", "ko", "ja", "ru", "es"), days=42, seed=7)


def _publish_and_hang(path: str, ready, wal_bytes) -> None:
    """Child: publish a large run, and block forever halfway through inserting its rows."""
    real = store._forecast_records

    def hanging(run_id, fc):
        for i, rec in enumerate(real(run_id, fc)):
            if i == len(fc) // 2:
                wal = Path(f"{path}-wal")
                wal_bytes.value = wal.stat().st_size if wal.exists() else 0
                ready.set()
                threading.Event().wait()  # the parent SIGKILLs us here
            yield rec

    store._forecast_records = hanging
    publish(path, _big_forecast(), data_hash="second")


def test_sigkill_mid_publish_keeps_previous_run_latest_and_complete(tmp_path):
    path = tmp_path / "runs.sqlite"
    fc = make_forecast()
    first = publish(path, fc, data_hash="first")
    wal = Path(f"{path}-wal")
    wal_before = wal.stat().st_size if wal.exists() else 0  # 0: checkpointed on close
    ready, wal_bytes = CTX.Event(), CTX.Value("q", 0)
    child = CTX.Process(target=_publish_and_hang, args=(str(path), ready, wal_bytes))
    child.start()
    try:
        assert ready.wait(WAIT_S), "child never reached the middle of its transaction"
        # the half-written run went to disk (spilled into the WAL), yet readers don't see it
        assert wal_bytes.value > wal_before, (wal_bytes.value, wal_before)
        assert latest_run(path) == first
        assert_same_forecast(load_forecast(path), fc)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.join(WAIT_S)
        if child.is_alive():
            child.kill()
            child.join()
    assert child.exitcode == -signal.SIGKILL
    assert list_runs(path) == [first]
    assert_same_forecast(load_forecast(path), fc)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT COUNT(*) FROM forecast_rows").fetchone()[0] == first.n_rows
    # the store stays writable: the killed run can be published afterwards
    big = _big_forecast()
    second = publish(path, big, data_hash="second")
    assert latest_run(path) == second
    assert_same_forecast(load_forecast(path), big)


def _hold_lock(path: str, held, release) -> None:
    with store_lock(path):
        held.set()
        release.wait(WAIT_S)


def _try_lock(path: str, outcome) -> None:
    try:
        with store_lock(path):
            outcome.put("acquired")
    except StoreLocked as exc:
        outcome.put(f"locked: {exc}")


def _run_child(target, *args) -> None:
    proc = CTX.Process(target=target, args=args)
    proc.start()
    proc.join(WAIT_S)
    assert proc.exitcode == 0


def test_lock_is_exclusive_across_processes_and_released_on_exit(tmp_path):
    path = str(tmp_path / "runs.sqlite")
    held, release, outcome = CTX.Event(), CTX.Event(), CTX.Queue()
    holder = CTX.Process(target=_hold_lock, args=(path, held, release))
    holder.start()
    try:
        assert held.wait(WAIT_S)
        _run_child(_try_lock, path, outcome)
        assert outcome.get(timeout=WAIT_S).startswith(f"locked: store {path!r} is locked")
        with pytest.raises(StoreLocked, match="try again when it ends"):
            with store_lock(path):
                pass
    finally:
        release.set()
        holder.join(WAIT_S)
    _run_child(_try_lock, path, outcome)
    assert outcome.get(timeout=WAIT_S) == "acquired"


def test_lock_of_a_killed_holder_is_released(tmp_path):
    path = str(tmp_path / "runs.sqlite")
    held, never = CTX.Event(), CTX.Event()
    holder = CTX.Process(target=_hold_lock, args=(path, held, never))
    holder.start()
    assert held.wait(WAIT_S)
    os.kill(holder.pid, signal.SIGKILL)
    holder.join(WAIT_S)
    assert holder.exitcode == -signal.SIGKILL
    with store_lock(path) as lock_file:
        assert lock_file.read_text() == f"{os.getpid()}\n"


def test_forecast_columns_match_the_contract():
    contract = (Path(__file__).resolve().parents[2] / "docs" / "contract.md").read_text()
    section = contract.split("### forecast table", 1)[1]
    listed = section.split("`", 2)[1]  # the first code span: the column list
    assert tuple(c.strip() for c in listed.split(",")) == FORECAST_COLUMNS
