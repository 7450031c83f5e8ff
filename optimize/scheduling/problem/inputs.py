"""Checked inputs of the scheduler: the interval grid, the queues and the skill groups.

The requirements table (``docs/contract.md``) and the agents table are validated once
here; everything downstream works on integer indices: interval ``t`` on the UTC grid,
queue ``q`` (a channel x language pair), agent ``a`` and skill group ``g`` (agents who can
serve exactly the same set of queues, aggregated so that the model stays small).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from optimize.scenario.config import ScenarioConfig

__all__ = ["Grid", "Queues", "SkillGroups", "make_grid", "make_queues", "check_agents",
           "skill_groups"]

log = logging.getLogger(__name__)

_REQ_COLUMNS = ("interval_start", "channel", "language", "required_scheduled")
_AGENT_COLUMNS = ("agent_id", "name", "languages", "channels", "timezone", "min_hours_week",
                  "max_hours_week")


@dataclass(frozen=True)
class Grid:
    """The regular UTC interval grid the requirements are given on."""

    start: pd.Timestamp  # first interval_start, UTC
    step_min: int  # interval length in minutes
    n: int  # number of intervals

    @property
    def times(self) -> pd.DatetimeIndex:
        """Interval starts as a UTC index."""
        return pd.date_range(self.start, periods=self.n, freq=f"{self.step_min}min")

    def index_of(self, ts: pd.Series | pd.DatetimeIndex) -> np.ndarray:
        """Interval index (float; integer when aligned) of UTC timestamps."""
        delta = (pd.DatetimeIndex(ts) - self.start) / pd.Timedelta(minutes=self.step_min)
        return np.asarray(delta, dtype=float)


@dataclass(frozen=True)
class Queues:
    """The queues (channel x language) with their requirement matrix."""

    channel: tuple[str, ...]
    language: tuple[str, ...]
    required: np.ndarray  # float heads on schedule, shape (n_queues, n_intervals)
    priority: np.ndarray  # float, per queue
    # shortfall penalty per queue x interval (optimize.scheduling.problem.penalty); None: the
    # "requirement" shape. Shape (n_queues, n_intervals, K): heads short where each
    # segment starts, and cost units per head short on it (priority included).
    breaks: np.ndarray | None = None
    slopes: np.ndarray | None = None

    def label(self, q: int) -> str:
        """``channel/language`` of queue ``q``."""
        return f"{self.channel[q]}/{self.language[q]}"


@dataclass(frozen=True)
class SkillGroups:
    """Agents aggregated by the exact set of queues they may serve."""

    of_agent: np.ndarray  # group index per agent
    skills: tuple[tuple[int, ...], ...]  # queue indices per group

    @property
    def n(self) -> int:
        """Number of groups."""
        return len(self.skills)


def make_grid(requirements: pd.DataFrame) -> Grid:
    """Check the requirements' keys and return their interval grid.

    Raises
    ------
    ValueError
        On missing columns, a naive or non-UTC ``interval_start``, or an irregular grid.
    """
    missing = [c for c in _REQ_COLUMNS if c not in requirements.columns]
    if missing:
        raise ValueError(f"requirements is missing columns {missing}")
    if requirements.empty:
        raise ValueError("requirements is empty")
    ts = requirements["interval_start"]
    if not isinstance(ts.dtype, pd.DatetimeTZDtype) or str(ts.dt.tz) != "UTC":
        raise ValueError(f"requirements.interval_start must be tz-aware UTC, got {ts.dtype}")
    times = pd.DatetimeIndex(ts.unique()).sort_values().as_unit("ns")
    if len(times) == 1:
        raise ValueError("requirements must span at least two intervals to infer their length")
    steps = np.unique(np.diff(times.asi8))
    if len(steps) != 1:
        raise ValueError("requirements.interval_start is not a regular grid "
                         f"(steps {sorted({int(s // 60_000_000_000) for s in steps})} min)")
    step_min = int(steps[0] // 60_000_000_000)
    if step_min <= 0 or 1440 % step_min:
        raise ValueError(f"interval length must divide a day, got {step_min} min")
    return Grid(start=times[0], step_min=step_min, n=len(times))


def make_queues(requirements: pd.DataFrame, config: ScenarioConfig, grid: Grid) -> Queues:
    """Pivot ``required_scheduled`` to a queue x interval matrix.

    Raises
    ------
    ValueError
        On a channel not in the config, a negative or non-finite requirement, or a
        duplicated interval x queue row.
    """
    unknown = sorted(set(requirements["channel"]) - set(config.channels))
    if unknown:
        raise ValueError(f"requirements.channel {unknown[0]!r} is not a channel of the scenario")
    req = requirements["required_scheduled"].to_numpy(dtype=float)
    bad = ~np.isfinite(req) | (req < 0)
    if bad.any():
        raise ValueError(f"requirements.required_scheduled must be finite and >= 0, "
                         f"got {req[bad][0]!r}")
    if requirements.duplicated(["interval_start", "channel", "language"]).any():
        raise ValueError("requirements has duplicated interval_start x channel x language rows")
    keys = (requirements[["channel", "language"]].drop_duplicates()
            .sort_values(["channel", "language"]).reset_index(drop=True))
    qidx = pd.MultiIndex.from_frame(keys)
    pos = qidx.get_indexer(pd.MultiIndex.from_frame(requirements[["channel", "language"]]))
    t = np.rint(grid.index_of(requirements["interval_start"])).astype(int)
    mat = np.zeros((len(keys), grid.n))
    mat[pos, t] = req
    prio = np.array([config.channels[c].priority for c in keys["channel"]], dtype=float)
    return Queues(channel=tuple(keys["channel"]), language=tuple(keys["language"]),
                  required=mat, priority=prio)


def check_agents(agents: pd.DataFrame) -> pd.DataFrame:
    """Validate the agents table and return it with a clean 0..n-1 index.

    Raises
    ------
    ValueError
        On missing columns, duplicated ids, an unknown time zone or a contract range
        with ``min_hours_week > max_hours_week``.
    """
    missing = [c for c in _AGENT_COLUMNS if c not in agents.columns]
    if missing:
        raise ValueError(f"agents is missing columns {missing}")
    if agents.empty:
        raise ValueError("agents is empty")
    out = agents.reset_index(drop=True).copy()
    dup = out["agent_id"][out["agent_id"].duplicated()]
    if not dup.empty:
        raise ValueError(f"agents.agent_id {dup.iloc[0]!r} appears more than once")
    for tz in out["timezone"].unique():
        try:
            ZoneInfo(str(tz))
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"agents.timezone {tz!r} is not an IANA time zone") from None
    lo = out["min_hours_week"].to_numpy(dtype=float)
    hi = out["max_hours_week"].to_numpy(dtype=float)
    bad = (lo > hi) | (lo < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"agent {out['agent_id'][i]!r}: min_hours_week {lo[i]!r} must be in "
                         f"[0, max_hours_week={hi[i]!r}]")
    for col, default in (("unavailable", ()), ("vip", False), ("preferred_start", None),
                         ("preferred_days_off", ())):
        if col not in out.columns:
            out[col] = [default] * len(out)
    out["unavailable"] = [frozenset(_as_date(d) for d in (v or ())) for v in out["unavailable"]]
    return out


def _as_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"agents.unavailable {value!r} is not an ISO date") from None


def skill_groups(agents: pd.DataFrame, queues: Queues, config: ScenarioConfig) -> SkillGroups:
    """Group agents by the set of queues they may serve (language, channel, VIP rule)."""
    sets: list[tuple[int, ...]] = []
    for langs, chans, vip in zip(agents["languages"], agents["channels"], agents["vip"],
                                 strict=True):
        sets.append(tuple(
            q for q, (c, lang) in enumerate(zip(queues.channel, queues.language, strict=True))
            if c in chans and lang in langs and (bool(vip) or not config.channels[c].vip)))
    uniq = sorted(set(sets))
    lookup = {s: i for i, s in enumerate(uniq)}
    of_agent = np.array([lookup[s] for s in sets], dtype=int)
    idle = [agents["agent_id"][i] for i, s in enumerate(sets) if not s]
    if idle:
        log.warning("%d agents have no skill for any queue in the requirements: %s",
                    len(idle), idle[:5])
    return SkillGroups(of_agent=of_agent, skills=tuple(uniq))
