"""``staffcast replan``: re-plan a published roster from ``--asof`` against a new forecast.

Reads the published plan: a directory (``--roster``: ``roster.csv``, ``activities.csv``,
and ``coverage.csv`` for the planned weeks, as written by ``staffcast plan`` or
``schedule``) or a plan kept in the store (``--plan ID --store S``; the re-plan is then
kept there too, as a draft naming its parent),
the scenario directory (``--data``: agents and ``scenario.toml``; a plan directory does
not record it) and the new forecast; writes the new ``roster.csv``, ``activities.csv``,
``coverage.csv``, ``roster.ics``, ``summary.md``, ``requirements.csv`` and ``changes.csv``
atomically into ``--out``. The new forecast wins where it has rows; intervals it does not
cover are taken from the plan directory's ``forecast.csv`` when there is one.
``--previous-roster`` (the ``roster.csv`` of the days before the plan) carries minimum
rest and consecutive days over the week start; ``--cost-extended``, ``--cost-moved``,
``--cost-cancelled`` and ``--cost-called-in`` set the
:class:`~optimize.scheduling.replan.rest_of_week.ReplanCosts` (cost units, >= 0).
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import math
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from forecast.inputs.problems import InputError, Problem
from optimize.cli.common import (
    WORK_LIMIT_HELP,
    UsageError,
    conflict_error,
    load_scenario,
    parse_ts,
    progress_logger,
    remedies_section,
    schedule_outputs,
    to_csv,
)
from optimize.cli.readers import plan_weeks_from_coverage, read_plan_table, read_previous_roster
from optimize.cli.records import add_publish_arg, store_plan
from optimize.outputs.export import write_outputs

if TYPE_CHECKING:
    from optimize.scheduling.replan.rest_of_week import ReplanCosts

__all__ = ["COST_FLAGS", "add_replan_parser", "cmd_replan"]

log = logging.getLogger("staffcast")

_KEYS = ["interval_start", "channel", "language"]
# ReplanCosts field -> (what it prices, its default): spelled out here so that building
# the parser does not import the solver; tests/optimize/scheduling/test_replan_inputs.py checks the defaults
COST_FLAGS = {"extended": ("extending a started shift", 3.0),
              "moved": ("moving a published shift", 8.0),
              "cancelled": ("cancelling a published shift", 12.0),
              "called_in": ("calling an agent in on a day off", 16.0)}


def _new_forecast(path: Path, old: pd.DataFrame | None, t0: pd.Timestamp, t1: pd.Timestamp,
                  asof: pd.Timestamp, interval_s: int) -> pd.DataFrame:
    from optimize.scenario.horizon import LOCAL_PAD

    fc = read_plan_table(path, _KEYS + ["contacts", "aht_s"], "a forecast table (`staffcast forecast`)")
    if old is not None:
        new_keys = pd.MultiIndex.from_frame(fc[_KEYS])
        old = old[~pd.MultiIndex.from_frame(old[_KEYS]).isin(new_keys)]
        fc = pd.concat([old, fc], ignore_index=True).sort_values(_KEYS, kind="stable")
    step = pd.Timedelta(seconds=interval_s)
    first, last = fc["interval_start"].min(), fc["interval_start"].max()
    if first > t0 or last < t1 - step:
        raise InputError([Problem(path.name, f"covers {first} .. {last}, not the whole plan "
                                             f"weeks {t0:%Y-%m-%d} .. {t1:%Y-%m-%d} (add the "
                                             "plan's forecast.csv to the roster directory or "
                                             "forecast from the plan start)")])
    if last < asof:
        raise InputError([Problem(path.name, f"ends {last}, before --asof {asof}")])
    keep = (fc["interval_start"] >= t0 - LOCAL_PAD) & (fc["interval_start"] < t1 + LOCAL_PAD)
    return fc[keep].reset_index(drop=True)


def _costs(args: argparse.Namespace, error: type[Exception]) -> ReplanCosts:
    """:class:`ReplanCosts` from the ``--cost-*`` flags; ``error`` naming the flag and value."""
    from optimize.scheduling.replan.rest_of_week import ReplanCosts

    values = {}
    for f in dataclasses.fields(ReplanCosts):
        raw = getattr(args, f"cost_{f.name}", None)
        if raw is None:
            continue
        try:
            value = float(raw)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and value >= 0):
            raise error(f"--cost-{f.name.replace('_', '-')} {raw!r} must be a number >= 0 "
                        "(cost units)")
        values[f.name] = value
    return ReplanCosts(**values)


def cmd_replan(args: argparse.Namespace) -> int:
    """Run ``staffcast replan`` (see the module docstring)."""
    from optimize.outputs.summary import summary_markdown
    from optimize.queueing.requirements import compute_requirements
    from optimize.queueing.routing import route_hours
    from optimize.scheduling.replan.rest_of_week import replan

    costs = _costs(args, UsageError)
    asof = parse_ts(args.asof, "--asof")
    roster, acts, cov, old_fc, where = _published_plan(args)
    t0, weeks = plan_weeks_from_coverage(cov, Path(where))
    t1 = t0 + pd.Timedelta(weeks=weeks)
    if not t0 <= asof < t1:
        raise UsageError(f"--asof {args.asof!r} is outside the roster's weeks "
                         f"{t0:%Y-%m-%d} .. {t1:%Y-%m-%d} (UTC, from {where})")
    prev = None if args.previous_roster is None else read_previous_roster(args.previous_roster, t0)
    scenario = load_scenario(args.data)
    fc = _new_forecast(Path(args.forecast), old_fc, t0, t1, asof, scenario.interval_s)
    # hours of operation; idempotent on the plan's forecast.csv rows, routed already
    fc, _ = route_hours(fc, scenario.config.hours)
    req = compute_requirements(fc, scenario.config, interval_s=scenario.interval_s)
    req = req[(req["interval_start"] >= t0) & (req["interval_start"] < t1)].reset_index(drop=True)
    start = t0.date()
    res = replan(roster, acts, req, scenario.agents, scenario.config, start=start, weeks=weeks,
                 asof=asof, keep_today=args.keep_today, costs=costs, previous_roster=prev,
                 time_limit_s=args.time_limit, seed=args.seed, workers=args.workers,
                 progress=progress_logger(), work_limit_s=args.work_limit)
    if res.schedule.status not in ("optimal", "feasible"):
        raise conflict_error(res.schedule)
    files, coverage = schedule_outputs(res.schedule, fc, scenario.config, scenario.interval_s,
                                        start, weeks)
    summary = summary_markdown(scenario=scenario, start=start, weeks=weeks, forecast=fc,
                               requirements=req, result=res.schedule, coverage=coverage)
    summary += "\n" + remedies_section(req, res.schedule, scenario, weeks)
    files = {"requirements.csv": to_csv(req), **files, "changes.csv": to_csv(res.changes),
             "summary.md": (summary + f"\n{res.summary}\n").encode("utf-8")}
    for p in write_outputs(args.out, files):
        print(p)
    print(res.summary)
    store_plan(args, data_dir=args.data, scenario=scenario, result=res.schedule,
               files={"forecast.csv": to_csv(fc), **files}, coverage=coverage, forecast=fc,
               requirements=req, start=t0, weeks=weeks, made_by="replan",
               parent_id=args.plan)
    return 0


def _published_plan(args: argparse.Namespace) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame,
                                                       pd.DataFrame | None, str]:
    """Roster, activities, coverage and forecast (or None) of the plan to re-plan (a stored
    plan with ``--plan``, else the ``--roster`` directory), and where they came from."""
    roster_cols = ["agent_id", "shift_date", "start_utc", "end_utc", "start_local", "end_local",
                   "template"]
    if args.plan is not None:
        from optimize.records import load_plan_files
        from optimize.records.tables import read_record_table

        if args.store is None:
            raise UsageError("--plan needs --store (the store that holds the plan)")
        files = load_plan_files(args.store, args.plan)
        tables = [read_record_table(files, name, args.plan) for name in
                  ("roster.csv", "activities.csv", "coverage.csv")]
        fc = (read_record_table(files, "forecast.csv", args.plan)
              if "forecast.csv" in files else None)
        return (*tables, fc, f"stored plan {args.plan}")
    roster_dir = Path(args.roster)
    if not roster_dir.is_dir():
        raise UsageError(f"--roster {str(roster_dir)!r} is not a directory")
    roster = read_plan_table(roster_dir / "roster.csv", roster_cols,
                             "the roster.csv written by `staffcast plan`")
    acts = read_plan_table(roster_dir / "activities.csv", ["agent_id", "start_utc", "end_utc",
                                                           "activity", "channel", "language"],
                           "the activities.csv written by `staffcast plan`")
    cov_path = roster_dir / "coverage.csv"
    cov = read_plan_table(cov_path, _KEYS, "the coverage.csv written by `staffcast plan`")
    fc_path = roster_dir / "forecast.csv"
    fc = (read_plan_table(fc_path, _KEYS + ["contacts", "aht_s"], "the plan's forecast.csv")
          if fc_path.is_file() else None)
    return roster, acts, cov, fc, str(cov_path)


def add_replan_parser(sub: argparse._SubParsersAction) -> None:
    """Add the ``replan`` sub-command to the ``staffcast`` parser."""
    sp = sub.add_parser("replan", help="re-plan a published roster from --asof against a new "
                                       "forecast (started shifts stay)")
    source = sp.add_mutually_exclusive_group(required=True)
    source.add_argument("--roster", type=Path,
                        help="published plan directory (roster.csv, activities.csv, "
                             "coverage.csv; forecast.csv is used for intervals the new "
                             "forecast lacks)")
    source.add_argument("--plan", metavar="ID",
                        help="a plan kept in --store (see `staffcast plans`) instead of a "
                             "directory")
    sp.add_argument("--asof", required=True, help="now (ISO 8601 with offset): shifts started "
                                                  "before it are kept")
    sp.add_argument("--forecast", type=Path, required=True, help="new forecast CSV (the table "
                                                                 "of `staffcast forecast`)")
    sp.add_argument("--data", type=Path, required=True,
                    help="scenario directory of the plan (agents.csv, scenario.toml, ...)")
    sp.add_argument("--keep-today", action="store_true",
                    help="also keep every shift published for today (each agent's local day "
                         "of --asof) and call nobody in for the rest of it")
    sp.add_argument("--previous-roster", type=Path, metavar="FILE",
                    help="roster.csv of the days before the plan: minimum rest and consecutive "
                         "working days carry over into the week")
    for name, (what, default) in COST_FLAGS.items():
        sp.add_argument(f"--cost-{name.replace('_', '-')}", metavar="UNITS",
                        help=f"cost of {what}, in cost units (one head short for one "
                             f"interval on a priority-1 queue; default {default:g})")
    sp.add_argument("--out", type=Path, required=True, help="output directory")
    sp.add_argument("--store", type=Path, help="the store of --plan; the re-plan is kept there "
                                               "as a new draft (unless --publish) naming the "
                                               "plan it changed")
    add_publish_arg(sp)
    sp.add_argument("--time-limit", type=float, default=60.0, help="solver time limit, s "
                                                                   "(default 60)")
    sp.add_argument("--work-limit", type=float, metavar="S", help=WORK_LIMIT_HELP)
    sp.add_argument("--seed", type=int, default=0, help="solver random seed (default 0)")
    sp.add_argument("--workers", type=int, default=2, help="solver threads (default 2)")
    sp.set_defaults(func=cmd_replan)
