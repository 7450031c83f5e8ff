"""Forecast the whole panel: every queue in a process pool, sparse languages split top-down.

:func:`forecast_panel` is the public entry point (docs/contract.md, forecast table). It
prepares one :class:`~forecast.queue.QueueInput` per modelled series, runs
:func:`~forecast.queue.forecast_queue` on each (in a process pool when ``jobs > 1``; the
same function can run on a distributed engine), then splits pooled sparse-language
forecasts by recent language shares and adds the P10/P50/P90 columns.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd

from forecast.aht import aht_forecast
from forecast.closures import OUTLIER_RATIO
from forecast.features import (
    SCENARIOS,
    Shock,
    grid_returns,
    scenario_returns,
    volatility_features,
)
from forecast.models import fit_market_effect, nb_quantiles
from forecast.queue import QueueForecast, QueueInput, forecast_queue
from forecast.special_days import day_factors, own_rows, pool_rows, special_days

__all__ = ["forecast_panel", "run_queues", "prepare", "Prepared", "Pool", "split_pool",
           "language_means", "ChannelEffect", "MIN_HISTORY_DAYS", "SPARSE_PER_DAY",
           "TASK_WEEKS", "infer_freq", "to_wide"]

log = logging.getLogger(__name__)

MIN_HISTORY_DAYS = 28
SPARSE_PER_DAY = 24.0  # a language queue with fewer contacts per day is pooled
VALIDATION_WEEKS = 5  # weekly validation origins inside the history (model choice, bands)
#: Weeks of history (before the day in progress) handed to each queue's task. The candidates
#: use at most the last 16 weeks (``forecast.candidates``), the handle-time profile 8, and
#: validation moves the origin back 5 weeks: 26 keeps every candidate's input as with the
#: whole history while a task no longer carries it (memory, and bytes pickled to the
#: workers); closed, outlying and shifted days are judged within these 26 weeks. The
#: market-effect fit still sees the whole history, per channel, in :func:`prepare`.
TASK_WEEKS = 26
_FREQS = {pd.Timedelta(minutes=m) for m in (15, 30, 60)}
_COLUMNS = ["interval_start", "channel", "language", "contacts", "contacts_p10",
            "contacts_p50", "contacts_p90", "aht_s", "model", "scenario"]
POOLED = "*pooled"


@dataclass(frozen=True)
class Pool:
    """A modelled series: one language, or several sparse languages summed."""

    channel: str
    members: tuple[str, ...]  # languages summed into this series
    targets: tuple[str, ...]  # languages that receive a share of its forecast
    shares: np.ndarray  # (len(targets), spd): share of each target by interval of day

    @property
    def name(self) -> str:
        return self.targets[0] if len(self.targets) == 1 and self.members == self.targets else POOLED


@dataclass(frozen=True)
class Prepared:
    """Everything :func:`forecast_panel` needs after reading the inputs once."""

    start: pd.Timestamp
    freq: pd.Timedelta
    spd: int
    future: pd.DatetimeIndex
    scenario: str
    pools: tuple[Pool, ...]
    tasks: tuple[QueueInput, ...]
    aht: dict[tuple[str, str], np.ndarray]
    # each pool's whole history (the tasks hold the last TASK_WEEKS): a yearly holiday's
    # ratio is read off its date a year before
    series: tuple[np.ndarray, ...] = ()


def infer_freq(ts: pd.Series) -> pd.Timedelta:
    u = np.unique(ts.to_numpy(dtype="datetime64[ns]"))
    if len(u) < 2:
        raise ValueError("contacts must have at least two distinct interval_start values")
    freq = pd.Timedelta(np.diff(u).min())
    if freq not in _FREQS:
        raise ValueError(f"interval length must be 15, 30 or 60 minutes, got {freq}")
    return freq


def _check(contacts: pd.DataFrame, asof: pd.Timestamp, horizon_days: int, scenario: str
           ) -> pd.Timestamp:
    need = {"interval_start", "channel", "language", "contacts"}
    missing = sorted(need - set(contacts.columns))
    if missing:
        raise ValueError(f"contacts is missing columns {missing}")
    if not isinstance(contacts["interval_start"].dtype, pd.DatetimeTZDtype):
        raise ValueError("contacts.interval_start must be tz-aware UTC datetimes")
    asof = pd.Timestamp(asof)
    if asof.tzinfo is None:
        raise ValueError(f"asof must be tz-aware, got {asof!r}")
    if not isinstance(horizon_days, int | np.integer) or not 1 <= horizon_days <= 42:
        raise ValueError(f"horizon_days must be an integer in [1, 42], got {horizon_days!r}")
    if scenario not in SCENARIOS:
        raise ValueError(f"scenario must be one of {list(SCENARIOS)}, got {scenario!r}")
    return asof.tz_convert("UTC")


def to_wide(long: pd.DataFrame, grid: pd.DatetimeIndex, value: str, fill: float) -> pd.DataFrame:
    """Pivot one value column to ``grid x (channel, language)`` (rows are unique per key)."""
    return _wides(long, grid, {value: fill})[value]


def _wides(long: pd.DataFrame, grid: pd.DatetimeIndex, fills: Mapping[str, float]
           ) -> dict[str, pd.DataFrame]:
    """Pivot value columns to ``grid x (channel, language)`` frames, one per column.

    Rows outside ``grid`` are ignored and so are queues without a row inside it, so that
    the caller needs no filtered copy of a large table (its text columns alone are
    hundreds of MB on a long history). The keys are factorized once for all columns.
    """
    rows = grid.get_indexer(long["interval_start"])
    ok = rows >= 0
    ch_codes, chans = pd.factorize(long["channel"], sort=True)
    la_codes, langs = pd.factorize(long["language"], sort=True)
    pair = (ch_codes.astype(np.int64) * len(langs) + la_codes)[ok]
    used = np.flatnonzero(np.bincount(pair, minlength=len(chans) * len(langs)))
    lookup = np.zeros(len(chans) * len(langs), dtype=np.int64)
    lookup[used] = np.arange(len(used))
    codes, rows = lookup[pair], rows[ok]
    cols = pd.MultiIndex.from_arrays([np.asarray(chans)[used // len(langs)],
                                      np.asarray(langs)[used % len(langs)]],
                                     names=["channel", "language"])
    out = {}
    for value, fill in fills.items():
        arr = np.full((len(grid), len(used)), fill, dtype=float)
        arr[rows, codes] = long[value].to_numpy(dtype=float)[ok]
        out[value] = pd.DataFrame(arr, index=grid, columns=cols)
    return out


def _shares(y: np.ndarray, pool_total: np.ndarray, spd: int, weeks: int = 8,
            prior: float = 20.0) -> np.ndarray:
    """Share of ``y`` in ``pool_total`` by interval of day, shrunk to the overall share."""
    n = min(len(y), weeks * 7 * spd) // spd * spd
    a = y[len(y) - n:].reshape(-1, spd).sum(axis=0)
    b = pool_total[len(pool_total) - n:].reshape(-1, spd).sum(axis=0)
    overall = a.sum() / b.sum() if b.sum() > 0 else 0.0
    return (a + prior * overall) / (b + prior)


def _expected_features(r_hist: np.ndarray, grid: pd.DatetimeIndex, future: pd.DatetimeIndex,
                       scenario: str, shock: Shock | None, sph: float, scale: float
                       ) -> np.ndarray:
    """Features ``(paths, len(future), k)`` of the scenario's paths after the actual history."""
    paths = scenario_returns(r_hist, grid, future, scenario, shock=shock)
    tail = r_hist[-int(48 * sph) - 1:]
    R = np.concatenate([np.broadcast_to(tail, (len(paths), len(tail))), paths], axis=1)
    return volatility_features(R, sph, scale)[:, len(tail):, :]


