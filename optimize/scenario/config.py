"""The scenario configuration (``scenario.toml``) as frozen dataclasses.

Every key, its unit and its default are documented in ``docs/scenario.md``; this module
is the single place that reads and checks them. :func:`load_config` collects every
problem (unknown key, wrong type, value out of range) and raises one
:class:`~forecast.inputs.problems.InputError`.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from forecast.inputs.problems import InputError, Problem, raise_if_any
from optimize.scenario.hours import QueueHours, parse_hours
from optimize.scenario.overflow import Overflow, parse_overflow

__all__ = [
    "ChannelConfig",
    "BreakRule",
    "ShiftTemplate",
    "ShiftRules",
    "LabourRules",
    "StaffingConfig",
    "HorizonConfig",
    "ScenarioConfig",
    "load_config",
    "parse_config",
]

FILE = "scenario.toml"


@dataclass(frozen=True)
class ChannelConfig:
    """Service target and queueing model of one channel (applies to all its languages).

    ``kind="realtime"`` channels (chat, vip_chat, voice) are staffed per interval with
    Erlang C or Erlang A; ``kind="deferred"`` channels (email, social) only have to be
    answered within ``response_window_h`` and are staffed with a backlog model.
    ``pool_with`` (realtime) staffs the channel inside each language's pool of another
    realtime channel, on capacity its certified agents reserve (:mod:`optimize.queueing.priority`).
    """

    name: str
    kind: str = "realtime"  # "realtime" | "deferred"
    priority: float = 1.0  # weight of one under-staffed agent-interval in the schedule
    vip: bool = False  # only agents with vip=true may serve it
    model: str = "erlang_c"  # realtime only: "erlang_c" | "erlang_a"
    service_level: float = 0.80  # realtime: share answered within answer_time_s
    answer_time_s: float = 60.0
    patience_s: float = 180.0  # mean patience, Erlang A only
    concurrency: int = 1  # chats one agent handles at once
    concurrency_slowdown: float = 0.25  # each extra parallel chat stretches handle time by this share
    response_window_h: float = 24.0  # deferred: reply within this many hours ...
    response_share: float = 0.90  # ... for this share of contacts
    shrinkage: float | None = None  # overrides staffing.shrinkage for this channel
    pool_with: str | None = None  # realtime: answered first inside this channel's pool (priority)


@dataclass(frozen=True)
class BreakRule:
    """A break inside a shift, placed in a window measured from the shift start."""

    name: str  # "break" or "meal" (also the activity name in activities.csv)
    duration_min: int
    window_start_min: int  # earliest start, minutes after shift start
    window_end_min: int  # latest start, minutes after shift start
    paid: bool = True


@dataclass(frozen=True)
class ShiftTemplate:
    """A shift shape: its length on site (breaks included) and the breaks inside it."""

    name: str
    length_h: float
    breaks: tuple[BreakRule, ...] = ()

    @property
    def paid_h(self) -> float:
        """Paid hours: length minus unpaid breaks."""
        unpaid = sum(b.duration_min for b in self.breaks if not b.paid)
        return self.length_h - unpaid / 60.0


@dataclass(frozen=True)
class ShiftRules:
    """Where shifts may start and how many agents of a queue may be on break at once."""

    templates: tuple[ShiftTemplate, ...]
    start_step_min: int = 60  # shifts start on multiples of this, agent local time
    max_on_break_share: float = 0.25  # of the agents on duty in a queue's skill group


@dataclass(frozen=True)
class LabourRules:
    """Hard labour rules, all in the agent's local time."""

    min_rest_h: float = 11.0
    max_consecutive_days: int = 5
    min_days_off_per_week: int = 2
    max_nights_per_week: int = 3
    night_start: str = "22:00"  # a shift is a night shift if it overlaps [night_start, night_end)
    night_end: str = "06:00"


@dataclass(frozen=True)
class StaffingConfig:
    """How workload becomes heads."""

    shrinkage: float = 0.30  # share of paid time not available for contacts
    max_occupancy: float = 0.85  # realtime channels: busy share cap
    shrinkage_mode: str = "intervals"  # how the simulator loses it: intervals | shifts | none
    # the formulas' shrinkage per queue ((channel, language, share), ...): what
    # `plan --calibrate` fitted, kept; the simulator and the roster model still lose the
    # configured one ([staffing.effective_shrinkage] "chat/es" = 0.39)
    effective_shrinkage: tuple[tuple[str, str, float], ...] = ()


