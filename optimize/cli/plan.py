"""``staffcast plan`` and ``staffcast schedule``: from a scenario to a published week.

``plan`` runs the whole chain (forecast or the stored run, requirements, schedule,
coverage, exports, ``summary.md``); ``schedule`` starts from a ``requirements.csv``.
Wiring only: the algorithms live in :mod:`forecast` and the :mod:`optimize` stages.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import time
from pathlib import Path

import pandas as pd

from optimize.cli.common import (
    UsageError,
    add_data_arg,
    add_solver_args,
    choose_plan_weeks,
    conflict_error,
    data_end,
    forecast_or_stored,
    load_scenario,
    parse_date,
    parse_shock,
    progress_logger,
    remedies_section,
    schedule_outputs,
    to_csv,
)
from optimize.cli.readers import read_requirements
from optimize.cli.records import add_publish_arg, store_plan
from optimize.cli.simulate import add_simulation_args, simulate_plan_tables
from optimize.outputs.export import write_outputs

__all__ = ["add_plan_parser", "add_schedule_parser", "cmd_plan", "cmd_schedule"]

log = logging.getLogger("staffcast")


def cmd_plan(args: argparse.Namespace) -> int:
    """Run ``staffcast plan``: forecast, requirements, schedule, exports (and, with
    ``--simulate`` or ``--calibrate``, the simulation; see the README)."""
    from optimize.outputs.simulated import calibration_markdown
    from optimize.outputs.summary import (
        hours_markdown,
        overflow_markdown,
        summary_markdown,
    )
    from optimize.queueing.calibration import (
        calibration_targets,
        effective_shrinkage,
        with_shrinkage,
    )
    from optimize.queueing.routing import route_hours
    from optimize.scenario.horizon import LOCAL_PAD, forecast_window

    if args.calibrate < 0:
        raise UsageError(f"--calibrate takes a number of rounds >= 0, got {args.calibrate}")
    scenario = load_scenario(args.data)
    start, weeks = choose_plan_weeks(scenario, parse_date(args.start) if args.start else None,
                                     args.weeks)
    plan_start = pd.Timestamp(start, tz="UTC")
    plan_end = plan_start + pd.Timedelta(weeks=weeks)
    asof, horizon_days = forecast_window(plan_start, plan_end,
                                         data_end(scenario.contacts, scenario.interval_s))
    pad = LOCAL_PAD
    shock = parse_shock(args.shock) if args.shock else None
    log.info("planning %s for %d week(s)", start, weeks)
    fc, run_id = forecast_or_stored(scenario, asof=asof, horizon_days=horizon_days,
                            scenario_name=args.scenario, shock=shock, jobs=args.jobs,
                            store=args.store)
    fc = fc[(fc["interval_start"] >= plan_start - pad) & (fc["interval_start"] < plan_end + pad)]
    fc, moved = route_hours(fc.reset_index(drop=True), scenario.config.hours)
    sections = [hours_markdown(moved, scenario.config.hours)] if len(moved) else []

    req, result = _requirements_and_schedule(fc, scenario, args, start, weeks)
    files, coverage = schedule_outputs(result, fc, scenario.config, scenario.interval_s,
                                       start, weeks)
    if args.simulate or args.calibrate:
        sim_files, section, comparison = simulate_plan_tables(
            activities=result.activities, forecast=fc, coverage=coverage, scenario=scenario,
            start=plan_start, weeks=weeks, args=args)
        fits = []
        for k in range(args.calibrate):
            t0 = time.perf_counter()
            fit = effective_shrinkage(fc, result.staffed, scenario.config,
                                      calibration_targets(comparison, scenario.config),
                                      interval_s=scenario.interval_s,
                                      window=(plan_start, plan_end),
                                      kinds=("realtime", "deferred"))
            log.info("calibration round %d: shrinkage per queue in %.1f s; planning again",
                     k + 1, time.perf_counter() - t0)
            fits.append(fit.assign(round=k + 1))
            fc = with_shrinkage(fc, fit, scenario.config)
            req, result = _requirements_and_schedule(fc, scenario, args, start, weeks)
            files, coverage = schedule_outputs(result, fc, scenario.config, scenario.interval_s,
                                               start, weeks)
            sim_files, section, comparison = simulate_plan_tables(
                activities=result.activities, forecast=fc, coverage=coverage,
                scenario=scenario, start=plan_start, weeks=weeks, args=args)
        if fits:
            sim_files["calibration.csv"] = to_csv(pd.concat(fits, ignore_index=True))
            sections.append(calibration_markdown(pd.concat(fits, ignore_index=True),
                                                 scenario.config))
        files = {**files, **sim_files}
        sections.insert(len(sections) - (1 if args.calibrate else 0), section)
    if scenario.config.overflow:
        sections.insert(1 if len(moved) else 0,
                        overflow_markdown(req, scenario.config, scenario.interval_s))
    summary = summary_markdown(scenario=scenario, start=start, weeks=weeks, forecast=fc,
                               requirements=req, result=result, coverage=coverage)
    summary = "\n".join([summary, remedies_section(req, result, scenario, weeks), *sections])
    files = {"forecast.csv": to_csv(fc), "requirements.csv": to_csv(req), **files,
             "summary.md": summary.encode("utf-8")}
    written = write_outputs(args.out, files)
    for p in written:
        print(p)
    store_plan(args, data_dir=args.data, scenario=scenario, result=result, files=files,
               coverage=coverage, forecast=fc, requirements=req, start=plan_start,
               weeks=weeks, made_by="plan", run_id=run_id)
    return 0


def _requirements_and_schedule(fc: pd.DataFrame, scenario, args: argparse.Namespace,
                               start: dt.date, weeks: int):
    """Requirements of the plan weeks from ``fc``, and the schedule built on them."""
    from optimize.queueing.requirements import compute_requirements
    from optimize.scheduling import build_schedule

    plan_start = pd.Timestamp(start, tz="UTC")
    plan_end = plan_start + pd.Timedelta(weeks=weeks)
    t0 = time.perf_counter()
    req = compute_requirements(fc, scenario.config, interval_s=scenario.interval_s,
                               quantile=args.quantile)
    log.info("requirements for %d interval x queue rows in %.2f s", len(req),
             time.perf_counter() - t0)
    # Requirements are computed over the padded window (the email backlog needs the day
    # before), but the schedule answers only for the plan weeks: shortfall on the padding,
    # which belongs to unplanned neighbouring weeks, would inflate the objective and hide
    # the real gap.
    req = req[(req["interval_start"] >= plan_start) & (req["interval_start"] < plan_end)]
    req = req.reset_index(drop=True)
    t0 = time.perf_counter()
    result = build_schedule(req, scenario.agents, scenario.config, start=start, weeks=weeks,
                            time_limit_s=args.time_limit, seed=args.seed, workers=args.workers,
                            progress=progress_logger(), penalty=args.penalty,
                            previous_roster=_previous(args, start),
                            work_limit_s=args.work_limit)
    log.info("schedule %s in %.1f s: objective %.1f, bound %.1f, gap %.2f%%", result.status,
             time.perf_counter() - t0, result.objective, result.best_bound, 100 * result.gap)
    if result.status not in ("optimal", "feasible"):
        raise conflict_error(result)
    return req, result


def _previous(args: argparse.Namespace, start: dt.date) -> pd.DataFrame | None:
    """The ``--previous-roster`` file, checked (every shift before the plan), or None."""
    if args.previous_roster is None:
        return None
    from optimize.cli.readers import read_previous_roster

    return read_previous_roster(args.previous_roster, pd.Timestamp(start, tz="UTC"))


def cmd_schedule(args: argparse.Namespace) -> int:
    from optimize.outputs.summary import overflow_markdown, summary_markdown
    from optimize.scheduling import build_schedule

    scenario = load_scenario(args.data)
    req = read_requirements(args.requirements)
    start, weeks = choose_plan_weeks(scenario, parse_date(args.start) if args.start else None, args.weeks)
    result = build_schedule(req, scenario.agents, scenario.config, start=start, weeks=weeks,
                            time_limit_s=args.time_limit, seed=args.seed, workers=args.workers,
                            progress=progress_logger(), penalty=args.penalty,
                            previous_roster=_previous(args, start),
                            work_limit_s=args.work_limit)
    if result.status not in ("optimal", "feasible"):
        raise conflict_error(result)
    fc = req[["interval_start", "channel", "language", "contacts", "aht_s"]]
    files, coverage = schedule_outputs(result, fc, scenario.config, scenario.interval_s,
                                        start, weeks)
    summary = summary_markdown(scenario=scenario, start=start, weeks=weeks, forecast=fc,
                               requirements=req, result=result, coverage=coverage)
    summary += "\n" + remedies_section(req, result, scenario, weeks)
    if scenario.config.overflow:
        summary += "\n" + overflow_markdown(req, scenario.config, scenario.interval_s)
    files = {**files, "summary.md": summary.encode("utf-8")}
    for p in write_outputs(args.out, files):
        print(p)
    store_plan(args, data_dir=args.data, scenario=scenario, result=result,
               files={"requirements.csv": to_csv(req), **files}, coverage=coverage,
               forecast=fc, requirements=req, start=pd.Timestamp(start, tz="UTC"),
               weeks=weeks, made_by="schedule")
    return 0


def add_plan_parser(sub: argparse._SubParsersAction) -> None:
    """Add ``plan`` to the ``staffcast`` parser."""
    sp = sub.add_parser("plan", help="forecast, requirements, schedule and exports in one run")
    add_data_arg(sp)
    sp.add_argument("--out", type=Path, required=True, help="output directory")
    add_solver_args(sp)
    sp.add_argument("--store", type=Path, help="the store (SQLite): use its latest forecast run "
                                               "when it covers the plan window, and keep the "
                                               "plan there (a draft unless --publish)")
    add_publish_arg(sp)
    sp.add_argument("--scenario", default="typical",
                    help="market scenario: none, calm, typical, stressed, forecast (default typical)")
    sp.add_argument("--shock", help="market shock TIME@MOVE, e.g. 2026-12-03T14:00Z@-0.15")
    sp.add_argument("--quantile", help="staff to this forecast column, e.g. contacts_p90 "
                                       "(default: the mean)")
    sp.add_argument("--jobs", type=int, default=2, help="forecast and simulation worker "
                                                         "processes (default 2)")
    sp.add_argument("--simulate", action="store_true",
                    help="simulate the plan (staffcast simulate, seeded with --seed): "
                         "simulation.csv, simulation.md and a section in summary.md")
    sp.add_argument("--calibrate", type=int, nargs="?", const=1, default=0, metavar="ROUNDS",
                    help="simulate the plan, fit each queue's effective shrinkage to what "
                         "the roster delivers (chat: simulated; email, social: the roster "
                         "model), and plan again on it; ROUNDS times (default 1: about twice "
                         "the time; calibration.csv)")
    add_simulation_args(sp)
    sp.set_defaults(func=cmd_plan)


def add_schedule_parser(sub: argparse._SubParsersAction) -> None:
    """Add ``schedule`` to the ``staffcast`` parser."""
    sp = sub.add_parser("schedule", help="build a schedule from a requirements.csv")
    add_data_arg(sp)
    sp.add_argument("--requirements", type=Path, required=True, help="requirements.csv from `plan`")
    sp.add_argument("--out", type=Path, required=True, help="output directory")
    add_solver_args(sp)
    sp.add_argument("--store", type=Path, help="keep the plan in this store (SQLite; a draft "
                                               "unless --publish)")
    add_publish_arg(sp)
    sp.set_defaults(func=cmd_schedule)
