"""The forecast run store: an embedded SQLite database of published forecast runs.

A *run* is one output of the refresh job: its metadata (:class:`RunInfo`), the forecast
rows (the forecast table of ``docs/contract.md``) and the backtest metrics. A run is
published in one SQLite transaction, so a crash or a kill mid-publish leaves the previous
runs intact, and readers (the app, ``staffcast plan``) never see a half-written run: the
database runs in WAL mode, where every read sees the last committed state.

Writers that must not overlap (the refresh job) hold :func:`store_lock`, an exclusive
non-blocking ``flock`` on the sibling file ``<store>.lock``; a second writer gets
:class:`StoreLocked`. The kernel drops the lock when its process dies, so a killed job
never leaves a stale lock behind. The SQLite layer (schema, connections, transactions,
the lock) lives in :mod:`forecast.store.db`; this module holds the runs.

Timestamps are stored as ISO 8601 UTC text (``2026-12-01T14:00:00Z``).
"""

from __future__ import annotations

import io
import json
import logging
import os
import secrets
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from forecast.store.db import (  # the SQLite layer: schema, transactions, writer lock
    SCHEMA_VERSION,
    StoreLocked,
    connect,
    open_store,
    read_snapshot,
    store_lock,
    write_transaction,
)

__all__ = [
    "FORECAST_COLUMNS",
    "SCHEMA_VERSION",
    "RunInfo",
    "StoreLocked",
    "open_store",
    "store_lock",
    "publish_run",
    "find_run",
    "list_runs",
    "latest_run",
    "load_forecast",
    "load_metrics",
    "load_choices",
    "prune_runs", "iso_utc", "to_utc"]

log = logging.getLogger(__name__)

FORECAST_COLUMNS = ("interval_start", "channel", "language", "contacts", "contacts_p10",
                    "contacts_p50", "contacts_p90", "aht_s", "model", "scenario")
_KEYS = ("interval_start", "channel", "language")
_FLOATS = ("contacts", "contacts_p10", "contacts_p50", "contacts_p90", "aht_s")
_ROW_FMT = "%Y-%m-%dT%H:%M:%SZ"

@dataclass(frozen=True)
class RunInfo:
    """Metadata of one published forecast run.

    ``data_start``/``data_end`` bound the contacts history the run was fitted on
    (``data_end`` is the first interval after the last row), ``data_hash`` is its content
    hash, ``models`` maps ``"channel/language"`` to the model chosen for that queue.
    """

    run_id: str
    created_at: pd.Timestamp
    data_start: pd.Timestamp
    data_end: pd.Timestamp
    data_hash: str
    asof: pd.Timestamp
    horizon_days: int
    scenario: str
    n_rows: int
    models: dict[str, str]


def to_utc(value: object, name: str) -> pd.Timestamp:
    """``value`` as a tz-aware UTC Timestamp; naive or unparsable values are refused."""
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a timestamp, got {value!r}") from exc
    if ts is pd.NaT:
        raise ValueError(f"{name} must be a timestamp, got {value!r}")
    if ts.tzinfo is None:
        raise ValueError(f"{name} must be timezone-aware (UTC), got {value!r}")
    return ts.tz_convert("UTC")


def iso_utc(ts: pd.Timestamp) -> str:
    """ISO 8601 UTC text, with microseconds only when they are not zero."""
    ts = ts.tz_convert("UTC")
    return ts.strftime("%Y-%m-%dT%H:%M:%S.%fZ" if ts.microsecond else _ROW_FMT)


def _parse(text: str) -> pd.Timestamp:
    return pd.Timestamp(text).tz_convert("UTC")


