"""The coverage part of the model as an LP: the exact queue allocation for fixed shifts.

For a fixed choice of shifts, what remains of the model is, per interval, a min-cost flow
from skill groups to queues (allocation in tenths of heads, idle heads, the convex
piecewise-linear shortfall penalty), with integer data. Its constraint matrix is totally
unimodular, so the simplex vertex GLOP returns is integral and its value is the CP-SAT
model's objective for that shift choice (fairness terms excluded). The weights and the
rounding to tenths are those of :func:`~optimize.scheduling.solver.model.build_model`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from optimize.scheduling.problem.inputs import Queues, SkillGroups
from optimize.scheduling.problem.penalty import integer_segments
from optimize.scheduling.solver.lp import SparseLP
from optimize.scheduling.solver.model import IDLE_COST, SCALE, SEGMENT_SLOPES, TENTHS

__all__ = ["Allocation", "allocate", "penalty_weights"]

log = logging.getLogger(__name__)

@dataclass(frozen=True)
class Allocation:
    """Optimal queue allocation for fixed shifts."""

    objective: float  # cost units, coverage terms only
    alloc: np.ndarray  # tenths, (groups, queues, intervals)
    idle: np.ndarray  # tenths, (groups, intervals)
    price: np.ndarray  # dual of a tenth of capacity, objective units (SCALE), >= -idle weight


def penalty_weights(priority: np.ndarray) -> np.ndarray:
    """Integer objective weights per queue and segment, exactly as in the CP-SAT model.

    Column 0 is the weight of a tenth short on the first segment, columns ``j >= 1`` the
    increments of the steeper segments.
    """
    w = np.array([[p * s * SCALE / TENTHS for s in SEGMENT_SLOPES] for p in priority])
    out = np.rint(w).astype(int) if len(w) else np.zeros((0, len(SEGMENT_SLOPES)), dtype=int)
    if len(w):
        out[:, 1:] = np.rint(w[:, 1:] - w[:, :-1]).astype(int)
    return out


def _coverage(lp: SparseLP, groups: SkillGroups, r10: np.ndarray, queues: Queues,
              supply: tuple[np.ndarray, np.ndarray, np.ndarray] | None,
              cap: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Add allocation, idle and shortfall segments; return (alloc keys, alloc vars, idle
    vars, capacity rows). Capacity is ``supply`` (COO rows g*n_t+t, var, tenths) or the
    constant ``cap`` (tenths, groups x intervals)."""
    n_q, n_t = r10.shape
    brk10, weights = integer_segments(queues, r10, SCALE, TENTHS)
    idle_w = int(round(IDLE_COST * SCALE / TENTHS))
    keys = [(g, q, t) for g, skills in enumerate(groups.skills) for q in skills
            for t in np.flatnonzero(r10[q] > 0)]
    keys_arr = np.array(keys, dtype=np.int64).reshape(-1, 3)
    g_a, q_a, t_a = keys_arr.T
    alloc = lp.add_vars(len(keys_arr), 0.0, r10[q_a, t_a].astype(float),
                        -weights[q_a, t_a, 0].astype(float))
    idle = lp.add_vars(groups.n * n_t, 0.0, np.inf, float(idle_w))
    rows = [g_a * n_t + t_a, np.arange(groups.n * n_t)]
    cols = [alloc, idle]
    coef = [np.ones(len(alloc)), np.ones(len(idle))]
    rhs = np.zeros(groups.n * n_t)
    if supply is not None:
        rows.append(supply[0])
        cols.append(supply[1])
        coef.append(-supply[2])
    if cap is not None:
        rhs = cap.ravel().astype(float)
    cap_rows = lp.add_rows(groups.n * n_t, np.concatenate(rows), np.concatenate(cols),
                           np.concatenate(coef), rhs, rhs)
    qt = q_a * n_t + t_a
    pos = np.flatnonzero(r10.ravel() > 0)
    lp.offset += float((weights[..., 0] * r10).sum())
    row_of = np.full(n_q * n_t, -1)
    row_of[pos] = np.arange(len(pos))
    lp.add_rows(len(pos), row_of[qt], alloc, 1.0, -np.inf, r10.ravel()[pos].astype(float))
    req = r10.ravel()[pos]
    for j in range(1, weights.shape[-1]):
        brk = brk10[..., j].ravel()[pos]
        w_j = weights[..., j].ravel()[pos]
        on = (brk < req) & (w_j != 0)
        if not on.any():
            continue
        seg = lp.add_vars(int(on.sum()), 0.0, (req - brk)[on].astype(float),
                          w_j[on].astype(float))
        r_of = np.full(n_q * n_t, -1)
        r_of[pos[on]] = np.arange(int(on.sum()))
        hit = r_of[qt] >= 0
        lp.add_rows(int(on.sum()), np.concatenate([np.arange(int(on.sum())), r_of[qt][hit]]),
                    np.concatenate([seg, alloc[hit]]), 1.0, (req - brk)[on].astype(float),
                    np.inf)
    return keys_arr, alloc, idle, cap_rows


def allocate(cap: np.ndarray, groups: SkillGroups, queues: Queues,
             time_limit_s: float = 300.0) -> Allocation:
    """Optimal allocation of fixed presence ``cap`` (tenths, groups x intervals).

    The schedule needs it exactly, so the limit is generous: at 1,000 agents x 4 weeks the
    LP took 34-35 s, and over 30 s under load (RuntimeError at the old 30 s default).
    """
    r10 = np.rint(queues.required * TENTHS).astype(int)
    lp = SparseLP()
    keys, alloc, idle, rows = _coverage(lp, groups, r10, queues, None, cap)
    sol = lp.solve(time_limit_s)
    out = np.zeros((groups.n, len(queues.channel), cap.shape[1]), dtype=int)
    if not sol.optimal:
        raise RuntimeError("the allocation LP did not solve to optimality")
    out[keys[:, 0], keys[:, 1], keys[:, 2]] = np.rint(sol.values[alloc]).astype(int)
    idle_v = np.rint(sol.values[idle]).reshape(groups.n, -1).astype(int)
    floor = -float(round(IDLE_COST * SCALE / TENTHS))  # an idle tenth's weight
    price = np.clip(-sol.duals[rows], floor, None).reshape(groups.n, -1)
    return Allocation(sol.objective / SCALE, out, idle_v, price)
