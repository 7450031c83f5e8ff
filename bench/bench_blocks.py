"""Is the sample's gap in the VIP cells? The bound with a few skill groups solved exactly.

The Lagrangian bound (:mod:`optimize.scheduling.bound.lagrange`) prices every capacity row of
skill group x interval. Keeping the rows of a set ``S`` of groups instead gives a
stronger bound at the same prices: the agents of ``S`` and the queues only ``S`` may serve
(e.g. a language's VIP chat) form one block, solved as a MIP with the agents' full hard
rules, the queues' shortfall curves and the rest of the agents' time sold at the prices;
everything else stays as in ``L``. The block's exact value (SCIP's proven bound of it)
replaces its relaxed part (those queues' ``Phi`` less those agents' ``U``), which never
lowers ``L``, so the result is a valid lower bound of the model.

The gain per block says how much the fractional weeks of those agents weaken the bound.
Prices come from ``improve_bound`` run for ``--budget`` seconds from the greedy week's
allocation (as :mod:`bench_bound`), aiming at ``--target`` (the best known objective).

Usage: ``python bench/bench_blocks.py [--plan out/sample] [--data data/sample] --budget 18
--target 51981.6 [--langs ko vi] [--block-s 10]`` (a ``staffcast plan`` directory;
skipped without one). Figures go to bench/README.md by hand.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from ortools.sat.python import cp_model

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_bound import _parser, setup  # noqa: E402

from optimize.scheduling.bound.agents import row_values  # noqa: E402
from optimize.scheduling.bound.lagrange import coverage_cells, improve_bound  # noqa: E402
from optimize.scheduling.problem.penalty import integer_segments  # noqa: E402
from optimize.scheduling.problem.rules import add_agent_rules  # noqa: E402
from optimize.scheduling.search.strategy import BOUND_DEFLECTION, BOUND_PATIENCE  # noqa: E402
from optimize.scheduling.solver.mip import solve_as_mip  # noqa: E402
from optimize.scheduling.solver.model import SCALE, TENTHS  # noqa: E402


def relaxed_part(s, lam: np.ndarray, block: set[int], queues_in: list[int]) -> float:
    """The block's share of ``L(lam)``: its queues' ``Phi`` less its agents' ``U`` (SCALE)."""
    d = s.dual
    n_t = s.grid.n
    phi = coverage_cells(d, lam)[np.isin(d.qt // n_t, queues_in)].sum()
    aw = d.weeks
    rep_row = np.repeat(aw.rep, aw.n_weeks)
    mine = np.isin(s.groups.of_agent[rep_row], list(block))
    return float(phi - (aw.count * row_values(aw, lam))[mine].sum())


def exact_block(s, lam: np.ndarray, block: set[int], queues_in: list[int],
                time_s: float) -> tuple[float, str]:
    """SCIP's proven lower bound of the block (SCALE units) and its status."""
    n_t = s.grid.n
    r10 = np.rint(s.queues.required * TENTHS).astype(int)
    brk10, w10 = integer_segments(s.queues, r10, SCALE, TENTHS)
    lam_t = lam.reshape(s.groups.n, n_t)
    agent_of = s.cand["agent"].to_numpy()
    members = np.flatnonzero(np.isin(s.groups.of_agent, list(block)))
    rows = np.flatnonzero(np.isin(agent_of, members))
    model = cp_model.CpModel()
    x = {int(r): model.new_bool_var("") for r in rows}
    for a in members:
        idx = np.flatnonzero(agent_of == a)
        add_agent_rules(model, s.cand.iloc[idx], [x[int(i)] for i in idx], s.config,
                        s.agents.iloc[a], s.carries[a], s.n_days, s.first_day)
    tc, tg, tt, tw = (s.terms[k].to_numpy() for k in ("cand", "g", "t", "tenths"))
    mine = np.isin(tc, rows)
    earn = np.zeros(len(s.cand))  # a shift sells all its presence at the prices
    np.add.at(earn, tc[mine], lam_t[tg[mine], tt[mine]] * tw[mine])
    paid = np.zeros(len(s.cand)) if s.cost is None else s.cost[s.keep] * SCALE
    coef: dict[int, float] = {x[int(r)].index: float(paid[r] - earn[r]) for r in rows}
    served: dict[tuple[int, int], list] = {}
    idx = np.flatnonzero(mine)
    for (g, t), k in pd.Series(idx).groupby([tg[mine], tt[mine]]).indices.items():
        parts = []
        for q in s.groups.skills[g]:
            if q in queues_in and r10[q, t] > 0:
                v = model.new_int_var(0, int(r10[q, t]), "")
                coef[v.index] = float(lam_t[g, t])  # bought back from the sale
                served.setdefault((q, t), []).append(v)
                parts.append(v)
        if parts:
            model.add(sum(parts) <= cp_model.LinearExpr.weighted_sum(
                [x[int(c)] for c in tc[idx[k]]], [int(w) for w in tw[idx[k]]]))
    offset = 0.0
    for q in queues_in:
        for t in np.flatnonzero(r10[q] > 0):
            req, w, brk = int(r10[q, t]), w10[q, t], brk10[q, t]
            vs = served.get((q, t), [])
            if not vs:  # nobody of the block can serve it: the full penalty
                offset += float(sum(int(w[j]) * max(0, req - int(brk[j]))
                                    for j in range(len(w))))
                continue
            cov = model.new_int_var(0, req, "")
            model.add(cov == sum(vs))
            offset += float(w[0]) * req
            coef[cov.index] = coef.get(cov.index, 0.0) - float(w[0])
            for j in range(1, len(w)):
                lim = req - int(brk[j])
                if lim > 0 and w[j] != 0:
                    short = model.new_int_var(0, lim, "")
                    model.add(short >= lim - cov)
                    coef[short.index] = float(w[j])
    n_vars = len(model.proto.variables)
    objective = np.zeros(n_vars)
    objective[list(coef)] = list(coef.values())
    integer = np.zeros(n_vars, dtype=bool)
    integer[[v.index for v in x.values()]] = True
    res = solve_as_mip(model, integer, time_s, objective=objective, offset=offset)
    return (res.bound if res.status in ("optimal", "feasible") else -np.inf), res.status


def main() -> int:
    p = _parser(__doc__)
    p.add_argument("--target", type=float, default=None,
                   help="best known objective (default: the greedy week's)")
    p.add_argument("--block-s", type=float, default=10.0)
    p.add_argument("--langs", nargs="*", default=[])
    args = p.parse_args()
    args.plan = args.plan if args.plan is not None else Path("out/sample")
    if not (args.plan / "requirements.csv").is_file():
        print(f"skipped: no {args.plan}/requirements.csv (run `make plan` first)")
        return 0
    s = setup(args)
    target = args.target if args.target is not None else s.objective
    value, lam = improve_bound(s.dual, s.found.price.ravel(), target, args.budget, 100_000,
                               theta0=2.0, patience=BOUND_PATIENCE,
                               deflection=BOUND_DEFLECTION)
    print(f"{s.name}: L = {value:.1f} after {args.budget:g} s (target {target:.1f})")
    labels = [s.queues.label(q) for q in range(len(s.queues.channel))]
    vip = [q for q in range(len(labels)) if s.queues.channel[q] == "vip_chat"]
    blocks = sorted([(labels[q], [q]) for q in vip], key=lambda b: len(s.dual.by_queue[b[1][0]]))
    blocks += [(lang, [q for q in range(len(labels)) if s.queues.language[q] == lang])
               for lang in args.langs]
    total, used = 0.0, set()
    for name, qs in blocks:
        block = {int(g) for q in qs for g in s.dual.by_queue[q]}
        queues_in = [q for q in range(len(labels)) if len(s.dual.by_queue[q])
                     and set(s.dual.by_queue[q].tolist()) <= block]
        clock = time.perf_counter()
        relaxed = relaxed_part(s, lam, block, queues_in)
        exact, status = exact_block(s, lam, block, queues_in, args.block_s)
        gain = (exact - relaxed) / SCALE
        n_agents = int(np.isin(s.groups.of_agent, list(block)).sum())
        print(f"block {name}: {n_agents} agents, {len(block)} groups, queues "
              f"{','.join(labels[q] for q in queues_in)}; relaxed {relaxed / SCALE:.1f}, "
              f"exact bound {exact / SCALE:.1f} ({status}), gain {gain:.1f} "
              f"({time.perf_counter() - clock:.1f} s)", flush=True)
        if np.isfinite(gain) and not block & used:  # gains of disjoint blocks add up
            total, used = total + max(0.0, gain), used | block
    print(f"bound with the disjoint blocks (in the order above) exact: {value + total:.1f} "
          f"(+{total:.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
