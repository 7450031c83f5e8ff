"""Read and check ``agents.csv``: one row per agent, its skills, time zone and contract.

Problems name file, 1-based line, column, value and what was expected (see
:mod:`forecast.inputs.history` for the shared reading rules: BOM, CRLF and blank lines accepted,
at most ten rows reported per problem). ``vip`` accepts ``true``/``false`` (also
``yes``/``no``, ``1``/``0``, any case; empty = false). Weekly hours must lie in
``[0, MAX_HOURS_WEEK]`` with ``max_hours_week > 0`` and ``min_hours_week <= max_hours_week``.

Optional preferences (soft: the scheduler honours them unless that costs service, see
:mod:`optimize.scheduling.problem.preferences`): ``preferred_start`` is a window of local shift
start times ``HH:MM-HH:MM`` (both ends included; ``22:00-02:00`` wraps past midnight),
``preferred_days_off`` a ``;``-separated list of weekdays (``Mon`` ... ``Sun``, any case).
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from forecast.inputs.csvio import Checked, parse_numbers, read_csv_text, row_problems
from forecast.inputs.problems import Problem, raise_if_any

__all__ = ["AGENT_COLUMNS", "MAX_HOURS_WEEK", "check_agents", "load_agents"]

log = logging.getLogger(__name__)

AGENT_COLUMNS = ("agent_id", "name", "languages", "channels", "timezone", "min_hours_week",
                 "max_hours_week", "unavailable", "vip", "preferred_start",
                 "preferred_days_off")
_REQUIRED = AGENT_COLUMNS[:7]
MAX_HOURS_WEEK = 84.0  # 7 x 12 h: anything above is a typo
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WINDOW = r"([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)"
_VIP = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False,
        "": False}


def _parts(raw: pd.Series) -> pd.Series:
    """Explode a ``;``-separated column: one stripped part per row, index = row position."""
    parts = raw.str.split(";").explode().astype(object).fillna("").str.strip()
    return parts


def _tuples(parts: pd.Series, n_rows: int) -> list[tuple]:
    """Group exploded parts back to one tuple per row (order kept, duplicates dropped)."""
    frame = pd.DataFrame({"row": parts.index, "v": parts.to_numpy(dtype=object)})
    frame = frame[frame["v"] != ""].drop_duplicates()
    grouped = frame.groupby("row", sort=True)["v"].agg(tuple)
    return [grouped.get(i, ()) for i in range(n_rows)]


def _valid_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def _list_problems(file: str, column: str, parts: pd.Series, lines: np.ndarray,
                   allowed: Collection[str] | None, pattern: str | None, what: str,
                   unknown_message: str) -> list[Problem]:
    """Problems of a ``;``-separated list column (empty list, bad format, unknown item)."""
    part_lines = lines[parts.index.to_numpy()]
    filled = (parts != "").groupby(level=0).any().to_numpy()
    out = row_problems(file, ~filled, lines, column, np.full(len(filled), "", dtype=object),
                       f"missing value; expected {what}")
    bad = np.zeros(len(parts), dtype=bool)
    if pattern is not None:
        bad = (parts != "").to_numpy() & ~parts.str.fullmatch(pattern).to_numpy(dtype=bool)
        out += row_problems(file, bad, part_lines, column, parts, f"expected {what}")
    if allowed is not None:
        unknown = (parts != "").to_numpy() & ~bad & ~parts.isin(list(allowed)).to_numpy()
        out += row_problems(file, unknown, part_lines, column, parts,
                            f"{unknown_message}; expected one of {sorted(allowed)}")
    return out


def check_agents(path: str | Path, *, channels: Collection[str] | None = None,
                 languages: Collection[str] | None = None,
                 vip_channels: Collection[str] = ()) -> Checked:
    """Check ``agents.csv`` and build its in-memory table, collecting every problem.

    ``channels`` (configured in scenario.toml) and ``languages`` (seen in contacts), when
    given, bound what an agent may list; an agent listing one of ``vip_channels`` must have
    ``vip`` true.
    """
    frame, lines, problems = read_csv_text(path, _REQUIRED, AGENT_COLUMNS[7:])
    if frame is None:
        return Checked(None, tuple(problems))
    file = Path(path).name
    n_rows = len(frame)

    agent_id = frame["agent_id"]
    problems += row_problems(file, (agent_id == "").to_numpy(), lines, "agent_id", agent_id,
                             "missing value; expected a unique agent id")
    dup = agent_id.duplicated().to_numpy() & (agent_id != "").to_numpy()
    first = pd.Series(lines).groupby(agent_id.to_numpy()).transform("min").to_numpy()
    problems += row_problems(file, dup, lines, "agent_id", agent_id,
                             "duplicate agent_id; first at line {}", detail=first)
    problems += row_problems(file, (frame["name"] == "").to_numpy(), lines, "name",
                             frame["name"], "missing value; expected the agent's name")

    lang_parts = _parts(frame["languages"])
    problems += _list_problems(file, "languages", lang_parts, lines, languages, r"[a-z]{2}",
                               "';'-separated ISO 639-1 codes such as zh;en",
                               "language never appears in contacts")
    chan_parts = _parts(frame["channels"])
    problems += _list_problems(file, "channels", chan_parts, lines, channels, None,
                               "';'-separated channel names such as chat;email",
                               "channel not configured in scenario.toml")

    tz = frame["timezone"]
    zone_ok = pd.Series(tz.unique()).map(_valid_zone)
    bad_tz = ~tz.map(dict(zip(tz.unique(), zone_ok, strict=True))).to_numpy(dtype=bool)
    problems += row_problems(file, bad_tz, lines, "timezone", tz,
                             "unknown time zone; expected an IANA name such as Asia/Seoul")

    hours = {}
    for col, lo_ok in (("min_hours_week", ">= 0"), ("max_hours_week", "> 0")):
        h = parse_numbers(frame[col])
        low = h < 0 if col == "min_hours_week" else h <= 0
        bad = np.isnan(h) | low | (h > MAX_HOURS_WEEK)
        problems += row_problems(file, bad, lines, col, frame[col],
                                 f"expected a number of hours {lo_ok} and <= {MAX_HOURS_WEEK:g}")
        hours[col] = np.where(bad, np.nan, h)
    inverted = hours["min_hours_week"] > hours["max_hours_week"]
    problems += row_problems(file, inverted, lines, "min_hours_week", frame["min_hours_week"],
                             "min_hours_week is greater than max_hours_week ({}); expected "
                             "min <= max", detail=frame["max_hours_week"].to_numpy(dtype=object))

    if "vip" in frame:
        vip_raw = frame["vip"].str.lower()
        bad_vip = ~vip_raw.isin(list(_VIP)).to_numpy()
        problems += row_problems(file, bad_vip, lines, "vip", frame["vip"],
                                 "expected true or false")
        vip = vip_raw.map(_VIP).fillna(False).to_numpy(dtype=bool)
    else:
        vip = np.zeros(n_rows, dtype=bool)
    if vip_channels:
        needs = chan_parts.isin(list(vip_channels)).to_numpy()
        not_vip = needs & ~vip[chan_parts.index.to_numpy()]
        problems += row_problems(file, not_vip, lines[chan_parts.index.to_numpy()], "channels",
                                 chan_parts, "this channel is VIP-only; expected vip=true "
                                 "for an agent who serves it")

    unavailable = [()] * n_rows
    if "unavailable" in frame:
        days = _parts(frame["unavailable"])
        parsed = pd.to_datetime(days, format="%Y-%m-%d", errors="coerce")
        bad_day = (days != "").to_numpy() & parsed.isna().to_numpy()
        problems += row_problems(file, bad_day, lines[days.index.to_numpy()], "unavailable",
                                 days, "expected ';'-separated ISO dates such as 2026-12-07")
        dates = pd.Series(np.where(parsed.isna(), "", parsed.dt.date.astype(object)),
                          index=days.index, dtype=object)
        unavailable = [tuple(sorted(t)) for t in _tuples(dates, n_rows)]

    pref_start, pref_off, pref_problems = _preferences(file, frame, lines, n_rows)
    problems += pref_problems

    if problems:
        return Checked(None, tuple(problems))
    out = pd.DataFrame({
        "agent_id": agent_id.to_numpy(),
        "name": frame["name"].to_numpy(),
        "languages": _tuples(lang_parts, n_rows),
        "channels": _tuples(chan_parts, n_rows),
        "timezone": tz.to_numpy(),
        "min_hours_week": hours["min_hours_week"],
        "max_hours_week": hours["max_hours_week"],
        "unavailable": unavailable,
        "vip": vip,
        "preferred_start": pref_start,
        "preferred_days_off": pref_off,
    })
    for col in ("agent_id", "name", "timezone"):
        out[col] = out[col].astype("str")
    log.info("%s: %d agents, %d VIP", file, n_rows, int(vip.sum()))
    return Checked(out, ())


def _preferences(file: str, frame: pd.DataFrame, lines: np.ndarray,
                 n_rows: int) -> tuple[list, list, list[Problem]]:
    """``preferred_start`` as (from, to) local minutes or None, ``preferred_days_off`` as
    a tuple of weekday numbers (Monday = 0), and their problems."""
    problems: list[Problem] = []
    start: list = [None] * n_rows
    if "preferred_start" in frame:
        raw = frame["preferred_start"].str.replace(" ", "", regex=False)
        parts = raw.str.extract(_WINDOW).astype(float)
        bad = (raw != "").to_numpy() & parts.isna().any(axis=1).to_numpy()
        problems += row_problems(file, bad, lines, "preferred_start", frame["preferred_start"],
                                 "expected a local start window HH:MM-HH:MM such as "
                                 "08:00-11:00")
        lo = (parts[0] * 60 + parts[1]).to_numpy()
        hi = (parts[2] * 60 + parts[3]).to_numpy()
        start = [None if np.isnan(a) or np.isnan(b) else (int(a), int(b))
                 for a, b in zip(lo, hi, strict=True)]
    off: list = [()] * n_rows
    if "preferred_days_off" in frame:
        days = _parts(frame["preferred_days_off"]).str.lower().str[:3]
        raw_days = _parts(frame["preferred_days_off"])
        bad = (days != "").to_numpy() & ~days.isin(list(WEEKDAYS)).to_numpy()
        problems += row_problems(file, bad, lines[days.index.to_numpy()], "preferred_days_off",
                                 raw_days, "expected ';'-separated weekdays such as Sat;Sun")
        nums = days.map({d: str(i) for i, d in enumerate(WEEKDAYS)}).fillna("")
        off = [tuple(sorted(int(x) for x in t)) for t in _tuples(nums, n_rows)]
    return start, off, problems


def load_agents(path: str | Path, *, channels: Collection[str] | None = None,
                languages: Collection[str] | None = None,
                vip_channels: Collection[str] = ()) -> pd.DataFrame:
    """Read ``agents.csv`` into one row per agent.

    Parameters
    ----------
    path : str or Path
        The file.
    channels : collection of str, optional
        Channels configured in scenario.toml; an agent listing another is a problem.
    languages : collection of str, optional
        Languages present in contacts; an agent listing another is a problem.
    vip_channels : collection of str, optional
        VIP-only channels; an agent listing one must have ``vip`` true.

    Returns
    -------
    DataFrame
        ``agent_id``, ``name``, ``languages`` and ``channels`` (tuples of str, file order),
        ``timezone``, ``min_hours_week``, ``max_hours_week`` (float64), ``unavailable``
        (sorted tuple of ``datetime.date``), ``vip`` (bool), ``preferred_start``
        ((from, to) local minutes after midnight, or None) and ``preferred_days_off``
        (sorted tuple of weekday numbers, Monday = 0); rows in file order.

    Raises
    ------
    InputError
        With every problem found.
    """
    result = check_agents(path, channels=channels, languages=languages,
                          vip_channels=vip_channels)
    raise_if_any(result.problems)
    return result.frame
