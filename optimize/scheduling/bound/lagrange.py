"""A proven lower bound by Lagrangian relaxation of the capacity constraints.

The model's only link between agents is the capacity row of each skill group ``g`` and
interval ``t``: ``sum_q a[g, q, t] + idle[g, t] == supply[g, t](x)``. Pricing it with
``lam[g, t] >= -IDLE_COST`` (per tenth of a head; the row is an equality, and below
``-IDLE_COST`` idle heads would pay) splits the problem:

``L(lam) = sum_{q,t} Phi_qt(lam) - sum_agents U_a(lam)``

* ``Phi_qt``: the cheapest way to cover queue ``q`` at ``t`` when a tenth of group ``g``
  costs ``lam[g, t]``: the penalty with ``cov`` tenths bought at the cheapest skilled
  group's price, minimised over ``0 <= cov <= required`` (closed form: the convex penalty
  is linear between breakpoints; allocations are capped at the requirement, so a
  negative price buys the whole requirement). Idle heads cost ``IDLE_COST + lam >= 0``,
  so none. Negative prices matter where over-staffing is the cost (a rich desk): only
  they can raise the bound there.
* ``U_a``: an upper bound of the most an agent's legal week earns at those prices, less
  the costs of its candidates (preferences, changes; :mod:`~.choices`): a dynamic
  programme per week over days (at most one shift a day) with the weekly limits on days
  worked, paid hours (contract minimum and maximum) and night shifts, solved once per
  type of identical agents (:mod:`~.lagrange_agents`). Rules it ignores (rest,
  consecutive days, cover sets) only make ``U_a`` larger, so the bound stays valid.

By weak duality ``L(lam)`` is at most the model's optimum for every such ``lam``, in the
objective's own units (the integer weights of :func:`~.penalty.integer_segments`, on the
model's tenths; fairness terms are >= 0 and left out). The prices are improved by
projected subgradient steps (Polyak step towards the best known objective). The bound
returned is the best ``L`` evaluated, and ``L(0) >= 0`` is always one of them.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from optimize.scenario.config import ScenarioConfig
from optimize.scheduling.bound.agents import AgentWeeks, agent_weeks, best_weeks
from optimize.scheduling.problem.inputs import Queues, SkillGroups
from optimize.scheduling.problem.penalty import integer_segments
from optimize.scheduling.problem.rules import Carry
from optimize.scheduling.solver.clock import WorkClock
from optimize.scheduling.solver.model import IDLE_COST, SCALE, TENTHS

__all__ = ["BOUND_STEP_WORK_S", "BOUND_WORK_S", "Dual", "PRICE_FLOOR", "coverage_cells",
           "make_dual", "evaluate", "improve_bound"]

log = logging.getLogger(__name__)

#: lowest valid capacity price, model units per tenth of a head: minus the idle weight
PRICE_FLOOR = -float(round(IDLE_COST * SCALE / TENTHS))
#: work seconds charged per subgradient step: a constant plus this much per entry of the
#: agents' presence and the coverage pieces (bench/README.md "Repeatable schedules")
BOUND_STEP_WORK_S = 1.5e-3
BOUND_WORK_S = 1.7e-8
_SCALES = (1.0, 0.5, 0.25, 0.125, 0.0625)  # start prices tried: c * lam0


@dataclass(frozen=True)
class Dual:
    """Everything the bound needs, precomputed once (integer SCALE units, tenths)."""

    n_groups: int
    n_t: int
    f0: np.ndarray  # penalty with nothing covered, per (q, t) with a requirement
    saving: np.ndarray  # (K, k): marginal saving per tenth of each coverage piece
    length: np.ndarray  # (K, k): tenths in each piece
    qt: np.ndarray  # flat q * n_t + t of the k requirement cells
    skilled: np.ndarray  # bool (groups, queues)
    by_queue: tuple  # per queue, the skilled groups (int arrays)
    weeks: AgentWeeks  # the agents' side (one DP row per agent type x week)


def make_dual(cand: pd.DataFrame, terms: pd.DataFrame, agents: pd.DataFrame,
              groups: SkillGroups, queues: Queues, config: ScenarioConfig,
              carries: list[Carry], n_days: int, cost: np.ndarray | None = None) -> Dual:
    """Precompute the bound's data for the model's candidates and coverage terms.

    ``cost`` (cost units >= 0 per candidate, e.g. preferences) is charged to the candidate
    in each agent's best week; without it the bound is valid but weaker.
    """
    r10 = np.rint(queues.required * TENTHS).astype(int)
    n_q, n_t = r10.shape
    brk10, w10 = integer_segments(queues, r10, SCALE, TENTHS)
    pos = np.flatnonzero(r10.ravel() > 0)
    req = r10.ravel()[pos]
    n_seg = w10.shape[-1]
    w = w10.reshape(-1, n_seg)[pos].T  # (K, k): weight increments per segment
    b = np.minimum(brk10.reshape(-1, n_seg)[pos].T, req[None, :])  # segment starts, tenths
    f0 = (w * (req[None, :] - b)).sum(axis=0)
    # piece j: shortfall in (b_j, b_{j+1}] (b_K = req), saving the cumulative weight per tenth
    saving = np.cumsum(w, axis=0).astype(float)
    length = np.diff(np.vstack([b, req[None, :]]), axis=0).astype(float)
    skilled = np.zeros((groups.n, n_q), dtype=bool)
    for g, sk in enumerate(groups.skills):
        skilled[g, list(sk)] = True
    presence = sparse.csr_matrix(
        (terms["tenths"].to_numpy().astype(float),
         (terms["cand"].to_numpy(), terms["g"].to_numpy() * n_t + terms["t"].to_numpy())),
        shape=(len(cand), groups.n * n_t))
    charged = np.zeros(len(cand)) if cost is None else np.asarray(cost, float) * SCALE
    return Dual(
        n_groups=groups.n, n_t=n_t, f0=f0.astype(float), saving=saving, length=length,
        qt=pos, skilled=skilled,
        by_queue=tuple(np.flatnonzero(skilled[:, q]) for q in range(n_q)),
        weeks=agent_weeks(cand, presence, agents, config, carries, n_days, charged))


def _gains(d: Dual, lam: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per requirement cell and piece, the saving per tenth above the cheapest skilled
    group's price (>= 0), and that group per cell."""
    lam_t = lam.reshape(d.n_groups, d.n_t)
    n_q = len(d.by_queue)
    mu_qt = np.full((n_q, d.n_t), np.inf)  # cheapest skilled group's price per (q, t)
    g_qt = np.zeros((n_q, d.n_t), dtype=int)
    for q, gs in enumerate(d.by_queue):  # a loop over queues, not intervals
        if len(gs):
            sub = lam_t[gs]
            arg = np.argmin(sub, axis=0)
            mu_qt[q] = np.take_along_axis(sub, arg[None, :], axis=0)[0]
            g_qt[q] = gs[arg]
    mu, best_g = mu_qt.ravel()[d.qt], g_qt.ravel()[d.qt]
    gain = np.clip(d.saving - mu[None, :], 0.0, None)  # inf price -> no gain
    gain[:, ~np.isfinite(mu)] = 0.0
    return gain, best_g


