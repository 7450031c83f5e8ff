"""A history directory: what forecasting needs, and nothing more.

Forecasting, backtests and the refresh job need the contacts history (``contacts.csv`` or
``contacts.csv.gz``) and, when present, ``market.csv`` and ``calendar.csv`` (special days,
:mod:`forecast.inputs.calendar`). :func:`load_history_dir` reads just those, so a directory holding only ``contacts.csv`` can be forecast; agents and the
scenario's targets are checked by the commands that schedule
(:func:`optimize.scenario.load_scenario_dir`).
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from forecast.inputs.history import ContactsChecked, check_contacts, check_market
from forecast.inputs.problems import InputError, Problem, raise_if_any

__all__ = ["History", "contacts_path", "load_history_dir", "queues_of", "read_calendar_file",
           "read_history_files"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class History:
    """The contacts history (``interval_start, channel, language, contacts, aht_s``), the
    market (``timestamp, price[, volume]``, or None), the interval length in seconds and
    the directory they were read from."""

    contacts: pd.DataFrame
    market: pd.DataFrame | None
    interval_s: int
    directory: Path
    calendar: pd.DataFrame | None = None  # calendar.csv, when the directory has one

    @property
    def queues(self) -> pd.DataFrame:
        """Distinct ``channel, language`` pairs of the contacts history, sorted."""
        return queues_of(self.contacts)


def queues_of(contacts: pd.DataFrame) -> pd.DataFrame:
    """Distinct ``channel, language`` pairs of a contacts table, sorted."""
    return (contacts[["channel", "language"]].drop_duplicates()
            .sort_values(["channel", "language"]).reset_index(drop=True))


def contacts_path(directory: str | Path) -> Path | Problem:
    """``contacts.csv`` or ``contacts.csv.gz`` in ``directory``, or the problem finding it."""
    directory = Path(directory)
    plain, gz = directory / "contacts.csv", directory / "contacts.csv.gz"
    if plain.is_file() and gz.is_file():
        return Problem("contacts.csv", "both contacts.csv and contacts.csv.gz exist; keep one")
    if plain.is_file() or gz.is_file():
        return plain if plain.is_file() else gz
    return Problem("contacts.csv", f"file not found in {directory} (nor contacts.csv.gz)")


def read_history_files(directory: Path, *, channels: Collection[str] | None = None
                       ) -> tuple[ContactsChecked, object | None, list[Problem]]:
    """Check the contacts file and, when present, ``market.csv`` of ``directory``.

    Returns the checked contacts, the checked market (None without ``market.csv``) and
    every problem found; raises nothing, so a caller can add the problems of other files.
    """
    where = contacts_path(directory)
    contacts = (ContactsChecked(None, (where,)) if isinstance(where, Problem)
                else check_contacts(where, channels=channels))
    problems = list(contacts.problems)
    market = None
    if (directory / "market.csv").is_file():
        market = check_market(directory / "market.csv")
        problems += market.problems
    else:
        log.info("%s: no market.csv; forecasting without market data", directory)
    return contacts, market, problems


def read_calendar_file(directory: Path, contacts: ContactsChecked
                       ) -> tuple[pd.DataFrame | None, list[Problem]]:
    """``calendar.csv`` of ``directory`` checked against the contacts' channels and
    languages, plus the whole days the contacts file has no rows for (outages of the
    export) and the public holidays of ``[holidays]`` in ``scenario.toml``
    (:mod:`forecast.inputs.holidays`); None and no problem when there is none of them."""
    from forecast.inputs.calendar import check_calendar
    from forecast.inputs.holidays import holiday_rows, read_holiday_map

    path = directory / "calendar.csv"
    frame = contacts.frame
    mapping, problems = read_holiday_map(directory, tuple(contacts.languages))
    parts = [_missing_rows(contacts)]
    if frame is not None and mapping:
        t = frame["interval_start"]
        parts.append(holiday_rows(mapping, t.min(), t.max()))
    if path.is_file():
        channels = () if frame is None else tuple(frame["channel"].unique())
        checked = check_calendar(path, channels=channels, languages=tuple(contacts.languages))
        problems += list(checked.problems)
        parts.insert(0, checked.frame)
    parts = [p for p in parts if p is not None and len(p)]
    if problems or not parts:
        return None, problems
    return pd.concat(parts, ignore_index=True), []


def _missing_rows(contacts: ContactsChecked) -> pd.DataFrame | None:
    """The whole days the contacts file has no rows for, as calendar outages (or None)."""
    if not contacts.missing_days:
        return None
    return pd.DataFrame({"date": [t for _, t in contacts.missing_days],
                         "scope": [q for q, _ in contacts.missing_days], "kind": "outage",
                         "multiplier": np.nan, "note": "no rows in the contacts file"})


def load_history_dir(directory: str | Path) -> History:
    """Read and check the history of ``directory`` (contacts, and market when present).

    Raises
    ------
    InputError
        Every problem of both files, one per line; also when the directory is missing.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise InputError([Problem(str(directory), "data directory not found")])
    contacts, market, problems = read_history_files(directory)
    calendar, found = read_calendar_file(directory, contacts)
    raise_if_any(problems + found)
    return History(contacts=contacts.frame, market=None if market is None else market.frame,
                   interval_s=contacts.interval_s, directory=directory, calendar=calendar)
