"""``build_schedule``: requirements + agents + config -> a :class:`ScheduleResult`.

Stages: check inputs; generate candidate shifts in local time; search
(:mod:`optimize.scheduling.search.strategy`: each agent's hard rules solved alone, infeasible agents
named with their conflicting rules; a greedy week per agent; CP-SAT on small models,
coordinate descent on large ones; the exact queue allocation; a proven bound); place
breaks and deal agents to queues; move spare agents to short queues and the deferred
backlog (:mod:`optimize.scheduling.activities.catchup`); assemble roster, activities, coverage,
unmet intervals and penalties.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimize.scenario.config import ScenarioConfig
from optimize.scheduling.activities.assign import (
    activities_table,
    allocate_queues,
    place_breaks,
    staffed_from_activities,
)
from optimize.scheduling.activities.catchup import backlog_surplus, catch_up
from optimize.scheduling.explain import penalty_table, unmet_table
from optimize.scheduling.problem.choices import ShiftTermsFn, check_terms, paid_terms
from optimize.scheduling.problem.inputs import (
    Queues,
    check_agents,
    make_grid,
    make_queues,
    skill_groups,
)
from optimize.scheduling.problem.penalty import with_penalty
from optimize.scheduling.problem.preferences import preference_costs, preference_terms
from optimize.scheduling.problem.rules import carry_from_previous
from optimize.scheduling.problem.shifts import candidate_shifts
from optimize.scheduling.search.primal import fairness_terms
from optimize.scheduling.search.strategy import search
from optimize.scheduling.solver.solve import ProgressInfo

__all__ = ["ScheduleResult", "build_schedule", "ROSTER_COLUMNS", "ACTIVITY_COLUMNS"]

log = logging.getLogger(__name__)

ROSTER_COLUMNS = ("agent_id", "name", "timezone", "shift_date", "start_utc", "end_utc",
                  "start_local", "end_local", "paid_hours", "template")
ACTIVITY_COLUMNS = ("agent_id", "start_utc", "end_utc", "activity", "channel", "language")


@dataclass(frozen=True)
class ScheduleResult:
    """A schedule with its quality figures and its explanation.

    ``objective``, ``best_bound`` and the ``penalties`` costs are in cost units: one head
    short for one interval on a priority-1 queue (first segment of the ``"requirement"``
    penalty; the ``"service_level"`` penalty keeps each channel's total in these units,
    see :mod:`optimize.scheduling.problem.penalty`).
    """

    status: str  # "optimal" | "feasible" | "infeasible" | "unknown" | "model_invalid"
    roster: pd.DataFrame
    activities: pd.DataFrame
    staffed: pd.DataFrame  # interval_start, channel, language, scheduled_agents
    objective: float
    best_bound: float
    gap: float
    wall_time_s: float
    unmet: pd.DataFrame  # channel, language, interval_start, ..., shortfall
    penalties: pd.DataFrame  # name, kind, cost
    conflicts: tuple[str, ...] = ()
    # head-hours of spare agents moved after the search, per channel
    # (optimize.scheduling.activities.catchup); only channels that received some
    moved_h: tuple[tuple[str, float], ...] = ()
    # the search stage that the time limit or a stop request ended before its work
    # budget ("": none, see `reproducible`)
    cut: str = ""
    work_s: float = 0.0  # work seconds the search spent (optimize.scheduling.solver.clock)

    @property
    def reproducible(self) -> bool:
        """True when the same inputs, seed and work limit give this schedule again."""
        return not self.cut


def _check_args(start: object, weeks: int, time_limit_s: float, workers: int,
                work_limit_s: float | None) -> None:
    if not isinstance(start, dt.date) or isinstance(start, dt.datetime):
        raise ValueError(f"start must be a datetime.date, got {start!r}")
    if not isinstance(weeks, int) or weeks < 1:
        raise ValueError(f"weeks must be a positive integer, got {weeks!r}")
    if not time_limit_s > 0:
        raise ValueError(f"time_limit_s must be > 0, got {time_limit_s!r}")
    if work_limit_s is not None and not work_limit_s > 0:
        raise ValueError(f"work_limit_s must be > 0, got {work_limit_s!r}")
    if not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a positive integer, got {workers!r}")


def _empty(status: str, conflicts: tuple[str, ...], wall: float) -> ScheduleResult:
    nan = float("nan")
    return ScheduleResult(
        status=status, roster=pd.DataFrame(columns=list(ROSTER_COLUMNS)),
        activities=pd.DataFrame(columns=list(ACTIVITY_COLUMNS)),
        staffed=pd.DataFrame(columns=["interval_start", "channel", "language",
                                      "scheduled_agents"]),
        objective=nan, best_bound=nan, gap=nan, wall_time_s=wall,
        unmet=pd.DataFrame(columns=["channel", "language", "interval_start",
                                    "required_scheduled", "scheduled_agents", "shortfall"]),
        penalties=pd.DataFrame(columns=["name", "kind", "cost"]), conflicts=conflicts)


def build_schedule(requirements: pd.DataFrame, agents: pd.DataFrame, config: ScenarioConfig, *,
                   start: dt.date, weeks: int = 1, time_limit_s: float = 60.0, seed: int = 0,
                   workers: int = 2, progress: Callable[[ProgressInfo], None] | None = None,
                   previous_roster: pd.DataFrame | None = None,
                   stop: Callable[[], bool] | None = None,
                   shift_terms: ShiftTermsFn | None = None,
                   penalty: str = "service_level",
                   work_limit_s: float | None = None) -> ScheduleResult:
    """Schedule ``agents`` against ``requirements.required_scheduled`` for ``weeks`` weeks.

    Parameters
    ----------
    requirements : pandas.DataFrame
        The requirements table of ``docs/contract.md`` (at least ``interval_start``,
        ``channel``, ``language``, ``required_scheduled``).
    agents : pandas.DataFrame
        Agents as loaded (``agent_id, name, languages, channels, timezone,
        min_hours_week, max_hours_week`` and optional ``unavailable``, ``vip``,
        ``preferred_start``, ``preferred_days_off``: the preferences are costed by
        :mod:`optimize.scheduling.problem.preferences` and reported as ``preference`` penalties).
    start : datetime.date
        First local date planned for every agent (normally a Monday).
    previous_roster : pandas.DataFrame, optional
        The last days of the previous roster: minimum rest and consecutive days carry over.
    stop : callable, optional
        Polled during the search (e.g. ``threading.Event().is_set``); when it returns true
        the search ends early and the best schedule found so far is returned, with its
        bound and gap (the first complete schedule is always finished first).
    shift_terms : callable, optional
        ``shift_terms(candidates, agents) -> ShiftTerms``: a cost per candidate shift,
        candidates to drop and sets of candidates to cover (hard or at a cost); see
        :mod:`optimize.scheduling.problem.choices`. ``candidates`` is the table of
        :func:`~optimize.scheduling.problem.shifts.candidate_shifts` (``agent`` indexes the checked
        ``agents``, which are passed too). The paid terms appear in ``penalties`` and the
        objective. Default: none (the plain schedule).
    penalty : {"service_level", "requirement"}
        Shortfall penalty per queue x interval (:mod:`optimize.scheduling.problem.penalty`): what
        each head adds to the service level there (real-time queues; needs the
        ``contacts, aht_s, required_agents`` columns, else falls back to the other), or
        heads short of ``required_scheduled`` at rising slopes x channel priority. Default ``"service_level"`` (measured better week service level on the
        sample company, bench/README.md).
    time_limit_s, work_limit_s : float
        The search's stages end on work, ``work_limit_s`` work seconds (default
        ``time_limit_s``; :mod:`optimize.scheduling.solver.clock`), so the same inputs and
        ``seed`` give the same schedule; ``time_limit_s`` wall seconds cap it. When the
        cap or ``stop`` ends a stage first, ``ScheduleResult.cut`` names it and the
        result is not ``reproducible``.

    Returns
    -------
    ScheduleResult
        ``status="infeasible"`` with ``conflicts`` naming agents and rules when hard
        rules cannot all hold; empty tables when no schedule was found.
    """
    _check_args(start, weeks, time_limit_s, workers, work_limit_s)
    clock = pd.Timestamp.now()
    perf_clock = time.perf_counter()
    grid = make_grid(requirements)
    queues = with_penalty(make_queues(requirements, config, grid), requirements, config, grid,
                          penalty)
    agents = check_agents(agents)
    groups = skill_groups(agents, queues, config)
    n_days = 7 * weeks
    first_day = pd.Timestamp(start)
    cand = candidate_shifts(agents, config, grid, start, weeks)
    carries = carry_from_previous(previous_roster, agents, first_day)
    terms = None
    if shift_terms is not None:
        terms = check_terms(shift_terms(cand, agents), cand["agent"].to_numpy())
        cand = cand.assign(unavailable=cand["unavailable"].to_numpy() | terms.drop)
    pref = preference_costs(cand, agents, first_day)  # agents' soft preferences
    cost = pref if terms is None else terms.cost + pref
    solved, model_cand, conflicts = search(
        cand, agents, groups, queues, grid, config, carries, n_days, first_day,
        time_limit_s=time_limit_s, seed=seed, workers=workers, progress=progress,
        clock=perf_clock, stop=stop, cost=cost if cost.any() else None,
        sets=() if terms is None else terms.sets, start=None if terms is None else terms.start,
        work_limit_s=work_limit_s)
    if solved is None:
        wall = (pd.Timestamp.now() - clock).total_seconds()
        return _empty("infeasible", tuple(conflicts), wall)
    if solved.worked.size == 0:
        wall = (pd.Timestamp.now() - clock).total_seconds()
        return _empty(solved.status, (), wall)

    shifts = model_cand[solved.worked].reset_index(drop=True)
    breaks, bent = place_breaks(shifts, groups.of_agent, solved.idle, config, grid)
    queue_of = allocate_queues(shifts, breaks, groups, solved.alloc, grid)
    # spare heads to short queues and the deferred backlog (optimize.scheduling.activities.catchup)
    queue_of, moved = catch_up(queue_of, shifts, breaks, groups, queues, config, grid)
    activities = activities_table(shifts, breaks, queue_of, agents["agent_id"], queues, grid)
    staffed = staffed_from_activities(activities, queues, grid)
    times = grid.times
    extra = (bent + fairness_terms(shifts, agents, n_days, first_day)
             + preference_terms(shifts, agents, first_day))
    if terms is not None:
        worked_all = np.zeros(len(cand), dtype=bool)
        worked_all[np.flatnonzero(~cand["unavailable"].to_numpy())[solved.worked]] = True
        extra += paid_terms(terms, cand, worked_all, agents["agent_id"])
    over = surplus(staffed, queues, config)
    wall = (pd.Timestamp.now() - clock).total_seconds()
    return ScheduleResult(
        status=solved.status, roster=_roster(shifts, agents, config), activities=activities,
        staffed=_staffed_frame(staffed, queues, times), objective=solved.objective,
        best_bound=solved.best_bound, gap=solved.gap, wall_time_s=wall,
        unmet=unmet_table(staffed, queues, times),
        penalties=penalty_table(staffed, over, queues, times, extra), conflicts=(),
        moved_h=_by_channel(moved, queues), cut=solved.cut, work_s=solved.work_s)


def _by_channel(hours: np.ndarray, queues: Queues) -> tuple[tuple[str, float], ...]:
    """Per channel (first appearance order), the sum of ``hours`` over its queues, if > 0."""
    total = pd.Series(hours, index=list(queues.channel)).groupby(level=0, sort=False).sum()
    return tuple((str(c), float(h)) for c, h in total.items() if h > 0)


def surplus(staffed: np.ndarray, queues: Queues, config: ScenarioConfig) -> np.ndarray:
    """Heads on duty beyond the requirement per queue x interval; on a deferred queue,
    those working off an earlier shortfall are not counted (:func:`backlog_surplus`)."""
    over = np.clip(staffed - queues.required, 0.0, None)
    deferred = np.array([config.channels[c].kind == "deferred" for c in queues.channel],
                        dtype=bool)
    if deferred.any():
        over[deferred] = backlog_surplus(staffed[deferred], queues.required[deferred])
    return over


def _roster(shifts: pd.DataFrame, agents: pd.DataFrame, config: ScenarioConfig) -> pd.DataFrame:
    a = shifts["agent"].to_numpy()
    names = [t.name for t in config.shifts.templates]
    out = pd.DataFrame({
        "agent_id": agents["agent_id"].to_numpy()[a],
        "name": agents["name"].to_numpy()[a],
        "timezone": agents["timezone"].to_numpy()[a],
        "shift_date": [s[:10] for s in shifts["start_local"]],
        "start_utc": shifts["start_utc"].to_numpy(),
        "end_utc": shifts["end_utc"].to_numpy(),
        "start_local": shifts["start_local"].to_numpy(),
        "end_local": shifts["end_local"].to_numpy(),
        "paid_hours": shifts["paid_min"].to_numpy() / 60.0,
        "template": [names[k] for k in shifts["template"]],
    })
    out["start_utc"] = pd.to_datetime(out["start_utc"], utc=True)
    out["end_utc"] = pd.to_datetime(out["end_utc"], utc=True)
    return out.sort_values(["agent_id", "start_utc"], kind="stable").reset_index(drop=True)


def _staffed_frame(staffed: np.ndarray, queues: Queues, times: pd.DatetimeIndex) -> pd.DataFrame:
    nq, nt = staffed.shape
    return pd.DataFrame({
        "interval_start": np.tile(times, nq),
        "channel": np.repeat(np.asarray(queues.channel, dtype=object), nt),
        "language": np.repeat(np.asarray(queues.language, dtype=object), nt),
        "scheduled_agents": staffed.ravel(),
    })
