"""The scheduled refresh job as a function: fit every queue, publish one run to the store.

:func:`refresh` is what ``staffcast refresh`` runs (nightly from cron or a systemd timer,
see ``docs/refresh.md``). It holds the store's writer lock for the whole job, recognises
unchanged data (same :func:`data_hash`, ``asof``, horizon and scenario) and then returns
the existing run instead of fitting again, and otherwise forecasts, backtests and
publishes the run in one transaction (:func:`forecast.store.runs.publish_run`). The backtest
runs first and its per-queue choice of model is passed to the forecast.

The forecasting and backtest functions are parameters, so that the job does not depend on
their internals; by default they are ``forecast.forecast_panel`` and ``forecast.backtest``,
imported when first needed.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecast.store.runs import RunInfo, find_run, iso_utc, publish_run, store_lock, to_utc

__all__ = ["RefreshResult", "data_hash", "data_window", "refresh"]

log = logging.getLogger(__name__)

_HASH_VERSION = b"staffcast-data-hash-v1"
_CONTACT_COLUMNS = ("interval_start", "channel", "language", "contacts", "aht_s")
_MARKET_COLUMNS = ("timestamp", "price", "volume")
_HASH_CHUNK = 1 << 18  # rows of a text column joined at a time


@dataclass(frozen=True)
class RefreshResult:
    """Outcome of one refresh: the run now in the store, whether it already existed, and
    the one-line summary the CLI prints."""

    run: RunInfo
    reused: bool
    summary: str


def _sort_key(s: pd.Series) -> np.ndarray:
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        return s.dt.tz_convert("UTC").dt.as_unit("ns").astype("int64").to_numpy()
    # integer codes of the sorted distinct strings order rows exactly as the strings do,
    # without one Python object per row (hundreds of MB on a large history)
    codes, _ = pd.factorize(s.astype(str), sort=True)
    return codes


def _hash_frame(h: hashlib._Hash, frame: pd.DataFrame, columns: tuple[str, ...],
                keys: tuple[str, ...], name: str) -> None:
    """Feed a canonical byte form of ``frame[columns]`` (rows sorted by ``keys``) to ``h``."""
    present = [c for c in columns if c in frame.columns]
    missing = [k for k in keys if k not in frame.columns]
    if missing:
        raise ValueError(f"{name} lacks column(s) {missing}")
    df = frame.loc[:, present]
    df = df.iloc[np.lexsort([_sort_key(df[k]) for k in reversed(keys)])]
    h.update(f"{name}:{len(df)}:{','.join(present)}\n".encode())
    for col in present:
        s = df[col]
        if isinstance(s.dtype, pd.DatetimeTZDtype):
            data = s.dt.tz_convert("UTC").dt.as_unit("ns").astype("int64").to_numpy("<i8")
            h.update(data.tobytes())
        elif pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            values = s.astype("float64").to_numpy("<f8", na_value=np.nan)
            values = np.where(np.isnan(values), np.nan, values)  # one NaN bit pattern
            h.update(values.astype("<f8").tobytes())
        else:  # in chunks: the same bytes as one join, without a list of every row's str
            text = s.astype(str)
            for i in range(0, len(text), _HASH_CHUNK):
                if i:
                    h.update(b"\x1f")
                h.update("\x1f".join(text.iloc[i:i + _HASH_CHUNK].tolist()).encode("utf-8"))
        h.update(b"\x1e")


def data_hash(contacts: pd.DataFrame, market: pd.DataFrame | None,
              calendar: pd.DataFrame | None = None) -> str:
    """A stable content hash (SHA-256 hex) of the inputs a forecast depends on.

    Only the contract columns count (contacts: ``interval_start, channel, language,
    contacts, aht_s``; market: ``timestamp, price, volume``), row order does not, and
    timestamps count as instants (the same instant in another time zone hashes the same).
    Integer and float encodings of the same numbers hash the same. A ``calendar``
    (``calendar.csv``) counts when it has rows; without one the hash is what it was before
    calendars existed, so stored runs still match.
    """
    if not isinstance(contacts, pd.DataFrame):
        raise ValueError(f"contacts must be a DataFrame, got {type(contacts).__name__}")
    h = hashlib.sha256(_HASH_VERSION)
    _hash_frame(h, contacts, _CONTACT_COLUMNS, ("interval_start", "channel", "language"),
                "contacts")
    if market is None:
        h.update(b"market:none\n")
    elif isinstance(market, pd.DataFrame):
        _hash_frame(h, market, _MARKET_COLUMNS, ("timestamp",), "market")
    else:
        raise ValueError(f"market must be a DataFrame or None, got {type(market).__name__}")
    if calendar is not None and len(calendar):
        rows = sorted(zip(calendar["date"].dt.strftime("%Y-%m-%d"), calendar["scope"],
                          calendar["kind"], calendar["multiplier"].astype(float).map(repr),
                          calendar["note"].astype(str), strict=True))
        h.update(b"calendar\n" + "\n".join("\t".join(r) for r in rows).encode("utf-8"))
    return h.hexdigest()


def data_window(contacts: pd.DataFrame) -> tuple[pd.Timestamp, pd.Timestamp]:
    """``(data_start, data_end)`` of the contacts history; ``data_end`` is the first
    interval after the last row (the last start plus the interval length)."""
    if "interval_start" not in contacts.columns or contacts.empty:
        raise ValueError("contacts must have rows and an 'interval_start' column")
    col = contacts["interval_start"]
    if not isinstance(col.dtype, pd.DatetimeTZDtype):
        raise ValueError(f"contacts interval_start must be tz-aware datetimes, got dtype "
                         f"{col.dtype}")
    starts = np.unique(col.dt.tz_convert("UTC").dt.as_unit("ns").astype("int64").to_numpy())
    if starts.size < 2:
        raise ValueError("contacts must span at least two intervals to infer their length")
    step = pd.Timedelta(int(np.diff(starts).min()), unit="ns")
    first = pd.Timestamp(int(starts[0]), unit="ns", tz="UTC")
    last = pd.Timestamp(int(starts[-1]), unit="ns", tz="UTC")
    return first, last + step


def _known_at(contacts: pd.DataFrame, market: pd.DataFrame | None, asof: pd.Timestamp
              ) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """What is known at ``asof``: intervals that started before it, prices up to it.

    The tables themselves (not copies) when nothing lies past ``asof``, as with the default
    ``asof`` of a nightly run: a copy of a large contacts table costs hundreds of MB.
    """
    known = (contacts["interval_start"] < asof).to_numpy()
    past = contacts if known.all() else contacts.loc[known]
    if market is None:
        return past, None
    known_m = (market["timestamp"] <= asof).to_numpy()
    return past, market if known_m.all() else market.loc[known_m]


def _metrics_table(result: object) -> pd.DataFrame:
    """The metrics DataFrame of a backtest result (``.summary``, else ``.metrics``)."""
    if isinstance(result, pd.DataFrame):
        return result
    for attr in ("summary", "metrics"):
        table = getattr(result, attr, None)
        if isinstance(table, pd.DataFrame):
            return table
    raise ValueError(f"backtest result {type(result).__name__} has no metrics DataFrame")


def _choice(result: object) -> dict[tuple[str, str], str] | None:
    """``(channel, language) -> model`` from a backtest result's ``.choice`` table, if any."""
    choice = getattr(result, "choice", None)
    if not isinstance(choice, pd.DataFrame) or not {"channel", "language", "model"} <= set(
            choice.columns):
        return None
    keys = zip(choice["channel"].astype(str), choice["language"].astype(str), strict=True)
    return dict(zip(keys, choice["model"].astype(str), strict=True))