def _check_forecast(forecast: pd.DataFrame) -> pd.DataFrame:
    """The contract columns of ``forecast``, checked; extra columns are dropped."""
    if not isinstance(forecast, pd.DataFrame):
        raise ValueError(f"forecast must be a DataFrame, got {type(forecast).__name__}")
    missing = [c for c in FORECAST_COLUMNS if c not in forecast.columns]
    if missing:
        raise ValueError(f"forecast table lacks column(s) {missing}")
    if forecast.empty:
        raise ValueError("forecast table has no rows")
    extra = [c for c in forecast.columns if c not in FORECAST_COLUMNS]
    if extra:
        log.warning("forecast columns %s are not part of the contract; not stored", extra)
    fc = forecast.loc[:, list(FORECAST_COLUMNS)]
    if not isinstance(fc["interval_start"].dtype, pd.DatetimeTZDtype):
        raise ValueError(f"forecast interval_start must be tz-aware datetimes, got dtype "
                         f"{fc['interval_start'].dtype}")
    for col in _KEYS:
        if fc[col].isna().any():
            raise ValueError(f"forecast column {col!r} has missing values")
    dup = fc.duplicated(list(_KEYS))
    if dup.any():
        row = fc.loc[dup].iloc[0]
        raise ValueError(f"forecast has duplicate rows for {row['channel']}/{row['language']} "
                         f"at {iso_utc(row['interval_start'])}")
    return fc


def _forecast_records(run_id: str, fc: pd.DataFrame) -> Iterator[tuple]:
    """The rows to insert for ``fc``, in ``forecast_rows`` column order."""
    starts = fc["interval_start"].dt.tz_convert("UTC").dt.strftime(_ROW_FMT)
    cols = [fc["channel"].astype(str), fc["language"].astype(str), starts]
    cols += [fc[c].astype("float64").astype(object).where(fc[c].notna(), None) for c in _FLOATS]
    cols += [fc[c].astype(object).where(fc[c].notna(), None) for c in ("model", "scenario")]
    for values in zip(*(c.to_numpy() for c in cols), strict=True):
        yield (run_id, *values)


def _models(fc: pd.DataFrame) -> dict[str, str]:
    queue = fc["channel"].astype(str) + "/" + fc["language"].astype(str)
    models = fc["model"].astype(str).groupby(queue.to_numpy(), sort=True).unique()
    return {q: "+".join(sorted(m)) for q, m in models.items()}


def _run_info(row: sqlite3.Row | tuple) -> RunInfo:
    (run_id, created_at, data_start, data_end, data_hash, asof, horizon_days, scenario, n_rows,
     models) = row
    return RunInfo(run_id=run_id, created_at=_parse(created_at), data_start=_parse(data_start),
                   data_end=_parse(data_end), data_hash=data_hash, asof=_parse(asof),
                   horizon_days=int(horizon_days), scenario=scenario, n_rows=int(n_rows),
                   models=json.loads(models))


_RUN_COLS = ("run_id, created_at, data_start, data_end, data_hash, asof, horizon_days, scenario, "
             "n_rows, models")


def _find(conn: sqlite3.Connection, data_hash: str, asof: pd.Timestamp, horizon_days: int,
          scenario: str) -> RunInfo | None:
    row = conn.execute(f"SELECT {_RUN_COLS} FROM runs WHERE data_hash = ? AND asof = ? AND "
                       "horizon_days = ? AND scenario = ?",
                       (data_hash, iso_utc(asof), int(horizon_days), scenario)).fetchone()
    return None if row is None else _run_info(row)


