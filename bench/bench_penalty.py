"""Week service level of a plan under each shortfall penalty (``build_schedule(penalty=...)``).

Re-schedules the inputs of a ``staffcast plan`` output directory (its ``forecast.csv`` and
``requirements.csv``, default ``out/sample`` from ``make plan``) with the ``"requirement"``
and the ``"service_level"`` penalty, recomputes coverage like ``staffcast plan`` does
(``evaluate_staffing`` over the plan weeks) and prints, per channel, the contacts-weighted
service level, missed contacts (not answered within target; for deferred channels not
replied within the window), the contacts-weighted abandonment, and the schedule's gap.

    .venv/bin/python bench/bench_penalty.py [--plan out/sample] [--data data/sample]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

KEYS = ["interval_start", "channel", "language"]


def _read(path: Path) -> pd.DataFrame:
    df = pd.read_csv(path, encoding="utf-8-sig")
    df["interval_start"] = pd.to_datetime(df["interval_start"], utc=True, format="ISO8601")
    return df


def week_figures(coverage: pd.DataFrame, forecast: pd.DataFrame) -> pd.DataFrame:
    """Per channel (and ``all``): contacts, SL, missed contacts, abandonment (weighted)."""
    df = coverage.merge(forecast[KEYS + ["contacts"]], on=KEYS, how="left")
    c = df["contacts"].fillna(0.0)
    df = df.assign(w_sl=c * df["service_level"].fillna(0.0),
                   w_ab=c * df["abandon_rate"].fillna(0.0), c=c)
    g = df.groupby("channel")[["c", "w_sl", "w_ab"]].sum()
    g.loc["all"] = g.sum()
    return pd.DataFrame({"contacts": g["c"], "service_level": g["w_sl"] / g["c"],
                         "missed": g["c"] - g["w_sl"], "abandon_rate": g["w_ab"] / g["c"]})


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--plan", type=Path, default=Path("out/sample"))
    ap.add_argument("--data", type=Path, default=Path("data/sample"))
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--penalties", default="requirement,service_level")
    args = ap.parse_args()
    if not (args.plan / "requirements.csv").is_file():
        print(f"skipped: no {args.plan}/requirements.csv (run `make plan` first)")
        return 0
    from optimize.queueing.requirements import evaluate_staffing
    from optimize.scenario.load import load_scenario_dir
    from optimize.scheduling import build_schedule

    scenario = load_scenario_dir(args.data)
    forecast = _read(args.plan / "forecast.csv")
    req = _read(args.plan / "requirements.csv")
    t0 = req["interval_start"].min()
    weeks = int(np.ceil((req["interval_start"].max() - t0) / pd.Timedelta(weeks=1)))
    window = (t0, t0 + pd.Timedelta(weeks=weeks))
    for penalty in args.penalties.split(","):
        clock = time.perf_counter()
        res = build_schedule(req, scenario.agents, scenario.config, start=t0.date(),
                             weeks=weeks, time_limit_s=args.time_limit, seed=0, workers=2,
                             penalty=penalty)
        wall = time.perf_counter() - clock
        cov = evaluate_staffing(forecast, res.staffed, scenario.config,
                                interval_s=scenario.interval_s, window=window)
        fig = week_figures(cov, forecast)
        print(f"\npenalty={penalty}: {res.status}, objective {res.objective:.1f}, bound "
              f"{res.best_bound:.1f}, gap {100 * res.gap:.2f}%, {wall:.0f} s, "
              f"{len(res.roster)} shifts, scheduled head-intervals "
              f"{res.staffed['scheduled_agents'].sum():.0f}")
        print(fig.round(4).to_string())
    return 0


if __name__ == "__main__":
    sys.exit(main())
