"""Hours of operation per queue (``[hours."CHANNEL/LANGUAGE"]`` in ``scenario.toml``).

A queue may be open only part of the day, in a time zone of its own; outside its hours
its contacts go to another queue (``closed_to = "chat/en"``, or an email queue) or are
not offered (``closed_to = "none"``)::

    [hours."chat/vi"]
    open = "08:00-24:00"           # local time; may wrap past midnight ("20:00-04:00")
    timezone = "Asia/Ho_Chi_Minh"
    closed_to = "chat/en"
    days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]   # optional; default every day

Problems (a window that does not parse, an unknown zone or day, a target that is not a
``channel/language`` of a configured channel, a queue closed to itself or in a circle)
are reported like every other key. :func:`optimize.queueing.routing.route_hours` moves
the forecast accordingly before requirements are computed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from forecast.inputs.problems import Problem
from optimize.scenario.queue_tables import circle_problems, queue_name, queue_tables

__all__ = ["DAYS", "QueueHours", "parse_hours"]

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_WINDOW = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


@dataclass(frozen=True)
class QueueHours:
    """When one queue is open, and where its contacts go when it is not.

    ``open_min`` and ``close_min`` are minutes after local midnight (``close_min`` may be
    1440, or below ``open_min`` for a window past midnight); ``days`` are local weekdays
    (0 = Monday) on which the window opens; ``closed_to`` is ``(channel, language)`` or
    None (not offered).
    """

    channel: str
    language: str
    open_min: int
    close_min: int
    timezone: str
    closed_to: tuple[str, str] | None
    days: tuple[int, ...] = tuple(range(7))

    @property
    def name(self) -> str:
        """``channel/language``."""
        return f"{self.channel}/{self.language}"


def _window(text: Any) -> tuple[int, int] | None:
    m = _WINDOW.match(text) if isinstance(text, str) else None
    if m is None:
        return None
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2 > 0):
        return None
    start, end = h1 * 60 + m1, h2 * 60 + m2
    return None if start == end else (start, end)


def parse_hours(raw: Any, channels: dict[str, Any], file: str) -> tuple[tuple[QueueHours, ...],
                                                                       list[Problem]]:
    """The ``[hours]`` tables of ``scenario.toml`` and the problems found in them."""
    problems: list[Problem] = []

    def bad(key: str, value: object, message: str) -> None:
        problems.append(Problem(file, message, column=key, value=value))

    out = []
    for where, (channel, language), table in queue_tables(
            raw, "hours", "chat/vi", ("open", "timezone", "closed_to", "days"), channels, bad):
        window = _window(table.get("open"))
        if window is None:
            bad(f"{where}.open", table.get("open"), "expected a local time window such as "
                                                     "08:00-24:00")
        zone = table.get("timezone")
        try:
            ZoneInfo(str(zone))
        except (ZoneInfoNotFoundError, ValueError):
            bad(f"{where}.timezone", zone, "expected an IANA time zone name such as "
                                           "Asia/Ho_Chi_Minh")
            zone = None
        target_raw = table.get("closed_to")
        target = None if target_raw == "none" else queue_name(target_raw, channels)
        if target_raw != "none" and target is None:
            bad(f"{where}.closed_to", target_raw, "expected CHANNEL/LANGUAGE of a configured "
                                                  "channel, or \"none\" (not offered)")
            continue
        if target == (channel, language):
            bad(f"{where}.closed_to", target_raw, "a queue cannot be closed to itself")
            continue
        days_raw = table.get("days", list(DAYS))
        if not isinstance(days_raw, list) or not days_raw or any(d not in DAYS for d in days_raw):
            bad(f"{where}.days", days_raw, f"expected a list of days from {list(DAYS)}")
            continue
        if window is None or zone is None:
            continue
        out.append(QueueHours(channel=channel, language=language, open_min=window[0],
                              close_min=window[1], timezone=str(zone), closed_to=target,
                              days=tuple(sorted(DAYS.index(d) for d in set(days_raw)))))
    problems += circle_problems({(h.channel, h.language): h.closed_to for h in out}, file,
                                "hours", "closed_to", "closed hours route")
    return tuple(out), problems