@dataclass(frozen=True)
class HorizonConfig:
    """What period ``staffcast plan`` plans."""

    start: dt.date | None = None  # a Monday; default: the Monday after the last history day
    weeks: int = 1
    display_timezone: str = "UTC"  # time zone for summaries and the app


@dataclass(frozen=True)
class ScenarioConfig:
    """Everything in ``scenario.toml``."""

    channels: dict[str, ChannelConfig]
    shifts: ShiftRules
    labour: LabourRules = field(default_factory=LabourRules)
    staffing: StaffingConfig = field(default_factory=StaffingConfig)
    horizon: HorizonConfig = field(default_factory=HorizonConfig)
    hours: tuple[QueueHours, ...] = ()  # hours of operation per queue (optimize.scenario.hours)
    overflow: tuple[Overflow, ...] = ()  # overflow after a wait (optimize.scenario.overflow)

    def shrinkage_for(self, channel: str) -> float:
        """Shrinkage of ``channel`` (its own, else the global one)."""
        own = self.channels[channel].shrinkage
        return self.staffing.shrinkage if own is None else own

    def formula_shrinkage(self, channel: str, language: str) -> float:
        """Shrinkage the queueing formulas take for a queue: its effective shrinkage
        (``[staffing.effective_shrinkage]``) if set, else :meth:`shrinkage_for`."""
        for c, lang, value in self.staffing.effective_shrinkage:
            if c == channel and lang == language:
                return value
        return self.shrinkage_for(channel)


# --------------------------------------------------------------------------- parsing

RANGES: dict[str, tuple[float, float]] = {
    "priority": (0.0, 1e6),
    "service_level": (0.0, 1.0),
    "answer_time_s": (0.0, 86400.0),
    "patience_s": (1.0, 86400.0),
    "concurrency": (1, 10),
    "concurrency_slowdown": (0.0, 2.0),
    "response_window_h": (0.25, 24.0 * 14),
    "response_share": (0.0, 1.0),
    "shrinkage": (0.0, 0.95),
    "max_occupancy": (0.1, 1.0),
    "start_step_min": (15, 240),
    "max_on_break_share": (0.0, 1.0),
    "min_rest_h": (0.0, 24.0),
    "max_consecutive_days": (1, 14),
    "min_days_off_per_week": (0, 7),
    "max_nights_per_week": (0, 7),
    "weeks": (1, 52),
    "length_h": (1.0, 16.0),
    "duration_min": (1, 240),
    "window_start_min": (0, 16 * 60),
    "window_end_min": (0, 16 * 60),
}
_CHOICES = {"kind": ("realtime", "deferred"), "model": ("erlang_c", "erlang_a"),
            "shrinkage_mode": ("intervals", "shifts", "none")}


class _Reader:
    """Builds one dataclass from one TOML table, collecting problems instead of raising."""

    def __init__(self, file: str):
        self.file = file
        self.problems: list[Problem] = []

    def problem(self, key: str, value: object, message: str) -> None:
        self.problems.append(Problem(self.file, message, column=key, value=value))

    def build(self, cls: type, table: Any, where: str, **fixed: Any) -> Any:
        if not isinstance(table, dict):
            self.problem(where, table, "expected a table")
            return None
        known = {f.name: f for f in fields(cls)}
        kwargs: dict[str, Any] = dict(fixed)
        for key, value in table.items():
            path = f"{where}.{key}" if where else key
            if key not in known or key in fixed:
                self.problem(path, value, f"unknown key; expected one of {sorted(set(known) - set(fixed))}")
                continue
            checked = self.check(key, value, path, known[key].type)
            if checked is not _BAD:
                kwargs[key] = checked
        try:
            return cls(**kwargs)
        except TypeError as exc:  # a required key is missing
            missing = str(exc).split("argument", 1)[-1].strip(": s")
            self.problem(where or "(top level)", None, f"missing required key(s): {missing}")
            return None

    def check(self, key: str, value: Any, path: str, annotation: Any) -> Any:
        ann = str(annotation)
        if key in _CHOICES:
            if value not in _CHOICES[key]:
                self.problem(path, value, f"expected one of {list(_CHOICES[key])}")
                return _BAD
            return value
        if ann == "bool":
            if not isinstance(value, bool):
                self.problem(path, value, "expected true or false")
                return _BAD
            return value
        if ann in ("str", "str | None"):
            if not isinstance(value, str):
                self.problem(path, value, "expected a string")
                return _BAD
            return value
        if "date" in ann:
            if isinstance(value, dt.date):
                return value
            try:
                return dt.date.fromisoformat(str(value))
            except ValueError:
                self.problem(path, value, "expected an ISO date such as 2026-12-07")
                return _BAD
        if "int" in ann or "float" in ann:
            if isinstance(value, bool) or not isinstance(value, int | float):
                self.problem(path, value, "expected a number")
                return _BAD
            if "int" in ann and "float" not in ann and not float(value).is_integer():
                self.problem(path, value, "expected a whole number")
                return _BAD
            lo, hi = RANGES.get(key, (-float("inf"), float("inf")))
            if not lo <= value <= hi:
                self.problem(path, value, f"expected a value in [{lo:g}, {hi:g}]")
                return _BAD
            return int(value) if "int" in ann and "float" not in ann else float(value)
        return value


