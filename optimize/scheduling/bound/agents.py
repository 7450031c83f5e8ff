"""The agents' side of the Lagrangian bound: each agent's best relaxed week at given prices.

``U_a(lam)`` bounds from above what agent ``a``'s legal week earns at capacity prices
``lam`` (the presence of its shifts priced at ``lam``, less the costs of its candidates):
a dynamic programme per week over days (at most one shift a day) with the weekly limits on
days worked, paid hours (the contract's minimum and maximum) and night shifts. The rules
it ignores (rest, consecutive days across days and weeks, cover sets) only make ``U_a``
larger, so a bound built on it stays valid.

Agents whose relaxed weeks are the same problem (same allowed candidates with the same
presence and costs, same weekly limits) are solved once: :func:`agent_weeks` keeps one
representative per such type with its head count (measured: 172 types for the 1,000
agents of the generated desk of :mod:`~optimize.scheduling.synthetic`, 109 for 300, 128
for the sample company's 150, whose preferences set most agents apart).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from optimize.scenario.config import ScenarioConfig
from optimize.scheduling.problem.rules import Carry, weekly_minimum_h

__all__ = ["AgentWeeks", "agent_weeks", "best_weeks", "first_local_day", "row_values"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AgentWeeks:
    """The representatives' candidates and weekly limits (one DP row per rep x week)."""

    presence: sparse.csr_matrix  # tenths, representatives' candidates x (g * n_t + t)
    cand_cost: np.ndarray  # SCALE units paid per worked candidate (>= 0)
    slot: np.ndarray  # candidate -> (row, day-in-week, option) flat slot
    by_slot: np.ndarray  # candidates sorted by slot
    slot_start: np.ndarray  # start of each slot's run in by_slot
    slot_id: np.ndarray  # the slot of each run
    run_of: np.ndarray  # the run of each entry of by_slot
    count: np.ndarray  # agents per DP row (the type's head count)
    rep: np.ndarray  # the representative agent of each type (DP row // n_weeks)
    cap_units: np.ndarray  # per DP row, paid-hour units allowed
    min_units: np.ndarray  # per DP row, paid-hour units required (contract minimum)
    options: tuple  # (units, night) per option index
    max_days: int
    max_nights: int
    n_units: int
    n_types: int
    n_agents: int
    n_weeks: int


def first_local_day(cand: pd.DataFrame) -> pd.Timestamp | None:
    """The first planned local date (naive midnight), read off the candidates."""
    if not len(cand):
        return None
    local = pd.Timestamp(str(cand["start_local"].iloc[0])[:10])
    return local - pd.Timedelta(days=int(cand["day"].iloc[0]))


def _min_units(agents: pd.DataFrame, first_day: pd.Timestamp | None, n_weeks: int,
               unit: int) -> np.ndarray:
    """Contract minimum per agent x week in paid-hour units (rounded up)."""
    if first_day is None:
        return np.zeros((len(agents), n_weeks), dtype=int)
    hours = np.array([[weekly_minimum_h(agents.iloc[a], first_day, w) for w in range(n_weeks)]
                      for a in range(len(agents))]).reshape(len(agents), n_weeks)
    return np.ceil(np.rint(hours * 60) / unit - 1e-9).astype(int)


def _types(agent: np.ndarray, slot_in: np.ndarray, finger: np.ndarray, cost: np.ndarray,
           limits: np.ndarray) -> np.ndarray:
    """Type index per agent: equal allowed candidates (slot in the agent's horizon,
    presence fingerprint, cost) and equal weekly limits."""
    n_agents = len(limits)
    order = np.lexsort((cost, finger, slot_in, agent))
    key = np.stack([slot_in[order].astype(float), finger[order], cost[order]], axis=1)
    bounds = np.searchsorted(agent[order], np.arange(n_agents + 1))
    seen: dict[bytes, int] = {}
    out = np.empty(n_agents, dtype=int)
    for a in range(n_agents):
        sig = limits[a].tobytes() + key[bounds[a]:bounds[a + 1]].tobytes()
        out[a] = seen.setdefault(sig, len(seen))
    return out


