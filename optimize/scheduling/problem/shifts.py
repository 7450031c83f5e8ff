"""Candidate shifts per agent, generated in the agent's local time and placed on the UTC grid.

A candidate is (agent, local date, template, local start). Starts step by
``shifts.start_step_min`` from local midnight; a start that does not exist locally (spring
forward) is skipped, an ambiguous one (fall back) takes its first occurrence. The shift
lasts ``length_h`` real hours, so a shift across a daylight-saving change keeps its paid
hours and its local end moves by the change. Shifts may cross midnight.
"""

from __future__ import annotations

import datetime as dt
import logging

import numpy as np
import pandas as pd

from optimize.scenario.config import ScenarioConfig, ShiftTemplate
from optimize.scheduling.problem.inputs import Grid

__all__ = ["BREAK_STEP_MIN", "candidate_shifts", "presence_profile", "horizon_days"]

log = logging.getLogger(__name__)

BREAK_STEP_MIN = 15  # breaks start on multiples of this many minutes after the shift start


def horizon_days(start: dt.date, weeks: int) -> pd.DatetimeIndex:
    """The local dates planned (naive midnights), ``7 * weeks`` of them."""
    if weeks < 1:
        raise ValueError(f"weeks must be a positive integer, got {weeks!r}")
    return pd.date_range(pd.Timestamp(start), periods=7 * weeks, freq="D")


def _local_starts(tz: str, days: pd.DatetimeIndex, step_min: int) -> pd.DataFrame:
    """Every local start (day index, naive wall time, UTC instant) in ``tz``."""
    per_day = 1440 // step_min
    day = np.repeat(np.arange(len(days)), per_day)
    wall = days[day] + pd.to_timedelta(np.tile(np.arange(per_day) * step_min, len(days)),
                                       unit="min")
    utc = wall.tz_localize(tz, ambiguous=np.ones(len(wall), dtype=bool),
                           nonexistent="NaT").tz_convert("UTC")
    keep = ~utc.isna()
    return pd.DataFrame({"day": day[keep], "start_utc": utc[keep]})


def _night_flags(wall_start: pd.DatetimeIndex, wall_end: pd.DatetimeIndex,
                 night_start: str, night_end: str) -> np.ndarray:
    """True where the wall-clock span overlaps a night window [night_start, night_end)."""
    ns = pd.Timedelta(dt.time.fromisoformat(night_start).isoformat())
    ne = pd.Timedelta(dt.time.fromisoformat(night_end).isoformat())
    if ne <= ns:
        ne += pd.Timedelta(days=1)
    base = wall_start.normalize()
    night = np.zeros(len(wall_start), dtype=bool)
    for shift_days in (-1, 0, 1):
        w0 = base + pd.Timedelta(days=shift_days) + ns
        w1 = base + pd.Timedelta(days=shift_days) + ne
        night |= np.asarray((wall_start < w1) & (wall_end > w0))
    return night