@dataclass(frozen=True)
class ChannelEffect:
    """A channel's market effect as log multipliers: over the history ``(n_hist,)``, over
    the future per scenario path ``(paths, n)``, and per validation week (most recent
    first) as expected at its origin (empty for ``observed``: realised market)."""

    hist: np.ndarray
    future: np.ndarray
    valid: tuple[np.ndarray, ...]

    def multipliers(self) -> tuple:
        """``(mult_hist, mult_future, mult_valid)``: ``exp(eta)``, averaged over the
        scenario's paths (the arguments of :class:`~forecast.queue.QueueInput`)."""
        return (np.exp(self.hist), np.exp(self.future).mean(axis=0),
                tuple(np.exp(e).mean(axis=0) for e in self.valid) or None)


def _market_multipliers(market: pd.DataFrame, asof: pd.Timestamp, grid: pd.DatetimeIndex,
                        future: pd.DatetimeIndex, freq: pd.Timedelta, scenario: str,
                        shock: Shock | None, volumes: Mapping[str, np.ndarray], spd: int,
                        seen: int) -> dict[str, ChannelEffect]:
    """Per channel: the market effect over the history, over the scenario's future paths,
    and what each validation week would have expected at its origin (same scenario, no
    shock; none for ``observed``, whose validation uses the realised market).
    """
    sph = pd.Timedelta("1h") / freq
    p = 7 * spd
    past = market[market["timestamp"] < asof]
    r_hist = grid_returns(past, grid, freq)
    scale = float(np.abs(r_hist).mean())
    X_hist = volatility_features(r_hist, sph, scale)
    if scenario == "observed":
        if market["timestamp"].max() + pd.Timedelta("1h") < future[-1] + freq:
            raise ValueError("scenario 'observed' needs market data up to the end of the horizon, "
                             f"market ends at {market['timestamp'].max()}")
        r_fut = grid_returns(market, future, freq)
        if shock is not None:
            pos = future.searchsorted(shock.at, side="right") - 1
            if 0 <= pos < len(future):
                r_fut[pos] += np.log1p(shock.move)
        tail = r_hist[-int(48 * sph) - 1:]
        X_fut = volatility_features(np.concatenate([tail, r_fut]), sph, scale)[None, len(tail):]
        X_val = []  # validation uses the realised market too (ex post)
    else:
        X_fut = _expected_features(r_hist, grid, future, scenario, shock, sph, scale)
        X_val = []  # what each validation origin would have expected, same scenario
        for v in range(1, VALIDATION_WEEKS + 1):
            cut = len(grid) - seen - v * p
            if cut < 14 * spd:
                break
            X_val.append(_expected_features(r_hist[:cut], grid[:cut], grid[cut:cut + p],
                                            scenario, None, sph, scale))
    out = {}
    for ch, y in volumes.items():
        eff = fit_market_effect(y, X_hist, p)
        log.debug("market effect %s: deviance gain %.3f", ch, eff.deviance_gain)
        out[ch] = ChannelEffect(eff.eta(X_hist), eff.eta(X_fut),
                                tuple(eff.eta(X) for X in X_val))
    return out


