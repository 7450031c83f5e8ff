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
  worked, paid hours and night shifts. Rules it ignores (rest, consecutive days, minimum
  hours, cover sets) only make ``U_a`` larger, so the bound stays valid.

By weak duality ``L(lam)`` is at most the model's optimum for every such ``lam``, in the
objective's own units (the integer weights of :func:`~.penalty.integer_segments`, on the
model's tenths; fairness terms are >= 0 and left out). The prices are improved by
projected subgradient steps (Polyak step towards the best known objective).
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from optimize.config import ScenarioConfig
from optimize.scheduling.inputs import Queues, SkillGroups
from optimize.scheduling.model import IDLE_COST, SCALE, TENTHS
from optimize.scheduling.penalty import integer_segments
from optimize.scheduling.rules import Carry

__all__ = ["Dual", "PRICE_FLOOR", "make_dual", "evaluate", "improve_bound"]

log = logging.getLogger(__name__)

#: lowest valid capacity price, model units per tenth of a head: minus the idle weight
PRICE_FLOOR = -float(round(IDLE_COST * SCALE / TENTHS))


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
    presence: sparse.csr_matrix  # tenths, candidates x (g * n_t + t); 0 rows if not allowed
    presence_t: sparse.csr_matrix  # its transpose
    slot: np.ndarray  # candidate -> (agent, week, day-in-week, option) flat slot, -1 if banned
    by_slot: np.ndarray  # allowed candidates sorted by slot
    slot_start: np.ndarray  # start of each slot's run in by_slot
    slot_id: np.ndarray  # the slot of each run
    run_of: np.ndarray  # the run of each entry of by_slot
    n_agents: int
    n_weeks: int
    options: tuple  # (units, night) per option index
    max_days: int
    max_nights: int
    cap_units: np.ndarray  # per agent, paid-hour units allowed per week
    n_units: int
    cand_cost: np.ndarray  # SCALE units paid per worked candidate (>= 0)


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

    lab = config.labour
    paid = cand["paid_min"].to_numpy().astype(int)
    unit = math.gcd(*[int(p) for p in np.unique(paid)]) if len(paid) else 60
    night = cand["night"].to_numpy().astype(bool)
    opts = sorted({(int(p // unit), bool(n)) for p, n in zip(paid, night, strict=True)})
    opt_of = {o: i for i, o in enumerate(opts)}
    opt = np.array([opt_of[int(p // unit), bool(n)] for p, n in zip(paid, night, strict=True)],
                   dtype=int)
    day = cand["day"].to_numpy()
    agent = cand["agent"].to_numpy()
    n_weeks = n_days // 7
    slot = ((agent * n_weeks + day // 7) * 7 + day % 7) * len(opts) + opt
    allowed = np.ones(len(cand), dtype=bool)
    for a, c in enumerate(carries):  # candidates the carried-over rest forbids
        if c.last_end_utc is not None:
            limit = c.last_end_utc + pd.Timedelta(hours=lab.min_rest_h)
            allowed &= ~((agent == a) & (cand["start_utc"] < limit).to_numpy())
    slot = np.where(allowed, slot, -1)
    ti = terms["cand"].to_numpy()
    keep = slot[ti] >= 0
    presence = sparse.csr_matrix(
        (terms["tenths"].to_numpy()[keep].astype(float),
         (ti[keep], (terms["g"].to_numpy() * n_t + terms["t"].to_numpy())[keep])),
        shape=(len(cand), groups.n * n_t))
    by_slot = np.flatnonzero(slot >= 0)
    by_slot = by_slot[np.argsort(slot[by_slot], kind="stable")]
    run = np.r_[True, slot[by_slot][1:] != slot[by_slot][:-1]] if len(by_slot) else \
        np.zeros(0, dtype=bool)
    cap_units = np.floor(agents["max_hours_week"].to_numpy(dtype=float) * 60 / unit).astype(int)
    return Dual(
        n_groups=groups.n, n_t=n_t, f0=f0.astype(float), saving=saving, length=length,
        qt=pos, skilled=skilled, presence=presence, presence_t=presence.T.tocsr(), slot=slot,
        by_slot=by_slot, slot_start=np.flatnonzero(run), slot_id=slot[by_slot][run],
        run_of=np.cumsum(run) - 1,
        n_agents=len(agents), n_weeks=n_weeks, options=tuple(opts),
        max_days=max(0, 7 - lab.min_days_off_per_week), max_nights=lab.max_nights_per_week,
        cap_units=cap_units, n_units=int(cap_units.max()) + 1 if len(cap_units) else 1,
        cand_cost=np.zeros(len(cand)) if cost is None else np.asarray(cost, float) * SCALE)


def _coverage_part(d: Dual, lam: np.ndarray) -> tuple[float, np.ndarray]:
    """sum Phi_qt and, per requirement cell, the tenths bought and the group they come from."""
    lam_t = lam.reshape(d.n_groups, d.n_t)
    q, t = d.qt // d.n_t, d.qt % d.n_t
    price = np.where(d.skilled[:, q], lam_t[:, t], np.inf)  # (groups, k)
    best_g = np.argmin(price, axis=0)
    mu = price[best_g, np.arange(len(q))]
    gain = np.clip(d.saving - mu[None, :], 0.0, None)  # inf price -> no gain
    gain[:, ~np.isfinite(mu)] = 0.0
    bought = ((gain > 0) * d.length).sum(axis=0)
    return float(d.f0.sum() - (gain * d.length).sum()), np.stack([bought, best_g])


def _agents_part(d: Dual, lam: np.ndarray,
                 want_choice: bool = False) -> tuple[float, np.ndarray | None]:
    """sum U_a and, if asked, the supply (tenths per g * n_t + t) of the maximising weeks."""
    n_opt = len(d.options)
    n_slots = d.n_agents * d.n_weeks * 7 * n_opt
    cand_val = d.presence @ lam - d.cand_cost
    sorted_val = cand_val[d.by_slot]
    best = np.full(n_slots, -np.inf)
    if len(sorted_val):
        best[d.slot_id] = np.maximum.reduceat(sorted_val, d.slot_start)
    best = best.reshape(d.n_agents * d.n_weeks, 7, n_opt)
    n_rows = d.n_agents * d.n_weeks
    D, U, N = d.max_days + 1, d.n_units, d.max_nights + 1
    dp = np.full((n_rows, D, U, N), -np.inf)
    dp[:, 0, 0, 0] = 0.0
    history = [dp]
    for day in range(7):
        new = dp.copy()
        for o, (units, night) in enumerate(d.options):
            if units >= U or not np.isfinite(best[:, day, o]).any():
                continue
            dn = int(night)
            tgt = new[:, 1:, units:, dn:]
            np.maximum(tgt, dp[:, :D - 1, :U - units, :N - dn]
                       + best[:, day, o][:, None, None, None], out=tgt)
        dp = new
        history.append(dp)
    cap = np.repeat(d.cap_units, d.n_weeks)
    mask = (np.arange(U)[None, :] <= cap[:, None])[:, None, :, None]
    final = np.where(mask, dp, -np.inf).reshape(n_rows, -1)
    state = final.argmax(axis=1)
    u = final[np.arange(n_rows), state]
    total = float(np.where(np.isfinite(u), u, 0.0).sum())
    if not want_choice:
        return total, None
    # backtrack: which option each (row, day) took
    di, ui, ni = np.unravel_index(state, (D, U, N))
    rows = np.arange(n_rows)
    choice = np.full((n_rows, 7), -1)
    for day in range(6, -1, -1):
        cur = history[day + 1][rows, di, ui, ni]
        prev = history[day]
        done = np.isclose(prev[rows, di, ui, ni], cur) | ~np.isfinite(cur)
        for o, (units, night) in enumerate(d.options):
            dn = int(night)
            can = ~done & (di >= 1) & (ui >= units) & (ni >= dn)
            if not can.any():
                continue
            r = rows[can]
            src = prev[r, di[can] - 1, ui[can] - units, ni[can] - dn] + best[r, day, o]
            hit = np.zeros(n_rows, dtype=bool)
            hit[r] = np.isclose(src, cur[can])
            choice[hit, day] = o
            di[hit] -= 1
            ui[hit] -= units
            ni[hit] -= dn
            done |= hit
    # the best candidate of each chosen slot (first of its run reaching the maximum)
    run_of = d.run_of
    at_max = np.flatnonzero(sorted_val >= best.ravel()[d.slot_id][run_of])
    first = at_max[np.r_[True, run_of[at_max][1:] != run_of[at_max][:-1]]]
    best_cand = np.full(n_slots, -1)
    best_cand[d.slot_id[run_of[first]]] = d.by_slot[first]
    r, day = np.nonzero(choice >= 0)
    picked = best_cand[(r * 7 + day) * n_opt + choice[r, day]]
    on = np.zeros(len(d.slot))
    on[picked[picked >= 0]] = 1.0
    supply = d.presence_t @ on
    return total, supply


def evaluate(d: Dual, lam: np.ndarray) -> float:
    """``L(lam)`` in cost units (a valid lower bound of the model's objective)."""
    cov, _ = _coverage_part(d, lam)
    agents, _ = _agents_part(d, lam)
    return (cov - agents) / SCALE


def _best_scaling(d: Dual, lam: np.ndarray) -> np.ndarray:
    """``c * lam`` for the best ``c`` of 1, 1/2, ..., 1/16 (``L`` is concave and ``L(0) =
    0``; on large generated desks ``L`` at the allocation's duals is far below 0)."""
    scales = [1.0, 0.5, 0.25, 0.125, 0.0625]
    values = [evaluate(d, c * lam) for c in scales]
    return scales[int(np.argmax(values))] * lam


def improve_bound(d: Dual, lam0: np.ndarray, target: float, time_limit_s: float,
                  iterations: int = 300, theta0: float = 1.0, patience: int = 10,
                  deflection: float = 0.0) -> tuple[float, np.ndarray]:
    """Best ``L`` (cost units) by projected subgradient ascent from ``lam0``, and its prices.

    ``target`` is the best known objective (cost units), used for the Polyak step
    ``theta * (target - L) / |s|^2``; ``theta`` starts at ``theta0`` and halves after
    ``patience`` steps without a better ``L``. With ``deflection`` ``a`` in [0, 1) the
    direction is ``s = g + a * s_prev`` (deflected subgradient, Camerini-Fratta-Maffioli;
    measured on the sample company with ``a = 0.5``: in 20 s about the bound of 30 s of
    plain steps; ``a = 0.7`` stalled at 71% of the optimum on a 2-agent desk).
    """
    if not 0.0 <= deflection < 1.0:
        raise ValueError(f"deflection must be in [0, 1), got {deflection!r}")
    clock = time.perf_counter()
    lam = np.clip(np.asarray(lam0, dtype=float).ravel(), PRICE_FLOOR, None)
    lam = _best_scaling(d, lam)
    best_val, best_lam = -np.inf, lam.copy()
    theta, stall = theta0, 0
    n_gt = d.n_groups * d.n_t
    direction = np.zeros(n_gt)
    for it in range(iterations):
        cov, bought = _coverage_part(d, lam)
        agents, supply = _agents_part(d, lam, want_choice=True)
        value = (cov - agents) / SCALE
        if value > best_val + 1e-9:
            best_val, best_lam, stall = value, lam.copy(), 0
        else:
            stall += 1
            if stall >= patience:
                theta, stall = theta / 2, 0
        if time.perf_counter() - clock > time_limit_s or theta < 1e-4:
            break
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
    log.info("Lagrangian bound %.1f after %d iterations (%.1f s)", best_val, it + 1,
             time.perf_counter() - clock)
    return best_val, best_lam
