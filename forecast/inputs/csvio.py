"""Reading CSV inputs at the boundary: text decoding, required columns, row problems.

Shared by every loader (``forecast.inputs.history`` for contacts and market, ``optimize.scenario.agents``).
Parsing is vectorised over distinct values; a problem names file, 1-based line (header =
line 1), column and value, and each check lists at most :data:`MAX_PER_CHECK` rows before
one ``"... and N more rows with the same problem"`` line.
"""

from __future__ import annotations

import gzip
import logging
import re
import zlib
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from forecast.inputs.problems import Problem

__all__ = ["MAX_PER_CHECK", "Checked", "parse_numbers", "parse_timestamps", "read_csv_text",
           "release_unused_memory", "row_problems"]

log = logging.getLogger(__name__)

MAX_PER_CHECK = 10  # rows reported per file x column x problem before summarising
_OFFSET_RE = r"[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:[Zz]|[+-]\d{2}(?::?\d{2})?)$"


@dataclass(frozen=True, eq=False)
class Checked:
    """The outcome of checking one input file.

    ``frame`` is the clean in-memory table, or ``None`` when there is any problem.
    """

    frame: pd.DataFrame | None
    problems: tuple[Problem, ...]



def release_unused_memory() -> None:
    """Hand memory freed by pyarrow-backed (pandas ``str``) columns back to the OS.

    pyarrow's allocator keeps freed blocks for reuse; after reading a large CSV as text it
    holds several hundred MB that nothing uses (measured: 360 MB after a 4.5-million-row
    contacts file). A no-op without pyarrow.
    """
    try:
        import pyarrow as pa
    except ImportError:  # pragma: no cover - pandas 3 installs it with the str dtype
        return
    pa.default_memory_pool().release_unused()


def row_problems(file: str, bad: np.ndarray, lines: np.ndarray, column: str | None,
                 values: Sequence[object] | np.ndarray | pd.Series, message: str,
                 detail: np.ndarray | None = None, cap: int = MAX_PER_CHECK) -> list[Problem]:
    """One :class:`Problem` per row where ``bad`` holds, the first ``cap`` then a summary.

    ``values`` (and ``detail``, formatted into ``message``'s ``{}``) are aligned with
    ``bad`` position-wise; ``lines`` holds 1-based file lines.
    """
    idx = np.flatnonzero(np.asarray(bad, dtype=bool))
    if not len(idx):
        return []
    shown = idx[:cap]
    vals = values.iloc[shown] if isinstance(values, pd.Series) else np.asarray(values)[shown]
    out = [Problem(file, message if detail is None else message.format(detail[i]),
                   line=int(lines[i]), column=column, value=v)
           for i, v in zip(shown, list(vals), strict=True)]
    if len(idx) > cap:
        out.append(Problem(file, f"... and {len(idx) - cap} more rows with the same problem",
                           column=column))
    return out


def _by_unique(values: pd.Series, parse: Callable[[pd.Series], np.ndarray]) -> np.ndarray:
    """Apply a vectorised ``parse`` to the distinct values only, then spread it back."""
    codes, uniques = pd.factorize(values)
    return np.asarray(parse(pd.Series(uniques, dtype=object)))[codes]


