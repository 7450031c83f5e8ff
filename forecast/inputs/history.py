"""Read and check ``contacts.csv`` (or ``.csv.gz``) and ``market.csv`` at the boundary.

Every check is a vectorised mask over the file's rows (or over its distinct values, which
is where the parsing is done: a 560,000-row history has ~35,000 distinct timestamps).
Problems name file, 1-based line (header = line 1), column, value and what was expected;
each check reports at most :data:`MAX_PER_CHECK` rows and then one
``"... and N more rows with the same problem"`` line. Accepted, not errors: a UTF-8 BOM,
Windows line endings, blank lines (and rows of empty fields), surrounding spaces, offsets
other than ``+00:00`` (normalised to UTC), whole counts written as ``3.0`` or ``1e3``, and
extra columns (ignored, logged). Quoted fields spanning lines would shift line numbers.

``aht_s`` when ``contacts`` is 0: empty is expected, but a number (an exporter writing
``0`` or a stale value) is also accepted and discarded, since it describes no contact;
a non-numeric value is still reported because it usually means shifted columns.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from forecast.inputs.csvio import (
    MAX_PER_CHECK,
    Checked,
    parse_numbers,
    parse_timestamps,
    read_csv_text,
    release_unused_memory,
    row_problems,
)
from forecast.inputs.problems import Problem, raise_if_any

__all__ = ["CONTACTS_COLUMNS", "MARKET_COLUMNS", "MAX_AHT_S", "MAX_PER_CHECK", "Checked",
           "ContactsChecked", "check_contacts", "check_market", "load_contacts", "load_market"]

log = logging.getLogger(__name__)

CONTACTS_COLUMNS = ("interval_start", "channel", "language", "contacts", "aht_s")
MARKET_COLUMNS = ("timestamp", "price", "volume")
MAX_AHT_S = 4 * 3600.0  # a mean handle time above 4 h is a unit mistake (ms? minutes?)
INTERVAL_MINUTES = (15, 30, 60)
_NS_PER_MIN = 60 * 10**9
_LANGUAGE_RE = r"^[a-z]{2}$"
_TS_EXPECTED = "expected an ISO 8601 timestamp with offset such as 2026-01-05T09:30:00+00:00"


@dataclass(frozen=True, eq=False)
class ContactsChecked(Checked):
    """:class:`Checked` plus what cross-file checks need even when the file has problems."""

    languages: frozenset[str] = frozenset()  # well-formed languages seen in the file
    interval_s: int | None = None  # inferred interval length, when it could be inferred
    #: whole UTC days without rows, ``(channel/language, day)``: outages of the export
    missing_days: tuple[tuple[str, pd.Timestamp], ...] = ()


# --------------------------------------------------------------------------- timestamps and grid


def _timestamp_problems(file: str, column: str, raw: pd.Series, lines: np.ndarray
                        ) -> tuple[np.ndarray, np.ndarray, list[Problem]]:
    """Parse a timestamp column; return ``(ns, ok, problems)``."""
    ns, unparseable, naive = parse_timestamps(raw)
    empty = (raw == "").to_numpy()
    problems = row_problems(file, empty, lines, column, raw, f"missing value; {_TS_EXPECTED}")
    problems += row_problems(file, unparseable & ~empty, lines, column, raw,
                             f"unparseable timestamp; {_TS_EXPECTED}")
    problems += row_problems(file, naive, lines, column, raw,
                             "timestamp has no UTC offset; expected e.g. "
                             "2026-01-05T09:30:00+00:00 or ...Z")
    return ns, ~(unparseable | naive), problems


def _step_ns(ns_unique_sorted: np.ndarray) -> int | None:
    """Most common spacing of sorted distinct timestamps (None for fewer than two)."""
    if len(ns_unique_sorted) < 2:
        return None
    steps, counts = np.unique(np.diff(ns_unique_sorted), return_counts=True)
    return int(steps[np.argmax(counts)])


def _fmt(ns: int) -> str:
    return pd.Timestamp(ns, tz="UTC").isoformat()


# --------------------------------------------------------------------------- contacts


def _grid_problems(file: str, ns: np.ndarray, ok: np.ndarray, queue: np.ndarray,
                   names: Callable[[int], str], lines: np.ndarray, raw_ts: pd.Series,
                   missing: list[tuple[str, int]] | None = None
                   ) -> tuple[int | None, np.ndarray, list[Problem]]:
    """Interval length, grid alignment, duplicates and gaps of the rows where ``ok`` holds.

    Gaps are only looked for when every row has good keys and no other grid problem,
    since a dropped or misdated row would otherwise be reported twice.

    ``queue`` is an int code per row (its order is the output order) and ``names(code)``
    spells a queue for messages. Returns ``(step_ns, order, problems)`` where ``order``
    lists the row positions sorted by queue and time. A gap of whole UTC days (from
    midnight to midnight) is not a problem when ``missing`` is given: a real export leaves
    out the days a queue was closed or its tool down, and each such day is appended to
    ``missing`` as ``(queue name, day start in ns)`` instead.
    """
    problems: list[Problem] = []
    uniq = np.sort(pd.unique(ns[ok]))
    step = _step_ns(uniq)
    if step is None or step not in {m * _NS_PER_MIN for m in INTERVAL_MINUTES}:
        if step is None and len(uniq):
            problems.append(Problem(file, "only one distinct interval; at least two are needed "
                                    "to infer the interval length", column="interval_start"))
        elif step is not None:
            problems.append(Problem(file, "inferred interval length (the most common spacing) "
                                    "is not 15, 30 or 60 minutes", column="interval_start",
                                    value=f"{step / _NS_PER_MIN:g} min"))
        return None, np.flatnonzero(ok), problems
    k = np.zeros(len(ns), dtype=np.int64)
    k[ok] = ns[ok] - uniq[0]
    off = ok & (k % step != 0)
    problems += row_problems(file, off, lines, "interval_start", raw_ts,
                             f"irregular interval: not on the {step // _NS_PER_MIN}-minute grid "
                             f"starting at {_fmt(uniq[0])}")
    pos = np.flatnonzero(ok & ~off)
    k_max = (uniq[-1] - uniq[0]) // step + 1
    key = queue[pos].astype(np.int64) * k_max + k[pos] // step
    sort = np.argsort(key, kind="stable")  # stable: the first of duplicates stays first
    pos, key = pos[sort], key[sort]
    same = key[1:] == key[:-1]
    if same.any():
        run_start = np.maximum.accumulate(np.where(np.r_[False, same], 0, np.arange(len(key))))
        dup = np.zeros(len(ns), dtype=bool)
        first_line = np.zeros(len(ns), dtype=np.int64)
        dup[pos[1:][same]] = True
        first_line[pos[1:][same]] = lines[pos[run_start[1:][same]]]
        problems += row_problems(file, dup, lines, "interval_start", raw_ts,
                                 "duplicate row for this interval, channel and language; "
                                 "first at line {}", detail=first_line)
        pos, key = pos[np.r_[True, ~same]], key[np.r_[True, ~same]]
    if problems or not ok.all():  # gaps would mostly echo the rows already reported
        return step, pos, problems
    jump = np.diff(key)
    gap = np.flatnonzero((key[1:] // k_max == key[:-1] // k_max) & (jump > 1)) + 1
    if missing is not None and len(gap):
        day = 24 * 60 * _NS_PER_MIN
        t0s = ns[pos[gap - 1]] + step
        lengths = (jump[gap - 1] - 1) * step
        whole = (t0s % day == 0) & (lengths % day == 0)
        for i, t0, length in zip(gap[whole], t0s[whole], lengths[whole], strict=True):
            q = names(key[i] // k_max)
            missing += [(q, int(t0 + d * day)) for d in range(int(length // day))]
        gap = gap[~whole]
    for i in gap[:MAX_PER_CHECK]:
        n, t0 = jump[i - 1] - 1, ns[pos[i - 1]] + step
        problems.append(Problem(
            file, f"missing intervals: no row for {names(key[i] // k_max)} from {_fmt(t0)} to "
            f"{_fmt(t0 + (n - 1) * step)} ({n} interval{'s' if n > 1 else ''}); expected one "
            "row per interval, contacts 0 when none arrived", line=int(lines[pos[i]]),
            column="interval_start"))
    if len(gap) > MAX_PER_CHECK:
        problems.append(Problem(file, f"... and {len(gap) - MAX_PER_CHECK} more gaps",
                                column="interval_start"))
    return step, pos, problems


def check_contacts(path: str | Path, *, channels: Collection[str] | None = None
                   ) -> ContactsChecked:
    """Check ``contacts.csv``/``.csv.gz`` and build its in-memory table, collecting problems.

    ``channels``, when given, are the configured channel names every row must use.
    """
    result = _check_contacts(path, channels)
    release_unused_memory()  # the text of the file is garbage now
    return result


def _check_contacts(path: str | Path, channels: Collection[str] | None) -> ContactsChecked:
    frame, lines, problems = read_csv_text(path, CONTACTS_COLUMNS)
    if frame is None:
        return ContactsChecked(None, tuple(problems))
    file = Path(path).name
    ns, ts_ok, p = _timestamp_problems(file, "interval_start", frame["interval_start"], lines)
    problems += p

    c_code, c_uniq = pd.factorize(frame["channel"], sort=True)
    bad_ch = (c_uniq == "")[c_code]
    problems += row_problems(file, bad_ch, lines, "channel", frame["channel"],
                             "missing value; expected a channel name")
    if channels is not None:
        unknown = ~c_uniq.isin(list(channels))[c_code] & ~bad_ch
        problems += row_problems(file, unknown, lines, "channel", frame["channel"],
                                 f"channel not configured in scenario.toml; expected one of "
                                 f"{sorted(channels)}")
        bad_ch |= unknown
    l_code, l_uniq = pd.factorize(frame["language"], sort=True)
    l_good = np.asarray(l_uniq.str.fullmatch(_LANGUAGE_RE), dtype=bool)
    bad_lang = ~l_good[l_code]
    problems += row_problems(file, bad_lang, lines, "language", frame["language"],
                             "expected an ISO 639-1 language code (two lowercase letters) "
                             "such as en")

    raw_n, raw_a = frame["contacts"], frame["aht_s"]
    n, aht = parse_numbers(raw_n), parse_numbers(raw_a)
    empty_n, empty_a = (raw_n == "").to_numpy(), (raw_a == "").to_numpy()
    count = "expected an integer >= 0"
    count_checks = {f"missing value; {count}": empty_n, count: np.isnan(n) & ~empty_n,
                    f"negative count; {count}": n < 0,
                    f"not a whole number; {count}": (n >= 0) & (n != np.round(n))}
    n_ok = ~np.logical_or.reduce(list(count_checks.values()))
    busy = n_ok & (n > 0)
    want = f"expected the mean handle time in seconds, in (0, {MAX_AHT_S:g}], when contacts > 0"
    aht_checks = {f"missing value; {want}": busy & empty_a,
                  f"not a number; {want}": busy & ~empty_a & np.isnan(aht),
                  f"handle time out of range; {want}": busy & ((aht <= 0) | (aht > MAX_AHT_S)),
                  "expected empty (or a number) when contacts is 0":
                      n_ok & (n == 0) & ~empty_a & np.isnan(aht)}
    for column, raw, checks in (("contacts", raw_n, count_checks), ("aht_s", raw_a, aht_checks)):
        for message, bad in checks.items():
            problems += row_problems(file, bad, lines, column, raw, message)

    n_lang = max(len(l_uniq), 1)
    queue = c_code.astype(np.int64) * n_lang + l_code

    def names(q: int) -> str:
        return f"{c_uniq[q // n_lang]}/{l_uniq[q % n_lang]}"

    missing: list[tuple[str, int]] = []
    step, order, p = _grid_problems(file, ns, ts_ok & ~bad_ch & ~bad_lang, queue, names, lines,
                                    frame["interval_start"], missing)
    problems += p
    languages = frozenset(l_uniq[l_good].tolist())
    interval_s = None if step is None else step // 10**9
    if problems:
        return ContactsChecked(None, tuple(problems), languages, interval_s)
    contacts = n[order].astype(np.int64)
    out = pd.DataFrame({
        "interval_start": pd.DatetimeIndex(ns[order].view("datetime64[ns]")).tz_localize("UTC"),
        "channel": c_uniq.take(c_code[order]).array,
        "language": l_uniq.take(l_code[order]).array,
        "contacts": contacts,
        "aht_s": np.where(contacts > 0, aht[order], np.nan),
    })
    log.info("%s: %d rows, %d queues, %d-minute intervals", file, len(out),
             len(np.unique(queue)), step // _NS_PER_MIN)
    days = tuple((q, pd.Timestamp(t, tz="UTC")) for q, t in missing)
    if days:
        shown = ", ".join(f"{q} {t:%Y-%m-%d}" for q, t in days[:10])
        log.warning("%s: no rows at all for %d queue-day(s) (%s%s): read as outages of the "
                    "export, left out of the forecast's fits like calendar.csv outages", file,
                    len(days), shown, ", ..." if len(days) > 10 else "")
    return ContactsChecked(out, (), languages, interval_s, days)


def load_contacts(path: str | Path, *, channels: Collection[str] | None = None) -> pd.DataFrame:
    """Read ``contacts.csv`` or ``contacts.csv.gz`` into the contract's in-memory table.

    Parameters
    ----------
    path : str or Path
        The file.
    channels : collection of str, optional
        Configured channel names; rows using any other channel are problems.

    Returns
    -------
    DataFrame
        ``interval_start`` (datetime64[ns, UTC]), ``channel``, ``language``, ``contacts``
        (int64), ``aht_s`` (float64, NaN when contacts is 0), sorted by channel, language,
        interval_start.

    Raises
    ------
    InputError
        With every problem found (see the module docstring for what is checked).
    """
    result = check_contacts(path, channels=channels)
    raise_if_any(result.problems)
    return result.frame


# --------------------------------------------------------------------------- market


def check_market(path: str | Path) -> Checked:
    """Check ``market.csv`` and build its in-memory table, collecting problems."""
    frame, lines, problems = read_csv_text(path, MARKET_COLUMNS[:2], MARKET_COLUMNS[2:])
    if frame is None:
        return Checked(None, tuple(problems))
    file = Path(path).name
    ns, ts_ok, problems = _timestamp_problems(file, "timestamp", frame["timestamp"], lines)
    price = parse_numbers(frame["price"])
    problems += row_problems(file, ~(price > 0), lines, "price", frame["price"],
                             "expected a number > 0")
    volume = None
    if "volume" in frame:
        volume = parse_numbers(frame["volume"])
        bad = (frame["volume"] != "").to_numpy() & ~(volume >= 0)
        problems += row_problems(file, bad, lines, "volume", frame["volume"],
                                 "expected a number >= 0 (or empty)")
    dup = pd.Series(ns).duplicated().to_numpy() & ts_ok
    problems += row_problems(file, dup, lines, "timestamp", frame["timestamp"],
                             "duplicate timestamp")
    step = _step_ns(np.unique(ns[ts_ok]))
    if step is not None and step > 60 * _NS_PER_MIN:
        problems.append(Problem(file, "market data must be hourly or finer; the most common "
                                "spacing is longer", column="timestamp",
                                value=f"{step / _NS_PER_MIN:g} min"))
    if problems:
        return Checked(None, tuple(problems))
    order = np.argsort(ns, kind="stable")
    out = pd.DataFrame({
        "timestamp": pd.DatetimeIndex(ns[order].view("datetime64[ns]")).tz_localize("UTC"),
        "price": price[order],
    })
    if volume is not None:
        out["volume"] = volume[order]
    return Checked(out, ())


def load_market(path: str | Path) -> pd.DataFrame:
    """Read ``market.csv`` into ``timestamp`` (datetime64[ns, UTC], sorted), ``price``
    (float64 > 0) and, when the file has it, ``volume`` (float64 >= 0, NaN when empty).

    Raises
    ------
    InputError
        Missing file/column, bad or naive or duplicate timestamps, price <= 0, volume < 0,
        spacing coarser than hourly.
    """
    result = check_market(path)
    raise_if_any(result.problems)
    return result.frame

