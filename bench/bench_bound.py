"""Lagrangian bound benchmark: the bound alone, from the search's own starting point.

Builds the instance as ``build_schedule`` does (generated desk, or a plan's
``requirements.csv`` on the sample company), takes the first greedy pass as the schedule
(cached in ``--cache``), solves its exact allocation, then times ``make_dual``,
``evaluate`` at the allocation's duals and ``improve_bound`` with ``--budget`` seconds,
started exactly as :func:`optimize.scheduling.search.strategy.search` starts it.

Usage: ``python bench/bench_bound.py --agents 300 --weeks 4 --budget 60`` or
``python bench/bench_bound.py --plan /tmp/plan --data data/sample --budget 18``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import resource
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd

from optimize.scenario.config import load_config
from optimize.scheduling.bound.lagrange import evaluate, improve_bound, make_dual
from optimize.scheduling.problem.inputs import check_agents, make_grid, make_queues, skill_groups
from optimize.scheduling.problem.penalty import with_penalty
from optimize.scheduling.problem.preferences import preference_costs
from optimize.scheduling.problem.rules import carry_from_previous
from optimize.scheduling.problem.shifts import candidate_shifts
from optimize.scheduling.search.primal import fairness_terms, greedy_weeks
from optimize.scheduling.search.relax import allocate
from optimize.scheduling.search.strategy import (
    BOUND_DEFLECTION,
    BOUND_ITERATIONS,
    BOUND_PATIENCE,
    _supply,
)
from optimize.scheduling.solver.model import coverage_terms
from optimize.scheduling.synthetic import make_agents, make_requirements

ROOT = Path(__file__).resolve().parents[1]


def _instance(args: argparse.Namespace):
    if args.plan is not None:
        from optimize.scenario.load import load_scenario_dir
        scenario = load_scenario_dir(args.data)
        req = pd.read_csv(args.plan / "requirements.csv", encoding="utf-8-sig")
        req["interval_start"] = pd.to_datetime(req["interval_start"], utc=True,
                                               format="ISO8601")
        t0 = req["interval_start"].min()
        weeks = int(np.ceil((req["interval_start"].max() - t0) / pd.Timedelta(weeks=1)))
        return req, scenario.agents, scenario.config, t0.date(), weeks, "service_level"
    config = load_config(ROOT / "optimize" / "scenario" / "sample_scenario.toml")
    start = dt.date(2026, 11, 30)
    agents = make_agents(args.agents, seed=args.seed)
    req = make_requirements(agents, start, weeks=args.weeks, seed=args.seed)
    return req, agents, config, start, args.weeks, "service_level"


def _parser(doc: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=doc.splitlines()[0])
    p.add_argument("--agents", type=int, default=300)
    p.add_argument("--weeks", type=int, default=4)
    p.add_argument("--plan", type=Path, default=None)
    p.add_argument("--data", type=Path, default=ROOT / "data" / "sample")
    p.add_argument("--budget", type=float, default=60.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--cache", type=Path, default=Path("/tmp"))
    p.add_argument("--verbose", action="store_true")
    return p


def setup(args: argparse.Namespace) -> SimpleNamespace:
    """The instance as ``build_schedule`` builds it, its first greedy week (cached), the
    exact allocation of that week and the bound's data (``make_dual``), timed."""
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(relativeCreated)8.0f %(name)s %(message)s")
    for name in ("optimize.scheduling.search.primal", "optimize.scheduling.solver.lp"):
        logging.getLogger(name).setLevel(logging.WARNING)
    req, agents, config, start, weeks, penalty = _instance(args)
    grid = make_grid(req)
    queues = with_penalty(make_queues(req, config, grid), req, config, grid, penalty)
    agents = check_agents(agents)
    groups = skill_groups(agents, queues, config)
    n_days = 7 * weeks
    first_day = pd.Timestamp(start)
    cand_all = candidate_shifts(agents, config, grid, start, weeks)
    carries = carry_from_previous(None, agents, first_day)
    pref = preference_costs(cand_all, agents, first_day)
    cost = pref if pref.any() else None
    keep = ~cand_all["unavailable"].to_numpy()
    cand = cand_all[keep].reset_index(drop=True)
    terms_all = coverage_terms(cand_all, config, grid, groups.of_agent)
    name = "sample" if args.plan is not None else f"{args.agents}x{weeks}"
    cached = args.cache / f"bench_bound_{name}_greedy.npy"
    if cached.is_file():
        hint_all = np.load(cached)
    else:
        clock = time.perf_counter()
        hint_all, _ = greedy_weeks(cand_all, terms_all, agents, groups, queues, config,
                                   carries, n_days, first_day, args.seed, passes=1, cost=cost)
        print(f"greedy pass: {time.perf_counter() - clock:.1f} s")
        np.save(cached, hint_all)
    new_index = np.cumsum(keep) - 1
    terms = terms_all[keep[terms_all["cand"].to_numpy()]].copy()
    terms["cand"] = new_index[terms["cand"].to_numpy()]
    worked = hint_all[keep]
    clock = time.perf_counter()
    found = allocate(_supply(worked, terms, groups.n, grid.n), groups, queues)
    t_alloc = time.perf_counter() - clock
    fair = sum(c for _, _, c in fairness_terms(cand[worked].reset_index(drop=True), agents,
                                               n_days, first_day))
    paid = float(cost[hint_all].sum()) if cost is not None else 0.0
    clock = time.perf_counter()
    dual = make_dual(cand, terms, agents, groups, queues, config, carries, n_days,
                     cost=None if cost is None else cost[keep])
    t_dual = time.perf_counter() - clock
    return SimpleNamespace(
        name=name, agents=agents, config=config, grid=grid, queues=queues, groups=groups,
        n_days=n_days, first_day=first_day, carries=carries, cost=cost, keep=keep, cand=cand,
        terms=terms, worked=worked, found=found, fair=fair, paid=paid,
        objective=found.objective + fair + paid, dual=dual, t_alloc=t_alloc, t_dual=t_dual)


def main() -> None:
    args = _parser(__doc__).parse_args()
    s = setup(args)
    dual, found, objective = s.dual, s.found, s.objective
    print(f"instance {s.name}: {len(s.agents)} agents, {len(s.cand)} candidates, "
          f"{s.groups.n} groups, {s.grid.n} intervals")
    print(f"objective {objective:.1f} (coverage {found.objective:.1f}, fairness {s.fair:.1f}, "
          f"costs {s.paid:.1f}); allocation LP {s.t_alloc:.1f} s; make_dual {s.t_dual:.2f} s")
    clock = time.perf_counter()
    l_price = evaluate(dual, found.price.ravel())
    t_eval = time.perf_counter() - clock
    print(f"L(allocation duals) {l_price:.1f}; evaluate {1000 * t_eval:.0f} ms")
    clock = time.perf_counter()
    value, _ = improve_bound(dual, found.price.ravel(), objective, args.budget,
                             BOUND_ITERATIONS, theta0=2.0, patience=BOUND_PATIENCE,
                             deflection=BOUND_DEFLECTION)
    wall = time.perf_counter() - clock
    gap = (objective - max(value, 0.0)) / objective
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"bound {value:.1f} gap {gap:.2%} in {wall:.1f} s; peak RSS {rss:.0f} MB")


if __name__ == "__main__":
    main()
