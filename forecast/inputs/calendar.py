"""``calendar.csv``: the special days of a desk (optional, in the scenario directory).

Columns: ``date`` (``YYYY-MM-DD``, a UTC day: the day of the forecasting grid, whose
intervals start at 00:00 UTC), ``scope`` (``all``, a channel such as ``chat``, a language
such as ``ko``, or a queue ``chat/ko``), ``kind`` (``closed``, ``outage``, ``holiday``,
``event``), optional ``multiplier`` (a number > 0: the day's volume against a usual day)
and ``note``.

What the forecast does with them (:mod:`forecast.closures`, :func:`forecast.forecast_panel`):
``closed`` and ``outage`` days are left out of every average, profile, fit and validation
in the history and forecast as zero in the future; ``holiday`` and ``event`` days are left
out of the history too (they are not typical days), and a future one is forecast as a
usual day times its ``multiplier``, or, without one, times the ratio the same ``note``
showed on its earlier days in the history (a yearly holiday such as Lunar New Year needs
a year of it), else as a usual day. Public holidays per language's market come from
``[holidays]`` in ``scenario.toml`` (:mod:`forecast.inputs.holidays`).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from pathlib import Path

import numpy as np
import pandas as pd

from forecast.inputs.csvio import Checked, parse_numbers, read_csv_text, row_problems
from forecast.inputs.problems import InputError

__all__ = ["CALENDAR_COLUMNS", "CALENDAR_KINDS", "CLOSING_KINDS", "check_calendar",
           "calendar_days", "load_calendar"]

CALENDAR_COLUMNS = ("date", "scope", "kind", "multiplier", "note")
CALENDAR_KINDS = ("closed", "outage", "holiday", "event")
CLOSING_KINDS = ("closed", "outage")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def check_calendar(path: str | Path, *, channels: Collection[str] = (),
                   languages: Collection[str] = ()) -> Checked:
    """Check ``calendar.csv``: every problem with its line, column and value.

    ``channels``/``languages`` (when given) are those of the contacts: a scope naming
    neither is a problem (a typo would otherwise silently apply to nothing).
    """
    frame, lines, problems = read_csv_text(path, CALENDAR_COLUMNS[:3], CALENDAR_COLUMNS[3:])
    if frame is None:
        return Checked(None, tuple(problems))
    file = Path(path).name
    text = frame["date"]
    dates = pd.to_datetime(text.where(text.str.match(_DATE)), format="%Y-%m-%d",
                           errors="coerce")
    problems += row_problems(file, dates.isna().to_numpy(), lines, "date", text,
                             "expected a date YYYY-MM-DD (a UTC day)")
    kind = frame["kind"].str.lower()
    problems += row_problems(file, ~kind.isin(CALENDAR_KINDS).to_numpy(), lines, "kind",
                             frame["kind"], f"expected one of {', '.join(CALENDAR_KINDS)}")
    scope = frame["scope"]
    if channels or languages:
        parts = scope.str.partition("/")
        known = (scope == "all") | scope.isin(set(channels)) | scope.isin(set(languages))
        known |= parts[0].isin(set(channels)) & parts[2].isin(set(languages))
        problems += row_problems(file, ~known.to_numpy(), lines, "scope", scope,
                                 "expected all, a channel, a language or a queue "
                                 "channel/language of the contacts")
    mult = np.full(len(frame), np.nan)
    if "multiplier" in frame:
        given = (frame["multiplier"] != "").to_numpy()
        mult = parse_numbers(frame["multiplier"])
        problems += row_problems(file, given & ~(mult > 0), lines, "multiplier",
                                 frame["multiplier"], "expected a number > 0 (or empty)")
        mult = np.where(given, mult, np.nan)
    if problems:
        return Checked(None, tuple(problems))
    out = pd.DataFrame({"date": pd.DatetimeIndex(dates).tz_localize("UTC"), "scope": scope,
                        "kind": kind, "multiplier": mult,
                        "note": frame["note"] if "note" in frame else ""})
    return Checked(out.sort_values("date", kind="stable").reset_index(drop=True), ())


def load_calendar(path: str | Path, **known: Collection[str]) -> pd.DataFrame:
    """:func:`check_calendar`, raising :class:`InputError` with every problem."""
    checked = check_calendar(path, **known)
    if checked.problems:
        raise InputError(checked.problems)
    return checked.frame


def calendar_days(calendar: pd.DataFrame | None, channel: str,
                  languages: Collection[str]) -> pd.DataFrame:
    """The calendar rows that apply to a series of ``channel`` summing ``languages``
    (``all``, the channel, one of the languages, or one of the queues)."""
    if calendar is None or calendar.empty:
        return pd.DataFrame(columns=list(CALENDAR_COLUMNS))
    scope = calendar["scope"]
    queues = {f"{channel}/{lang}" for lang in languages}
    hit = (scope == "all") | (scope == channel) | scope.isin(set(languages)) | scope.isin(queues)
    return calendar[hit.to_numpy()]
