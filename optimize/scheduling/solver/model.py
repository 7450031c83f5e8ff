"""The CP-SAT model: shift choice per agent, queue allocation per skill group, penalties.

Variables
---------
``x[i]``        candidate shift ``i`` is worked (one Boolean per agent x day x template x start).
``a[g, q, t]``  tenths of heads of skill group ``g`` serving queue ``q`` in interval ``t``.
``idle[g, t]``  tenths of heads of group ``g`` on duty but not needed by any queue.

Capacity: ``sum_q a[g, q, t] + idle[g, t] == sum_i presence_i(t) * x[i]`` over the group's
shifts, where presence is the expected working share of the interval (breaks spread over
their windows; :func:`~optimize.scheduling.problem.shifts.presence_profile`). An agent therefore
counts once, whichever queue it serves (no double counting of multi-skilled agents).

Objective (integer, in hundredths of a cost unit; one cost unit = one head short for one
interval on a priority-1 queue, first segment): for each queue x interval a convex
piecewise-linear penalty on the shortfall against ``required_scheduled``
(:mod:`optimize.scheduling.problem.penalty`: by default slopes ``SEGMENT_SLOPES`` that rise at the
shares ``SEGMENT_BREAKS`` of the requirement, times the channel priority; or per-cell
service-level curves from the queueing engine); over-staffing (idle heads) at
``IDLE_COST``; and fairness (spread between the most and least loaded agent of a language
team in night and weekend shifts).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from ortools.sat.python import cp_model

from optimize.scenario.config import ScenarioConfig
from optimize.scheduling.problem.choices import ShiftSet
from optimize.scheduling.problem.inputs import Grid, Queues, SkillGroups
from optimize.scheduling.problem.penalty import (
    SEGMENT_BREAKS,
    SEGMENT_SLOPES,
    integer_segments,
    shortfall_cost,
)
from optimize.scheduling.problem.rules import Carry, add_agent_rules
from optimize.scheduling.problem.shifts import presence_profile

__all__ = ["SEGMENT_BREAKS", "SEGMENT_SLOPES", "IDLE_COST", "FAIRNESS_COST", "SCALE", "Built",
           "build_model", "add_full_hint", "shortfall_cost", "coverage_terms"]

IDLE_COST = 0.1  # cost per idle head-interval (over-staffing)
FAIRNESS_COST = 2.0  # cost per night / weekend shift of spread within a language team
SCALE = 100  # objective integer units per cost unit
TENTHS = 10  # heads are modelled in tenths


@dataclass(frozen=True)
class Built:
    """A built model and the handles needed to read a solution back."""

    model: cp_model.CpModel
    x: list  # one Boolean per row of cand
    cand: pd.DataFrame  # candidates kept in the model (row i <-> x[i])
    alloc: dict  # (g, q, t) -> IntVar, tenths of heads
    idle: dict  # (g, t) -> IntVar, tenths of heads
    segments: dict  # (q, t) -> [(IntVar, breakpoint in tenths)], the steeper penalty segments
    terms: pd.DataFrame  # coverage_terms of cand
    required: np.ndarray  # tenths, queue x interval
    fairness: list  # (max var, min var, [per-agent candidate index arrays])
    misses: tuple = ()  # (Boolean, rows of cand) per soft shift set (optimize.scheduling.problem.choices)


def coverage_terms(cand: pd.DataFrame, config: ScenarioConfig, grid: Grid,
                   group_of_agent: np.ndarray) -> pd.DataFrame:
    """Rows (cand, g, t, tenths): the expected presence each candidate adds to its group."""
    profiles = [np.rint(TENTHS * presence_profile(tpl, grid.step_min)).astype(int)
                for tpl in config.shifts.templates]
    lengths = np.array([len(p) for p in profiles])
    k = cand["template"].to_numpy()
    n = lengths[k]
    i = np.repeat(np.arange(len(cand)), n)
    off = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
    t = cand["t0"].to_numpy()[i] + off
    flat = np.concatenate(profiles)
    starts = np.cumsum(lengths) - lengths
    coef = flat[starts[k[i]] + off]
    keep = (t >= 0) & (t < grid.n) & (coef > 0)
    g = group_of_agent[cand["agent"].to_numpy()[i]]
    return pd.DataFrame({"cand": i[keep], "g": g[keep], "t": t[keep], "tenths": coef[keep]})


def build_model(cand: pd.DataFrame, agents: pd.DataFrame, groups: SkillGroups, queues: Queues,
                grid: Grid, config: ScenarioConfig, carries: list[Carry],
                n_days: int, first_day: pd.Timestamp, cost: np.ndarray | None = None,
                sets: Sequence[ShiftSet] = ()) -> Built:
    """Build the full model (hard rules, coverage, objective) for the given candidates.

    ``cost`` (cost units per row of ``cand``) and ``sets`` (on rows of ``cand``) are the
    extra terms of :mod:`optimize.scheduling.problem.choices`.
    """
    model = cp_model.CpModel()
    keep = ~cand["unavailable"].to_numpy()
    cand = cand[keep].reset_index(drop=True)
    x = [model.new_bool_var(f"x{i}") for i in range(len(cand))]
    for a, rows in cand.groupby("agent", sort=True).indices.items():
        sub = cand.iloc[rows]
        add_agent_rules(model, sub, [x[i] for i in rows], config, agents.iloc[a], carries[a],
                        n_days, first_day)

    terms = coverage_terms(cand, config, grid, groups.of_agent)
    r10 = np.rint(queues.required * TENTHS).astype(int)
    alloc: dict = {}
    idle: dict = {}
    served: dict[tuple[int, int], list] = {}
    objective = []
    segments: dict = {}
    idle_w = int(round(IDLE_COST * SCALE / TENTHS))
    times = grid.times
    for (g, t), rows in terms.groupby(["g", "t"], sort=True).indices.items():
        ci = terms["cand"].to_numpy()[rows]
        cf = terms["tenths"].to_numpy()[rows]
        ub = int(cf.sum())
        parts = []
        for q in groups.skills[g]:
            if r10[q, t] > 0:
                v = model.new_int_var(0, min(ub, int(r10[q, t])), f"a{g}_{q}_{t}")
                alloc[g, q, t] = v
                parts.append(v)
                served.setdefault((q, t), []).append(v)
        slack = model.new_int_var(0, ub, f"idle(group {g}, {times[t]:%Y-%m-%dT%H:%MZ})")
        idle[g, t] = slack
        model.add(sum(parts) + slack == cp_model.LinearExpr.weighted_sum(
            [x[i] for i in ci], [int(c) for c in cf]))
        objective.append(idle_w * slack)

    brk10, weights = integer_segments(queues, r10, SCALE, TENTHS)
    for q in range(len(queues.channel)):
        for t in np.flatnonzero(r10[q] > 0):
            req = int(r10[q, t])
            w = weights[q, t]
            cov = sum(served.get((q, t), []))
            if served.get((q, t)):
                model.add(cov <= req)
            objective.append(int(w[0]) * (req - cov))
            label = f"{queues.label(q)}, {times[t]:%Y-%m-%dT%H:%MZ}"
            for j in range(1, len(w)):
                brk = int(brk10[q, t, j])
                if brk >= req or w[j] == 0:
                    continue
                s = model.new_int_var(0, req - brk, f"understaffed_seg{j}({label})")
                model.add(s >= req - brk - cov)
                segments.setdefault((q, int(t)), []).append((s, brk))
                objective.append(int(w[j]) * s)

    fair_terms, fair_vars = _fairness(model, cand, x, agents, n_days)
    objective.extend(fair_terms)
    misses: list = []
    if cost is not None or sets:
        objective.extend(_choice_terms(model, x, keep, cost, sets, misses))
    model.minimize(sum(objective))
    return Built(model=model, x=x, cand=cand, alloc=alloc, idle=idle, segments=segments,
                 terms=terms, required=r10, fairness=fair_vars, misses=tuple(misses))


def _choice_terms(model: cp_model.CpModel, x: list, keep: np.ndarray, cost: np.ndarray | None,
                  sets: Sequence[ShiftSet], misses: list) -> list:
    """Per-candidate costs and cover sets on the kept rows; soft sets append to ``misses``."""
    new_index = np.cumsum(keep) - 1
    out = []
    if cost is not None:
        for i in np.flatnonzero(keep & (np.asarray(cost) > 0)):
            out.append(int(round(cost[i] * SCALE)) * x[int(new_index[i])])
    for st in sets:
        rows = np.asarray(st.rows, dtype=int)
        rows = new_index[rows[keep[rows]]]
        cover = sum(x[int(i)] for i in rows)
        if st.miss_cost is None:
            if len(rows):
                model.add(cover >= 1)
            else:
                model.add_bool_or([])
        elif st.miss_cost > 0 and len(rows):
            m = model.new_bool_var(f"missed({st.name})")
            model.add(cover + m >= 1)
            out.append(int(round(st.miss_cost * SCALE)) * m)
            misses.append((m, rows))
    return out


def add_full_hint(built: Built, worked: np.ndarray, groups: SkillGroups,
                  priority: np.ndarray) -> None:
    """Hint every variable from a shift choice: queues filled greedily by priority.

    Gives CP-SAT a complete feasible first solution, so a schedule exists from the start.
    """
    model = built.model
    for v, w in zip(built.x, worked, strict=True):
        model.add_hint(v, bool(w))
    on = worked[built.terms["cand"].to_numpy()]
    cap = (built.terms[on].groupby(["g", "t"])["tenths"].sum())
    left = built.required.copy()
    order = np.argsort(-priority, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    for (g, t), v in built.idle.items():
        c = int(cap.get((g, t), 0))
        for q in sorted(groups.skills[g], key=lambda k: rank[k]):
            var = built.alloc.get((g, q, t))
            if var is None:
                continue
            take = min(c, int(left[q, t]))
            model.add_hint(var, take)
            left[q, t] -= take
            c -= take
        model.add_hint(v, c)
    for hi, lo, idx in built.fairness:
        counts = [int(worked[i].sum()) for i in idx]
        model.add_hint(hi, max(counts))
        model.add_hint(lo, min(counts))
    for (q, t), segs in built.segments.items():
        short = int(left[q, t])
        for var, brk in segs:
            model.add_hint(var, max(0, short - brk))
    for m, rows in built.misses:
        model.add_hint(m, not worked[rows].any())


def _fairness(model: cp_model.CpModel, cand: pd.DataFrame, x: list, agents: pd.DataFrame,
              n_days: int) -> tuple[list, list]:
    """Spread (max - min) of night and of weekend shifts per language team and week."""
    out, handles = [], []
    team = agents["languages"].map(lambda langs: langs[0] if len(langs) else "")
    week = cand["day"].to_numpy() // 7
    w = int(round(FAIRNESS_COST * SCALE))
    for kind in ("night", "weekend"):
        flag = cand[kind].to_numpy()
        for lang, members in team.groupby(team).groups.items():
            if len(members) < 2:
                continue
            for wk in range(n_days // 7):
                counts, groups_idx = [], []
                for a in members:
                    idx = np.flatnonzero((cand["agent"].to_numpy() == a) & flag & (week == wk))
                    counts.append(sum(x[i] for i in idx))
                    groups_idx.append(idx)
                hi = model.new_int_var(0, 7, f"fair_{kind}_max(team {lang}, week {wk})")
                lo = model.new_int_var(0, 7, f"fair_{kind}_min(team {lang}, week {wk})")
                for c in counts:
                    model.add(hi >= c)
                    model.add(lo <= c)
                out.append(w * (hi - lo))
                handles.append((hi, lo, groups_idx))
    return out, handles