_BAD = object()


def parse_config(doc: dict[str, Any], file: str = FILE) -> ScenarioConfig:
    """Build a :class:`ScenarioConfig` from a parsed TOML document.

    Raises
    ------
    InputError
        With one :class:`Problem` per bad key.
    """
    r = _Reader(file)
    # [capacity] is read by optimize.capacity.config (the capacity plan's own settings),
    # [holidays] by forecast.inputs.holidays (the forecast's public holidays)
    top_known = {"channels", "shifts", "labour", "staffing", "horizon", "hours", "overflow",
                 "capacity", "holidays"}
    for key in doc:
        if key not in top_known:
            r.problem(key, None, f"unknown section; expected one of {sorted(top_known)}")

    channels: dict[str, ChannelConfig] = {}
    raw_channels = doc.get("channels")
    if not isinstance(raw_channels, dict) or not raw_channels:
        r.problem("channels", None, "expected at least one [channels.NAME] table")
    else:
        for name, table in raw_channels.items():
            ch = r.build(ChannelConfig, table, f"channels.{name}", name=name)
            if ch is not None:
                channels[name] = ch

    _check_pools(r, channels)

    shifts = None
    raw_shifts = doc.get("shifts")
    if not isinstance(raw_shifts, dict):
        r.problem("shifts", None, "expected a [shifts] table with [[shifts.templates]]")
    else:
        templates = []
        raw_templates = raw_shifts.get("templates")
        if not isinstance(raw_templates, list) or not raw_templates:
            r.problem("shifts.templates", None, "expected at least one [[shifts.templates]]")
            raw_templates = []
        for i, t in enumerate(raw_templates):
            where = f"shifts.templates[{i}]"
            if not isinstance(t, dict):
                r.problem(where, t, "expected a table")
                continue
            t = dict(t)
            raw_breaks = t.pop("breaks", [])
            breaks = []
            for j, b in enumerate(raw_breaks if isinstance(raw_breaks, list) else [raw_breaks]):
                br = r.build(BreakRule, b, f"{where}.breaks[{j}]")
                if br is None:
                    continue
                if br.window_end_min < br.window_start_min:
                    r.problem(f"{where}.breaks[{j}].window_end_min", br.window_end_min,
                              "expected window_end_min >= window_start_min")
                    continue
                breaks.append(br)
            tpl = r.build(ShiftTemplate, t, where, breaks=tuple(breaks))
            if tpl is not None:
                for b in tpl.breaks:
                    if b.window_end_min + b.duration_min > tpl.length_h * 60:
                        r.problem(f"{where}.breaks", b.name, "break window runs past the shift end")
                templates.append(tpl)
        rest = {k: v for k, v in raw_shifts.items() if k != "templates"}
        shifts = r.build(ShiftRules, rest, "shifts", templates=tuple(templates))

    labour = r.build(LabourRules, doc.get("labour", {}), "labour")
    raw_staffing = doc.get("staffing", {})
    effective = ()
    if isinstance(raw_staffing, dict) and "effective_shrinkage" in raw_staffing:
        raw_staffing = dict(raw_staffing)
        effective = _effective_shrinkage(r, raw_staffing.pop("effective_shrinkage"), channels)
    staffing = r.build(StaffingConfig, raw_staffing, "staffing", effective_shrinkage=effective)
    horizon = r.build(HorizonConfig, doc.get("horizon", {}), "horizon")
    if labour is not None:
        for key in ("night_start", "night_end"):
            try:
                dt.time.fromisoformat(getattr(labour, key))
            except ValueError:
                r.problem(f"labour.{key}", getattr(labour, key), "expected a time such as 22:00")
    if horizon is not None:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(horizon.display_timezone)
        except (ZoneInfoNotFoundError, ValueError):
            r.problem("horizon.display_timezone", horizon.display_timezone,
                      "expected an IANA time zone name such as Europe/Berlin")
        if horizon.start is not None and horizon.start.weekday() != 0:
            r.problem("horizon.start", horizon.start.isoformat(), "expected a Monday")

    hours, hour_problems = parse_hours(doc.get("hours"), channels, file)
    r.problems += hour_problems
    overflow, overflow_problems = parse_overflow(doc.get("overflow"), channels, file)
    r.problems += overflow_problems
    raise_if_any(r.problems)
    return ScenarioConfig(channels=channels, shifts=shifts, labour=labour, staffing=staffing,
                          horizon=horizon, hours=hours, overflow=overflow)


