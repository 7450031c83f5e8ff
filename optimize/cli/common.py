"""What every ``staffcast`` sub-command shares: exit codes, argument parsing, loading.

The command modules (:mod:`optimize.cli.plan`, :mod:`optimize.cli.forecasts`,
:mod:`optimize.cli.replan`, :mod:`optimize.cli.scenario`) import from here;
:mod:`optimize.cli.main` assembles them into one parser and maps errors to exit codes.
Heavy packages are imported inside the functions, so ``staffcast --help`` stays quick.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from forecast.inputs.problems import InputError

__all__ = ["EXIT_BAD_INPUT", "EXIT_BUSY", "WORK_LIMIT_HELP", "UsageError", "add_data_arg",
           "add_solver_args", "conflict_error", "data_end", "forecast_or_stored",
           "load_history", "load_scenario", "parse_date", "parse_shock", "parse_ts",
           "choose_plan_weeks", "progress_logger", "remedies_section", "schedule_outputs",
           "to_csv"]

log = logging.getLogger("staffcast")

EXIT_BAD_INPUT = 2
EXIT_BUSY = 3
WORK_LIMIT_HELP = ("the search's work budget in work seconds (default: the time limit): the "
                   "same inputs, --seed and --work-limit give the same schedule, unless the "
                   "time limit ends the search first (summary.md says so); e.g. "
                   "--work-limit 60 --time-limit 300 for a repeatable plan on a busy machine")


class UsageError(Exception):
    """A command-line value that cannot be used (reported like bad input)."""


def parse_ts(value: str, what: str) -> pd.Timestamp:
    """``value`` as a UTC timestamp; UsageError naming ``what`` unless ISO 8601 with an offset."""
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise UsageError(f"{what} {value!r} is not an ISO 8601 timestamp (e.g. 2026-12-01T00:00Z)") from None
    if ts.tzinfo is None:
        raise UsageError(f"{what} {value!r} has no UTC offset; add Z or +00:00")
    return ts.tz_convert("UTC")


def parse_date(value: str) -> dt.date:
    """The ``--start`` value as a date; UsageError unless an ISO date."""
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"--start {value!r} is not an ISO date such as 2026-11-30") from None


def parse_shock(value: str):
    """A :class:`forecast.Shock` from ``TIME@MOVE`` (or ``TIME,MOVE``)."""
    from forecast import Shock

    at, sep, move = value.rpartition("@")
    if not sep:
        at, sep, move = value.partition(",")
    try:
        return Shock(at=parse_ts(at, "--shock time"), move=float(move))
    except ValueError:
        raise UsageError(f"--shock {value!r}: expected TIME@MOVE, e.g. 2026-12-03T14:00Z@-0.15") from None


def load_scenario(data: Path):
    """The checked scenario directory ``data`` (InputError lists every problem)."""
    from optimize.scenario.load import load_scenario_dir

    t0 = time.perf_counter()
    scenario = load_scenario_dir(data)
    log.info("loaded %s: %d contact rows, %d queues, %d agents (%.1f s)", data,
             len(scenario.contacts), len(scenario.queues), len(scenario.agents),
             time.perf_counter() - t0)
    return scenario


def load_history(data: Path):
    """The checked history of ``data`` (contacts, market when present): all that
    forecasting needs; InputError lists every problem."""
    from forecast.inputs.directory import load_history_dir

    t0 = time.perf_counter()
    history = load_history_dir(data)
    log.info("loaded %s: %d contact rows, %d queues (%.1f s)", data, len(history.contacts),
             len(history.queues), time.perf_counter() - t0)
    return history


def data_end(contacts: pd.DataFrame, interval_s: int) -> pd.Timestamp:
    """The end of the last interval of history."""
    return contacts["interval_start"].max() + pd.Timedelta(seconds=interval_s)


def to_csv(df: pd.DataFrame) -> bytes:
    """A table as spreadsheet-safe CSV bytes (:func:`optimize.outputs.export.table_to_csv`)."""
    from optimize.outputs.export import table_to_csv

    return table_to_csv(df)


def forecast_or_stored(data, *, asof: pd.Timestamp, horizon_days: int, scenario_name: str,
                       shock, jobs: int, store: Path | None) -> tuple[pd.DataFrame, str | None]:
    """Forecast from the latest stored run when it covers the window, else fit now.

    ``data`` is a :class:`~forecast.inputs.directory.History` or a scenario (anything with
    ``contacts``, ``market``, ``interval_s`` and ``queues``). Returns the forecast and the
    stored run's id (``None`` when forecast now)."""
    if store is not None and store.exists():
        from forecast.store.runs import latest_run, load_forecast

        run = latest_run(store)
        if run is not None:
            fc = load_forecast(store, run.run_id)
            end = asof + pd.Timedelta(days=horizon_days)
            if fc["interval_start"].min() <= asof and fc["interval_start"].max() >= end - pd.Timedelta(
                    seconds=data.interval_s):
                log.info("using forecast run %s from %s (created %s)", run.run_id, store, run.created_at)
                return fc, run.run_id
            log.info("latest run %s does not cover %s..%s; forecasting now", run.run_id, asof, end)
    from forecast import forecast_panel

    t0 = time.perf_counter()
    fc = forecast_panel(data.contacts, data.market, asof=asof, horizon_days=horizon_days,
                        scenario=scenario_name, shock=shock, jobs=jobs,
                        calendar=getattr(data, "calendar", None))
    log.info("forecast %d queues x %d days from %s in %.1f s", len(data.queues), horizon_days,
             asof, time.perf_counter() - t0)
    return fc, None