def candidate_shifts(agents: pd.DataFrame, config: ScenarioConfig, grid: Grid,
                     start: dt.date, weeks: int) -> pd.DataFrame:
    """Every candidate shift of every agent, one row each.

    Returns
    -------
    pandas.DataFrame
        ``agent`` (row index in ``agents``), ``day`` (0-based local date index),
        ``template`` (index into ``config.shifts.templates``), ``start_utc``, ``end_utc``,
        ``start_local``/``end_local`` (ISO 8601 with offset), ``t0`` (grid index of the
        start, may lie outside the grid), ``paid_min``, ``night``, ``weekend`` and
        ``unavailable`` (touches one of the agent's unavailable local dates).
    """
    days = horizon_days(start, weeks)
    step = config.shifts.start_step_min
    templates = config.shifts.templates
    frames = []
    for tz in sorted(agents["timezone"].astype(str).unique()):
        starts = _local_starts(tz, days, step)
        for k, tpl in enumerate(templates):
            c = starts.copy()
            c["template"] = k
            c["end_utc"] = c["start_utc"] + pd.Timedelta(hours=tpl.length_h)
            c["paid_min"] = int(round(tpl.paid_h * 60))
            ls = pd.DatetimeIndex(c["start_utc"]).tz_convert(tz)
            le = pd.DatetimeIndex(c["end_utc"]).tz_convert(tz)
            c["start_local"] = ls.strftime("%Y-%m-%dT%H:%M:%S%z").str.replace(
                r"(\d\d)(\d\d)$", r"\1:\2", regex=True)
            c["end_local"] = le.strftime("%Y-%m-%dT%H:%M:%S%z").str.replace(
                r"(\d\d)(\d\d)$", r"\1:\2", regex=True)
            wall_s, wall_e = ls.tz_localize(None), le.tz_localize(None)
            c["night"] = _night_flags(wall_s, wall_e, config.labour.night_start,
                                      config.labour.night_end)
            c["weekend"] = np.asarray(days[c["day"]].day_of_week >= 5)
            c["first_date"] = wall_s.normalize()
            c["last_date"] = (wall_e - pd.Timedelta(microseconds=1)).normalize()
            frames.append(c.assign(_tz=tz))
    cand_tz = pd.concat(frames, ignore_index=True)
    t0 = grid.index_of(cand_tz["start_utc"])
    aligned = np.isclose(t0, np.rint(t0))
    if not aligned.all():
        log.warning("dropping %d candidate starts not aligned with the %d-min grid",
                    int((~aligned).sum()), grid.step_min)
    cand_tz = cand_tz[aligned].assign(t0=np.rint(t0[aligned]).astype(int))
    # a shift of a plan date that lies wholly outside the UTC grid (a late start in a far
    # western zone on the last local day) covers no interval and would have no queue
    length = (cand_tz["end_utc"] - cand_tz["start_utc"]) / pd.Timedelta(minutes=grid.step_min)
    cand_tz = cand_tz[(cand_tz["t0"] < grid.n) & (cand_tz["t0"] + length > 0)]
    agent_tz = pd.DataFrame({"agent": np.arange(len(agents)), "_tz": agents["timezone"].astype(str)})
    cand = agent_tz.merge(cand_tz, on="_tz", how="inner").drop(columns="_tz")
    cand["unavailable"] = _touches_unavailable(cand, agents)
    cand = cand.drop(columns=["first_date", "last_date"])
    return cand.sort_values(["agent", "start_utc", "template"], kind="stable").reset_index(drop=True)


def _touches_unavailable(cand: pd.DataFrame, agents: pd.DataFrame) -> np.ndarray:
    """True where a candidate's local span touches one of its agent's unavailable dates."""
    rows = [(a, pd.Timestamp(d)) for a, dates in enumerate(agents["unavailable"]) for d in dates]
    if not rows:
        return np.zeros(len(cand), dtype=bool)
    off = pd.DataFrame(rows, columns=["agent", "date"])
    hit = np.zeros(len(cand), dtype=bool)
    for col in ("first_date", "last_date"):
        m = cand[["agent", col]].reset_index().merge(off, left_on=["agent", col],
                                                      right_on=["agent", "date"])
        hit[m["index"].to_numpy()] = True
    return hit


def presence_profile(template: ShiftTemplate, interval_min: int) -> np.ndarray:
    """Expected share of each interval of the shift spent working (breaks spread uniformly).

    Each break starts anywhere in its window with equal probability (on the
    ``BREAK_STEP_MIN`` grid); the profile is 1 minus the expected break minutes per interval.
    """
    length = int(round(template.length_h * 60))
    n = -(-length // interval_min)
    on = np.zeros(n * interval_min)
    on[:length] = 1.0
    for b in template.breaks:
        starts = np.arange(b.window_start_min, b.window_end_min + 1, BREAK_STEP_MIN)
        for s in starts:
            on[s:s + b.duration_min] -= 1.0 / len(starts)
    return np.clip(on.reshape(n, interval_min).mean(axis=1), 0.0, 1.0)
