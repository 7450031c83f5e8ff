"""Plans in the store: ``staffcast plans``, ``publish`` and ``export``, and the saving of a
plan by ``plan``, ``schedule`` and ``replan`` (:func:`store_plan`).

Wiring only: the records live in :mod:`optimize.records`.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import pandas as pd

from optimize.cli.common import UsageError
from optimize.outputs.export import write_outputs

__all__ = ["add_publish_arg", "add_records_parsers", "cmd_export", "cmd_plans", "cmd_publish",
           "plans_table", "store_plan"]

log = logging.getLogger("staffcast")

#: files of a record that are for the app, not exports
_INTERNAL = ("unmet.csv", "penalties.csv")


def add_publish_arg(sp: argparse.ArgumentParser) -> None:
    """The ``--publish`` option of the commands that store a plan."""
    sp.add_argument("--publish", action="store_true",
                    help="with --store: publish the stored plan (it replaces the published "
                         "plan of its scenario and week; default: keep it as a draft)")


def store_plan(args: argparse.Namespace, *, data_dir: Path, scenario, result,
               files: dict[str, bytes], coverage: pd.DataFrame, forecast: pd.DataFrame,
               requirements: pd.DataFrame, start: pd.Timestamp, weeks: int, made_by: str,
               run_id: str | None = None, parent_id: str | None = None):
    """Save the plan just written to ``--out`` in ``--store`` (nothing without it), as the
    next draft (or, with ``--publish``, the published plan) of its scenario and week;
    ``start`` is the first instant of the plan (tz-aware)."""
    store = getattr(args, "store", None)
    if store is None:  # (main refuses --publish without --store before any work)
        return None
    from optimize.outputs.figures import plan_figures
    from optimize.records import fingerprint_dir, record_files, save_plan, scenario_label

    t0 = pd.Timestamp(start).tz_convert("UTC")
    t1 = t0 + pd.Timedelta(weeks=weeks)
    figures = plan_figures(result, coverage, forecast, scenario.config, t0, t1,
                           scenario.interval_s, requirements=requirements,
                           agents=scenario.agents)
    names = ("seed", "time_limit", "work_limit", "penalty", "scenario", "shock", "quantile",
             "asof", "keep_today", "simulate", "calibrate")
    settings = {n: getattr(args, n) for n in names if getattr(args, n, None) is not None}
    info = save_plan(store, scenario=scenario_label(data_dir), fingerprint=fingerprint_dir(data_dir),
                     start=t0, weeks=weeks, files=record_files(result, files), figures=figures,
                     settings=settings, made_by=made_by, run_id=run_id, parent_id=parent_id,
                     publish=bool(getattr(args, "publish", False)))
    print(f"stored plan {info.plan_id} ({info.status}) in {store}")
    return info


def plans_table(plans) -> pd.DataFrame:
    """The listing of ``staffcast plans`` (one row per plan, newest first)."""
    rows = [{
        "plan": p.plan_id, "status": p.status, "made_by": p.made_by,
        "created_utc": f"{p.created_at:%Y-%m-%d %H:%M}",
        "week": f"{p.start:%Y-%m-%d}+{p.weeks}w", "forecast_run": p.run_id or "-",
        "parent": p.parent_id or "-", "shifts": p.figures.get("shifts"),
        "paid_h": p.figures.get("paid_hours"), "rows_short": p.figures.get("rows_short"),
        "rows_below_target": p.figures.get("rows_below_target"),
        "objective": p.figures.get("objective"),
    } for p in plans]
    return pd.DataFrame(rows)


def _store(args: argparse.Namespace) -> Path:
    if not Path(args.store).is_file():
        raise UsageError(f"--store {str(args.store)!r} does not exist (`staffcast plan --store` "
                         "creates it)")
    return Path(args.store)


def cmd_plans(args: argparse.Namespace) -> int:
    """``staffcast plans``: list the stored plans."""
    from optimize.records import list_plans, scenario_label

    scenario = scenario_label(args.data) if args.data is not None else None
    plans = list_plans(_store(args), scenario=scenario)
    if not plans:
        print(f"no plans in {args.store}" + (f" for scenario {scenario!r}" if scenario else ""))
        return 0
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(plans_table(plans).to_string(index=False))
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    """``staffcast publish``: make a stored plan the published plan of its week."""
    from optimize.records import publish_plan

    info = publish_plan(_store(args), args.plan)
    print(f"published {info.plan_id} (week of {info.start:%Y-%m-%d}, {info.weeks} week(s))")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """``staffcast export``: write a stored plan's files into ``--out``."""
    from optimize.records import load_plan_files

    files = load_plan_files(_store(args), args.plan)
    for p in write_outputs(args.out, {n: d for n, d in files.items() if n not in _INTERNAL}):
        print(p)
    return 0


def add_records_parsers(sub: argparse._SubParsersAction) -> None:
    """Add ``plans``, ``publish`` and ``export`` to the ``staffcast`` parser."""
    sp = sub.add_parser("plans", help="list the plans kept in a store")
    sp.add_argument("--store", type=Path, required=True, help="the store (SQLite)")
    sp.add_argument("--data", type=Path, help="only the plans of this scenario directory")
    sp.set_defaults(func=cmd_plans)

    sp = sub.add_parser("publish", help="publish a stored plan (the app opens on it)")
    sp.add_argument("plan", help="plan id, e.g. sample-2026-11-30-v2 (see `staffcast plans`)")
    sp.add_argument("--store", type=Path, required=True, help="the store (SQLite)")
    sp.set_defaults(func=cmd_publish)

    sp = sub.add_parser("export", help="write a stored plan's files (roster.csv, ...)")
    sp.add_argument("plan", help="plan id (see `staffcast plans`)")
    sp.add_argument("--store", type=Path, required=True, help="the store (SQLite)")
    sp.add_argument("--out", type=Path, required=True, help="output directory")
    sp.set_defaults(func=cmd_export)
