"""``build_schedule``: requirements + agents + config -> a :class:`ScheduleResult`.

Stages: check inputs; generate candidate shifts in local time; solve each agent's hard
rules alone (infeasible agents are named with their conflicting rules, and the feasible
weeks seed the main model as a hint); solve the CP-SAT model; place breaks and deal
agents to queues; assemble roster, activities, coverage, unmet intervals and penalties.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimize.config import ScenarioConfig
from optimize.scheduling.assign import (
    activities_table,
    allocate_queues,
    place_breaks,
    staffed_from_activities,
)
from optimize.scheduling.explain import check_agent, penalty_table, unmet_table
from optimize.scheduling.inputs import (
    Grid,
    Queues,
    SkillGroups,
    check_agents,
    make_grid,
    make_queues,
    skill_groups,
)
from optimize.scheduling.model import FAIRNESS_COST, add_full_hint, build_model, coverage_terms
from optimize.scheduling.rules import carry_from_previous
from optimize.scheduling.shifts import candidate_shifts
from optimize.scheduling.solve import ProgressInfo, solve_built

__all__ = ["ScheduleResult", "build_schedule", "ROSTER_COLUMNS", "ACTIVITY_COLUMNS"]

log = logging.getLogger(__name__)

ROSTER_COLUMNS = ("agent_id", "name", "timezone", "shift_date", "start_utc", "end_utc",
                  "start_local", "end_local", "paid_hours", "template")
ACTIVITY_COLUMNS = ("agent_id", "start_utc", "end_utc", "activity", "channel", "language")


@dataclass(frozen=True)
class ScheduleResult:
    """A schedule with its quality figures and its explanation.

    ``objective``, ``best_bound`` and the ``penalties`` costs are in cost units: one head
    short for one interval on a priority-1 queue (first penalty segment).
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


def _check_args(start: object, weeks: int, time_limit_s: float, workers: int) -> None:
    if not isinstance(start, dt.date) or isinstance(start, dt.datetime):
        raise ValueError(f"start must be a datetime.date, got {start!r}")
    if not isinstance(weeks, int) or weeks < 1:
        raise ValueError(f"weeks must be a positive integer, got {weeks!r}")
    if not time_limit_s > 0:
        raise ValueError(f"time_limit_s must be > 0, got {time_limit_s!r}")
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
                   previous_roster: pd.DataFrame | None = None) -> ScheduleResult:
    """Schedule ``agents`` against ``requirements.required_scheduled`` for ``weeks`` weeks.

    Parameters
    ----------
    requirements : pandas.DataFrame
        The requirements table of ``docs/contract.md`` (at least ``interval_start``,
        ``channel``, ``language``, ``required_scheduled``).
    agents : pandas.DataFrame
        Agents as loaded (``agent_id, name, languages, channels, timezone,
        min_hours_week, max_hours_week`` and optional ``unavailable``, ``vip``).
    start : datetime.date
        First local date planned for every agent (normally a Monday).
    previous_roster : pandas.DataFrame, optional
        The last days of the previous roster: minimum rest and consecutive days carry over.

    Returns
    -------
    ScheduleResult
        ``status="infeasible"`` with ``conflicts`` naming agents and rules when hard
        rules cannot all hold; empty tables when no schedule was found.
    """
    _check_args(start, weeks, time_limit_s, workers)
    clock = pd.Timestamp.now()
    grid = make_grid(requirements)
    queues = make_queues(requirements, config, grid)
    agents = check_agents(agents)
    groups = skill_groups(agents, queues, config)
    n_days = 7 * weeks
    first_day = pd.Timestamp(start)
    cand = candidate_shifts(agents, config, grid, start, weeks)
    carries = carry_from_previous(previous_roster, agents, first_day)

    hint, conflicts = _greedy_start(cand, agents, groups, queues, grid, config, carries,
                                    n_days, first_day, seed)
    if conflicts:
        wall = (pd.Timestamp.now() - clock).total_seconds()
        return _empty("infeasible", tuple(conflicts), wall)

    built = build_model(cand, agents, groups, queues, grid, config, carries, n_days,
                        first_day)
    add_full_hint(built, hint[~cand["unavailable"].to_numpy()], groups, queues.priority)
    shape = (groups.n, len(queues.channel), grid.n)
    spent = (pd.Timestamp.now() - clock).total_seconds()
    budget = max(1.0, 0.93 * time_limit_s - spent)  # the limit covers the whole call
    log.info("model built in %.1f s; CP-SAT gets %.1f s", spent, budget)
    solved = solve_built(built, shape, time_limit_s=budget, seed=seed, workers=workers,
                         progress=progress, log_search=log.isEnabledFor(logging.DEBUG))
    if solved.worked.size == 0:
        wall = (pd.Timestamp.now() - clock).total_seconds()
        return _empty(solved.status, (), wall)

    shifts = built.cand[solved.worked].reset_index(drop=True)
    breaks, bent = place_breaks(shifts, groups.of_agent, solved.idle, config, grid)
    queue_of = allocate_queues(shifts, breaks, groups, solved.alloc, grid)
    activities = activities_table(shifts, breaks, queue_of, agents["agent_id"], queues, grid)
    staffed = staffed_from_activities(activities, queues, grid)
    times = grid.times
    extra = bent + _fairness_terms(shifts, agents, n_days, first_day)
    over = np.clip(staffed - queues.required, 0.0, None)
    wall = (pd.Timestamp.now() - clock).total_seconds()
    return ScheduleResult(
        status=solved.status, roster=_roster(shifts, agents, config), activities=activities,
        staffed=_staffed_frame(staffed, queues, times), objective=solved.objective,
        best_bound=solved.best_bound, gap=solved.gap, wall_time_s=wall,
        unmet=unmet_table(staffed, queues, times),
        penalties=penalty_table(staffed, over, queues, times, extra), conflicts=())


