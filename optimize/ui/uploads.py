"""Checks on uploaded scenario files before they reach the loader (pure functions)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd

from forecast.inputs.problems import Problem

__all__ = ["EXPECTED", "read_uploads", "problems_table"]

#: file names a scenario directory may hold, and whether each is required
EXPECTED = {"contacts.csv": True, "contacts.csv.gz": True, "market.csv": False, "calendar.csv": False,
            "agents.csv": True, "scenario.toml": True}


def read_uploads(files: Sequence[tuple[str, bytes]], *, max_mb: float
                 ) -> tuple[tuple[tuple[str, bytes], ...], list[Problem]]:
    """Check uploaded ``(name, bytes)`` pairs: known names, no duplicates, size limit,
    every required file present (``contacts.csv`` or ``contacts.csv.gz``).

    Returns
    -------
    tuple
        The files sorted by name, and the problems found (empty when the upload can go to
        the loader).
    """
    problems: list[Problem] = []
    seen: dict[str, bytes] = {}
    limit = int(max_mb * 1024 * 1024)
    for name, data in files:
        if name not in EXPECTED:
            problems.append(Problem(name, f"unexpected file; expected names among "
                                          f"{sorted(EXPECTED)}"))
            continue
        if name in seen:
            problems.append(Problem(name, "uploaded twice; upload each file once"))
            continue
        if len(data) > limit:
            problems.append(Problem(name, f"file is {len(data) / 2**20:.1f} MB; the limit is "
                                          f"{max_mb:g} MB per file"))
            continue
        if not data:
            problems.append(Problem(name, "file is empty"))
            continue
        seen[name] = data
    if "contacts.csv" in seen and "contacts.csv.gz" in seen:
        problems.append(Problem("contacts.csv", "upload contacts.csv or contacts.csv.gz, not both"))
    has = set(seen) | {p.file for p in problems}
    if not {"contacts.csv", "contacts.csv.gz"} & has:
        problems.append(Problem("contacts.csv", "missing: upload contacts.csv or contacts.csv.gz"))
    for name in ("agents.csv", "scenario.toml"):
        if name not in has:
            problems.append(Problem(name, "missing: this file is required"))
    return tuple(sorted(seen.items())), problems


def problems_table(problems: Iterable[Problem]) -> pd.DataFrame:
    """Problems as a table a person reads: ``file, line, column, value, problem``."""
    rows = [{"file": p.file, "line": p.line, "column": p.column,
             "value": None if p.value is None else repr(p.value), "problem": p.message}
            for p in problems]
    df = pd.DataFrame(rows, columns=["file", "line", "column", "value", "problem"])
    df["line"] = df["line"].astype("Int64")
    return df
