"""The solve strategy: greedy weeks, CP-SAT on small models, exact allocation, proven bound.

1. :func:`~optimize.scheduling.search.primal.greedy_weeks` gives every agent a legal week (and
   names the agents whose rules conflict).
2. Small models (at most ``CPSAT_MAX_CANDIDATES`` candidate shifts) go to CP-SAT with that
   week as a complete hint, which usually proves optimality. Larger ones, where CP-SAT
   spends its time in presolve and never moves the shifts (measured on the sample
   company), get more coordinate-descent passes of the greedy instead, each holding
   each agent's share of the exact allocation (step 3), while a pass gains at least
   ``POLISH_MIN_GAIN``; the time left before the passes' end goes to large-neighbourhood
   steps (:mod:`optimize.scheduling.search.lns`: a few agents' weeks, or one day of a team,
   re-solved exactly with SCIP), which make the coordinated moves one agent at a time
   cannot (bench/README.md "Large-neighbourhood search").
3. For the chosen shifts, the queue allocation is re-solved exactly as an LP
   (:func:`~optimize.scheduling.search.relax.allocate`); the objective reported is that
   allocation's cost plus the fairness terms, i.e. the model's objective at a feasible
   point of the model.
4. The bound is the best of CP-SAT's and the Lagrangian bound of
   :mod:`optimize.scheduling.bound.lagrange`, started from the allocation's dual prices.

Every stage ends on work (:class:`~optimize.scheduling.solver.clock.WorkClock`): the passes of
steps 1-2 at ``SEARCH_SHARE - BOUND_SHARE`` of the work limit, so the allocation LP and
the bound always get ``BOUND_SHARE`` (the first greedy pass always completes, so on very
large desks it can eat into it), the bound at ``SEARCH_SHARE``; the rest of the time
limit is for breaks, activities and tables. The same shares of the time limit cap each
stage on the wall clock; a stage that the cap ends first makes the run not repeatable
(``Solved.cut``).

Objective, bound and gap are in the model's cost units; ``gap = (objective - bound) /
objective`` (:func:`~optimize.scheduling.solver.solve.relative_gap`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from optimize.scenario.config import ScenarioConfig
from optimize.scheduling.bound.lagrange import improve_bound, make_dual
from optimize.scheduling.problem.choices import ShiftSet
from optimize.scheduling.problem.inputs import Grid, Queues, SkillGroups
from optimize.scheduling.search.lns import Incumbent, improve_lns
from optimize.scheduling.search.primal import fairness_terms, greedy_weeks
from optimize.scheduling.search.relax import allocate
from optimize.scheduling.solver.clock import WorkClock
from optimize.scheduling.solver.model import add_full_hint, build_model, coverage_terms
from optimize.scheduling.solver.solve import ProgressInfo, Solved, relative_gap, solve_built

__all__ = ["BOUND_SHARE", "CPSAT_MAX_CANDIDATES", "GREEDY_PASSES", "POLISH_PASSES",
           "SEARCH_SHARE", "STOPPED_BOUND_S", "search"]

log = logging.getLogger(__name__)

CPSAT_MAX_CANDIDATES = 6000  # above this, CP-SAT's presolve alone eats the time budget
GREEDY_PASSES = 2  # greedy + coordinate-descent passes on large models
POLISH_PASSES = 4  # then passes holding the exact allocation's shares while they gain
POLISH_MIN_GAIN = 1e-3  # a polish pass gaining less than this share ends the passes
BOUND_ITERATIONS = 100_000  # subgradient steps at most (the time budget ends it first)
BOUND_SHARE = 0.3  # of the time limit kept for the allocation LP, make_dual and the bound
# of the time limit the search may use; the stages after it (breaks, activities, tables)
# took 2.15 s at 1,000 agents x 4 weeks (bench/README.md), under 1% of its 540 s limit
SEARCH_SHARE = 0.95
BOUND_DEFLECTION = 0.5  # deflected subgradient (bench/README.md "Gap analysis")
BOUND_PATIENCE = 20  # steps without a better bound before the step size halves
LNS_MIN_S = 3.0  # least work (s) left before the passes' end worth neighbourhood steps
STOPPED_BOUND_S = 1.0  # bound budget after a stop request (it starts from the LP's duals)
# work seconds of an allocation LP: ALLOCATION_WORK_S * (variables / 66,528) ** 1.6, about
# 1.1x the GLOP times measured for 66,528, 290,304 and 474,432 variables (the sample,
# 300 and 1,000 agents x 4 weeks: 2.1, 22.8, 49.9 s; bench/README.md "Repeatable schedules")
ALLOCATION_WORK_S = 2.4


def _supply(worked: np.ndarray, terms: pd.DataFrame, n_groups: int, n_t: int) -> np.ndarray:
    on = worked[terms["cand"].to_numpy()]
    cap = np.zeros((n_groups, n_t))
    np.add.at(cap, (terms["g"].to_numpy()[on], terms["t"].to_numpy()[on]),
              terms["tenths"].to_numpy()[on])
    return cap


def _lp_work(groups: SkillGroups, grid: Grid) -> float:
    """Work seconds charged for one allocation LP (one variable per skill x interval)."""
    return ALLOCATION_WORK_S * (sum(len(sk) for sk in groups.skills) * grid.n / 66_528) ** 1.6


def _full(worked: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """A choice over the kept candidates as a choice over all of them."""
    out = np.zeros(len(keep), dtype=bool)
    out[np.flatnonzero(keep)[worked]] = True
    return out


def _paid(worked_all: np.ndarray, cost: np.ndarray | None, sets: Sequence[ShiftSet]) -> float:
    """Cost units of the choice terms paid by ``worked_all`` (bool per candidate)."""
    paid = float(cost[worked_all].sum()) if cost is not None else 0.0
    return paid + sum(float(st.miss_cost) for st in sets
                      if st.miss_cost and not worked_all[np.asarray(st.rows, dtype=int)].any())


def _total(found, worked: np.ndarray, keep: np.ndarray, cand: pd.DataFrame,
           agents: pd.DataFrame, n_days: int, first_day: pd.Timestamp,
           cost: np.ndarray | None, sets: Sequence[ShiftSet]) -> float:
    """The objective of kept-candidate choice ``worked`` whose allocation is ``found``."""
    fair = sum(c for _, _, c in fairness_terms(cand[worked].reset_index(drop=True), agents,
                                               n_days, first_day))
    return found.objective + fair + _paid(_full(worked, keep), cost, sets)


def _value(worked: np.ndarray, keep: np.ndarray, terms: pd.DataFrame, cand: pd.DataFrame,
           agents: pd.DataFrame, groups: SkillGroups, queues: Queues, grid: Grid,
           n_days: int, first_day: pd.Timestamp, cost: np.ndarray | None,
           sets: Sequence[ShiftSet]) -> float:
    """The objective of a choice of the kept candidates (exact allocation, fairness, terms)."""
    found = allocate(_supply(worked, terms, groups.n, grid.n), groups, queues)
    return _total(found, worked, keep, cand, agents, n_days, first_day, cost, sets)


def _lns(worked: np.ndarray, found, keep: np.ndarray, cand: pd.DataFrame, terms: pd.DataFrame,
         agents: pd.DataFrame, groups: SkillGroups, queues: Queues, grid: Grid,
         config: ScenarioConfig, carries: list, n_days: int, first_day: pd.Timestamp,
         cost: np.ndarray | None, sets: Sequence[ShiftSet], *, clock: WorkClock,
         share: float, seed: int) -> tuple[np.ndarray, object]:
    """Large-neighbourhood steps (:mod:`~.lns`) on the kept candidates, then the exact
    allocation of the result; the input when nothing improved."""
    new_index = np.cumsum(keep) - 1
    kept_sets = []
    for st in sets:
        rows = np.asarray(st.rows, dtype=int)
        kept_sets.append((new_index[rows[keep[rows]]], st.miss_cost))
    inc, gains = improve_lns(Incumbent(worked, found.alloc), cand, terms, agents, groups,
                             queues, config, carries, n_days, first_day, clock=clock,
                             share=share, seed=seed, cost=None if cost is None else cost[keep],
                             sets=kept_sets)
    if not gains:
        return worked, found
    clock.charge(_lp_work(groups, grid))
    again = allocate(_supply(inc.worked, terms, groups.n, grid.n), groups, queues)
    after = _total(again, inc.worked, keep, cand, agents, n_days, first_day, cost, sets)
    before = _total(found, worked, keep, cand, agents, n_days, first_day, cost, sets)
    if after > before + 1e-6:
        log.warning("LNS schedule above its start: kept the start")  # the pieces are exact
        return worked, found
    return inc.worked, again


def search(cand_all: pd.DataFrame, agents: pd.DataFrame, groups: SkillGroups, queues: Queues,
           grid: Grid, config: ScenarioConfig, carries: list, n_days: int,
           first_day: pd.Timestamp, *, time_limit_s: float, seed: int, workers: int,
           progress: Callable[[ProgressInfo], None] | None,
           clock: float, stop: Callable[[], bool] | None = None,
           cost: np.ndarray | None = None, sets: Sequence[ShiftSet] = (),
           start: np.ndarray | None = None, work_limit_s: float | None = None,
           ) -> tuple[Solved | None, pd.DataFrame, list[str]]:
    """Solve; return (solution or None when infeasible, the model's candidates, conflicts).

    ``clock`` is the ``time.perf_counter()`` value the time limit counts from. The stages
    end on work (:class:`~optimize.scheduling.solver.clock.WorkClock`, ``work_limit_s``
    work seconds, default the time limit), so the same inputs and seed give the same
    solution, unless the time limit or ``stop()`` ends a stage first: ``Solved.cut``
    then names it. When ``stop()`` turns true the search keeps the best schedule found
    so far: the first greedy pass always completes (it is the first legal schedule),
    later passes and CP-SAT end early, and the bound gets ``STOPPED_BOUND_S`` seconds.
    ``cost`` and ``sets`` (on rows of ``cand_all``) are the extra terms of
    :mod:`optimize.scheduling.problem.choices`; the objective reported includes them. ``start``
    (bool per row of ``cand_all``, a legal week per agent) makes the greedy a coordinate
    descent from that schedule instead of a construction from nothing.
    """
    stopped = stop if stop is not None else (lambda: False)
    work = WorkClock(time_limit_s if work_limit_s is None else work_limit_s, time_limit_s,
                     start=clock, stop=stop)
    passes = SEARCH_SHARE - BOUND_SHARE  # then allocation and bound only
    keep = ~cand_all["unavailable"].to_numpy()
    cand = cand_all[keep].reset_index(drop=True)
    small = len(cand) <= CPSAT_MAX_CANDIDATES
    terms_all = coverage_terms(cand_all, config, grid, groups.of_agent)
    lp_work = _lp_work(groups, grid)

    def allocated(worked: np.ndarray, terms: pd.DataFrame):
        work.charge(lp_work)
        return allocate(_supply(worked, terms, groups.n, grid.n), groups, queues)

    alloc0 = None
    if start is not None:
        alloc0 = allocated(start, terms_all).alloc
    hint_all, conflicts = greedy_weeks(cand_all, terms_all, agents, groups, queues, config,
                                       carries, n_days, first_day, seed,
                                       passes=1 if small else GREEDY_PASSES,
                                       clock=work, share=passes,
                                       cost=cost, sets=sets, start=start, alloc=alloc0)
    if conflicts:
        return None, cand, conflicts
    new_index = np.cumsum(keep) - 1
    terms = terms_all[keep[terms_all["cand"].to_numpy()]].copy()
    terms["cand"] = new_index[terms["cand"].to_numpy()]
    worked = hint_all[keep]
    if start is not None:  # never worse than the schedule it started from
        work.charge(2 * lp_work)
        worked = min((worked, start[keep]), key=lambda w: _value(
            w, keep, terms, cand, agents, groups, queues, grid, n_days, first_day, cost, sets))
    shape = (groups.n, len(queues.channel), grid.n)
    solved = None
    if small:
        built = build_model(cand_all, agents, groups, queues, grid, config, carries, n_days,
                            first_day, cost=cost, sets=sets)
        add_full_hint(built, worked, groups, queues.priority)
        work_left, wall_left = work.left(SEARCH_SHARE)
        solved = solve_built(built, shape, time_limit_s=max(1.0, 0.7 * wall_left),
                             work_s=max(1.0, 0.7 * work_left), seed=seed, workers=workers,
                             progress=progress, log_search=log.isEnabledFor(logging.DEBUG),
                             stop=stop)
        work.charge(solved.work_s)
        if solved.cut:
            work.mark_cut(solved.cut)
        if solved.worked.size and solved.status in ("optimal", "feasible"):
            worked = solved.worked
        elif solved.status == "unknown":  # stopped or out of time before a first solution
            solved = None  # keep the greedy week: every agent's rules hold in it
        else:
            return solved, cand, []

    found = allocated(worked, terms)
    for _ in range(0 if small else POLISH_PASSES):
        if work.over(passes, "polish passes"):
            break
        start = np.zeros(len(cand_all), dtype=bool)
        start[np.flatnonzero(keep)[worked]] = True
        again, _ = greedy_weeks(cand_all, terms_all, agents, groups, queues, config, carries,
                                n_days, first_day, seed, passes=1, clock=work, share=passes,
                                start=start, alloc=found.alloc, cost=cost, sets=sets)
        polished = allocated(again[keep], terms)
        before = found.objective + _paid(_full(worked, keep), cost, sets)
        after = polished.objective + _paid(again, cost, sets)
        if after >= before - 1e-9:
            break
        worked, found = again[keep], polished
        if after > (1.0 - POLISH_MIN_GAIN) * before:
            break  # converging: the neighbourhood steps gain more per second now
    if not small and work.left(passes)[0] > LNS_MIN_S:
        worked, found = _lns(worked, found, keep, cand, terms, agents, groups, queues, grid,
                             config, carries, n_days, first_day, cost, sets,
                             clock=work, share=passes, seed=seed)
    objective = _total(found, worked, keep, cand, agents, n_days, first_day, cost, sets)
    count = 1
    if solved is not None and solved.objective <= objective + 1e-6:
        alloc, idle, objective, bound = solved.alloc, solved.idle, solved.objective, \
            solved.best_bound
    else:
        alloc, idle = found.alloc, found.idle
        bound = solved.best_bound if solved is not None else 0.0
        if progress is not None:
            progress(ProgressInfo(time.perf_counter() - clock, objective, bound,
                                  relative_gap(objective, bound), count, time_limit_s))
    status = solved.status if solved is not None else "feasible"
    if status != "optimal":
        dual = make_dual(cand, terms, agents, groups, queues, config, carries, n_days,
                         cost=None if cost is None else cost[keep])
        if stopped():  # a short bound for the schedule kept, on the wall clock
            work.mark_cut("bound (stopped)")
            lagr, _ = improve_bound(dual, found.price.ravel(), objective, STOPPED_BOUND_S,
                                    BOUND_ITERATIONS, theta0=2.0, patience=BOUND_PATIENCE,
                                    deflection=BOUND_DEFLECTION)
        else:
            lagr, _ = improve_bound(dual, found.price.ravel(), objective, np.inf,
                                    BOUND_ITERATIONS, theta0=2.0, patience=BOUND_PATIENCE,
                                    deflection=BOUND_DEFLECTION, clock=work,
                                    share=SEARCH_SHARE)
        if lagr > objective + 1e-6 * max(1.0, objective):
            log.warning("Lagrangian bound %.4f above the objective %.4f: ignored", lagr,
                        objective)
        elif lagr > bound:
            bound = min(lagr, objective)
            if progress is not None:
                progress(ProgressInfo(time.perf_counter() - clock, objective, bound,
                                      relative_gap(objective, bound), count, time_limit_s))
    gap = 0.0 if status == "optimal" else relative_gap(objective, bound)
    if gap <= 1e-9 and status == "feasible":
        status = "optimal"
    log.info("search: %.1f work s, %.1f wall s, %s", work.work, work.wall(),
             "reproducible" if work.reproducible else f"cut by the clock in the {work.cut}")
    return (Solved(status, worked, alloc, idle, objective, bound, gap,
                   time.perf_counter() - clock, work.work, work.cut), cand, [])
