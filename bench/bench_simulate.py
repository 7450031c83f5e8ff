"""Benchmark: one simulated replication of a planned week, and replications in parallel.

Goal (issue 15): one replication of the sample week (about 26,000 contacts) <= 5 s on one
core. Measures, on the plan directory of `make plan` (default out/sample; skipped when it
is missing): building the desk, one replication in this process (warm-up week included,
as the default), the same without the warm-up, and 10 replications on 2 processes; then
prints the promised-beside-simulated table's over-promises.

Run: .venv/bin/python bench/bench_simulate.py [--plan out/sample] [--data data/sample]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from optimize.outputs.summary import queue_outlook
from optimize.scenario import load_config
from optimize.simulation import desk_from_plan, promise_table, simulate_desk, simulate_once


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--plan", type=Path, default=Path("out/sample"))
    ap.add_argument("--data", type=Path, default=Path("data/sample"))
    ap.add_argument("--reps", type=int, default=10)
    args = ap.parse_args()
    if not (args.plan / "activities.csv").is_file():
        print(f"skipped: no plan in {args.plan} (run `make plan` first)")
        return 0
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"python {platform.python_version()}")
    config = load_config(args.data / "scenario.toml")
    read = {"parse_dates": ["start_utc", "end_utc"], "keep_default_na": False,
            "na_values": [""]}
    acts = pd.read_csv(args.plan / "activities.csv", **read)
    fc = pd.read_csv(args.plan / "forecast.csv", parse_dates=["interval_start"])
    cov = pd.read_csv(args.plan / "coverage.csv", parse_dates=["interval_start"])
    start = cov["interval_start"].min()
    weeks = int(round((cov["interval_start"].max() - start) / pd.Timedelta(days=7)))

    t0 = time.perf_counter()
    desk = desk_from_plan(acts, fc, config, start=start, weeks=weeks, interval_s=1800)
    print(f"desk: {len(desk.queues)} queues, {len(desk.agents)} agents, "
          f"{len(desk.seg_start_s)} work segments, {desk.contacts.sum():,.0f} forecast "
          f"contacts in {time.perf_counter() - t0:.2f} s")
    for warmup in (True, False):
        t0 = time.perf_counter()
        rep = simulate_once(desk, np.random.SeedSequence([0, 0]), warmup=warmup)
        print(f"one replication, warm-up {'on ' if warmup else 'off'}: "
              f"{time.perf_counter() - t0:.2f} s, {len(rep.records):,} contacts measured")
    t0 = time.perf_counter()
    res = simulate_desk(desk, reps=args.reps, seed=0, jobs=2)
    print(f"{args.reps} replications on 2 processes: {time.perf_counter() - t0:.2f} s")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of this process: {peak:.0f} MB")
    end = start + pd.Timedelta(weeks=weeks)
    comp = promise_table(res.queues, queue_outlook(fc, cov, start, end))
    over = comp[comp["over_promise"]]
    print(f"{len(over)} of {len(comp)} queues over-promise by more than 2 points:")
    print(comp[["channel", "language", "contacts", "promised_service_level", "service_level",
                "service_level_lo", "service_level_hi"]].round(3).to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
