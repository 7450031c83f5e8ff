"""Rolling-origin evaluation of every candidate, per queue, and the model choice.

Origins are midnight UTC, one week apart (``every_days``: daily for a day-ahead backtest),
the last one ``horizon_days`` before the end of the data. At each origin every candidate
(and ``auto``, the model that :func:`~forecast.panel.forecast_panel` would pick by itself)
forecasts every queue from the history before the origin; the market-aware variants see
the realised market over the horizon (scenario ``observed``: an ex-post evaluation of the
market effect). Metrics
(Hyndman & Koehler 2006): WAPE = sum|e| / sum y; MASE = MAE / in-sample MAE of the
weekly seasonal naive; bias = sum(f - y) / sum y; coverage = share of intervals with
P10 <= y <= P90.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecast.choice import choose_model
from forecast.models import nb_covered
from forecast.panel import (
    MIN_HISTORY_DAYS,
    infer_freq,
    language_means,
    prepare,
    run_queues,
    to_wide,
)

__all__ = ["BacktestResult", "backtest", "choose_per_queue", "surge_days", "surge_summary"]

log = logging.getLogger(__name__)

AUTO = "auto"


@dataclass(frozen=True)
class BacktestResult:
    """Backtest tables.

    ``metrics``: one row per queue x candidate x origin (``channel, language, candidate,
    origin, wape, mase, bias, coverage, actual, abs_error, n``). ``summary``: pooled over
    origins per queue x candidate, plus overall rows (``channel == language == "*"``)
    pooled over queues. ``choice``: ``channel, language, model, reason`` and the figures
    behind it, by the rule of :mod:`forecast.choice` on the backtest's days
    (:func:`choose_per_queue`). ``daily``: per queue x candidate x day sums for day-level analyses
    (``day, actual, forecast, abs_error, covered, n``).
    """

    metrics: pd.DataFrame
    summary: pd.DataFrame
    choice: pd.DataFrame
    daily: pd.DataFrame


def _origins(last_end: pd.Timestamp, origins: int, horizon_days: int,
             every_days: int) -> list[pd.Timestamp]:
    final = (last_end - pd.Timedelta(days=horizon_days)).floor("D")
    return [final - pd.Timedelta(days=every_days * (origins - 1 - i)) for i in range(origins)]


def backtest(contacts: pd.DataFrame, market: pd.DataFrame | None, *,
             origins: int | Sequence[pd.Timestamp], horizon_days: int, jobs: int = 1,
             scenario: str = "observed", calendar: pd.DataFrame | None = None,
             every_days: int = 7) -> BacktestResult:
    """Rolling-origin backtest of every candidate and baseline on every queue.

    Parameters
    ----------
    contacts, market : pd.DataFrame
        Inputs of docs/contract.md (``market`` may be ``None``).
    origins : int | Sequence[pd.Timestamp]
        Number of origins (>= 1), ``every_days`` apart, the last one horizon before the end
        of the data, or the origins themselves (tz-aware; each is floored to midnight UTC).
    horizon_days : int
        Forecast horizon in days.
    jobs : int
        Worker processes.
    scenario : str
        Market scenario of the market-aware candidates: ``observed`` (default, ex-post:
        the realised market over each horizon) or an ex-ante one such as ``typical``.
    calendar : pd.DataFrame | None
        Special days (``calendar.csv``), as :func:`forecast.forecast_panel` takes them: each
        origin knows the closures ahead of it, as a manager would have.
    every_days : int
        Days between origins given by number (default 7: weekly; 1 for a day-ahead
        backtest on daily origins, which is what the model choice of a day-ahead refresh
        is made on).

    Raises
    ------
    ValueError
        If the first origin would have fewer than 28 days of history.
    """
    freq = infer_freq(contacts["interval_start"])
    first, last_end = contacts["interval_start"].min(), contacts["interval_start"].max() + freq
    if isinstance(origins, int | np.integer):
        if origins < 1:
            raise ValueError(f"origins must be a positive integer, got {origins!r}")
        if not isinstance(every_days, int | np.integer) or every_days < 1:
            raise ValueError(f"every_days must be a positive integer, got {every_days!r}")
        ors = _origins(last_end, int(origins), horizon_days, int(every_days))
    else:
        ors = sorted(pd.Timestamp(o).tz_convert("UTC").floor("D") for o in origins)
        if not ors:
            raise ValueError("origins must name at least one origin")
        late = [o for o in ors if o + pd.Timedelta(days=horizon_days) > last_end]
        if late:
            raise ValueError(f"origin {late[0].isoformat()} leaves less than {horizon_days} days "
                             f"of data (contacts end {last_end.isoformat()})")
    if ors[0] - first < pd.Timedelta(days=MIN_HISTORY_DAYS):
        raise ValueError(f"{len(ors)} origins with a {horizon_days}-day horizon need data "
                         f"from {(ors[0] - pd.Timedelta(days=MIN_HISTORY_DAYS)).date()}, "
                         f"contacts start {first.date()}")
    scenario = "none" if market is None else scenario
    wide = to_wide(contacts, pd.date_range(first, last_end - freq, freq=freq), "contacts", 0.0)
    preps = [prepare(contacts, market, asof=o, horizon_days=horizon_days, scenario=scenario,
                     calendar=calendar) for o in ors]
    tasks = [t for p in preps for t in p.tasks]
    results = iter(run_queues(tasks, jobs=jobs, keep_all=True))
    rows, daily = [], {k: [] for k in ("channel", "language", "candidate", "day", "actual",
                                       "forecast", "abs_error", "covered", "n")}
    for origin, prep in zip(ors, preps, strict=True):
        p = 7 * prep.spd
        pos = wide.index.get_indexer(prep.future)
        hist_end = wide.index.get_loc(prep.future[0])
        days = prep.future[::prep.spd]
        for pool, history in zip(prep.pools, prep.series, strict=True):
            res = next(results)
            fcs = dict(res.candidates)
            fcs[AUTO] = (res.mean, res.phi)
            # each candidate as forecast_panel would publish it: split, calendar applied
            split = language_means(prep, pool, history,
                                   {nm: mean for nm, (mean, _) in fcs.items()}, calendar)
            for lang in pool.targets:
                y = wide[(pool.channel, lang)].to_numpy()
                act = y[pos]
                h = y[max(0, hist_end - 52 * p):hist_end]
                scale = np.mean(np.abs(h[p:] - h[:-p])) if len(h) > p else np.nan
                s = act.sum()
                by_day = act.reshape(-1, prep.spd).sum(axis=1)
                li = pool.targets.index(lang)
                for name, (_, phi) in fcs.items():
                    f = split[name][li]
                    cov = nb_covered(act, f, phi)  # inside P10-P90
                    err = np.abs(f - act)
                    rows.append((pool.channel, lang, name, origin, err.sum() / s if s else np.nan,
                                 err.mean() / scale if scale else np.nan,
                                 (f - act).sum() / s if s else np.nan, cov.mean(), s, err.sum(),
                                 (f - act).sum(), cov.sum(), len(act)))
                    for key, val in (("actual", by_day),
                                     ("forecast", f.reshape(-1, prep.spd).sum(axis=1)),
                                     ("abs_error", err.reshape(-1, prep.spd).sum(axis=1)),
                                     ("covered", cov.reshape(-1, prep.spd).sum(axis=1))):
                        daily[key].append(val)
                    daily["day"].append(days)
                    for key, val in (("channel", pool.channel), ("language", lang),
                                     ("candidate", name)):
                        daily[key].append(np.full(len(days), val, dtype=object))
                    daily["n"].append(np.full(len(days), prep.spd))
    metrics = pd.DataFrame(rows, columns=["channel", "language", "candidate", "origin", "wape",
                                          "mase", "bias", "coverage", "actual", "abs_error",
                                          "error", "covered", "n"])
    if pd.api.types.is_integer_dtype(contacts["contacts"]):  # whole counts stay whole in CSVs
        metrics["actual"] = metrics["actual"].round().astype(np.int64)
    summary = _summary(metrics)
    daily_t = pd.DataFrame({k: np.concatenate(v) for k, v in daily.items()})
    return BacktestResult(metrics.drop(columns=["error", "covered"]), summary,
                          choose_per_queue(daily_t, market is not None), daily_t)


def choose_per_queue(daily: pd.DataFrame, market: bool) -> pd.DataFrame:
    """Each queue's model by :func:`forecast.choice.choose_model` on a backtest's ``daily``
    table (``auto`` left out; a day seen from several origins summed into one):
    ``channel, language, model, reason`` and the validation figures of the choice."""
    rows = []
    cand = daily[daily["candidate"] != AUTO]
    # one row per queue, candidate and distinct day: origins whose horizons overlap see
    # the same day more than once, and counting it twice would overstate the evidence
    per_day = cand.groupby(["channel", "language", "candidate", "day"], sort=True)[
        ["abs_error", "actual"]].sum().reset_index()
    for (ch, lang), g in per_day.groupby(["channel", "language"], sort=True):
        by = {nm: d for nm, d in g.groupby("candidate", sort=False)}
        first = next(iter(by.values()))
        c = choose_model({nm: d["abs_error"].to_numpy() for nm, d in by.items()},
                         first["actual"].to_numpy(), market)
        rows.append({"channel": ch, "language": lang, **c.as_row()})
    cols = ["channel", "language", "model", "reason", "validation_wape", "best", "best_wape",
            "baseline", "baseline_wape", "t_closest", "validation_days"]
    return pd.DataFrame(rows, columns=cols)


def _pooled(g: pd.DataFrame) -> pd.Series:
    s = g["actual"].sum()
    return pd.Series({"wape": g["abs_error"].sum() / s if s else np.nan,
                      "mase": g["mase"].mean(), "bias": g["error"].sum() / s if s else np.nan,
                      "coverage": g["covered"].sum() / g["n"].sum(), "actual": s})


def _summary(metrics: pd.DataFrame) -> pd.DataFrame:
    keys = ["channel", "language", "candidate"]
    per_q = metrics.groupby(keys)[["actual", "abs_error", "error", "covered", "n", "mase"]].apply(
        _pooled).reset_index()
    overall = metrics.groupby("candidate")[["actual", "abs_error", "error", "covered", "n",
                                            "mase"]].apply(_pooled).reset_index()
    overall.insert(0, "language", "*")
    overall.insert(0, "channel", "*")
    return pd.concat([per_q, overall], ignore_index=True)


def surge_days(market: pd.DataFrame, top: float = 0.05) -> pd.DatetimeIndex:
    """UTC days in the top ``top`` share by realised volatility of hourly log returns."""
    p = market.set_index("timestamp")["price"].sort_index().resample("1h").last().ffill()
    r = np.log(p).diff().dropna()
    rv = np.sqrt((r ** 2).groupby(r.index.floor("D")).sum())
    return pd.DatetimeIndex(rv.index[rv >= rv.quantile(1.0 - top)])


def surge_summary(result: BacktestResult, days: pd.DatetimeIndex) -> pd.DataFrame:
    """WAPE, bias and P10-P90 coverage per candidate over the given days, all queues pooled."""
    day = result.daily["day"].dt.as_unit("ns")
    d = result.daily[day.isin(pd.DatetimeIndex(days).as_unit("ns"))]
    g = d.groupby("candidate")[["actual", "forecast", "abs_error", "covered", "n"]].sum()
    out = pd.DataFrame({"wape": g["abs_error"] / g["actual"],
                        "bias": (g["forecast"] - g["actual"]) / g["actual"],
                        "coverage": g["covered"] / g["n"], "days": d["day"].nunique()})
    return out.reset_index()
