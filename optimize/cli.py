"""The ``staffcast`` command line: wires the stages, owns no algorithm.

Every sub-command reads its inputs through the validation layer, calls the package
functions, and writes its outputs atomically (all files are computed into a temporary
directory first, then moved into place), so a failed run never overwrites a previous
good output. Bad input exits with status 2 and a one-line-per-problem message, never a
traceback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from forecast.validation import InputError
from optimize.export import write_outputs

log = logging.getLogger("staffcast")

EXIT_BAD_INPUT = 2
EXIT_BUSY = 3
WORK_LIMIT_HELP = ("the search's work budget in work seconds (default: the time limit): the "
                   "same inputs, --seed and --work-limit give the same schedule, unless the "
                   "time limit ends the search first (summary.md says so); e.g. "
                   "--work-limit 60 --time-limit 300 for a repeatable plan on a busy machine")


class UsageError(Exception):
    """A command-line value that cannot be used (reported like bad input)."""


# --------------------------------------------------------------------------- helpers


def _parse_ts(value: str, what: str) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise UsageError(f"{what} {value!r} is not an ISO 8601 timestamp (e.g. 2026-12-01T00:00Z)") from None
    if ts.tzinfo is None:
        raise UsageError(f"{what} {value!r} has no UTC offset; add Z or +00:00")
    return ts.tz_convert("UTC")


def _parse_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"--start {value!r} is not an ISO date such as 2026-11-30") from None


def _parse_shock(value: str):
    from forecast import Shock

    at, sep, move = value.rpartition("@")
    if not sep:
        at, sep, move = value.partition(",")
    try:
        return Shock(at=_parse_ts(at, "--shock time"), move=float(move))
    except ValueError:
        raise UsageError(f"--shock {value!r}: expected TIME@MOVE, e.g. 2026-12-03T14:00Z@-0.15") from None


def _load(data: Path):
    from optimize.scenario import load_scenario_dir

    t0 = time.perf_counter()
    scenario = load_scenario_dir(data)
    log.info("loaded %s: %d contact rows, %d queues, %d agents (%.1f s)", data,
             len(scenario.contacts), len(scenario.queues), len(scenario.agents),
             time.perf_counter() - t0)
    return scenario


def _data_end(contacts: pd.DataFrame, interval_s: int) -> pd.Timestamp:
    return contacts["interval_start"].max() + pd.Timedelta(seconds=interval_s)


def _csv(df: pd.DataFrame) -> bytes:
    from optimize.export import table_to_csv

    return table_to_csv(df)


def _read_requirements(path: Path) -> pd.DataFrame:
    """Read a requirements.csv written by ``staffcast plan``."""
    from forecast.validation import Problem

    if not path.is_file():
        raise InputError([Problem(path.name, f"file not found in {path.parent}")])
    req = pd.read_csv(path, encoding="utf-8-sig")
    needed = ["interval_start", "channel", "language", "contacts", "aht_s", "required_scheduled"]
    missing = [c for c in needed if c not in req.columns]
    if missing:
        raise InputError([Problem(path.name, f"missing column(s) {missing}; expected the "
                                             "requirements.csv written by `staffcast plan`")])
    req["interval_start"] = pd.to_datetime(req["interval_start"], utc=True, format="ISO8601")
    return req


# --------------------------------------------------------------------------- commands


def cmd_validate(args: argparse.Namespace) -> int:
    scenario = _load(args.data)
    print(f"{args.data}: OK ({len(scenario.contacts)} contact rows, {len(scenario.queues)} queues, "
          f"{len(scenario.agents)} agents, interval {scenario.interval_s // 60} min)")
    return 0


def cmd_sample(args: argparse.Namespace) -> int:
    from optimize.synthetic import write_sample

    t0 = time.perf_counter()
    paths = write_sample(args.out, seed=args.seed, weeks=args.weeks, n_agents=args.agents,
                         volume_scale=args.volume_scale)
    log.info("wrote sample company to %s in %.1f s", args.out, time.perf_counter() - t0)
    for p in paths.values():
        print(p)
    return 0


def _forecast(scenario, *, asof: pd.Timestamp, horizon_days: int, scenario_name: str,
              shock, jobs: int, store: Path | None) -> pd.DataFrame:
    """Forecast from the latest stored run when it covers the window, else fit now."""
    if store is not None and store.exists():
        from forecast.store import latest_run, load_forecast

        run = latest_run(store)
        if run is not None:
            fc = load_forecast(store, run.run_id)
            end = asof + pd.Timedelta(days=horizon_days)
            if fc["interval_start"].min() <= asof and fc["interval_start"].max() >= end - pd.Timedelta(
                    seconds=scenario.interval_s):
                log.info("using forecast run %s from %s (created %s)", run.run_id, store, run.created_at)
                return fc
            log.info("latest run %s does not cover %s..%s; forecasting now", run.run_id, asof, end)
    from forecast import forecast_panel

    t0 = time.perf_counter()
    fc = forecast_panel(scenario.contacts, scenario.market, asof=asof, horizon_days=horizon_days,
                        scenario=scenario_name, shock=shock, jobs=jobs)
    log.info("forecast %d queues x %d days from %s in %.1f s", len(scenario.queues), horizon_days,
             asof, time.perf_counter() - t0)
    return fc


def _plan_window(scenario, start: dt.date | None, weeks: int | None) -> tuple[dt.date, int]:
    from optimize.horizon import plan_window

    data_end = _data_end(scenario.contacts, scenario.interval_s)
    t0, t1 = plan_window(data_end, scenario.config.horizon, start=start, weeks=weeks)
    return t0.date(), (t1 - t0).days // 7


def _schedule_outputs(result, forecast: pd.DataFrame, config, interval_s: int,
                      start: dt.date, weeks: int) -> tuple[dict[str, bytes], pd.DataFrame]:
    """Export tables, and coverage over the plan weeks only (see ``evaluate_staffing``)."""
    from optimize.export import activities_to_csv, coverage_to_csv, roster_to_csv, roster_to_ics
    from optimize.requirements import evaluate_staffing

    t0 = pd.Timestamp(start, tz="UTC")
    coverage = evaluate_staffing(forecast, result.staffed, config, interval_s=interval_s,
                                 window=(t0, t0 + pd.Timedelta(weeks=weeks)))
    return {
        "roster.csv": roster_to_csv(result.roster),
        "activities.csv": activities_to_csv(result.activities),
        "coverage.csv": coverage_to_csv(coverage),
        "roster.ics": roster_to_ics(result.roster),
    }, coverage


def _progress_logger() -> Callable:
    last = [0.0]

    def progress(info) -> None:
        now = time.perf_counter()
        if now - last[0] >= 5.0:
            last[0] = now
            log.info("solver: %s", info)

    return progress


def cmd_plan(args: argparse.Namespace) -> int:
    from optimize.horizon import LOCAL_PAD, forecast_window
    from optimize.report import summary_markdown
    from optimize.requirements import compute_requirements
    from optimize.scheduling import build_schedule

    scenario = _load(args.data)
    start, weeks = _plan_window(scenario, _parse_date(args.start) if args.start else None, args.weeks)
    plan_start = pd.Timestamp(start, tz="UTC")
    plan_end = plan_start + pd.Timedelta(weeks=weeks)
    asof, horizon_days = forecast_window(plan_start, plan_end,
                                         _data_end(scenario.contacts, scenario.interval_s))
    pad = LOCAL_PAD
    shock = _parse_shock(args.shock) if args.shock else None
    log.info("planning %s for %d week(s)", start, weeks)
    fc = _forecast(scenario, asof=asof, horizon_days=horizon_days, scenario_name=args.scenario,
                   shock=shock, jobs=args.jobs, store=args.store)
    fc = fc[(fc["interval_start"] >= plan_start - pad) & (fc["interval_start"] < plan_end + pad)]
    fc = fc.reset_index(drop=True)

    t0 = time.perf_counter()
    req = compute_requirements(fc, scenario.config, interval_s=scenario.interval_s,
                               quantile=args.quantile)
    log.info("requirements for %d interval x queue rows in %.2f s", len(req), time.perf_counter() - t0)
    # Requirements are computed over the padded window (the email backlog needs the day
    # before), but the schedule answers only for the plan weeks: shortfall on the padding,
    # which belongs to unplanned neighbouring weeks, would inflate the objective and hide
    # the real gap.
    req = req[(req["interval_start"] >= plan_start) & (req["interval_start"] < plan_end)]
    req = req.reset_index(drop=True)

    t0 = time.perf_counter()
    result = build_schedule(req, scenario.agents, scenario.config, start=start, weeks=weeks,
                            time_limit_s=args.time_limit, seed=args.seed, workers=args.workers,
                            progress=_progress_logger(), penalty=args.penalty,
                            previous_roster=_previous(args, start),
                            work_limit_s=args.work_limit)
    log.info("schedule %s in %.1f s: objective %.1f, bound %.1f, gap %.2f%%", result.status,
             time.perf_counter() - t0, result.objective, result.best_bound, 100 * result.gap)
    if result.status not in ("optimal", "feasible"):
        raise _conflict_error(result)
    files, coverage = _schedule_outputs(result, fc, scenario.config, scenario.interval_s,
                                        start, weeks)
    summary = summary_markdown(scenario=scenario, start=start, weeks=weeks, forecast=fc,
                               requirements=req, result=result, coverage=coverage)
    files = {"forecast.csv": _csv(fc), "requirements.csv": _csv(req), **files,
             "summary.md": summary.encode("utf-8")}
    written = write_outputs(args.out, files)
    for p in written:
        print(p)
    return 0


def _conflict_error(result) -> InputError:
    from forecast.validation import Problem

    reasons = result.conflicts or (f"solver status {result.status}",)
    return InputError([Problem("agents.csv", f"no schedule satisfies the hard rules: {r}")
                       for r in reasons])


def _previous(args: argparse.Namespace, start: dt.date) -> pd.DataFrame | None:
    """The ``--previous-roster`` file, checked (every shift before the plan), or None."""
    if args.previous_roster is None:
        return None
    from optimize.replan_cli import read_previous_roster

    return read_previous_roster(args.previous_roster, pd.Timestamp(start, tz="UTC"))


def cmd_schedule(args: argparse.Namespace) -> int:
    from optimize.report import summary_markdown
    from optimize.scheduling import build_schedule

    scenario = _load(args.data)
    req = _read_requirements(args.requirements)
    start, weeks = _plan_window(scenario, _parse_date(args.start) if args.start else None, args.weeks)
    result = build_schedule(req, scenario.agents, scenario.config, start=start, weeks=weeks,
                            time_limit_s=args.time_limit, seed=args.seed, workers=args.workers,
                            progress=_progress_logger(), penalty=args.penalty,
                            previous_roster=_previous(args, start),
                            work_limit_s=args.work_limit)
    if result.status not in ("optimal", "feasible"):
        raise _conflict_error(result)
    fc = req[["interval_start", "channel", "language", "contacts", "aht_s"]]
    files, coverage = _schedule_outputs(result, fc, scenario.config, scenario.interval_s,
                                        start, weeks)
    summary = summary_markdown(scenario=scenario, start=start, weeks=weeks, forecast=fc,
                               requirements=req, result=result, coverage=coverage)
    for p in write_outputs(args.out, {**files, "summary.md": summary.encode("utf-8")}):
        print(p)
    return 0


# --------------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="staffcast",
        description="Workforce management for a multilingual support desk: forecast inquiry volume, "
                    "turn it into required agents, and build shift schedules.")
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging on stderr")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def data_arg(sp):
        sp.add_argument("--data", type=Path, required=True,
                        help="scenario directory with contacts.csv[.gz], market.csv, agents.csv, "
                             "scenario.toml (see README)")

    def solver_args(sp):
        sp.add_argument("--start", help="first day of the plan (a Monday, ISO date); default: "
                                        "scenario.toml [horizon] start, else the Monday after the data")
        sp.add_argument("--weeks", type=int, help="weeks to plan (default: scenario.toml [horizon] weeks)")
        sp.add_argument("--time-limit", type=float, default=60.0, help="solver time limit, s (default 60)")
        sp.add_argument("--work-limit", type=float, metavar="S", help=WORK_LIMIT_HELP)
        sp.add_argument("--seed", type=int, default=0, help="solver random seed (default 0)")
        sp.add_argument("--workers", type=int, default=2, help="solver threads (default 2)")
        sp.add_argument("--penalty", choices=("service_level", "requirement"),
                        default="service_level",
                        help="shortfall penalty: what each head adds to the service level "
                             "(default), or heads short of the requirement")
        sp.add_argument("--previous-roster", type=Path, metavar="FILE",
                        help="roster.csv of the days before the plan: minimum rest and "
                             "consecutive working days carry over the plan's start")

    sp = sub.add_parser("plan", help="forecast, requirements, schedule and exports in one run")
    data_arg(sp)
    sp.add_argument("--out", type=Path, required=True, help="output directory")
    solver_args(sp)
    sp.add_argument("--store", type=Path, help="forecast run store (SQLite); use its latest run "
                                               "when it covers the plan window")
    sp.add_argument("--scenario", default="typical",
                    help="market scenario: none, calm, typical, stressed, forecast (default typical)")
    sp.add_argument("--shock", help="market shock TIME@MOVE, e.g. 2026-12-03T14:00Z@-0.15")
    sp.add_argument("--quantile", help="staff to this forecast column, e.g. contacts_p90 "
                                       "(default: the mean)")
    sp.add_argument("--jobs", type=int, default=2, help="forecast worker processes (default 2)")
    sp.set_defaults(func=cmd_plan)

    from optimize.forecast_cli import add_forecast_parsers

    add_forecast_parsers(sub, data_arg)

    sp = sub.add_parser("schedule", help="build a schedule from a requirements.csv")
    data_arg(sp)
    sp.add_argument("--requirements", type=Path, required=True, help="requirements.csv from `plan`")
    sp.add_argument("--out", type=Path, required=True, help="output directory")
    solver_args(sp)
    sp.set_defaults(func=cmd_schedule)

    from optimize.replan_cli import add_replan_parser

    add_replan_parser(sub)

    sp = sub.add_parser("validate", help="check a scenario directory and list every problem")
    data_arg(sp)
    sp.set_defaults(func=cmd_validate)

    sp = sub.add_parser("sample", help="generate a synthetic scenario directory (the sample company)")
    sp.add_argument("--out", type=Path, required=True, help="output directory")
    sp.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    sp.add_argument("--weeks", type=int, default=104, help="weeks of history (default 104)")
    sp.add_argument("--agents", type=int, default=150, help="number of agents (default 150)")
    sp.add_argument("--volume-scale", type=float, default=1.0, help="multiply volumes (default 1)")
    sp.set_defaults(func=cmd_sample)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``staffcast`` console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    try:
        return args.func(args) or 0
    except InputError as exc:
        print(f"staffcast: bad input ({len(exc.problems)} problem(s)):", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (UsageError, ValueError, OSError) as exc:
        # ValueError: a package function refused a value (e.g. too short a history);
        # OSError: an unreadable input or unwritable output. Both are the user's to fix.
        print(f"staffcast: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception as exc:
        if type(exc).__name__ == "StoreLocked":
            print(f"staffcast: busy: {exc}", file=sys.stderr)
            return EXIT_BUSY
        raise


if __name__ == "__main__":
    # run the imported module's main, not this __main__ copy, so that the exception
    # classes the sub-command modules import from optimize.cli are the ones caught here
    from optimize.cli import main as _main

    sys.exit(_main())
