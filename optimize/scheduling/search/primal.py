"""Primal heuristics: a marginal-cost greedy with block coordinate descent over agents.

Each agent's week is chosen by solving its hard rules alone
(:func:`~optimize.scheduling.explain.check_agent`) while maximising the penalty its
presence removes: for every interval the agent could work, the drop in the convex
under-staffing cost (:func:`~optimize.scheduling.problem.penalty.cell_cost`, all segments)
of the best of its queues given everyone else's presence, less the over-staffing cost of
the part nobody needs. Its presence is then taken off that queue's residual. Later passes
take each agent's week out and re-choose it against all the others (block coordinate
descent), so the first agents' choices are revisited once the rest are placed.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd

from optimize.scenario.config import ScenarioConfig
from optimize.scheduling.explain import check_agent
from optimize.scheduling.problem.choices import ShiftSet
from optimize.scheduling.problem.inputs import Queues, SkillGroups
from optimize.scheduling.problem.penalty import cell_cost
from optimize.scheduling.solver.clock import WorkClock
from optimize.scheduling.solver.model import FAIRNESS_COST, IDLE_COST

__all__ = ["greedy_weeks", "fairness_terms", "GREEDY_AGENT_WORK_S", "GREEDY_WORK_S",
           "VALUE_RESOLUTION"]

log = logging.getLogger(__name__)

VALUE_RESOLUTION = 100  # integer objective units per cost unit in the per-agent solves
# work seconds of one agent's step: a constant (its CP-SAT solve) plus this much per
# coverage term x skill and candidate (bench/README.md "Repeatable schedules")
GREEDY_AGENT_WORK_S = 0.009
GREEDY_WORK_S = 2.2e-6


def _gains(residual: np.ndarray, queues: Queues, skills: np.ndarray, t: np.ndarray,
           p: np.ndarray) -> np.ndarray:
    """Cost removed by ``p`` heads at intervals ``t`` on each of ``skills`` (skills x terms)."""
    res = residual[skills][:, t]
    before = cell_cost(queues, res, skills[:, None], t[None, :])
    after = cell_cost(queues, res - p[None, :], skills[:, None], t[None, :])
    idle = IDLE_COST * np.clip(p[None, :] - np.clip(res, 0.0, None), 0.0, None)
    return before - after - idle


def greedy_weeks(cand: pd.DataFrame, terms: pd.DataFrame, agents: pd.DataFrame,
                 groups: SkillGroups, queues: Queues, config: ScenarioConfig, carries: list,
                 n_days: int, first_day: pd.Timestamp, seed: int, passes: int = 1,
                 clock: WorkClock | None = None, share: float = 1.0,
                 start: np.ndarray | None = None, alloc: np.ndarray | None = None,
                 cost: np.ndarray | None = None,
                 sets: Sequence[ShiftSet] = ()) -> tuple[np.ndarray, list[str]]:
    """A legal week per agent (bool per ``cand`` row) and the named rule conflicts.

    ``terms`` are the :func:`~optimize.scheduling.solver.model.coverage_terms` of ``cand``.
    Each agent's step is charged to ``clock``; passes after the first stop early once it
    is :meth:`~optimize.scheduling.solver.clock.WorkClock.over` ``share`` (the first pass always
    completes: it is the first legal schedule).
    With ``start`` (a legal week per agent) and its allocation ``alloc`` (tenths, groups x
    queues x intervals), every pass re-chooses weeks starting from that schedule, each
    agent holding its share of its group's allocation.
    ``cost`` (cost units per ``cand`` row) is taken off each candidate's value and
    ``sets`` (:class:`~optimize.scheduling.problem.choices.ShiftSet` on ``cand`` rows) are held in
    each agent's solve.
    """
    by_agent = terms.groupby(cand["agent"].to_numpy()[terms["cand"].to_numpy()]).indices
    residual = queues.required.copy()
    hint = np.zeros(len(cand), dtype=bool)
    conflicts: dict[int, str] = {}
    taken: dict[int, tuple] = {}
    if start is not None and alloc is not None:
        hint, residual, taken = _from_schedule(start, alloc, terms, cand, groups, queues)
    order = np.argsort([len(groups.skills[g]) for g in groups.of_agent], kind="stable")
    rows_of = cand.groupby("agent", sort=True).indices
    sets_of = _sets_by_agent(sets, cand["agent"].to_numpy())

    def out_of_time() -> bool:
        return clock is not None and clock.over(share, "greedy passes")

    for n_pass in range(passes):
        if (n_pass or start is not None) and out_of_time():
            break
        for a in order:
            rows = rows_of.get(a)
            if rows is None or a in conflicts:
                continue
            if (n_pass or start is not None) and out_of_time():
                break
            if a in taken:
                np.add.at(residual, taken[a][:2], taken[a][2])
            skills = np.asarray(groups.skills[groups.of_agent[a]], dtype=int)
            mine = terms.iloc[by_agent.get(a, np.zeros(0, dtype=int))]
            value = np.zeros(len(rows))
            t = mine["t"].to_numpy()
            p = mine["tenths"].to_numpy() / 10.0
            gain = np.zeros((0, len(t)))
            if len(skills) and len(mine):
                gain = _gains(residual, queues, skills, t, p)
                value = np.bincount(mine["cand"].to_numpy() - rows[0],
                                    weights=gain.max(axis=0), minlength=len(rows))
            if cost is not None:
                value = value - cost[rows]
            if clock is not None:
                clock.charge(GREEDY_AGENT_WORK_S + GREEDY_WORK_S * (gain.size + len(rows)))
            mine_sets = [(r - rows[0], None if m is None else int(round(m * VALUE_RESOLUTION)))
                         for r, m in sets_of.get(a, ())]
            chk = check_agent(cand.iloc[rows], agents.iloc[a], config, carries[a], n_days,
                              first_day, seed, value=np.rint(value * VALUE_RESOLUTION),
                              sets=mine_sets)
            if not chk.feasible:
                conflicts[a] = chk.conflict
                continue
            hint[rows] = chk.worked
            if len(skills) and len(mine):
                on = chk.worked[mine["cand"].to_numpy() - rows[0]]
                best = skills[np.argmax(gain[:, on], axis=0)]
                np.subtract.at(residual, (best, t[on]), p[on])
                taken[a] = (best, t[on], p[on])
        if conflicts:
            break
        if clock is None:
            log.info("greedy pass %d done", n_pass + 1)
        else:
            log.info("greedy pass %d done at %.1f work s, %.1f wall s", n_pass + 1,
                     clock.work, clock.wall())
    return hint, sorted(conflicts.values())


def _sets_by_agent(sets: Sequence[ShiftSet], agent_of_row: np.ndarray) -> dict[int, list]:
    """Agent -> [(candidate rows, miss cost or None)]."""
    out: dict[int, list] = {}
    for st in sets:
        rows = np.asarray(st.rows, dtype=int)
        if len(rows):
            out.setdefault(int(agent_of_row[rows[0]]), []).append((rows, st.miss_cost))
    return out


def _from_schedule(start: np.ndarray, alloc: np.ndarray, terms: pd.DataFrame,
                   cand: pd.DataFrame, groups: SkillGroups,
                   queues: Queues) -> tuple[np.ndarray, np.ndarray, dict[int, tuple]]:
    """Residual requirement and each agent's pro-rata share of its group's allocation."""
    on = start[terms["cand"].to_numpy()]
    g, t = terms["g"].to_numpy()[on], terms["t"].to_numpy()[on]
    tenths = terms["tenths"].to_numpy()[on].astype(float)
    agent = cand["agent"].to_numpy()[terms["cand"].to_numpy()[on]]
    cap = np.zeros(alloc.shape[::2])
    np.add.at(cap, (g, t), tenths)
    residual = queues.required - alloc.sum(axis=0) / 10.0
    share = tenths / np.where(cap[g, t] > 0, cap[g, t], 1.0)
    taken: dict[int, tuple] = {}
    for a, idx in pd.Series(np.arange(len(agent))).groupby(agent).indices.items():
        skills = np.asarray(groups.skills[g[idx[0]]], dtype=int)
        if not len(skills):
            continue
        qq = np.repeat(skills, len(idx))
        tt = np.tile(t[idx], len(skills))
        amount = (alloc[g[idx[0]]][skills][:, t[idx]] * share[idx][None, :] / 10.0).ravel()
        taken[int(a)] = (qq, tt, amount)
    return start.copy(), residual, taken


def fairness_terms(shifts: pd.DataFrame, agents: pd.DataFrame, n_days: int,
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
