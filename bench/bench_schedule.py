"""Scheduler benchmark: a generated desk (8 languages x 4 channels, 30-min intervals).

Prints, per size: status, objective, proven bound, gap, wall time, shifts, unmet share and
peak memory. Usage: ``python bench/bench_schedule.py [--agents 150] [--weeks 1]
[--time-limit 60] [--workers 2] [--seed 0]``. Figures go to bench/README.md by hand.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import time
from pathlib import Path

from optimize.scenario.config import load_config
from optimize.scheduling import build_schedule
from optimize.scheduling.synthetic import make_agents, make_requirements

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--agents", type=int, nargs="+", default=[150])
    p.add_argument("--weeks", type=int, default=1)
    p.add_argument("--time-limit", type=float, default=60.0)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    config = load_config(ROOT / "optimize" / "scenario" / "sample_scenario.toml")
    start = dt.date(2026, 11, 30)
    print("agents queues weeks status    objective     bound    gap  wall_s shifts "
          "unmet_share first_obj first_sol_s peak_rss_mb work_s cut")
    for n in args.agents:
        agents = make_agents(n, seed=args.seed)
        req = make_requirements(agents, start, weeks=args.weeks, seed=args.seed)
        first: list = []
        t0 = time.perf_counter()
        res = build_schedule(req, agents, config, start=start, weeks=args.weeks,
                             time_limit_s=args.time_limit, seed=args.seed,
                             workers=args.workers,
                             progress=lambda info, first=first: first.append(info))
        wall = time.perf_counter() - t0
        unmet = res.unmet["shortfall"].sum() / req["required_scheduled"].sum()
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        queues = req[["channel", "language"]].drop_duplicates().shape[0]
        print(f"{n:6d} {queues:6d} {args.weeks:5d} {res.status:8s} {res.objective:10.1f} "
              f"{res.best_bound:9.1f} {res.gap:6.1%} {wall:7.1f} {len(res.roster):6d} "
              f"{unmet:11.1%} {first[0].objective if first else float('nan'):9.1f} "
              f"{first[0].wall_time_s if first else float('nan'):11.1f} {rss:11.0f} "
              f"{res.work_s:6.1f} {res.cut or '-'}", flush=True)


if __name__ == "__main__":
    main()