GREEDY_PASSES = 1  # agent-by-agent passes (a 2nd pass measured no gain at 150 agents)


def _greedy_start(cand: pd.DataFrame, agents: pd.DataFrame, groups: SkillGroups,
                  queues: Queues, grid: Grid, config: ScenarioConfig, carries: list,
                  n_days: int, first_day: pd.Timestamp,
                  seed: int) -> tuple[np.ndarray, list[str]]:
    """Agent by agent, the legal week covering most of what is still uncovered.

    Each agent's rules are solved alone (:func:`check_agent`) maximising the priority-
    weighted presence it adds where its queues still lack heads; its expected presence is
    then taken off the most urgent of its queues. Later passes take each agent's week out
    and re-choose it against all the others (block coordinate descent). Agents whose rules
    conflict are named.
    """
    terms = coverage_terms(cand, config, grid, groups.of_agent)
    by_agent = terms.groupby(cand["agent"].to_numpy()[terms["cand"].to_numpy()]).indices
    residual = queues.required.copy()
    hint = np.zeros(len(cand), dtype=bool)
    conflicts: dict[int, str] = {}
    taken: dict[int, tuple] = {}
    order = np.argsort([len(groups.skills[g]) for g in groups.of_agent], kind="stable")
    rows_of = cand.groupby("agent", sort=True).indices
    for _ in range(GREEDY_PASSES):
        for a in order:
            rows = rows_of.get(a)
            if rows is None or a in conflicts:
                continue
            if a in taken:
                np.add.at(residual, taken[a][:2], taken[a][2])
            skills = np.asarray(groups.skills[groups.of_agent[a]], dtype=int)
            mine = terms.iloc[by_agent.get(a, np.zeros(0, dtype=int))]
            value = np.zeros(len(rows))
            if len(skills) and len(mine):
                urgency = queues.priority[skills, None] * np.minimum(residual[skills], 1.0)
                gain = mine["tenths"].to_numpy() * urgency.max(axis=0)[mine["t"].to_numpy()]
                value = np.bincount(mine["cand"].to_numpy() - rows[0], weights=gain,
                                    minlength=len(rows))
            chk = check_agent(cand.iloc[rows], agents.iloc[a], config, carries[a], n_days,
                              first_day, seed, value=np.rint(value * 10))
            if not chk.feasible:
                conflicts[a] = chk.conflict
                continue
            hint[rows] = chk.worked
            if len(skills) and len(mine):
                on = mine[chk.worked[mine["cand"].to_numpy() - rows[0]]]
                t = on["t"].to_numpy()
                best = skills[np.argmax(queues.priority[skills, None] * residual[skills][:, t],
                                        axis=0)]
                amount = on["tenths"].to_numpy() / 10.0
                np.subtract.at(residual, (best, t), amount)
                taken[a] = (best, t, amount)
        if conflicts:
            break
    return hint, sorted(conflicts.values())


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


def _fairness_terms(shifts: pd.DataFrame, agents: pd.DataFrame, n_days: int,
                    first_day: pd.Timestamp) -> list[tuple[str, str, float]]:
    """Spread of night / weekend shifts per language team and week, costed."""
    team = agents["languages"].map(lambda langs: langs[0] if len(langs) else "")
    out = []
    for kind in ("night", "weekend"):
        for wk in range(n_days // 7):
            mine = shifts[(shifts["day"] // 7 == wk) & shifts[kind]]
            counts = np.bincount(mine["agent"], minlength=len(agents))
            for lang, members in team.groupby(team).groups.items():
                if len(members) < 2:
                    continue
                c = counts[np.asarray(members)]
                spread = int(c.max() - c.min())
                if spread:
                    week = (first_day + pd.Timedelta(days=7 * wk)).date().isoformat()
                    out.append((f"fair_{kind}(team {lang}, week of {week})", "fairness",
                                FAIRNESS_COST * spread))
    return out
