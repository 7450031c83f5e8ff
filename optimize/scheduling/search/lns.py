"""Large-neighbourhood search: re-solve a few agents' shifts at once, exactly.

Coordinate descent (:func:`~optimize.scheduling.search.primal.greedy_weeks`) moves one agent at a
time, so it stops where only a coordinated change helps (two agents trading starts, one
covering a night so that another can move to the peak). Each step here frees a piece of
the schedule, fixes everything else, and solves that piece exactly. A piece is either the
whole weeks of a few agents who share a queue with a random one, or one local day of up
to four times as many (their other days fixed). The piece's model holds:

- the freed candidates with all their agents' hard rules (:func:`~.rules.add_agent_rules`,
  fixed shifts as constants), their candidate costs and cover sets;
- the allocation of every skill group x interval the freed candidates touch, re-decided
  (the group's fixed members there are a constant presence); every other allocation
  keeps its current value, a constant coverage of the queues;
- the shortfall penalty of those queue x intervals with the model's own integer
  segments (:func:`~.penalty.integer_segments`), idle heads, and the night and weekend
  spread of the freed agents' teams against the fixed members' counts.

That is the full model with the other variables fixed at the incumbent, so its objective
differs from the full objective by a constant: a better piece is a better schedule, and
the incumbent (a complete hint) is a solution of it. The piece is built with the CP-SAT
API and solved as a MIP by SCIP (:mod:`~.mip`), whose LP sees the allocation flow: on
the sample company CP-SAT did not move such pieces from their hint in 5 s, while SCIP
proves them in seconds. The piece size adapts to what the solver can prove in
``LNS_STEP_S``. Each step is charged to the search's
:class:`~optimize.scheduling.solver.clock.WorkClock` by the piece's size, so the number of steps
does not depend on the machine's speed; but SCIP's limit is on the wall clock (its root
node alone, presolve, cuts and heuristics, took up to 30 s on the sample's pieces even
with a node limit of 1, so no deterministic limit of SCIP's fits a step), and a step
that it ends marks the run as not repeatable.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from ortools.sat.python import cp_model

from optimize.scenario.config import ScenarioConfig
from optimize.scheduling.problem.inputs import Queues, SkillGroups
from optimize.scheduling.problem.penalty import integer_segments
from optimize.scheduling.problem.rules import add_agent_rules
from optimize.scheduling.solver.clock import WorkClock
from optimize.scheduling.solver.mip import solve_as_mip
from optimize.scheduling.solver.model import FAIRNESS_COST, IDLE_COST, SCALE, TENTHS

__all__ = ["LNS_AGENTS", "LNS_MAX_AGENTS", "LNS_STEP_S", "LNS_WORK_S", "Incumbent",
           "improve_lns"]

log = logging.getLogger(__name__)

LNS_AGENTS = 8  # agents freed per whole-week step at first (4x as many for one day)
LNS_MAX_AGENTS = 40  # the adaptive size never grows beyond this
LNS_STEP_S = 2.0  # solver time per step
LNS_WORK_S = 2.0e-4  # work seconds charged per variable of a piece's model (about 2 s)


@dataclass(frozen=True)
class Incumbent:
    """A schedule and a feasible allocation of it (tenths; see :mod:`~.model`)."""

    worked: np.ndarray  # bool per candidate row
    alloc: np.ndarray  # (groups, queues, intervals)


@dataclass(frozen=True)
class _Problem:
    cand: pd.DataFrame
    terms: pd.DataFrame
    agents: pd.DataFrame
    groups: SkillGroups
    config: ScenarioConfig
    carries: list
    n_days: int
    first_day: pd.Timestamp
    r10: np.ndarray
    brk10: np.ndarray
    weights: np.ndarray
    cost: np.ndarray | None
    sets_of: dict
    rows_of: dict
    team: np.ndarray  # team index per agent
    night: np.ndarray
    weekend: np.ndarray
    week: np.ndarray


def _problem(cand: pd.DataFrame, terms: pd.DataFrame, agents: pd.DataFrame,
             groups: SkillGroups, queues: Queues, config: ScenarioConfig, carries: list,
             n_days: int, first_day: pd.Timestamp, cost: np.ndarray | None,
             sets: Sequence[tuple[np.ndarray, float | None]]) -> _Problem:
    r10 = np.rint(queues.required * TENTHS).astype(int)
    brk10, weights = integer_segments(queues, r10, SCALE, TENTHS)
    agent_of = cand["agent"].to_numpy()
    sets_of: dict[int, list] = {}
    for rows, miss in sets:
        if len(rows):
            sets_of.setdefault(int(agent_of[rows[0]]), []).append((np.asarray(rows), miss))
    team_name = agents["languages"].map(lambda langs: langs[0] if len(langs) else "")
    team = pd.factorize(team_name)[0]
    return _Problem(cand, terms, agents, groups, config, carries, n_days, first_day, r10,
                    brk10, weights, cost, sets_of, cand.groupby("agent", sort=True).indices,
                    team, cand["night"].to_numpy(), cand["weekend"].to_numpy(),
                    cand["day"].to_numpy() // 7)


def _near(p: _Problem, a0: int) -> np.ndarray:
    """Agents (a0 first) sharing at least one queue with agent ``a0``."""
    skills = set(p.groups.skills[p.groups.of_agent[a0]])
    near = [a for a in p.rows_of if a != a0
            and skills & set(p.groups.skills[p.groups.of_agent[a]])]
    return np.asarray([a0, *near], dtype=int)


def _agents_move(p: _Problem, rng: np.random.Generator, size: int) -> np.ndarray:
    """All candidate rows of ``size`` agents around a random one (their whole weeks)."""
    near = _near(p, int(rng.choice(np.fromiter(p.rows_of, dtype=int))))
    pick = np.concatenate([near[:1], rng.permutation(near[1:])[:size - 1]])
    return np.concatenate([p.rows_of[a] for a in pick])


def _day_move(p: _Problem, rng: np.random.Generator, size: int) -> np.ndarray:
    """One local day of up to ``4 * size`` agents around a random one."""
    near = _near(p, int(rng.choice(np.fromiter(p.rows_of, dtype=int))))
    pick = np.concatenate([near[:1], rng.permutation(near[1:])[:4 * size - 1]])
    day = int(rng.integers(p.n_days))
    rows = np.concatenate([p.rows_of[a] for a in pick])
    return rows[p.cand["day"].to_numpy()[rows] == day]


def _step(p: _Problem, inc: Incumbent, rows: np.ndarray, *, time_s: float,
          seed: int, clock: WorkClock | None = None) -> tuple[Incumbent | None, bool]:
    """Re-solve the candidate ``rows`` (the rest fixed): the better incumbent (None if no
    gain) and whether the piece was solved to optimality. The piece's work is charged to
    ``clock``; a solve ended by ``time_s`` is recorded there as a cut."""
    if not len(rows):
        return None, True
    model = cp_model.CpModel()
    agent_of = p.cand["agent"].to_numpy()
    free = np.unique(agent_of[rows])
    x: dict[int, object] = {}
    for r in rows:
        x[int(r)] = model.new_bool_var("")
        model.add_hint(x[int(r)], bool(inc.worked[r]))
    for a in free:
        idx = p.rows_of[a]
        lits = [x.get(int(i), int(inc.worked[i])) for i in idx]
        add_agent_rules(model, p.cand.iloc[idx], lits, p.config, p.agents.iloc[a],
                        p.carries[a], p.n_days, p.first_day)

    n_t = p.r10.shape[1]
    is_free = np.zeros(len(p.cand), dtype=bool)
    is_free[rows] = True
    tc, tg, tt = (p.terms[k].to_numpy() for k in ("cand", "g", "t"))
    tw = p.terms["tenths"].to_numpy()
    mine = is_free[tc]
    cells = np.zeros((p.groups.n, n_t), dtype=bool)  # allocation re-decided here
    cells[tg[mine], tt[mine]] = True
    fixed = ~mine & inc.worked[tc] & cells[tg, tt]
    const = np.zeros((p.groups.n, n_t), dtype=int)  # presence of the fixed shifts there
    np.add.at(const, (tg[fixed], tt[fixed]), tw[fixed])
    background = inc.alloc.sum(axis=0) - (inc.alloc * cells[:, None, :]).sum(axis=0)
    need = np.clip(p.r10 - background, 0, None)

    by_gt = pd.Series(np.flatnonzero(mine)).groupby([tg[mine], tt[mine]]).indices
    idle_w = int(round(IDLE_COST * SCALE / TENTHS))
    obj: list = []
    alloc_v: dict = {}
    served: dict = {}
    covered = np.zeros_like(need)  # the incumbent's coverage by the re-decided cells
    for (g, t), k in by_gt.items():
        k = np.flatnonzero(mine)[k]
        on = inc.worked[tc[k]]
        ub = int(const[g, t] + tw[k].sum())
        parts, hinted = [], 0
        for q in p.groups.skills[g]:
            if need[q, t] > 0:
                v = model.new_int_var(0, min(ub, int(need[q, t])), "")
                alloc_v[g, q, t] = v
                parts.append(v)
                served.setdefault((q, t), []).append(v)
                covered[q, t] += int(inc.alloc[g, q, t])
                model.add_hint(v, int(inc.alloc[g, q, t]))
                hinted += int(inc.alloc[g, q, t])
        idle = model.new_int_var(0, ub, "")
        model.add(sum(parts) + idle == int(const[g, t]) + cp_model.LinearExpr.weighted_sum(
            [x[int(c)] for c in tc[k]], [int(w) for w in tw[k]]))
        model.add_hint(idle, int(const[g, t] + tw[k][on].sum()) - hinted)
        obj.append(idle_w * idle)
    for (q, t), vs in served.items():
        req = int(need[q, t])
        cov = sum(vs)
        model.add(cov <= req)
        w = p.weights[q, t]
        obj.append(-int(w[0]) * cov)
        for j in range(1, len(w)):
            lim = int(need[q, t] - p.brk10[q, t, j])
            if lim <= 0 or w[j] == 0:
                continue
            s = model.new_int_var(0, lim, "")
            model.add(s >= lim - cov)
            model.add_hint(s, max(0, lim - int(covered[q, t])))
            obj.append(int(w[j]) * s)
    obj.extend(_fairness(model, p, inc, rows, x))
    if p.cost is not None:
        obj.extend(int(round(p.cost[r] * SCALE)) * x[int(r)] for r in rows if p.cost[r] > 0)
    ints = [v.index for v in x.values()]
    for a in free:
        for set_rows, miss in p.sets_of.get(int(a), ()):
            cover = sum(x.get(int(r), int(inc.worked[r])) for r in set_rows)
            if miss is None:
                _require(model, cover >= 1)
            elif miss > 0:
                m = model.new_bool_var("")
                _require(model, cover + m >= 1)
                model.add_hint(m, not inc.worked[set_rows].any())
                obj.append(int(round(miss * SCALE)) * m)
                ints.append(m.index)
    model.minimize(sum(obj))
    before = _hint_value(model)
    integer = np.zeros(len(model.proto.variables), dtype=bool)
    integer[ints] = True
    t0 = time.perf_counter()
    res = solve_as_mip(model, integer, time_s, seed)
    log.debug("LNS step: %d rows of %d agents, %d vars; %s in %.2f s, %.1f -> %.1f",
              len(rows), len(free), len(integer), res.status, time.perf_counter() - t0,
              (before or 0) / SCALE, res.objective / SCALE)
    if clock is not None:
        clock.charge(LNS_WORK_S * len(integer))
        if res.timed_out:
            clock.mark_cut("neighbourhood search")
    proven = res.status == "optimal"
    if res.status not in ("optimal", "feasible") or before is None:
        return None, proven
    if res.objective >= before - 0.5:
        return None, proven
    val = np.rint(res.values).astype(int)
    worked = inc.worked.copy()
    worked[rows] = [val[x[int(r)].index] > 0 for r in rows]
    alloc = inc.alloc.copy()
    alloc[cells[:, None, :].repeat(alloc.shape[1], axis=1)] = 0
    for (g, q, t), v in alloc_v.items():
        alloc[g, q, t] = val[v.index]
    return Incumbent(worked, alloc), proven


def _require(model: cp_model.CpModel, ct: object) -> None:
    """Add a constraint that may have lost its variables (then it must hold already)."""
    if isinstance(ct, bool | np.bool_):
        if not ct:
            model.add_bool_or([])
        return
    model.add(ct)


_MOVES = (_agents_move, _day_move)


def _hint_value(model: cp_model.CpModel) -> float | None:
    """The objective at the model's complete hint (None if the hint is not complete)."""
    proto = model.proto
    hint = dict(zip(proto.solution_hint.vars, proto.solution_hint.values, strict=True))
    obj = proto.objective
    try:
        val = sum(c * hint[v] for v, c in zip(obj.vars, obj.coeffs, strict=True))
    except KeyError:
        return None
    return float(val + obj.offset)


