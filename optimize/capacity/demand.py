"""Weekly volume -> interval requirements -> hours needed per queue and week.

Each future week of the long-range forecast is given the typical week of its queue
(:func:`forecast.longrange.week_pattern`: the share of the week's contacts per interval
and the handle time there, scaled so the week's contact-weighted handle time is the
forecast's); the scenario's hours of operation route each closed queue's contacts where
they go (:func:`optimize.queueing.routing.route_hours`), and the queueing engine
(:func:`optimize.queueing.compute_requirements`, with the scenario's targets, shrinkage
and pooling) turns the intervals into agents on schedule. ``required_hours`` of a queue and week is the sum of ``required_scheduled`` x
the interval length: hours on schedule, shrinkage included, before the cost of fitting
them into shifts (the scheduling efficiency, :mod:`optimize.capacity.efficiency`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimize.queueing.calibration import with_shrinkage
from optimize.queueing.requirements import compute_requirements
from optimize.queueing.routing import route_hours
from optimize.scenario.config import ScenarioConfig

__all__ = ["interval_forecast", "routed_requirements", "weekly_requirements"]

KEYS = ["week_start", "channel", "language"]


def interval_forecast(weekly: pd.DataFrame, pattern: pd.DataFrame, interval_s: int,
                      column: str = "contacts") -> pd.DataFrame:
    """Interval forecast table (``interval_start, channel, language, contacts, aht_s``)
    spreading ``weekly[column]`` over each queue's typical week.

    Parameters
    ----------
    weekly : DataFrame
        ``week_start, channel, language, <column>, aht_s`` (Monday starts, UTC).
    pattern : DataFrame
        ``channel, language, slot, share, aht_s`` from :func:`forecast.longrange.week_pattern`.
    interval_s : int
        Interval length of the pattern.
    column : str
        The weekly volume to spread (``contacts``, ``contacts_p90``, ...).
    """
    per_week = int(pd.Timedelta(days=7).total_seconds()) // interval_s
    pat = pattern.sort_values(["channel", "language", "slot"])
    mean_aht = (pat.assign(w=pat["share"] * pat["aht_s"]).groupby(["channel", "language"])["w"]
                .sum().rename("pattern_aht"))
    wk = weekly[KEYS + [column, "aht_s"]].merge(mean_aht, on=["channel", "language"], how="inner")
    missing = weekly.merge(mean_aht, on=["channel", "language"], how="left")["pattern_aht"].isna()
    if missing.any():
        row = weekly[missing.to_numpy()].iloc[0]
        raise ValueError(f"no typical week for queue {row['channel']}/{row['language']}: the "
                         "history has no contacts for it")
    wk = wk.sort_values(["channel", "language", "week_start"]).reset_index(drop=True)
    shares = {k: g for k, g in pat.groupby(["channel", "language"], sort=False)}
    frames = []
    for (ch, lang), g in wk.groupby(["channel", "language"], sort=False):
        p = shares[(ch, lang)]
        share, slot_aht = p["share"].to_numpy(), p["aht_s"].to_numpy()
        vol = g[column].to_numpy(dtype=float)[:, None] * share[None, :]
        scale = np.where(g["pattern_aht"] > 0, g["aht_s"].fillna(g["pattern_aht"])
                         / g["pattern_aht"], 1.0).astype(float)
        aht = slot_aht[None, :] * scale[:, None]
        starts = (pd.DatetimeIndex(g["week_start"]).asi8[:, None]
                  + np.arange(per_week)[None, :] * interval_s * 10**9)
        frames.append(pd.DataFrame({
            "interval_start": pd.to_datetime(starts.ravel(), utc=True), "channel": ch,
            "language": lang, "contacts": vol.ravel(), "aht_s": aht.ravel()}))
    return pd.concat(frames, ignore_index=True)


def routed_requirements(intervals: pd.DataFrame, config: ScenarioConfig,
                        interval_s: int) -> pd.DataFrame:
    """The requirements table of an interval forecast after the scenario's hours of
    operation moved each closed queue's contacts where it routes them
    (:func:`optimize.queueing.routing.route_hours`, as the weekly plan does)."""
    routed, _ = route_hours(intervals.reset_index(drop=True), config.hours)
    return compute_requirements(routed, config, interval_s=interval_s)


def weekly_requirements(weekly: pd.DataFrame, pattern: pd.DataFrame, config: ScenarioConfig,
                        interval_s: int, column: str = "contacts",
                        shrinkage: pd.DataFrame | None = None
                        ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Hours on schedule needed per queue and week, and the interval requirements behind.

    ``shrinkage`` (``channel, language, shrinkage``; e.g. fitted to a simulation by
    :func:`optimize.queueing.calibration.effective_shrinkage`) replaces the configured
    shrinkage of the queues it names.

    Returns
    -------
    (DataFrame, DataFrame)
        ``week_start, channel, language, contacts, required_hours, peak_scheduled`` (the
        busiest interval's ``required_scheduled``), and the requirements table of every
        interval (``docs/contract.md``).
    """
    intervals = interval_forecast(weekly, pattern, interval_s, column)
    if shrinkage is not None:
        intervals = with_shrinkage(intervals, shrinkage, config)
    req = routed_requirements(intervals, config, interval_s)
    week = req["interval_start"] - pd.to_timedelta(req["interval_start"].dt.day_of_week, unit="D")
    req = req.assign(week_start=week.dt.normalize())
    hours = interval_s / 3600.0
    out = (req.groupby(KEYS, as_index=False)
           .agg(contacts=("contacts", "sum"), required_hours=("required_scheduled", "sum"),
                peak_scheduled=("required_scheduled", "max")))
    out["required_hours"] *= hours
    return out, req.drop(columns="week_start")
