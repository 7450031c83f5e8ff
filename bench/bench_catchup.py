"""Deferred backlog caught up by spare heads: one schedule, with and without the step.

Runs ``build_schedule`` on a plan directory's ``requirements.csv`` once (the search
output is cached, so both runs deal the very same shifts, breaks and allocation), then
builds the result twice, with :func:`optimize.scheduling.activities.catchup.catch_up` and with it
replaced by the identity, and prints the contact-weighted service level per queue from
the queueing engine's coverage (:func:`optimize.queueing.requirements.evaluate_staffing` on the
plan's ``forecast.csv``), plus the time the step took.

Usage: ``python bench/bench_catchup.py [--plan out/sample] [--data data/sample]
[--time-limit 60]`` (a ``staffcast plan`` directory; skipped without one). Figures go to
bench/README.md by hand.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

import optimize.scheduling.schedule as schedule_module
from optimize.queueing.requirements import evaluate_staffing
from optimize.scenario.load import load_scenario_dir
from optimize.scheduling.activities.catchup import catch_up


def _weighted(cov: pd.DataFrame, forecast: pd.DataFrame) -> pd.Series:
    both = cov.merge(forecast[["interval_start", "channel", "language", "contacts"]],
                     on=["interval_start", "channel", "language"])
    both["hit"] = both["service_level"] * both["contacts"]
    sums = both.groupby(["channel", "language"])[["hit", "contacts"]].sum()
    return sums["hit"] / sums["contacts"].where(sums["contacts"] > 0)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--plan", type=Path, default=Path("out/sample"))
    ap.add_argument("--data", type=Path, default=Path("data/sample"))
    ap.add_argument("--time-limit", type=float, default=60.0)
    args = ap.parse_args()
    if not (args.plan / "requirements.csv").is_file():
        print(f"skipped: no {args.plan}/requirements.csv (run `make plan` first)")
        return 0
    scenario = load_scenario_dir(args.data)
    req = pd.read_csv(args.plan / "requirements.csv")
    req["interval_start"] = pd.to_datetime(req["interval_start"], utc=True)
    forecast = pd.read_csv(args.plan / "forecast.csv")
    forecast["interval_start"] = pd.to_datetime(forecast["interval_start"], utc=True)
    window = (req["interval_start"].min(), req["interval_start"].max() + pd.Timedelta(minutes=30))
    search, cached, took = schedule_module.search, {}, []

    def once(*a, **k):
        if "out" not in cached:
            cached["out"] = search(*a, **k)
        return cached["out"]

    def timed(*a, **k):
        clock = time.perf_counter()
        out = catch_up(*a, **k)
        took.append(time.perf_counter() - clock)
        return out

    schedule_module.search = once
    levels = {}
    def identity(queue_of, shifts, breaks, groups, queues, *a, **k):
        return queue_of, np.zeros(len(queues.channel))

    for name, step in (("without", identity), ("with", timed)):
        schedule_module.catch_up = step
        res = schedule_module.build_schedule(
            req, scenario.agents, scenario.config, start=window[0].date(), weeks=1,
            time_limit_s=args.time_limit, seed=0, workers=2)
        cov = evaluate_staffing(forecast, res.staffed, scenario.config, window=window)
        levels[name] = _weighted(cov, forecast)
        print(f"{name} catch-up: objective {res.objective:.1f}, bound {res.best_bound:.1f}",
              flush=True)
    table = pd.DataFrame(levels)
    table["change"] = table["with"] - table["without"]
    print(table.round(3).to_string())
    print(f"catch_up took {took[0]:.2f} s; chat and vip_chat change per queue: "
          f"{np.round(table.loc[['chat', 'vip_chat'], 'change'].to_numpy(), 3).tolist()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