def choose_plan_weeks(scenario, start: dt.date | None, weeks: int | None) -> tuple[dt.date, int]:
    """The plan's first day and number of weeks: the options, else scenario.toml, else the data."""
    from optimize.scenario.horizon import plan_window

    end = data_end(scenario.contacts, scenario.interval_s)
    t0, t1 = plan_window(end, scenario.config.horizon, start=start, weeks=weeks)
    return t0.date(), (t1 - t0).days // 7


def schedule_outputs(result, forecast: pd.DataFrame, config, interval_s: int,
                      start: dt.date, weeks: int) -> tuple[dict[str, bytes], pd.DataFrame]:
    """Export tables, and coverage over the plan weeks only (see ``evaluate_staffing``; email
    and social on the roster's activities)."""
    from optimize.outputs.export import schedule_files
    from optimize.queueing.requirements import evaluate_staffing

    t0 = pd.Timestamp(start, tz="UTC")
    coverage = evaluate_staffing(forecast, result.staffed, config, interval_s=interval_s,
                                 window=(t0, t0 + pd.Timedelta(weeks=weeks)),
                                 roster=result.activities)
    return schedule_files(result, coverage), coverage


def remedies_section(requirements: pd.DataFrame, result, scenario, weeks: int) -> str:
    """``summary.md``'s section on why queues are short and what would fix it."""
    from optimize.outputs.summary import remedies_markdown
    from optimize.scheduling.remedy import language_totals, shortfall_reasons

    args = (requirements, result.staffed, result.roster, scenario.agents)
    return remedies_markdown(
        shortfall_reasons(*args, scenario.config, weeks=weeks, interval_s=scenario.interval_s),
        language_totals(*args, weeks=weeks, interval_s=scenario.interval_s))


def progress_logger() -> Callable:
    """A solver progress callback that logs at most every 5 s."""
    last = [0.0]

    def progress(info) -> None:
        now = time.perf_counter()
        if now - last[0] >= 5.0:
            last[0] = now
            log.info("solver: %s", info)

    return progress


def conflict_error(result) -> InputError:
    """The InputError of an infeasible schedule: one problem per rule conflict."""
    from forecast.inputs.problems import Problem

    reasons = result.conflicts or (f"solver status {result.status}",)
    return InputError([Problem("agents.csv", f"no schedule satisfies the hard rules: {r}")
                       for r in reasons])




def add_data_arg(sp: argparse.ArgumentParser) -> None:
    """The ``--data`` option: a scenario directory."""
    sp.add_argument("--data", type=Path, required=True,
                    help="scenario directory with contacts.csv[.gz], market.csv, agents.csv, "
                         "scenario.toml (see README)")


def add_solver_args(sp: argparse.ArgumentParser) -> None:
    """The options of the commands that build a schedule (`plan`, `schedule`)."""
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