def _fairness(model: cp_model.CpModel, p: _Problem, inc: Incumbent, rows: np.ndarray,
              x: dict) -> list:
    """Night and weekend spread in the teams of the freed ``rows``, the rest constant."""
    out = []
    w = int(round(FAIRNESS_COST * SCALE))
    agent_of = p.cand["agent"].to_numpy()
    teams = p.team[agent_of[rows]]
    for team in np.unique(teams):
        members = np.flatnonzero(p.team == team)
        if len(members) < 2:
            continue
        mine = rows[teams == team]
        for flag in (p.night, p.weekend):
            for wk in range(p.n_days // 7):
                moving = mine[flag[mine] & (p.week[mine] == wk)]
                if not len(moving):
                    continue  # the team's spread cannot change
                free = np.unique(agent_of[moving])
                sel = flag & (p.week == wk) & inc.worked
                counts = np.bincount(agent_of[sel], minlength=len(p.agents))
                fixed = counts[np.setdiff1d(members, free)]
                hi = model.new_int_var(0, 7, "")
                lo = model.new_int_var(0, 7, "")
                if len(fixed):
                    model.add(hi >= int(fixed.max()))
                    model.add(lo <= int(fixed.min()))
                for a in free:
                    idx = p.rows_of[a]
                    idx = idx[flag[idx] & (p.week[idx] == wk)]
                    c = sum(x.get(int(i), int(inc.worked[i])) for i in idx)
                    model.add(hi >= c)
                    model.add(lo <= c)
                model.add_hint(hi, int(counts[members].max()))
                model.add_hint(lo, int(counts[members].min()))
                out.append(w * (hi - lo))
    return out


def improve_lns(inc: Incumbent, cand: pd.DataFrame, terms: pd.DataFrame,
                agents: pd.DataFrame, groups: SkillGroups, queues: Queues,
                config: ScenarioConfig, carries: list, n_days: int, first_day: pd.Timestamp,
                *, seed: int, clock: WorkClock | None = None, share: float = 1.0,
                cost: np.ndarray | None = None,
                sets: Sequence[tuple[np.ndarray, float | None]] = (),
                size: int = LNS_AGENTS, step_s: float = LNS_STEP_S,
                max_steps: int | None = None) -> tuple[Incumbent, int]:
    """Improve ``inc`` by neighbourhood steps until ``clock`` is over ``share``.

    Each step frees ``size`` agents' weeks or one day of ``4 * size`` agents, in turn,
    drawn around a random agent among those sharing one of its queues, and gets at most
    ``step_s`` seconds; ``size`` grows by one after a piece solved to optimality and
    shrinks by one after one that was not. Each step is charged to ``clock``;
    ``max_steps`` caps the number of steps (without ``clock``, only it does).

    ``cand``/``terms`` are the model's candidates (available ones only) and their
    :func:`~.model.coverage_terms`; ``cost`` and ``sets`` (rows, miss cost or None) are
    on those rows. Returns the best incumbent and the number of improving steps.
    """
    p = _problem(cand, terms, agents, groups, queues, config, carries, n_days, first_day,
                 cost, sets)
    rng = np.random.default_rng(seed)
    gains = steps = 0
    if not p.rows_of:
        return inc, 0
    while ((clock is None or not clock.over(share, "neighbourhood search"))
           and (max_steps is None or steps < max_steps)):
        move = _MOVES[steps % len(_MOVES)]
        rows = move(p, rng, size)
        budget = step_s if clock is None else min(step_s, max(0.1, clock.left(share)[1]))
        better, proven = _step(p, inc, rows, time_s=budget, seed=int(rng.integers(1 << 30)),
                               clock=clock)
        steps += 1
        if better is not None:
            inc, gains = better, gains + 1
        # adapt: grow the pieces the solver proves, shrink the ones it cannot finish
        size = min(LNS_MAX_AGENTS, size + 1) if proven else max(2, size - 1)
    log.info("LNS: %d steps, %d improving, last size %d%s", steps, gains, size,
             "" if clock is None else f" (at {clock.work:.1f} work s, {clock.wall():.1f} wall s)")
    return inc, gains