def coverage_cells(d: Dual, lam: np.ndarray) -> np.ndarray:
    """``Phi_qt(lam)`` per requirement cell (``d.qt``), SCALE units."""
    gain, _ = _gains(d, lam)
    return d.f0 - (gain * d.length).sum(axis=0)


def _coverage_part(d: Dual, lam: np.ndarray) -> tuple[float, np.ndarray]:
    """sum Phi_qt and, per requirement cell, the tenths bought and the group they come from."""
    gain, best_g = _gains(d, lam)
    bought = ((gain > 0) * d.length).sum(axis=0)
    return float(d.f0.sum() - (gain * d.length).sum()), np.stack([bought, best_g])


def _agents_part(d: Dual, lam: np.ndarray,
                 want_choice: bool = False) -> tuple[float, np.ndarray | None]:
    """sum U_a and, if asked, the supply (tenths per g * n_t + t) of the maximising weeks."""
    return best_weeks(d.weeks, lam, want_supply=want_choice)


def evaluate(d: Dual, lam: np.ndarray) -> float:
    """``L(lam)`` in cost units (a valid lower bound of the model's objective)."""
    cov, _ = _coverage_part(d, lam)
    agents, _ = _agents_part(d, lam)
    return (cov - agents) / SCALE


def _best_scaling(d: Dual, lam: np.ndarray) -> np.ndarray:
    """``c * lam`` for the best ``c`` of 1, 1/2, ..., 1/16 (``L`` is concave and ``L(0) >=
    0``; on large generated desks ``L`` at the allocation's duals is far below 0:
    -118,760 at 300 agents x 4 weeks, and about linear in ``c``, measured)."""
    values = [evaluate(d, c * lam) for c in _SCALES]
    return _SCALES[int(np.argmax(values))] * lam


