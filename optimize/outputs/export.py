"""Exports people open: roster / activities / coverage CSV, and the roster as iCalendar.

CSV: UTF-8, ISO 8601 timestamps with their offset, the columns of ``docs/contract.md`` in
order, and every text cell a spreadsheet would execute (starting with ``=``, ``+``, ``-``,
``@``, tab or carriage return) prefixed with a single quote.

iCalendar (RFC 5545): one ``VEVENT`` per shift, times in UTC, lines folded at 75 octets
and ended by CRLF. The ``UID`` is built from the agent id and the shift's local date (an
agent works at most one shift per local day), so re-importing a re-planned roster updates
the event of that day instead of adding a second one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from forecast.inputs.problems import InputError, Problem

__all__ = ["write_outputs", "escape_cell", "read_table", "table_to_csv", "roster_to_csv", "activities_to_csv", "coverage_to_csv",
           "roster_to_ics", "ics_uid", "schedule_files"]

ROSTER_COLUMNS = ("agent_id", "name", "timezone", "shift_date", "start_utc", "end_utc",
                  "start_local", "end_local", "paid_hours", "template")
ACTIVITY_COLUMNS = ("agent_id", "start_utc", "end_utc", "activity", "channel", "language")
COVERAGE_COLUMNS = ("interval_start", "channel", "language", "required_agents",
                    "scheduled_agents", "service_level", "asa_s", "abandon_rate")
COVERAGE_OPTIONAL = ("backlog", "oldest_age_h")
_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value: object) -> object:
    """Prefix a text value that a spreadsheet would run as a formula with ``'``.

    Numbers and other non-text values are returned unchanged.
    """
    if isinstance(value, str) and value.startswith(_DANGEROUS):
        return "'" + value
    return value


def _iso(col: pd.Series) -> pd.Series:
    """ISO 8601 text with offset for tz-aware datetime columns; others unchanged."""
    if isinstance(col.dtype, pd.DatetimeTZDtype):
        text = col.dt.strftime("%Y-%m-%dT%H:%M:%S%z")
        return text.str.replace(r"([+-]\d\d)(\d\d)$", r"\1:\2", regex=True)
    return col


def _to_csv(df: pd.DataFrame, columns: tuple[str, ...], what: str,
            optional: tuple[str, ...] = ()) -> bytes:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{what} is missing columns {missing}")
    cols = list(columns) + [c for c in optional if c in df.columns]
    out = df[cols].copy()
    for c in cols:
        out[c] = _iso(out[c])
        if out[c].dtype == object or pd.api.types.is_string_dtype(out[c]):
            out[c] = out[c].map(escape_cell)
    return out.to_csv(index=False, lineterminator="\n").encode("utf-8")


def table_to_csv(df: pd.DataFrame) -> bytes:
    """Any stage table (forecast, requirements, ...) as CSV bytes, all columns, escaped."""
    return _to_csv(df, tuple(df.columns), "table")


def roster_to_csv(df: pd.DataFrame) -> bytes:
    """``roster.csv`` bytes (one row per shift)."""
    return _to_csv(df, ROSTER_COLUMNS, "roster")


def activities_to_csv(df: pd.DataFrame) -> bytes:
    """``activities.csv`` bytes (one row per activity segment)."""
    return _to_csv(df, ACTIVITY_COLUMNS, "activities")


def coverage_to_csv(df: pd.DataFrame) -> bytes:
    """``coverage.csv`` bytes (one row per interval x queue; backlog columns if present)."""
    return _to_csv(df, COVERAGE_COLUMNS, "coverage", optional=COVERAGE_OPTIONAL)


def read_table(source: bytes | Path, name: str, needed: list[str], hint: str) -> pd.DataFrame:
    """A CSV this module wrote (a file or its bytes) back as a table: timestamps parsed to
    UTC, local times kept as text, the spreadsheet escaping of names undone.

    Raises
    ------
    InputError
        Naming ``name`` when a column of ``needed`` is missing (``hint`` says what file was
        expected) or a timestamp column holds a value that is not ISO 8601.
    """
    buffer = io.BytesIO(source) if isinstance(source, bytes) else source
    df = pd.read_csv(buffer, encoding="utf-8-sig", keep_default_na=False, na_values=[""],
                     dtype={"shift_date": str, "start_local": str, "end_local": str})
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise InputError([Problem(name, f"missing column(s) {missing}; expected {hint}")])
    for col in ("interval_start", "start_utc", "end_utc"):
        if col in df.columns:
            try:
                df[col] = pd.to_datetime(df[col], utc=True, format="ISO8601")
            except (ValueError, TypeError):
                raise InputError([Problem(name, f"column {col!r} has a value that is not an "
                                                "ISO 8601 timestamp")]) from None
    for col in ("channel", "language"):
        if col in df.columns:
            df[col] = df[col].fillna("").astype(str)
    for col in ("agent_id", "name"):  # undo escape_cell
        if col in df.columns:
            df[col] = df[col].astype(str).str.replace(r"^'(?=[=+\-@\t\r])", "", regex=True)
    return df


def ics_uid(agent_id: object, shift_date: object) -> str:
    """Stable event UID of an agent's shift on a local date."""
    key = f"{agent_id}|{str(shift_date)[:10]}".encode()
    return f"{hashlib.sha1(key).hexdigest()[:20]}-{str(shift_date)[:10]}@staffcast"


