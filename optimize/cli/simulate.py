"""``staffcast simulate``: does a published plan deliver what it promises?

Reads a plan directory (``activities.csv``, ``forecast.csv``, ``coverage.csv``, as
``staffcast plan`` writes them) and its scenario directory, simulates the planned weeks
contact by contact (:mod:`optimize.simulation`) and writes ``simulation.csv`` (per
interval x queue: service level, mean wait, abandonment, backlog, occupancy, each with a
95% interval over replications) and ``simulation.md`` (promised beside simulated per
queue, over-promises flagged) into ``--out`` (default: the plan directory).
``staffcast plan --simulate`` does the same on the plan it has just built and adds the
section to ``summary.md``.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import pandas as pd

from forecast.inputs.problems import InputError, Problem
from optimize.cli.common import UsageError, add_data_arg, load_scenario, to_csv
from optimize.cli.readers import plan_weeks_from_coverage, read_plan_table
from optimize.outputs.export import write_outputs

__all__ = ["SimulationOutputs", "add_simulate_parser", "add_simulation_args", "cmd_simulate",
           "simulate_plan_tables"]

log = logging.getLogger("staffcast")

_KEYS = ["interval_start", "channel", "language"]
SimulationOutputs = tuple[dict[str, bytes], str, pd.DataFrame]


def simulate_plan_tables(*, activities: pd.DataFrame, forecast: pd.DataFrame,
                         coverage: pd.DataFrame, scenario, start: pd.Timestamp, weeks: int,
                         args: argparse.Namespace,
                         arrivals: pd.DataFrame | None = None) -> SimulationOutputs:
    """Simulate a plan's weeks: the files ``simulation.csv`` and ``simulation.md``, the
    markdown section (for ``summary.md``) and the per-queue comparison
    (:func:`optimize.simulation.promise_table`)."""
    from optimize.outputs.simulated import simulation_markdown
    from optimize.outputs.summary import queue_outlook
    from optimize.simulation import simulate_plan
    from optimize.simulation.desk import unskilled_work

    bad = unskilled_work(activities, scenario.agents, scenario.config)
    if len(bad):
        raise InputError([Problem("activities.csv", reason, line=int(i) + 2, column="channel",
                                  value=f"{row.channel}/{row.language}")
                          for (i, row), reason in zip(bad.iterrows(), bad["reason"], strict=True)])
    end = start + pd.Timedelta(weeks=weeks)
    res, comparison = simulate_plan(
        activities, forecast, scenario.config, start=start, weeks=weeks,
        interval_s=scenario.interval_s, promised=queue_outlook(forecast, coverage, start, end),
        reps=args.reps, seed=args.seed, jobs=args.jobs, shrinkage=args.shrinkage,
        warmup=not args.no_warmup, routing=args.routing, agents=scenario.agents,
        arrivals=arrivals, day_levels=args.day_levels)
    section = simulation_markdown(comparison, reps=res.reps, seed=res.seed,
                                  shrinkage=res.shrinkage, routing=res.routing,
                                  day_levels=res.day_levels, replay=arrivals is not None,
                                  config=scenario.config)
    title = f"# staffcast simulation: {start:%Y-%m-%d} + {weeks} week(s)\n\n"
    files = {"simulation.csv": to_csv(res.intervals),
             "simulation.md": (title + section).encode("utf-8")}
    n_over = int(comparison["over_promise"].sum())
    log.info("simulation: %d of %d queues over-promise by more than 2 points", n_over,
             len(comparison))
    return files, section, comparison


def cmd_simulate(args: argparse.Namespace) -> int:
    """Run ``staffcast simulate`` (see the module docstring)."""
    plan = Path(args.plan)
    if not plan.is_dir():
        raise UsageError(f"--plan {str(plan)!r} is not a directory")
    cov_path = plan / "coverage.csv"
    coverage = read_plan_table(cov_path, _KEYS + ["service_level"],
                               "the coverage.csv written by `staffcast plan`")
    start, weeks = plan_weeks_from_coverage(coverage, cov_path)
    activities = read_plan_table(plan / "activities.csv",
                                 ["agent_id", "start_utc", "end_utc", "activity", "channel",
                                  "language"], "the activities.csv written by `staffcast plan`")
    forecast = read_plan_table(plan / "forecast.csv", _KEYS + ["contacts", "aht_s"],
                               "the forecast.csv written by `staffcast plan`")
    scenario = load_scenario(args.data)
    arrivals = None
    if args.arrivals is not None:
        arrivals = _read_arrivals(Path(args.arrivals), scenario, start, weeks)
    files, _, _ = simulate_plan_tables(activities=activities, forecast=forecast,
                                       coverage=coverage, scenario=scenario, start=start,
                                       weeks=weeks, args=args, arrivals=arrivals)
    for p in write_outputs(Path(args.out) if args.out else plan, files):
        print(p)
    return 0


def _read_arrivals(path: Path, scenario, start: pd.Timestamp, weeks: int) -> pd.DataFrame:
    """The ``--arrivals`` file (the ``contacts.csv`` format), checked, covering the plan."""
    from forecast.inputs.history import load_contacts

    if not path.is_file():
        raise InputError([Problem(path.name, f"file not found in {path.parent}")])
    actual = load_contacts(path, channels=tuple(scenario.config.channels))
    end = start + pd.Timedelta(weeks=weeks)
    last = end - pd.Timedelta(seconds=scenario.interval_s)
    first_seen, last_seen = actual["interval_start"].min(), actual["interval_start"].max()
    if not (first_seen <= start and last_seen >= last):
        raise InputError([Problem(path.name, f"covers {first_seen} .. {last_seen}, not the "
                                             f"plan weeks {start:%Y-%m-%d} .. {end:%Y-%m-%d}")])
    return actual[(actual["interval_start"] >= start) & (actual["interval_start"] < end)]


def add_simulation_args(sp: argparse.ArgumentParser) -> None:
    """Replications, shrinkage, routing and warm-up (the commands have their own --seed and
    --jobs)."""
    sp.add_argument("--reps", type=_positive, default=10,
                    help="replications (default 10; the 95%% intervals need 2 or more)")
    sp.add_argument("--shrinkage", choices=("intervals", "shifts", "none"),
                    help="how scheduled time is lost: whole agent-intervals or whole shifts "
                         "with the channel's shrinkage probability, or none (default: "
                         "scenario.toml [staffing] shrinkage_mode, itself 'intervals')")
    sp.add_argument("--routing", choices=("planned", "skills"), default="planned",
                    help="every agent on its planned queue (default), or idle agents also "
                         "taking waiting work of other queues they are skilled for")
    sp.add_argument("--day-levels", action="store_true",
                    help="doubly stochastic arrivals: draw each queue's daily level from the "
                         "forecast's P10-P90 band before the Poisson draws")
    sp.add_argument("--no-warmup", action="store_true",
                    help="start the week empty instead of after a warm-up copy of itself")


def add_simulate_parser(sub: argparse._SubParsersAction) -> None:
    """Add ``simulate`` to the ``staffcast`` parser."""
    sp = sub.add_parser("simulate", help="simulate a published plan contact by contact: "
                                         "promised beside simulated service per queue")
    sp.add_argument("--plan", type=Path, required=True,
                    help="plan directory (activities.csv, forecast.csv, coverage.csv)")
    add_data_arg(sp)
    sp.add_argument("--out", type=Path, help="output directory (default: the plan directory)")
    sp.add_argument("--arrivals", type=Path, metavar="FILE",
                    help="replay these contacts (the contacts.csv format, covering the plan "
                         "weeks) instead of Poisson arrivals at the forecast")
    add_simulation_args(sp)
    sp.add_argument("--seed", type=int, default=0,
                    help="simulation seed (default 0); replication r draws from [seed, r]")
    sp.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    sp.set_defaults(func=cmd_simulate)


def _positive(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number >= 1")
    return n