def _effective_shrinkage(r: _Reader, table: Any, channels: dict[str, ChannelConfig],
                         ) -> tuple[tuple[str, str, float], ...]:
    """``[staffing.effective_shrinkage]``: ``"CHANNEL/LANGUAGE" = share`` per queue."""
    where = "staffing.effective_shrinkage"
    if not isinstance(table, dict):
        r.problem(where, table, 'expected a table of "CHANNEL/LANGUAGE" = share')
        return ()
    out = []
    lo, hi = RANGES["shrinkage"]
    for key, value in table.items():
        channel, _, language = str(key).partition("/")
        path = f'{where}."{key}"'
        if channel not in channels or not language:
            r.problem(path, value, f"expected CHANNEL/LANGUAGE with a channel of {sorted(channels)}")
        elif isinstance(value, bool) or not isinstance(value, int | float) \
                or not lo <= value <= hi:
            r.problem(path, value, f"expected a share in [{lo:g}, {hi:g}]")
        else:
            out.append((channel, language, float(value)))
    return tuple(out)


def _check_pools(r: _Reader, channels: dict[str, ChannelConfig]) -> None:
    """``pool_with``: a realtime channel pooled into another realtime channel, one level deep."""
    partners = [n for n, c in channels.items() if c.kind == "realtime" and not c.pool_with]
    used: dict[str, str] = {}
    for name, ch in channels.items():
        if ch.pool_with is None:
            continue
        key = f"channels.{name}.pool_with"
        if ch.kind != "realtime":
            r.problem(key, ch.pool_with, "only a realtime channel can be pooled; remove the key "
                                         "or set kind = \"realtime\"")
        elif ch.pool_with not in partners or ch.pool_with == name:
            r.problem(key, ch.pool_with, "expected another realtime channel without pool_with, "
                                         f"one of {sorted(set(partners) - {name})}")
        elif ch.pool_with in used:
            r.problem(key, ch.pool_with, f"already pooled with channels.{used[ch.pool_with]}; "
                                         "one priority channel per pool")
        else:
            used[ch.pool_with] = name


def load_config(path: str | Path) -> ScenarioConfig:
    """Read and check ``scenario.toml``.

    Raises
    ------
    InputError
        When the file is missing, is not valid TOML, or any key is wrong.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError([Problem(path.name, f"file not found in {path.parent}")])
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig").replace("\r\n", "\n")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError([Problem(path.name, "not UTF-8 text; save the file as UTF-8",
                                  line=line)]) from None
    if not text.strip():
        raise InputError([Problem(path.name, "file is empty")])
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # Python 3.11 has no exc.lineno; the message ends "(at line N, column M)".
        m = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        line = getattr(exc, "lineno", None) or (int(m[1]) if m else None)
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc.args[0]))
        raise InputError([Problem(path.name, f"not valid TOML: {message}", line=line)]) from None
    return parse_config(doc, file=path.name)