def prepare(contacts: pd.DataFrame, market: pd.DataFrame | None, *, asof: pd.Timestamp,
            horizon_days: int, scenario: str = "typical", shock: Shock | None = None,
            calendar: pd.DataFrame | None = None) -> Prepared:
    """Read the inputs once: history grid, pools of sparse languages, market multipliers,
    and the special days of ``calendar`` (:mod:`forecast.inputs.calendar`) per series."""
    asof = _check(contacts, asof, horizon_days, scenario)
    if market is None or len(market) == 0 or scenario == "none":
        scenario = "none"
    freq = infer_freq(contacts["interval_start"])
    spd = int(pd.Timedelta("1D") / freq)
    start = asof.floor(freq)
    ts = contacts["interval_start"]
    first = ts[ts < start].min()  # no filtered copy of the table: _wides ignores later rows
    if pd.isna(first):
        raise ValueError(f"no contacts before asof {asof.isoformat()}; need {MIN_HISTORY_DAYS} days")
    grid = pd.date_range(first, start - freq, freq=freq)
    days = len(grid) / spd
    if days < MIN_HISTORY_DAYS:
        raise ValueError(f"only {days:.1f} days of history before asof {asof.isoformat()}; "
                         f"need at least {MIN_HISTORY_DAYS}")
    has_aht = "aht_s" in contacts.columns
    w = _wides(contacts, grid, {"contacts": 0.0, **({"aht_s": np.nan} if has_aht else {})})
    wide = w["contacts"]
    aht_wide = w["aht_s"] if has_aht else pd.DataFrame(np.nan, index=grid, columns=wide.columns)
    future = pd.date_range(start, periods=horizon_days * spd, freq=freq)
    seen = int((start - start.floor("D")) / freq)

    pools, series = [], []
    for ch in sorted(wide.columns.get_level_values(0).unique()):
        sub = wide[ch]
        recent = sub.iloc[-28 * spd:].sum() / 28.0
        sparse = tuple(sorted(recent[recent < SPARSE_PER_DAY].index))
        for lang in sorted(set(sub.columns) - set(sparse)):
            pools.append(Pool(ch, (lang,), (lang,), np.ones((1, spd))))
            series.append(sub[lang].to_numpy())
        if sparse:
            members = sparse if len(sparse) > 1 else tuple(sorted(sub.columns))
            total = sub[list(members)].to_numpy().sum(axis=1)
            shares = np.stack([_shares(sub[lang].to_numpy(), total, spd) for lang in sparse])
            pools.append(Pool(ch, members, sparse, shares))
            series.append(total)

    mult = {}
    if scenario != "none":
        volumes = {ch: wide[ch].to_numpy().sum(axis=1) for ch in {p.channel for p in pools}}
        mult = _market_multipliers(market, asof, grid, future, freq, scenario, shock, volumes, spd,
                                   seen)
    tasks = []
    keep = slice(max(0, len(grid) - TASK_WEEKS * 7 * spd - seen), None)
    for pool, y in zip(pools, series, strict=True):
        mh, mf, mv = mult[pool.channel].multipliers() if pool.channel in mult else (None,) * 3
        aht_y = aht_wide[(pool.channel, pool.members[0])].to_numpy() if len(pool.members) == 1 \
            else np.full(len(y), np.nan)
        hist_days = (len(y[keep]) - seen) // spd
        rows = pool_rows(calendar, pool.channel, pool.members)
        known, other, shut = special_days(rows, start.floor("D"), hist_days, horizon_days)
        tasks.append(QueueInput(pool.channel, pool.name, y[keep].copy(), aht_y[keep].copy(), spd,
                                len(future), seen, None if mh is None else mh[keep].copy(), mf,
                                mult_valid=mv, closed_hist=known, special_hist=other,
                                closed_future=shut))
    # the history ends at ``start``, so the AHT profile lines up with the future
    aht = {key: aht_forecast(aht_wide[key].to_numpy(), wide[key].to_numpy(), spd, len(future))
           for key in wide.columns}
    return Prepared(start, freq, spd, future, scenario, tuple(pools), tuple(tasks), aht,
                    tuple(series))


