"""A stored plan's files as tables, and a schedule as the files a plan record keeps.

:func:`record_files` adds to a command's export files the two tables the app reads and the
exports do not carry (``unmet.csv``, ``penalties.csv``); :func:`stored_schedule` reads a
record's files back into a :class:`~optimize.scheduling.schedule.ScheduleResult` (the
``staffed`` heads are the ``scheduled_agents`` of ``coverage.csv``), so the app and
``replan --plan`` work on a stored plan as on one just built.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import pandas as pd

from forecast.inputs.problems import InputError, Problem
from optimize.outputs.export import read_table, table_to_csv
from optimize.records.store import PlanInfo

if TYPE_CHECKING:
    from optimize.scheduling.schedule import ScheduleResult

__all__ = ["REQUIRED_FILES", "record_files", "read_record_table", "stored_schedule"]

#: the files every plan record holds (besides forecast.csv, requirements.csv, summary.md, ...)
REQUIRED_FILES = ("roster.csv", "activities.csv", "coverage.csv", "unmet.csv", "penalties.csv")
_NEEDED = {
    "roster.csv": ["agent_id", "name", "timezone", "shift_date", "start_utc", "end_utc",
                   "start_local", "end_local", "paid_hours", "template"],
    "activities.csv": ["agent_id", "start_utc", "end_utc", "activity", "channel", "language"],
    "coverage.csv": ["interval_start", "channel", "language", "scheduled_agents"],
    "unmet.csv": ["interval_start", "channel", "language"],
    "penalties.csv": ["name", "kind", "cost"],
    "forecast.csv": ["interval_start", "channel", "language", "contacts", "aht_s"],
    "requirements.csv": ["interval_start", "channel", "language", "contacts",
                         "required_scheduled"],
}


def record_files(result: ScheduleResult, files: Mapping[str, bytes]) -> dict[str, bytes]:
    """``files`` (a command's outputs) plus the result's ``unmet.csv`` and ``penalties.csv``."""
    return {**files, "unmet.csv": table_to_csv(result.unmet),
            "penalties.csv": table_to_csv(result.penalties)}


def read_record_table(files: Mapping[str, bytes], name: str, plan_id: str) -> pd.DataFrame:
    """One CSV of a plan record as a table; InputError naming the plan when it lacks it."""
    if name not in files:
        raise InputError([Problem(name, f"not in stored plan {plan_id}")])
    return read_table(files[name], f"{plan_id}/{name}", _NEEDED.get(name, []),
                      f"the {name} of a stored plan")


def stored_schedule(info: PlanInfo, files: Mapping[str, bytes]) -> ScheduleResult:
    """The schedule of a stored plan, as :func:`optimize.scheduling.build_schedule` gave it
    (solver figures from ``info.figures``)."""
    from optimize.scheduling.schedule import ScheduleResult  # the solver stack: only here

    tables = {name: read_record_table(files, name, info.plan_id) for name in REQUIRED_FILES}
    cov = tables["coverage.csv"]
    nan = float("nan")
    fig = info.figures

    def num(key: str) -> float:
        value = fig.get(key)
        return nan if value is None else float(value)

    return ScheduleResult(
        status=str(fig.get("status", "feasible")), roster=tables["roster.csv"],
        activities=tables["activities.csv"],
        staffed=cov[["interval_start", "channel", "language", "scheduled_agents"]].copy(),
        objective=num("objective"), best_bound=num("best_bound"), gap=num("gap"),
        wall_time_s=num("wall_time_s"), unmet=tables["unmet.csv"],
        penalties=tables["penalties.csv"], cut=str(fig.get("cut", "")),
        work_s=num("work_s"))