def improve_bound(d: Dual, lam0: np.ndarray, target: float, time_limit_s: float,
                  iterations: int = 300, theta0: float = 1.0, patience: int = 10,
                  deflection: float = 0.0, clock: WorkClock | None = None,
                  share: float = 1.0) -> tuple[float, np.ndarray]:
    """Best ``L`` (cost units) by projected subgradient ascent from ``lam0``, and its prices.

    The steps end after ``time_limit_s`` wall seconds or, with ``clock``, once it is over
    ``share`` (each step charged to it by the size of the relaxation: then the number of
    steps does not depend on the machine's speed).

    ``target`` is the best known objective (cost units), used for the Polyak step
    ``theta * (target - L) / |s|^2``; ``theta`` starts at ``theta0`` and halves after
    ``patience`` steps without a better ``L`` than the best since the last halving (not
    the best overall: from a start far above the path, e.g. ``L(0)``, every step would
    count as a failure and ``theta`` would vanish before the path climbs back; measured
    on 1,000 agents x 4 weeks). When ``theta`` falls below 1e-4 the path restarts from
    the best prices with half the previous ``theta0`` (until it is below 1e-3 or the
    time is up; measured: +23 on the sample company's 47,800, +135 on 2,342 at 1,000
    agents x 4 weeks). The returned bound is the best ``L`` evaluated, ``L(0)``
    included. With ``deflection`` ``a`` in [0, 1) the direction is ``s = g + a *
    s_prev`` (deflected subgradient, Camerini-Fratta-Maffioli; measured on the sample
    company with ``a = 0.5``: in 20 s about the bound of 30 s of plain steps; ``a = 0.7``
    stalled at 71% of the optimum on a 2-agent desk).
    """
    if not 0.0 <= deflection < 1.0:
        raise ValueError(f"deflection must be in [0, 1), got {deflection!r}")
    t0 = time.perf_counter()
    lam = np.clip(np.asarray(lam0, dtype=float).ravel(), PRICE_FLOOR, None)
    step_work = BOUND_STEP_WORK_S + BOUND_WORK_S * (d.weeks.presence.nnz + d.saving.size)
    lam = _best_scaling(d, lam)
    if clock is not None:
        clock.charge((len(_SCALES) + 1) * step_work)  # the scalings and L(0)
    best_val, best_lam = evaluate(d, np.zeros_like(lam)), np.zeros_like(lam)
    theta, stall = theta0, 0
    ref = -np.inf  # best L since the step size last changed: steers theta
    n_gt = d.n_groups * d.n_t
    direction = np.zeros(n_gt)
    for it in range(iterations):
        cov, bought = _coverage_part(d, lam)
        agents, supply = _agents_part(d, lam, want_choice=True)
        value = (cov - agents) / SCALE
        if value > best_val + 1e-9:
            best_val, best_lam = value, lam.copy()
        if value > ref + 1e-9:
            ref, stall = value, 0
        else:
            stall += 1
            if stall >= patience:
                theta, stall, ref = theta / 2, 0, -np.inf
        if clock is None:
            if time.perf_counter() - t0 > time_limit_s:
                break
        else:
            clock.charge(step_work)
            if clock.over(share, "bound"):
                break
        if theta < 1e-4:  # converged from here: restart from the best prices
            theta0 /= 2
            if theta0 < 1e-3:
                break
            lam, theta, stall, ref = best_lam.copy(), theta0, 0, -np.inf
            direction = np.zeros(n_gt)
            continue
        q_t = d.qt % d.n_t
        demand = np.bincount(bought[1].astype(int) * d.n_t + q_t, weights=bought[0],
                             minlength=n_gt)
        grad = demand - supply
        if not grad.any():
            break  # the relaxed weeks cover exactly what is bought: L is optimal
        direction = grad + deflection * direction
        norm = float(direction @ direction)
        step = theta * max(target - value, 1e-6 * abs(target)) * SCALE / norm
        lam = np.clip(lam + step * direction, PRICE_FLOOR, None)
        log.debug("subgradient %d: L %.1f theta %.3g", it, value, theta)
    log.info("Lagrangian bound %.1f after %d iterations (%.1f s%s)", best_val, it + 1,
             time.perf_counter() - t0,
             "" if clock is None else f"; at {clock.work:.1f} work s, {clock.wall():.1f} wall s")
    return best_val, best_lam