def run_queues(tasks: Sequence[QueueInput], *, jobs: int = 1,
               models: Sequence[str | None] | None = None, keep_all: bool = False
               ) -> list[QueueForecast]:
    """Run :func:`forecast_queue` on every task, in a process pool when ``jobs > 1``."""
    if not isinstance(jobs, int | np.integer) or jobs < 1:
        raise ValueError(f"jobs must be a positive integer, got {jobs!r}")
    models = list(models) if models is not None else [None] * len(tasks)
    if jobs == 1 or len(tasks) <= 1:
        return [forecast_queue(t, model=m, keep_all=keep_all, validation_weeks=VALIDATION_WEEKS)
                for t, m in zip(tasks, models, strict=True)]
    fn = partial(_call, keep_all=keep_all)
    with ProcessPoolExecutor(max_workers=int(jobs)) as ex:
        return list(ex.map(fn, tasks, models, chunksize=max(1, len(tasks) // (4 * jobs))))


def _call(task: QueueInput, model: str | None, keep_all: bool) -> QueueForecast:
    return forecast_queue(task, model=model, keep_all=keep_all, validation_weeks=VALIDATION_WEEKS)


def split_pool(pool: Pool, mean: np.ndarray, start_slot: int, spd: int) -> np.ndarray:
    """Split a pool's mean into its target languages, ``(len(targets), n)``."""
    slots = (start_slot + np.arange(len(mean))) % spd
    return pool.shares[:, slots] * mean[None, :]


def language_means(prep: Prepared, pool: Pool, history: np.ndarray,
                   means: Mapping[str, np.ndarray], calendar: pd.DataFrame | None
                   ) -> dict[str, list[np.ndarray]]:
    """Forecasts of a pool (name -> mean) split into its languages, with the calendar's
    future holidays, events and a language's own closures applied: what
    :func:`forecast_panel` publishes, and so what the backtest scores. ``history`` is the
    pool's series (``prep.series``); the calendar's factors are measured once per language
    and applied to every forecast."""
    day0 = prep.start.floor("D")
    start_slot = int((prep.start - day0) / prep.freq)
    out = {nm: list(split_pool(pool, m, start_slot, prep.spd)) for nm, m in means.items()}
    if calendar is None or calendar.empty:
        return out
    whole = pool_rows(calendar, pool.channel, pool.members)
    for li, lang in enumerate(pool.targets):
        f = day_factors(own_rows(calendar, pool.channel, pool.members, lang, whole), history,
                        prep.future, prep.spd, day0, start_slot)
        if f is not None:
            for split in out.values():
                split[li] = split[li] * f
    return out


def forecast_panel(contacts: pd.DataFrame, market: pd.DataFrame | None, *, asof: pd.Timestamp,
                   horizon_days: int, scenario: str = "typical", shock: Shock | None = None,
                   jobs: int = 1, models: Mapping[tuple[str, str], str] | None = None,
                   calendar: pd.DataFrame | None = None) -> pd.DataFrame:
    """Forecast every queue from ``asof`` for ``horizon_days`` days (forecast table).

    Parameters
    ----------
    contacts : pd.DataFrame
        Contacts table of docs/contract.md; rows from ``asof`` on are ignored.
    market : pd.DataFrame | None
        Market table (``timestamp``, ``price``); ``None`` forecasts without the market
        (scenario ``"none"``).
    asof : pd.Timestamp
        Forecast origin (tz-aware). Only intervals ending at or before it are used; when
        it falls inside a day, the day's contacts so far update the rest of the day.
    horizon_days : int
        Days to forecast, 1 to 42, from the interval containing ``asof``.
    scenario : str
        Market scenario: ``calm``, ``typical``, ``stressed``, ``har``, ``observed``
        (backtests only: uses the market file past ``asof``) or ``none``.
    shock : Shock | None
        A user-specified market move added to the scenario.
    jobs : int
        Worker processes.
    models : Mapping | None
        ``(channel, language) -> model`` to fix models (e.g. a backtest's choice); other
        queues choose by the internal validation WAPE.
    calendar : pd.DataFrame | None
        Special days (``calendar.csv``, :mod:`forecast.inputs.calendar`): left out of the
        history's fits; closed days forecast as zero, holidays and events scaled.

    Returns
    -------
    pd.DataFrame
        Columns ``interval_start, channel, language, contacts, contacts_p10,
        contacts_p50, contacts_p90, aht_s, model, scenario``.
    """
    prep = prepare(contacts, market, asof=asof, horizon_days=horizon_days, scenario=scenario,
                   shock=shock, calendar=calendar)
    fixed = []
    for pool in prep.pools:
        names = [models.get((pool.channel, lang)) for lang in pool.targets] if models else []
        fixed.append(next((m for m in names if m), None))
    results = run_queues(prep.tasks, jobs=jobs, models=fixed)
    day0 = prep.start.floor("D")

    def days(back: tuple[int, ...]) -> str:  # days counted back from day0, oldest first
        return ", ".join(f"{day0 - pd.Timedelta(days=k):%a %Y-%m-%d}"
                         for k in sorted(back, reverse=True))

    for pool, res in zip(prep.pools, results, strict=True):
        name = f"{pool.channel}/{'+'.join(pool.members)}"
        if res.found_closed:
            log.warning("%s: no contacts at all on %s, though that weekday is normally busy: "
                        "treated as a closure or outage (left out of averages, profiles, fits "
                        "and validation)", name, days(res.found_closed))
        if res.found_outliers:
            log.warning("%s: more than %g times the usual contacts of that weekday on %s, "
                        "with no market move to explain it: treated as an outlier (left out "
                        "of averages, profiles, fits and validation)", name, OUTLIER_RATIO,
                        days(res.found_outliers))
        if res.found_shift is not None:
            back, ratio = res.found_shift
            log.warning("%s: volume has been %.2f times its earlier level since %s (a level "
                        "shift): the history before it is scaled to the new level", name,
                        ratio, days((back,)))
    frames = []
    for pool, res, history in zip(prep.pools, results, prep.series, strict=True):
        means = language_means(prep, pool, history, {res.model: res.mean}, calendar)[res.model]
        for lang, mean in zip(pool.targets, means, strict=True):
            q10, q50, q90 = nb_quantiles(mean, res.phi, (0.1, 0.5, 0.9))
            frames.append(pd.DataFrame({
                "interval_start": prep.future, "channel": pool.channel, "language": lang,
                "contacts": mean, "contacts_p10": q10, "contacts_p50": q50, "contacts_p90": q90,
                "aht_s": prep.aht[(pool.channel, lang)], "model": res.model,
                "scenario": prep.scenario}))
    out = pd.concat(frames, ignore_index=True)[_COLUMNS]
    return out.sort_values(["channel", "language", "interval_start"], ignore_index=True)
