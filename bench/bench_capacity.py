"""Capacity plan checks (issue 17): backtest, closing the loop, speed.

``--part backtest`` (default part of ``make bench``): from an origin 13 weeks before the
end of the sample company's history, the capacity model plans with the history before
it (long-range forecast, typical market, typical week, queueing engine); the hours on
schedule it said each language needed per week are compared with what the actual
contacts of those 13 weeks needed through the same engine, two ways: (a) each actual
week's volume and handle time spread over the same typical week (the forecast's error
alone), (b) the actual intervals as they came (realised counts: an interval of a small
queue that happened to get no contact needs nobody, which no plan made beforehand can
use). The scheduling efficiency multiplies both sides alike, so hours compare as FTE
do. Printed per language: mean required FTE (at 40 paid h and the sample's measured
efficiency 1.343), the error of the 13-week total, and the weekly MAPE.

``--part loop``: the 26-week plan of the sample company (efficiency measured), checked
and corrected ``--rounds`` times on the scheduler (:func:`optimize.capacity.check.calibrate`:
the last week scheduled with the desk the plan says there will be; with ``--simulate REPS``
also each queue's shrinkage fitted to a simulation of each checked week); the last check's
schedule is then simulated (5 replications). Per queue: the plan's promised service level
beside the schedule's formulas and the simulation.

``--part speed``: wall time of ``staffcast capacity`` on the sample (26 weeks) and on a
generated 1,000-agent desk (52 weeks, 2 years of history, volume x 7).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

EFFICIENCY = 1.343  # measured on the sample (capacity.md of `staffcast capacity`)


def backtest(weeks: int = 13) -> pd.DataFrame:
    from forecast.longrange import forecast_weeks, week_pattern, weekly_history
    from optimize.capacity.demand import routed_requirements, weekly_requirements
    from optimize.scenario.load import load_scenario_dir

    s = load_scenario_dir(ROOT / "data" / "sample")
    t = s.contacts["interval_start"]
    end = (t.max() + pd.Timedelta(seconds=s.interval_s)).normalize()
    end = end - pd.Timedelta(days=end.weekday())
    origin = end - pd.Timedelta(weeks=weeks)
    hist = s.contacts[t < origin]
    cal = s.calendar
    lr = forecast_weeks(hist, s.interval_s, weeks, market=s.market, calendar=cal)
    assert lr.table["week_start"].min() == origin, (lr.table["week_start"].min(), origin)
    pattern = week_pattern(hist, s.interval_s, cal)
    planned, _ = weekly_requirements(lr.table, pattern, s.config, s.interval_s)
    # (A) the actual weekly volume and handle time, through the plan's own path
    weekly = weekly_history(s.contacts, s.interval_s, cal).table()
    weekly = weekly[weekly["week_start"] >= origin]
    on_pattern, _ = weekly_requirements(weekly, pattern, s.config, s.interval_s)
    # (B) the actual intervals as they came, routed by the hours of operation as the plan is
    req = routed_requirements(s.contacts[(t >= origin) & (t < end)], s.config, s.interval_s)
    req["week_start"] = (req["interval_start"] - pd.to_timedelta(
        req["interval_start"].dt.day_of_week, unit="D")).dt.normalize()
    req["required_hours"] = req["required_scheduled"] * s.interval_s / 3600.0
    fte = EFFICIENCY / 40.0

    def per_language(df: pd.DataFrame) -> pd.Series:
        return df.groupby(["week_start", "language"])["required_hours"].sum() * fte

    both = pd.DataFrame({"planned": per_language(planned), "actual_a": per_language(on_pattern),
                         "actual_b": per_language(req)}).reset_index()
    rows = []
    for lang, g in both.groupby("language"):
        row = {"language": lang, "planned_fte": g["planned"].mean()}
        for k in ("a", "b"):
            row[f"actual_{k}_fte"] = g[f"actual_{k}"].mean()
            row[f"total_err_{k}_pct"] = 100 * (g["planned"].sum() / g[f"actual_{k}"].sum() - 1)
            row[f"weekly_mape_{k}_pct"] = 100 * np.mean(np.abs(g["planned"] / g[f"actual_{k}"] - 1))
        rows.append(row)
    out = pd.DataFrame(rows)
    vol = lr.table.merge(weekly[["week_start", "channel", "language", "contacts"]],
                         on=["week_start", "channel", "language"], suffixes=("", "_actual"))
    print(f"origin {origin:%Y-%m-%d}, {weeks} weeks; models {lr.choice.chosen}; forecast "
          f"contacts {100 * (vol['contacts'].sum() / vol['contacts_actual'].sum() - 1):+.1f} % "
          "against actual")
    print(out.round(2).to_string(index=False))
    for k, what in (("a", "actual weekly volume on the typical week"),
                    ("b", "actual intervals as they came")):
        big = out[out[f"actual_{k}_fte"] >= 5]
        print(f"({k}) {what}: languages with >= 5 FTE within 10 % on the 13-week total: "
              f"{int((big[f'total_err_{k}_pct'].abs() <= 10).sum())} / {len(big)}")
    return out


def loop(weeks: int = 26, rounds: int = 0, reps: int = 5, work_limit: float = 30.0,
         simulate_reps: int = 0, data: Path = ROOT / "data" / "sample") -> pd.DataFrame:
    from optimize.capacity.check import calibrate
    from optimize.capacity.config import CapacityConfig
    from optimize.capacity.efficiency import measure_efficiency, recent_week
    from optimize.capacity.report import check_summary
    from optimize.outputs.summary import queue_outlook
    from optimize.queueing.requirements import evaluate_staffing
    from optimize.scenario.load import load_scenario_dir
    from optimize.simulation import simulate_plan

    s = load_scenario_dir(data)
    eff = measure_efficiency(recent_week(s.contacts, s.config, s.interval_s), s.agents,
                             s.config, work_limit_s=20.0)
    t0 = time.perf_counter()
    cal = calibrate(s.contacts, s.agents, s.config, s.interval_s, weeks, rounds=rounds,
                    capacity=CapacityConfig(), calendar=s.calendar, work_limit_s=work_limit,
                    efficiency=eff.factor, market=s.market, simulate_reps=simulate_reps)
    wall = time.perf_counter() - t0
    plan, last = cal.plan, cal.last
    fc, res, start = last.forecast, last.schedule, last.week_start
    cov = evaluate_staffing(fc, res.staffed, s.config, interval_s=s.interval_s,
                            window=(start, start + pd.Timedelta(weeks=1)), roster=res.activities)
    promised = queue_outlook(fc, cov, start, start + pd.Timedelta(weeks=1))
    _, table = simulate_plan(res.activities, fc, s.config, start=start, weeks=1,
                             interval_s=s.interval_s, promised=promised, reps=reps, seed=0,
                             jobs=2)
    planned = plan.capacity[plan.capacity["week_start"] == start][
        ["channel", "language", "service_level_plan", "queue_factor"]]
    target = {c: (ch.service_level if ch.kind == "realtime" else ch.response_share)
              for c, ch in s.config.channels.items()}
    out = table[["channel", "language", "promised_service_level", "service_level",
                 "service_level_lo", "service_level_hi"]].merge(planned, on=["channel", "language"])
    out.insert(2, "target", out["channel"].map(target))
    out = out.rename(columns={"promised_service_level": "schedule_formulas",
                              "service_level": "simulated", "service_level_plan": "plan_promise"})
    goal = np.minimum(out["plan_promise"], out["target"]) - 0.02
    out["holds_formulas"] = out["schedule_formulas"] >= goal
    out["holds_simulated"] = out["simulated"] >= goal
    print(f"measured efficiency (history's last week, today's desk): {eff.describe()}")
    print(f"{weeks}-week plan, {rounds} correction round(s) "
          f"(shrinkage fitted to {simulate_reps} simulated replications per round), {wall:.0f} s; "
          f"{int(plan.hires['hires'].sum())} hires")
    per_profile = plan.hires.groupby("profile")["hires"].sum()
    print("hires per profile: " + ", ".join(f"{p} {int(n)}" for p, n in per_profile.items()))
    summary = check_summary(cal.checks)
    summary["week_start"] = summary["week_start"].dt.date
    print(summary.round(3).to_string(index=False))
    print(f"per queue in the week of {start:%Y-%m-%d} (simulation: {reps} replications; "
          "holds = at least min(promise, target) - 0.02):")
    print(out.round(3).to_string(index=False))
    for k in ("formulas", "simulated"):
        print(f"queues where the promise holds by the {k}: {int(out['holds_' + k].sum())} / "
              f"{len(out)}")
    return out


def speed() -> None:
    from optimize.scenario.sample import write_sample

    def run(data: Path, weeks: int) -> float:
        with tempfile.TemporaryDirectory() as out:
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "optimize.cli", "capacity", "--data",
                            str(data), "--weeks", str(weeks), "--out", out], check=True,
                           cwd=ROOT, capture_output=True)
            return time.perf_counter() - t0

    print(f"sample company, 26 weeks: {run(ROOT / 'data' / 'sample', 26):.1f} s")
    with tempfile.TemporaryDirectory() as d:
        t0 = time.perf_counter()
        write_sample(Path(d), seed=11, n_agents=1000, volume_scale=7.0)
        print(f"generated 1,000-agent desk written in {time.perf_counter() - t0:.0f} s")
        print(f"1,000-agent desk, 52 weeks: {run(Path(d), 52):.1f} s")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", choices=("backtest", "loop", "speed", "all"), default="backtest")
    ap.add_argument("--simulate", type=int, default=0, metavar="REPS",
                    help="loop: also fit each queue's shrinkage to REPS simulated "
                         "replications of each checked week (staffcast capacity --simulate)")
    ap.add_argument("--rounds", type=int, default=0,
                    help="loop: correction rounds on the scheduler (staffcast capacity "
                         "--calibrate N)")
    ap.add_argument("--data", type=Path, default=ROOT / "data" / "sample",
                    help="loop: the scenario directory (default data/sample)")
    args = ap.parse_args()
    if args.part in ("backtest", "all"):
        backtest()
    if args.part in ("loop", "all"):
        loop(rounds=args.rounds, simulate_reps=args.simulate, data=args.data)
    if args.part in ("speed", "all"):
        speed()
    return 0


if __name__ == "__main__":
    sys.exit(main())
