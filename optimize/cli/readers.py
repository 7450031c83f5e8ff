"""Reading back the tables earlier commands wrote: requirements, roster, activities.

Each reader checks the columns it needs and parses timestamps to UTC; a missing file or
column is an :class:`~forecast.inputs.problems.InputError` naming the file.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from forecast.inputs.problems import InputError, Problem
from optimize.outputs.export import read_table

__all__ = ["plan_weeks_from_coverage", "read_plan_table", "read_previous_roster", "read_requirements"]


def read_requirements(path: Path) -> pd.DataFrame:
    """Read a requirements.csv written by ``staffcast plan``."""
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


def read_plan_table(path: Path, needed: list[str], hint: str) -> pd.DataFrame:
    """A CSV of the table contract, timestamps parsed to UTC; InputError naming the file
    (:func:`optimize.outputs.export.read_table`)."""
    if not path.is_file():
        raise InputError([Problem(path.name, f"file not found in {path.parent}")])
    return read_table(path, path.name, needed, hint)


def read_previous_roster(path: Path, start: pd.Timestamp) -> pd.DataFrame:
    """The ``--previous-roster`` file: a roster.csv whose shifts all lie before ``start``."""
    prev = read_plan_table(path, ["agent_id", "shift_date", "start_utc", "end_utc"],
                 "the roster.csv of the days before the plan")
    dates = prev["shift_date"].astype(str).str[:10]
    bad = ~dates.str.fullmatch(r"\d{4}-\d{2}-\d{2}") | (dates >= f"{start:%Y-%m-%d}")
    if bad.any():
        i = int(bad.to_numpy().argmax())
        raise InputError([Problem(path.name, f"expected a local date before the plan start "
                                             f"{start:%Y-%m-%d}", line=i + 2,
                                  column="shift_date", value=str(prev["shift_date"].iloc[i]))])
    return prev


def plan_weeks_from_coverage(coverage: pd.DataFrame, path: Path) -> tuple[pd.Timestamp, int]:
    """First instant and number of weeks of a plan, from its ``coverage.csv`` (whole weeks
    from a UTC midnight, else an InputError naming ``path``)."""
    t0, last = coverage["interval_start"].min(), coverage["interval_start"].max()
    days = (last - t0) / pd.Timedelta(days=1)
    if pd.isna(t0) or t0 != t0.normalize() or not 6 < days < 7 * 52:
        raise InputError([Problem(path.name, "does not span whole plan weeks starting at a UTC "
                                             f"midnight (first interval {t0}, last {last})")])
    return t0, int(round(days / 7))
