"""Public holidays per language's market, from the ``holidays`` package.

``scenario.toml`` may map languages to the countries whose public holidays move their
queues (``[holidays]``, e.g. ``ko = "KR"``, ``zh = "CN"``). Each holiday of those
countries becomes a ``calendar.csv``-style row (``date``, ``scope`` = the language,
``kind = "holiday"``, no multiplier, ``note`` = the country code and the holiday's name),
for every year of the history and the two after it, so the forecast treats it like a
declared holiday (:mod:`forecast.inputs.calendar`): left out of the fits, and forecast as
a usual day times the ratio the same holiday showed on its earlier dates in the history
(a yearly holiday needs a year of history for that; without one it is a usual day).

Dates are the country's local dates taken as UTC days (the grid's days): for a market far
from UTC the holiday's first hours fall on the UTC day before. Only the ``[holidays]``
table of ``scenario.toml`` is read here, so a history directory needs nothing else.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pandas as pd

from forecast.inputs.problems import Problem

__all__ = ["TABLE", "holiday_rows", "read_holiday_map"]

TABLE = "holidays"


def read_holiday_map(directory: Path, languages=()) -> tuple[dict[str, str], list[Problem]]:
    """``[holidays]`` of ``directory/scenario.toml`` (language -> country code) and its
    problems; empty without the file or the table. A file that is not valid TOML is left
    to the scenario loader to report."""
    path = Path(directory) / "scenario.toml"
    if not path.is_file():
        return {}, []
    try:
        doc = tomllib.loads(path.read_bytes().decode("utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        return {}, []
    table = doc.get(TABLE)
    if table is None:
        return {}, []
    if not isinstance(table, dict):
        return {}, [Problem("scenario.toml", "expected a [holidays] table of LANGUAGE = "
                                              "\"COUNTRY\"", column=TABLE, value=table)]
    import holidays

    supported = holidays.list_supported_countries()
    out, problems = {}, []
    for lang, code in table.items():
        where = f"{TABLE}.{lang}"
        if not isinstance(code, str) or code.upper() not in supported:
            problems.append(Problem("scenario.toml", "expected a country code the holidays "
                                    "package knows, e.g. \"KR\"", column=where, value=code))
        elif languages and lang not in set(languages):
            problems.append(Problem("scenario.toml", f"language not in the contacts history "
                                    f"{sorted(languages)}", column=where, value=lang))
        else:
            out[str(lang)] = code.upper()
    return out, problems


def holiday_rows(mapping: dict[str, str], first: pd.Timestamp, last: pd.Timestamp
                 ) -> pd.DataFrame | None:
    """Calendar rows of the mapped countries' public holidays from the year of ``first``
    to two years after ``last`` (None without a mapping)."""
    if not mapping:
        return None
    import holidays

    years = list(range(pd.Timestamp(first).year, pd.Timestamp(last).year + 3))
    rows = []
    for lang, code in sorted(mapping.items()):
        for day, name in sorted(holidays.country_holidays(code, years=years).items()):
            rows.append({"date": pd.Timestamp(day, tz="UTC"), "scope": lang, "kind": "holiday",
                         "multiplier": np.nan, "note": f"{code} {name}"})
    return pd.DataFrame(rows, columns=["date", "scope", "kind", "multiplier", "note"])
