"""Overflow after a wait: the requirements' promise against the simulator on a hand-made desk.

Korean and Vietnamese VIP chat overflow to English VIP after 10 s, Vietnamese chat to
English chat after 30 s (handle time x1.2); a day-shaped week. The required heads are put
on a roster one agent per head and interval, nobody absent (shrinkage 0), and simulated;
the same desk without the rules beside it. Prints, per queue, the head-hours required,
the promised and the simulated service level.

    .venv/bin/python bench/bench_overflow.py [REPS]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "optimize" / "queueing"))
from test_overflow import DESK, KEYS, RULES, START, STEP, config, forecast, one_agent_per_head  # noqa: E402

from optimize.queueing.requirements import compute_requirements, evaluate_staffing  # noqa: E402
from optimize.simulation.desk import desk_from_plan  # noqa: E402
from optimize.simulation.run import simulate_desk  # noqa: E402


def run(rules: dict | None, reps: int) -> pd.DataFrame:
    fc, cfg = forecast(DESK), config(rules)
    t0 = time.perf_counter()
    req = compute_requirements(fc, cfg, interval_s=STEP)
    took = time.perf_counter() - t0
    sim = simulate_desk(desk_from_plan(one_agent_per_head(req), fc, cfg, start=START, weeks=1,
                                       interval_s=STEP),
                        reps=reps, seed=1, shrinkage="none").queues
    staffed = req[KEYS].assign(scheduled_agents=req["required_agents"])
    cov = evaluate_staffing(fc, staffed, cfg, interval_s=STEP).merge(fc, on=KEYS)
    by = ["channel", "language"]
    out = pd.DataFrame({
        "head_h": req.groupby(by)["required_agents"].sum() * STEP / 3600,
        "promised": cov.assign(w=cov["service_level"] * cov["contacts"]).groupby(by)["w"].sum()
        / cov.groupby(by)["contacts"].sum(),
        "simulated": sim.set_index(by)["service_level"]})
    out["gap"] = out["promised"] - out["simulated"]
    print(f"requirements in {took:.2f} s")
    return out


if __name__ == "__main__":
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    for name, rules in (("without overflow", None), ("with overflow", RULES)):
        table = run(rules, reps)
        print(f"\n{name} ({reps} replications): {table['head_h'].sum():,.1f} head-hours")
        print(table.round(3).to_string())
