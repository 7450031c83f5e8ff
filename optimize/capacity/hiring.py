"""The hiring plan: how many of which profile to start in which week, at least cost.

A mixed-integer programme (OR-Tools MathOpt, solved with HiGHS) over the weeks ``w`` of
the horizon, the queues ``q``, the supply groups ``g`` (today's agents, grouped by the set
of queues they can work, so equal skill sets are one group) and the hire profiles ``p``::

    minimise   sum_qwj short_hour_cost * priority_q * slope_j * short[q,w,j]
             + sum_ps  hires[p,s] * (cost_per_hire + cost_per_hour_p * hours_week_p * (W - s))
    subject to sum_g x[g,q,w] + sum_p x[p,q,w] + short[q,w] >= need[q,w]   (paid hours)
               sum_q x[g,q,w] <= supply[g,w]                                (today's agents)
               sum_q x[p,q,w] <= sum_{s<=w} yield_p[s,w] * hires[p,s]       (hires)
               hires[p,s] = 0 for s < lead_time_weeks
               sum_p hires[p,s] <= max_hires_per_week * class[s]
               sum_p hires[p,s] >= min_class_size * class[s]   (class[s] binary, only when > 1)

``short[q,w] = sum_j short[q,w,j]``, each segment ``j`` at most its share of ``need[q,w]``:
the scheduler's shortfall curve (:data:`optimize.scheduling.problem.penalty.SEGMENT_BREAKS`
and ``SEGMENT_SLOPES``: the first 15 % short at 1x, the next 20 % at 2x, the rest at 4x
the priority), so a shortage is spread over the queues as a schedule would spread it
instead of starving the lowest priority first.
``x`` are paid hours of a group or profile given to a queue (only where it covers the
queue), so a multi-skilled agent's hours are counted once, wherever they are needed.
``need[q,w]`` is the queue's required hours on schedule times the scheduling efficiency.
With no hiring allowed the same programme is an allocation of the hours there are;
:func:`allocate_weeks` solves it week by week (the weeks are independent once the hires
are fixed), so that a week the hires have not reached yet gets the same allocation with
and without the plan (the programme has many optima; solved whole, the same week could
come out with its hours spread differently).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import numpy as np
from ortools.math_opt.python import mathopt

from optimize.scheduling.problem.penalty import SEGMENT_BREAKS, SEGMENT_SLOPES

__all__ = ["Allocation", "allocate_weeks", "plan_hires"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class Allocation:
    """The solved programme: ``hires[p, s]`` (whole people), ``served[q, w]`` and
    ``short[q, w]`` (paid hours), ``used[g, w]`` and ``hire_used[p, w]`` (paid hours given
    to queues), the ``cost`` and the solver ``status``."""

    hires: np.ndarray
    served: np.ndarray
    short: np.ndarray
    used: np.ndarray
    hire_used: np.ndarray
    cost: float
    status: str


def plan_hires(need: np.ndarray, priority: np.ndarray, supply: np.ndarray,
               supply_covers: np.ndarray, yields: list[np.ndarray], hire_covers: np.ndarray,
               hire_cost: np.ndarray, *, short_hour_cost: float, lead_time_weeks: int,
               max_hires_per_week: int, min_class_size: int = 1,
               allow_hires: bool = True, time_limit_s: float = 60.0) -> Allocation:
    """Solve the hiring programme (module docstring).

    Parameters
    ----------
    need : ndarray (Q, W)
        Paid hours needed per queue and week.
    priority : ndarray (Q,)
        Channel priority of each queue.
    supply, supply_covers : ndarray (G, W), (G, Q)
        Expected paid hours of today's agent groups, and the queues each can work.
    yields : list of ndarray (W, W)
        Per hire profile, expected hours in week ``w`` of one hire started in week ``s``.
    hire_covers : ndarray (P, Q)
    hire_cost : ndarray (P, W)
        Cost of one hire of profile ``p`` started in week ``s`` (its pay to the horizon's
        end plus ``cost_per_hire``).
    allow_hires : bool
        False: no hires (today's agents only).
    """
    n_q, n_w = need.shape
    n_p = len(yields) if allow_hires else 0
    model = mathopt.Model(name="hiring")
    widths = np.diff([*SEGMENT_BREAKS, np.inf])
    segments = [[[model.add_variable(lb=0.0, ub=float(wd * need[q, w]) if np.isfinite(wd)
                                     else np.inf) for wd in widths]
                 for w in range(n_w)] for q in range(n_q)]
    short = [[mathopt.fast_sum(segments[q][w]) for w in range(n_w)] for q in range(n_q)]
    served_terms: list[list[list]] = [[[] for _ in range(n_w)] for _ in range(n_q)]
    used_vars = [_give(model, np.flatnonzero(supply_covers[g]), n_w, served_terms,
                       lambda w, g=g: float(supply[g, w]))
                 for g in range(supply.shape[0])]
    hires = [[model.add_integer_variable(lb=0.0, ub=0.0 if s < lead_time_weeks
                                         else float(max_hires_per_week))
              for s in range(n_w)] for _ in range(n_p)]
    hire_vars = [_give(model, np.flatnonzero(hire_covers[p]), n_w, served_terms,
                       lambda w, p=p: mathopt.fast_sum(yields[p][s, w] * hires[p][s]
                                                       for s in range(w + 1)
                                                       if yields[p][s, w] > 0))
                 for p in range(n_p)]
    for q in range(n_q):
        for w in range(n_w):
            model.add_linear_constraint(
                mathopt.fast_sum(served_terms[q][w]) + short[q][w] >= float(need[q, w]))
    if n_p:
        for s in range(lead_time_weeks, n_w):
            total = mathopt.fast_sum(hires[p][s] for p in range(n_p))
            if min_class_size > 1:
                cls = model.add_binary_variable()
                model.add_linear_constraint(total <= max_hires_per_week * cls)
                model.add_linear_constraint(total >= min_class_size * cls)
            else:
                model.add_linear_constraint(total <= max_hires_per_week)
    objective = mathopt.fast_sum(short_hour_cost * float(priority[q]) * slope * seg
                                 for q in range(n_q) for w in range(n_w)
                                 for slope, seg in zip(SEGMENT_SLOPES, segments[q][w],
                                                       strict=True))
    if n_p:
        objective += mathopt.fast_sum(float(hire_cost[p, s]) * hires[p][s]
                                      for p in range(n_p) for s in range(lead_time_weeks, n_w))
    model.minimize(objective)
    # 0.1 %: at 0.01 % the sample's 26-week programme ran into the 60 s limit (a few
    # paid hours of cost apart); at 0.1 % it solves in about 3 s with the same hires +-1
    params = mathopt.SolveParameters(time_limit=dt.timedelta(seconds=float(time_limit_s)),
                                     relative_gap_tolerance=1e-3)
    result = mathopt.solve(model, mathopt.SolverType.HIGHS, params=params)
    if not result.has_primal_feasible_solution():
        raise RuntimeError(f"hiring programme not solved: {result.termination}")
    val = result.variable_values()
    short_v = np.array([[sum(val[v] for v in segs) for segs in row] for row in segments])
    hires_v = np.array([[round(val[v]) for v in row] for row in hires]).reshape(n_p, n_w)
    used = np.array([[sum(val[x] for x in xs) for xs in per_week] for per_week in used_vars]
                    ).reshape(supply.shape[0], n_w)
    hire_used = np.array([[sum(val[x] for x in xs) for xs in per_week] for per_week in hire_vars]
                         ).reshape(n_p, n_w)
    served = np.array([[sum(val[x] for x in served_terms[q][w]) for w in range(n_w)]
                       for q in range(n_q)]).reshape(n_q, n_w)
    # the solver's feasibility tolerance leaves values like -1e-11: hours are never negative
    short_v, used, hire_used, served = (np.maximum(a, 0.0) for a in (short_v, used, hire_used,
                                                                      served))
    status = result.termination.reason.name.lower()
    log.info("hiring programme: %s, cost %.1f, %d hires", status, result.objective_value(),
             int(hires_v.sum()))
    return Allocation(hires_v, served, short_v, used, hire_used, float(result.objective_value()),
                      status)


def _give(model: mathopt.Model, queues: np.ndarray, n_w: int, served_terms: list,
          capacity) -> list[list]:
    """Hours one group or profile gives each queue it covers, per week (variables, also
    appended to ``served_terms[q][w]``), at most ``capacity(w)`` in week ``w``."""
    per_week = []
    for w in range(n_w):
        xs = [model.add_variable(lb=0.0) for _ in queues]
        for q, x in zip(queues, xs, strict=True):
            served_terms[q][w].append(x)
        if xs:
            model.add_linear_constraint(mathopt.fast_sum(xs) <= capacity(w))
        per_week.append(xs)
    return per_week




def allocate_weeks(need: np.ndarray, priority: np.ndarray, supply: np.ndarray,
                   supply_covers: np.ndarray, *, short_hour_cost: float) -> Allocation:
    """The hours of ``supply`` (groups x weeks) given to the queues, one week at a time."""
    parts = [plan_hires(need[:, [w]], priority, supply[:, [w]], supply_covers, [],
                        np.zeros((0, len(priority)), dtype=bool), np.zeros((0, 1)),
                        short_hour_cost=short_hour_cost, lead_time_weeks=0,
                        max_hires_per_week=0, allow_hires=False)
             for w in range(need.shape[1])]
    return Allocation(
        hires=np.zeros((0, need.shape[1]), dtype=int),
        served=np.hstack([a.served for a in parts]), short=np.hstack([a.short for a in parts]),
        used=np.hstack([a.used for a in parts]),
        hire_used=np.zeros((0, need.shape[1])), cost=float(sum(a.cost for a in parts)),
        status=",".join(sorted({a.status for a in parts})))