def agent_weeks(cand: pd.DataFrame, presence: sparse.csr_matrix, agents: pd.DataFrame,
                config: ScenarioConfig, carries: list[Carry], n_days: int,
                cost: np.ndarray) -> AgentWeeks:
    """Group the agents into types and keep one representative of each.

    ``presence`` (tenths, one row per ``cand`` row) and ``cost`` (SCALE units per row)
    describe the candidates; candidates the carried-over rest forbids are dropped.
    """
    lab = config.labour
    n_weeks = n_days // 7
    paid = cand["paid_min"].to_numpy().astype(int)
    unit = math.gcd(*[int(p) for p in np.unique(paid)]) if len(paid) else 60
    night = cand["night"].to_numpy().astype(bool)
    opts = sorted({(int(p // unit), bool(n)) for p, n in zip(paid, night, strict=True)})
    opt_of = {o: i for i, o in enumerate(opts)}
    opt = np.array([opt_of[int(p // unit), bool(n)] for p, n in zip(paid, night, strict=True)],
                   dtype=int)
    day = cand["day"].to_numpy().astype(int)
    agent = cand["agent"].to_numpy().astype(int)
    allowed = np.ones(len(cand), dtype=bool)
    for a, c in enumerate(carries):  # candidates the carried-over rest forbids
        if c.last_end_utc is not None:
            limit = c.last_end_utc + pd.Timedelta(hours=lab.min_rest_h)
            allowed &= ~((agent == a) & (cand["start_utc"] < limit).to_numpy())
    cap = np.floor(agents["max_hours_week"].to_numpy(dtype=float) * 60 / unit).astype(int)
    lo = np.minimum(_min_units(agents, first_local_day(cand), n_weeks, unit), cap[:, None])
    finger = presence @ np.random.default_rng(0).random(presence.shape[1])
    slot_in = day * len(opts) + opt
    rows = np.flatnonzero(allowed)
    limits = np.column_stack([cap, lo]).astype(np.int64)
    kind = _types(agent[rows], slot_in[rows], finger[rows], cost[rows], limits)
    reps, count = np.unique(kind, return_index=True)[1], np.bincount(kind)
    rep_of_type = np.empty(len(reps), dtype=int)
    rep_of_type[kind[reps]] = np.arange(len(reps))  # type -> rep index
    keep = rows[np.isin(agent[rows], reps)]
    r = rep_of_type[kind[agent[keep]]]
    slot = ((r * n_weeks + day[keep] // 7) * 7 + day[keep] % 7) * len(opts) + opt[keep]
    by_slot = np.argsort(slot, kind="stable")
    run = np.r_[True, slot[by_slot][1:] != slot[by_slot][:-1]] if len(by_slot) else \
        np.zeros(0, dtype=bool)
    n_types = len(reps)
    log.info("bound: %d agents in %d types", len(agents), n_types)
    return AgentWeeks(
        presence=presence[keep].tocsr(), cand_cost=cost[keep], slot=slot, by_slot=by_slot,
        slot_start=np.flatnonzero(run), slot_id=slot[by_slot][run],
        run_of=np.cumsum(run) - 1, count=np.repeat(count[kind[reps]], n_weeks).astype(float),
        rep=reps,
        cap_units=np.repeat(cap[reps], n_weeks), min_units=lo[reps].ravel(),
        options=tuple(opts), max_days=max(0, 7 - lab.min_days_off_per_week),
        max_nights=lab.max_nights_per_week,
        n_units=int(cap.max()) + 1 if len(cap) else 1, n_types=n_types,
        n_agents=len(agents), n_weeks=n_weeks)


def _forward(aw: AgentWeeks, best: np.ndarray) -> list[np.ndarray]:
    """DP tables after each day: (days worked, units, nights, rows) -> best value."""
    D, U, N = aw.max_days + 1, aw.n_units, aw.max_nights + 1
    dp = np.full((D, U, N, best.shape[0]), -np.inf)
    dp[0, 0, 0] = 0.0
    history = [dp]
    for day in range(7):
        new = dp.copy()
        for o, (units, night) in enumerate(aw.options):
            if units >= U or not np.isfinite(best[:, day, o]).any():
                continue
            dn = int(night)
            tgt = new[1:, units:, dn:]
            np.maximum(tgt, dp[:D - 1, :U - units, :N - dn] + best[:, day, o], out=tgt)
        dp = new
        history.append(dp)
    return history


def _backtrack(aw: AgentWeeks, history: list[np.ndarray], best: np.ndarray,
               state: np.ndarray) -> np.ndarray:
    """The option each (row, day) took in the maximising week (-1: day off)."""
    D, U, N = aw.max_days + 1, aw.n_units, aw.max_nights + 1
    n_rows = best.shape[0]
    di, ui, ni = np.unravel_index(state, (D, U, N))
    rows = np.arange(n_rows)
    choice = np.full((n_rows, 7), -1)
    for day in range(6, -1, -1):
        cur = history[day + 1][di, ui, ni, rows]
        prev = history[day]
        done = np.isclose(prev[di, ui, ni, rows], cur) | ~np.isfinite(cur)
        for o, (units, night) in enumerate(aw.options):
            dn = int(night)
            can = ~done & (di >= 1) & (ui >= units) & (ni >= dn)
            if not can.any():
                continue
            r = rows[can]
            src = prev[di[can] - 1, ui[can] - units, ni[can] - dn, r] + best[r, day, o]
            hit = np.zeros(n_rows, dtype=bool)
            hit[r] = np.isclose(src, cur[can])
            choice[hit, day] = o
            di[hit] -= 1
            ui[hit] -= units
            ni[hit] -= dn
            done |= hit
    return choice


def _rows(aw: AgentWeeks, lam: np.ndarray) -> tuple:
    """Per DP row: the best relaxed week's value (SCALE units, one agent of the type; 0
    where no week exists), with the DP tables, slot values, final state and candidate
    values that the backtrack needs."""
    n_opt = len(aw.options)
    n_rows = len(aw.count)
    cand_val = aw.presence @ lam - aw.cand_cost
    sorted_val = cand_val[aw.by_slot]
    best = np.full(n_rows * 7 * n_opt, -np.inf)
    if len(sorted_val):
        best[aw.slot_id] = np.maximum.reduceat(sorted_val, aw.slot_start)
    best = best.reshape(n_rows, 7, n_opt)
    history = _forward(aw, best)
    units = np.arange(aw.n_units)[None, :]
    ok = units <= aw.cap_units[:, None]
    final = np.moveaxis(history[-1], -1, 0)  # rows first
    with_min = np.where((ok & (units >= aw.min_units[:, None]))[:, None, :, None], final,
                        -np.inf).reshape(n_rows, -1)
    without = np.where(ok[:, None, :, None], final, -np.inf).reshape(n_rows, -1)
    # a minimum no relaxed week reaches (the true rules cannot either): drop it there
    reach = np.isfinite(with_min).any(axis=1)
    final = np.where(reach[:, None], with_min, without)
    state = final.argmax(axis=1)
    u = final[np.arange(n_rows), state]
    return np.where(np.isfinite(u), u, 0.0), history, best, state, sorted_val


def row_values(aw: AgentWeeks, lam: np.ndarray) -> np.ndarray:
    """``U`` per DP row (type x week) at prices ``lam``, SCALE units, for one agent of
    the type (multiply by ``aw.count`` for the type's total)."""
    return _rows(aw, lam)[0]


def best_weeks(aw: AgentWeeks, lam: np.ndarray,
               want_supply: bool = False) -> tuple[float, np.ndarray | None]:
    """``sum_a U_a(lam)`` (SCALE units) and, if asked, the supply of the maximising weeks
    (tenths per ``g * n_t + t``, every agent of a type counted)."""
    u, history, best, state, sorted_val = _rows(aw, lam)
    n_opt = len(aw.options)
    n_rows = len(aw.count)
    total = float((aw.count * u).sum())
    if not want_supply:
        return total, None
    choice = _backtrack(aw, history, best, state)
    # the best candidate of each chosen slot (first of its run reaching the maximum)
    run_of = aw.run_of
    at_max = np.flatnonzero(sorted_val >= best.ravel()[aw.slot_id][run_of])
    first = at_max[np.r_[True, run_of[at_max][1:] != run_of[at_max][:-1]]]
    best_cand = np.full(n_rows * 7 * n_opt, -1)
    best_cand[aw.slot_id[run_of[first]]] = aw.by_slot[first]
    r, day = np.nonzero(choice >= 0)
    picked = best_cand[(r * 7 + day) * n_opt + choice[r, day]]
    ok_pick = picked >= 0
    supply = aw.presence[picked[ok_pick]].T @ aw.count[r[ok_pick]]
    return total, np.asarray(supply).ravel()