def _ics_text(value: object) -> str:
    """RFC 5545 TEXT escaping (3.3.11)."""
    s = str(value)
    for a, b in (("\\", "\\\\"), (";", "\\;"), (",", "\\,"), ("\r\n", "\\n"), ("\n", "\\n")):
        s = s.replace(a, b)
    return s


def _fold(line: str) -> str:
    """Fold a content line at 75 octets (RFC 5545 3.1), never inside a UTF-8 character."""
    out, cur, size = [], "", 0
    for ch in line:
        n = len(ch.encode("utf-8"))
        if size + n > 75:
            out.append(cur)
            cur, size = " ", 1
        cur += ch
        size += n
    out.append(cur)
    return "\r\n".join(out)


def _utc(ts: object) -> str:
    return pd.Timestamp(ts).tz_convert("UTC").strftime("%Y%m%dT%H%M%SZ")


def roster_to_ics(roster: pd.DataFrame, *, stamp: dt.datetime | None = None) -> bytes:
    """The roster as one iCalendar file (UTF-8, CRLF), one event per shift.

    ``stamp`` (tz-aware) is the ``DTSTAMP`` of every event; default: now.
    """
    missing = [c for c in ("agent_id", "name", "shift_date", "start_utc", "end_utc")
               if c not in roster.columns]
    if missing:
        raise ValueError(f"roster is missing columns {missing}")
    stamp_txt = _utc(stamp if stamp is not None else dt.datetime.now(dt.UTC))
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//staffcast//roster//EN",
             "CALSCALE:GREGORIAN", "METHOD:PUBLISH"]
    for row in roster.itertuples(index=False):
        template = getattr(row, "template", "shift")
        lines += [
            "BEGIN:VEVENT",
            f"UID:{ics_uid(row.agent_id, row.shift_date)}",
            f"DTSTAMP:{stamp_txt}",
            f"DTSTART:{_utc(row.start_utc)}",
            f"DTEND:{_utc(row.end_utc)}",
            _fold(f"SUMMARY:{_ics_text(f'{template} shift: {row.name}')}"),
            _fold(f"DESCRIPTION:{_ics_text(f'agent {row.agent_id}')}"),
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def schedule_files(result, coverage: pd.DataFrame) -> dict[str, bytes]:
    """The files a schedule is published as: ``roster.csv``, ``activities.csv``,
    ``coverage.csv`` (``coverage``: its evaluation) and ``roster.ics``; the commands and the
    app's Build write the same bytes."""
    return {"roster.csv": roster_to_csv(result.roster),
            "activities.csv": activities_to_csv(result.activities),
            "coverage.csv": coverage_to_csv(coverage),
            "roster.ics": roster_to_ics(result.roster)}


def write_outputs(out_dir: Path, files: Mapping[str, bytes]) -> list[Path]:
    """Write ``files`` (name -> bytes) into ``out_dir`` atomically per file.

    Everything is first written to a temporary directory beside ``out_dir``; only when all
    files are written are they moved into place with :func:`os.replace`. A failure before
    that leaves the previous contents of ``out_dir`` untouched.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".staffcast-", dir=out_dir.parent))
    try:
        for name, data in files.items():
            (tmp / name).write_bytes(data)
        written = []
        for name in files:
            target = out_dir / name
            os.replace(tmp / name, target)
            written.append(target)
        return written
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