def publish_run(path: str | os.PathLike, *, forecast: pd.DataFrame, metrics: pd.DataFrame | None,
                data_hash: str, data_start: object, data_end: object, asof: object,
                horizon_days: int, scenario: str,
                choices: pd.DataFrame | None = None) -> RunInfo:
    """Publish one forecast run (metadata, forecast rows, metrics, model choices) in one
    transaction.

    Parameters
    ----------
    path : path-like
        The store (created if missing).
    forecast : DataFrame
        The forecast table of ``docs/contract.md``; extra columns are not stored.
    metrics : DataFrame or None
        Backtest metrics, stored as they are (any columns).
    choices : DataFrame or None
        Each queue's model and the validation figures it was chosen on
        (``forecast.backtesting.BacktestResult.choice``), stored as they are.
    data_hash, data_start, data_end, asof, horizon_days, scenario
        The run's identity: the data it was fitted on and what was asked of it.
        Timestamps must be timezone-aware.

    Returns
    -------
    RunInfo
        The published run, now the latest.

    Raises
    ------
    ValueError
        On a malformed forecast table, or if a run with the same data hash, ``asof``,
        horizon and scenario already exists.
    """
    fc = _check_forecast(forecast)
    if not isinstance(horizon_days, int | np.integer) or horizon_days < 1:
        raise ValueError(f"horizon_days must be a positive integer, got {horizon_days!r}")
    for name, table in (("metrics", metrics), ("choices", choices)):
        if table is not None and not isinstance(table, pd.DataFrame):
            raise ValueError(f"{name} must be a DataFrame or None, got {type(table).__name__}")
    created = pd.Timestamp.now(tz="UTC")
    info = RunInfo(run_id=f"{created:%Y%m%dT%H%M%S}Z-{secrets.token_hex(3)}", created_at=created,
                   data_start=to_utc(data_start, "data_start"), data_end=to_utc(data_end, "data_end"),
                   data_hash=str(data_hash), asof=to_utc(asof, "asof"),
                   horizon_days=int(horizon_days), scenario=str(scenario), n_rows=len(fc),
                   models=_models(fc))
    tables = [(t, table.to_json(orient="table", date_format="iso"))
              for t, table in (("run_metrics", metrics), ("run_choices", choices))
              if table is not None]
    with connect(path) as conn, write_transaction(conn):
        existing = _find(conn, info.data_hash, info.asof, info.horizon_days, info.scenario)
        if existing is not None:
            raise ValueError(f"run {existing.run_id} already holds data hash "
                             f"{info.data_hash[:12]} at asof {iso_utc(info.asof)}, "
                             f"{info.horizon_days} d, scenario {info.scenario!r}")
        conn.execute(f"INSERT INTO runs ({_RUN_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     (info.run_id, iso_utc(info.created_at), iso_utc(info.data_start),
                      iso_utc(info.data_end), info.data_hash, iso_utc(info.asof), info.horizon_days,
                      info.scenario, info.n_rows, json.dumps(info.models, sort_keys=True)))
        conn.executemany("INSERT INTO forecast_rows (run_id, channel, language, interval_start,"
                         " contacts, contacts_p10, contacts_p50, contacts_p90, aht_s, model,"
                         " scenario) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         _forecast_records(info.run_id, fc))
        for table, text in tables:  # (two fixed names, not user input)
            conn.execute(f"INSERT INTO {table} (run_id, table_json) VALUES (?, ?)",
                         (info.run_id, text))
    log.info("published run %s: %d rows, %d queues", info.run_id, info.n_rows, len(info.models))
    return info


def find_run(path: str | os.PathLike, *, data_hash: str, asof: object, horizon_days: int,
             scenario: str) -> RunInfo | None:
    """The run fitted on ``data_hash`` for this ``asof``/horizon/scenario, if one exists."""
    if not Path(path).exists():
        return None
    with connect(path) as conn:
        return _find(conn, data_hash, to_utc(asof, "asof"), horizon_days, scenario)


def list_runs(path: str | os.PathLike) -> list[RunInfo]:
    """Every run in the store, newest first (``[]`` if the store does not exist)."""
    if not Path(path).exists():
        return []
    with connect(path) as conn:
        rows = conn.execute(f"SELECT {_RUN_COLS} FROM runs ORDER BY seq DESC").fetchall()
    return [_run_info(r) for r in rows]


def latest_run(path: str | os.PathLike) -> RunInfo | None:
    """The most recently published run, or ``None`` (no store or no runs)."""
    if not Path(path).exists():
        return None
    with connect(path) as conn:
        row = conn.execute(f"SELECT {_RUN_COLS} FROM runs ORDER BY seq DESC LIMIT 1").fetchone()
    return None if row is None else _run_info(row)


def _resolve(conn: sqlite3.Connection, path: str | os.PathLike, run_id: str | None) -> str:
    if run_id is None:
        row = conn.execute("SELECT run_id FROM runs ORDER BY seq DESC LIMIT 1").fetchone()
        if row is None:
            raise ValueError(f"store {os.fspath(path)!r} has no runs; run `staffcast refresh`")
        return row[0]
    if conn.execute("SELECT 1 FROM runs WHERE run_id = ?", (run_id,)).fetchone() is None:
        raise ValueError(f"store {os.fspath(path)!r} has no run {run_id!r}")
    return run_id


def _existing(path: str | os.PathLike) -> Path:
    if not Path(path).exists():
        raise ValueError(f"store {os.fspath(path)!r} does not exist; run `staffcast refresh`")
    return Path(path)


def load_forecast(path: str | os.PathLike, run_id: str | None = None) -> pd.DataFrame:
    """The forecast table of run ``run_id`` (the latest run when ``None``).

    Rows are sorted by channel, language, interval_start; dtypes follow the contract
    (``interval_start`` is ``datetime64[ns, UTC]``, value columns float64).
    """
    with read_snapshot(_existing(path)) as conn:
        rid = _resolve(conn, path, run_id)
        fc = pd.read_sql_query(
            "SELECT interval_start, channel, language, contacts, contacts_p10, contacts_p50, "
            "contacts_p90, aht_s, model, scenario FROM forecast_rows WHERE run_id = ? "
            "ORDER BY channel, language, interval_start", conn, params=(rid,))
    fc["interval_start"] = pd.to_datetime(fc["interval_start"], utc=True,
                                          format="ISO8601").dt.as_unit("ns")
    for col in _FLOATS:
        fc[col] = fc[col].astype("float64")
    return fc


def _load_table(path: str | os.PathLike, run_id: str | None, table: str) -> pd.DataFrame:
    with read_snapshot(_existing(path)) as conn:
        rid = _resolve(conn, path, run_id)
        row = conn.execute(f"SELECT table_json FROM {table} WHERE run_id = ?",
                           (rid,)).fetchone()
    if row is None:
        return pd.DataFrame()
    return pd.read_json(io.StringIO(row[0]), orient="table")


def load_metrics(path: str | os.PathLike, run_id: str | None = None) -> pd.DataFrame:
    """The backtest metrics of run ``run_id`` (latest when ``None``); empty if none stored."""
    return _load_table(path, run_id, "run_metrics")


def load_choices(path: str | os.PathLike, run_id: str | None = None) -> pd.DataFrame:
    """Each queue's model choice and its validation figures for run ``run_id`` (latest when
    ``None``; :func:`forecast.backtesting.choose_per_queue`); empty if none stored."""
    return _load_table(path, run_id, "run_choices")


def prune_runs(path: str | os.PathLike, *, keep: int) -> list[str]:
    """Delete all but the newest ``keep`` runs (rows and metrics too), in one transaction.

    Returns the deleted run ids, newest first. Space is reused by later runs; run
    ``VACUUM`` to shrink the file.
    """
    if not isinstance(keep, int | np.integer) or keep < 1:
        raise ValueError(f"keep must be a positive integer, got {keep!r}")
    with connect(_existing(path)) as conn, write_transaction(conn):
        old = [r[0] for r in conn.execute(
            "SELECT run_id FROM runs ORDER BY seq DESC LIMIT -1 OFFSET ?", (int(keep),))]
        conn.executemany("DELETE FROM runs WHERE run_id = ?", [(r,) for r in old])
    if old:
        log.info("pruned %d run(s) from %s", len(old), os.fspath(path))
    return old
