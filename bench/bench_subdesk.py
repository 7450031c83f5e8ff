"""Where a gap lives: one language of a plan, scheduled by staffcast and by SCIP.

A sub-desk of a plan directory (``staffcast plan`` output): the requirements rows of one
language and the agents who speak it (with only that language), small enough for SCIP on
the full model. Prints, per language:

* staffcast's ``build_schedule`` (objective, bound, gap);
* SCIP (OR-Tools' MIP solver) on the full CP-SAT model copied by
  :func:`optimize.scheduling.solver.mip.solve_as_mip` (shift Booleans integer, the rest
  continuous): its best schedule and proven bound after ``--scip-s`` seconds, once from
  nothing and once from staffcast's greedy week with ``--hint-s`` seconds;
* the LP relaxation (nothing integer).

Usage: ``python bench/bench_subdesk.py [--plan out/sample] [--data data/sample]
[--langs ko vi] [--time-limit 60] [--scip-s 120] [--hint-s 35]``. Figures go to
bench/README.md by hand ("Large-neighbourhood search, and where the sample's gap lives").
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd


def _subdesk(plan: Path, data: Path, lang: str):
    from optimize.scenario.load import load_scenario_dir

    scenario = load_scenario_dir(data)
    req = pd.read_csv(plan / "requirements.csv")
    req["interval_start"] = pd.to_datetime(req["interval_start"], utc=True)
    req = req[req["language"] == lang].reset_index(drop=True)
    agents = scenario.agents[scenario.agents["languages"].map(lambda ls: lang in ls)]
    agents = agents.reset_index(drop=True).assign(languages=[(lang,)] * len(agents))
    return scenario.config, req, agents


def _model(config, req, agents, penalty: str):
    """The full CP-SAT model of the sub-desk and its greedy week (kept candidates)."""
    from optimize.scheduling.problem.inputs import (
        check_agents,
        make_grid,
        make_queues,
        skill_groups,
    )
    from optimize.scheduling.problem.penalty import with_penalty
    from optimize.scheduling.problem.preferences import preference_costs
    from optimize.scheduling.problem.rules import carry_from_previous
    from optimize.scheduling.problem.shifts import candidate_shifts
    from optimize.scheduling.search.primal import greedy_weeks
    from optimize.scheduling.solver.model import build_model, coverage_terms

    start = req["interval_start"].min().date()
    first = pd.Timestamp(start)
    grid = make_grid(req)
    queues = with_penalty(make_queues(req, config, grid), req, config, grid, penalty)
    agents = check_agents(agents)
    groups = skill_groups(agents, queues, config)
    cand = candidate_shifts(agents, config, grid, start, 1)
    carries = carry_from_previous(None, agents, first)
    cost = preference_costs(cand, agents, first)
    terms = coverage_terms(cand, config, grid, groups.of_agent)
    week, _ = greedy_weeks(cand, terms, agents, groups, queues, config, carries, 7, first, 0,
                           passes=1, cost=cost)
    built = build_model(cand, agents, groups, queues, grid, config, carries, 7, first,
                        cost=cost if cost.any() else None)
    keep = ~cand["unavailable"].to_numpy()
    return built, week[keep], groups, queues


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--plan", type=Path, default=Path("out/sample"))
    ap.add_argument("--data", type=Path, default=Path("data/sample"))
    ap.add_argument("--langs", nargs="+", default=["ko"])
    ap.add_argument("--penalty", default="service_level")
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--scip-s", type=float, default=120.0)
    ap.add_argument("--hint-s", type=float, default=35.0)
    args = ap.parse_args()
    if not (args.plan / "requirements.csv").is_file():
        print(f"skipped: no {args.plan}/requirements.csv (run `make plan` first)")
        return 0
    from optimize.scheduling import build_schedule
    from optimize.scheduling.solver.mip import solve_as_mip
    from optimize.scheduling.solver.model import SCALE, add_full_hint

    for lang in args.langs:
        config, req, agents = _subdesk(args.plan, args.data, lang)
        clock = time.perf_counter()
        res = build_schedule(req, agents, config, start=req["interval_start"].min().date(),
                             weeks=1, time_limit_s=args.time_limit, seed=0, workers=2,
                             penalty=args.penalty)
        print(f"{lang}: {len(agents)} agents; staffcast {res.status}: objective "
              f"{res.objective:.1f}, bound {res.best_bound:.1f}, gap {100 * res.gap:.2f}% "
              f"({time.perf_counter() - clock:.0f} s)", flush=True)
        built, week, groups, queues = _model(config, req, agents, args.penalty)
        integer = np.zeros(len(built.model.proto.variables), dtype=bool)
        integer[[v.index for v in built.x]] = True
        for label, limit in (("from nothing", args.scip_s), ("greedy hint", args.hint_s)):
            if label == "greedy hint":
                add_full_hint(built, week, groups, queues.priority)
            r = solve_as_mip(built.model, integer, limit)
            print(f"{lang}: SCIP {limit:g} s, {label}: {r.status}, best {r.objective / SCALE:.1f}, "
                  f"proven bound {r.bound / SCALE:.1f}", flush=True)
        lp = solve_as_mip(built.model, np.zeros_like(integer), args.scip_s)
        print(f"{lang}: LP relaxation {lp.objective / SCALE:.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