def read_csv_text(path: str | Path, required: Collection[str],
                  optional: Collection[str] = ()) -> tuple[pd.DataFrame | None, np.ndarray,
                                                           list[Problem]]:
    """Read a CSV (plain or ``.gz``) as stripped text, one str column per known column.

    Returns ``(frame, lines, problems)``: ``frame`` is ``None`` when the file cannot be
    used at all (missing, unreadable, empty, missing columns); ``lines`` gives the 1-based
    file line of each row. Blank lines are skipped but counted.
    """
    path = Path(path)
    file = path.name
    none = np.empty(0, dtype=np.int64)
    if not path.is_file():
        return None, none, [Problem(file, f"file not found in {path.parent}")]
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, skip_blank_lines=False,
                          encoding="utf-8-sig", compression="infer")
    except pd.errors.EmptyDataError:
        return None, none, [Problem(file, "file is empty; expected a header line and data rows")]
    except UnicodeDecodeError:
        return None, none, [_utf8_problem(path)]
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        return None, none, [Problem(file, f"not a readable gzip file ({exc})")]
    except pd.errors.ParserError as exc:
        m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        if m is None:
            return None, none, [Problem(file, f"not a well-formed CSV: {str(exc).strip()}")]
        return None, none, [Problem(file, f"expected {m[1]} comma-separated fields (as in the "
                                    f"header), found {m[3]}", line=int(m[2]))]
    raw.columns = [str(c).strip() for c in raw.columns]
    problems: list[Problem] = []
    names = list(raw.columns)
    for name in names:
        base, _, suffix = name.rpartition(".")
        if suffix.isdigit() and base in names:
            problems.append(Problem(file, "duplicate column in the header", line=1, column=base))
    for name in required:
        if name not in names:
            problems.append(Problem(file, f"missing column; the header has {names}", line=1,
                                    column=name))
    if problems:
        return None, none, problems
    extra = [c for c in names if c not in required and c not in optional]
    if extra:
        log.info("%s: ignoring extra columns %s", file, extra)
    keep = [c for c in names if c in required or c in optional]
    frame = raw[keep].fillna("")
    for col in keep:
        frame[col] = frame[col].str.strip()
    lines = np.arange(2, len(frame) + 2, dtype=np.int64)
    blank = (frame == "").all(axis=1).to_numpy() if keep else np.ones(len(frame), dtype=bool)
    if blank.any():
        frame, lines = frame[~blank].reset_index(drop=True), lines[~blank]
    if frame.empty:
        return None, none, [Problem(file, "file has a header but no data rows")]
    return frame, lines, []


def _utf8_problem(path: Path) -> Problem:
    """Where a file stops being UTF-8 (1-based line), for the rare file that is not."""
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b" and path.suffix != ".gz":
        return Problem(path.name, f"gzip-compressed; name it {path.name}.gz or decompress it")
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return Problem(path.name, f"not UTF-8 text (byte {data[exc.start]:#04x}); save the file "
                       "as UTF-8", line=line)
    return Problem(path.name, "not UTF-8 text; save the file as UTF-8")


def parse_timestamps(raw: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parse ISO 8601 strings with offsets to UTC nanoseconds.

    Returns ``(ns, unparseable, naive)``: int64 nanoseconds since the epoch (meaningless
    where a mask holds), a mask of empty/unparseable/out-of-range values, and a mask of
    parseable values without a UTC offset.
    """

    def parse(u: pd.Series) -> np.ndarray:
        ts = pd.to_datetime(u, format="ISO8601", utc=True, errors="coerce")
        ok = ts.notna() & (ts >= pd.Timestamp("1900-01-01", tz="UTC")) & (
            ts < pd.Timestamp("2262-01-01", tz="UTC"))
        ns = ts.where(ok).astype("datetime64[ns, UTC]").array.asi8  # NaT -> int64 min
        has_offset = u.astype(str).str.contains(_OFFSET_RE, regex=True).to_numpy()
        status = np.where(~ok.to_numpy(), 1, np.where(has_offset, 0, 2))
        return np.column_stack([ns, status])

    both = _by_unique(raw, parse).reshape(-1, 2)
    return both[:, 0].astype(np.int64), both[:, 1] == 1, both[:, 1] == 2


def parse_numbers(raw: pd.Series) -> np.ndarray:
    """Parse text to float64; NaN where empty or not a finite number."""

    def parse(u: pd.Series) -> np.ndarray:
        x = pd.to_numeric(u, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        return np.where(np.isfinite(x), x, np.nan)

    return _by_unique(raw, parse).astype(np.float64)