def _summary(run: RunInfo, *, reused: bool, elapsed_s: float, store: str) -> str:
    counts = pd.Series(list(run.models.values()), dtype=object).value_counts()
    models = ", ".join(f"{m} x{n}" for m, n in counts.sort_index().items())
    verb = "reused run" if reused else "published run"
    why = " (data unchanged)" if reused else ""
    return (f"{verb} {run.run_id}{why} to {store}: {len(run.models)} queues, {run.n_rows} rows, "
            f"asof {iso_utc(run.asof)}, {run.horizon_days} d, scenario {run.scenario}, data "
            f"{iso_utc(run.data_start)}..{iso_utc(run.data_end)} hash {run.data_hash[:12]}, "
            f"models: {models or 'none'}; {elapsed_s:.1f} s")


def refresh(contacts: pd.DataFrame, market: pd.DataFrame | None, store_path: str | os.PathLike,
            *, horizon_days: int = 42, asof: object = None, scenario: str = "typical",
            jobs: int = 1, forecast_fn: Callable[..., pd.DataFrame] | None = None,
            backtest_fn: Callable[..., object] | None = None,
            backtest_origins: int = 4, backtest_horizon_days: int | None = None,
            calendar: pd.DataFrame | None = None) -> RefreshResult:
    """Run the refresh job: forecast every queue and publish one run to the store, then
    score the store's earlier runs on the actuals that arrived since (the track record,
    :mod:`forecast.store.track`).

    Parameters
    ----------
    contacts, market : DataFrame
        The validated scenario tables (``market`` may be ``None``).
    store_path : path-like
        The SQLite run store (created if missing; its directory must exist).
    horizon_days : int
        Days to forecast from ``asof``.
    asof : timestamp, optional
        Forecast origin (timezone-aware); default the end of the data.
    scenario : str
        Market scenario passed to the forecast.
    jobs : int
        Worker processes for the forecast and the backtest.
    forecast_fn : callable, optional
        ``forecast_fn(contacts, market, *, asof, horizon_days, scenario, jobs) -> forecast
        table``; default ``forecast.forecast_panel``.
    backtest_fn : callable, optional
        ``backtest_fn(contacts, market, *, origins, horizon_days, jobs)`` (and
        ``calendar=`` with a calendar, ``every_days=`` for a horizon under 7 days) returning a
        DataFrame or an object with a ``.summary`` (or ``.metrics``) DataFrame, stored as
        the run's metrics. It runs first and sees only contacts before ``asof`` (and market
        prices up to it). When its result has a ``.choice`` table (``channel, language,
        model``), the forecast is called with ``models={(channel, language): model}`` and
        the table is stored with the run (``forecast.store.runs.load_choices``).
        Default ``forecast.backtest``.
    backtest_origins : int
        Backtest origins, one backtest horizon apart but at most a week (a day-ahead
        refresh backtests daily origins, so its model choice is made day-ahead); 0 skips
        the backtest (the run then has no metrics).
    calendar : DataFrame, optional
        Special days (``calendar.csv``), passed to the backtest and the forecast
        (``calendar=``) and counted in the data hash.
    backtest_horizon_days : int, optional
        Horizon of each backtest origin; default ``horizon_days``. 7 matches the one-week
        origins the model choice is calibrated on; on the sample company (2026-11-25) it
        was neither faster nor measurably more accurate than 42 (``bench/README.md``).

    Returns
    -------
    RefreshResult
        ``reused=True`` when a run for the same data hash, ``asof``, horizon and scenario
        already existed (nothing is fitted or written then).

    Raises
    ------
    StoreLocked
        If another refresh holds the store's lock.
    """
    t0 = time.perf_counter()
    if not isinstance(horizon_days, int | np.integer) or horizon_days < 1:
        raise ValueError(f"horizon_days must be a positive integer, got {horizon_days!r}")
    if not isinstance(jobs, int | np.integer) or jobs < 1:
        raise ValueError(f"jobs must be a positive integer, got {jobs!r}")
    if not isinstance(backtest_origins, int | np.integer) or backtest_origins < 0:
        raise ValueError(f"backtest_origins must be an integer >= 0, got {backtest_origins!r}")
    if backtest_horizon_days is None:
        backtest_horizon_days = horizon_days
    if not isinstance(backtest_horizon_days, int | np.integer) or backtest_horizon_days < 1:
        raise ValueError("backtest_horizon_days must be a positive integer, got "
                         f"{backtest_horizon_days!r}")
    digest = data_hash(contacts, market, calendar)
    start, end = data_window(contacts)
    origin = end if asof is None else to_utc(asof, "asof")
    store = os.fspath(store_path)

    with store_lock(store_path):
        existing = find_run(store_path, data_hash=digest, asof=origin,
                            horizon_days=int(horizon_days), scenario=scenario)
        if existing is not None:
            summary = _summary(existing, reused=True, elapsed_s=time.perf_counter() - t0,
                               store=store)
            log.info("%s", summary)
            return RefreshResult(run=existing, reused=True, summary=summary)

        metrics, choice, choices = None, None, None
        if backtest_origins > 0:
            if backtest_fn is None:
                from forecast.backtesting import backtest as backtest_fn
            log.info("backtesting %d origins before %s", backtest_origins, iso_utc(origin))
            # origins a horizon apart, at most a week: a day-ahead refresh chooses each
            # queue's model on daily day-ahead origins, a schedule's on weekly ones
            every = min(7, int(backtest_horizon_days))
            result = backtest_fn(*_known_at(contacts, market, origin),
                                 origins=int(backtest_origins),
                                 horizon_days=int(backtest_horizon_days), jobs=jobs,
                                 **({} if calendar is None else {"calendar": calendar}),
                                 **({} if every == 7 else {"every_days": every}))
            metrics, choice = _metrics_table(result), _choice(result)
            choices = getattr(result, "choice", None) if choice is not None else None

        if forecast_fn is None:
            from forecast import forecast_panel as forecast_fn
        log.info("forecasting %d days from %s (scenario %s, %d jobs)", horizon_days,
                 iso_utc(origin), scenario, jobs)
        forecast = forecast_fn(contacts, market, asof=origin, horizon_days=int(horizon_days),
                               scenario=scenario, jobs=jobs,
                               **({} if choice is None else {"models": choice}),
                               **({} if calendar is None else {"calendar": calendar}))

        if choices is not None and {"channel", "language", "model"} <= set(forecast.columns):
            # the model each queue was forecast with: a sparse language takes its pool's
            used = forecast.groupby(["channel", "language"])["model"].first().rename("used")
            choices = choices.drop(columns="used", errors="ignore").merge(
                used.reset_index(), on=["channel", "language"], how="left")
        run = publish_run(store_path, forecast=forecast, metrics=metrics, data_hash=digest,
                          data_start=start, data_end=end, asof=origin,
                          horizon_days=int(horizon_days), scenario=scenario, choices=choices)
        # the earlier runs against the actuals that arrived since (the track record)
        from forecast.store.track import score_runs, track_record

        scores = score_runs(store_path, contacts)
        if len(scores):
            rec = track_record(scores)
            day1 = rec[rec["horizon"] == "1"]
            if len(day1):
                last = day1.iloc[-1]
                log.info("track record: run %s, day ahead, WAPE %.3f, bias %+.3f, P10-P90 "
                         "coverage %.0f%% (%d runs scored)", last["run_id"], last["wape"],
                         last["bias"], 100 * last["coverage"], rec["run_id"].nunique())
    summary = _summary(run, reused=False, elapsed_s=time.perf_counter() - t0, store=store)
    log.info("%s", summary)
    return RefreshResult(run=run, reused=False, summary=summary)
