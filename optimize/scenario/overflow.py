"""Overflow after a wait (``[overflow."CHANNEL/LANGUAGE"]`` in ``scenario.toml``).

A contact that has waited ``after_s`` seconds in its queue without an agent moves to
another queue, optionally handled more slowly there (``aht_factor``, e.g. 1.3 for help
through machine translation)::

    [overflow."vip_chat/ko"]
    to = "vip_chat/en"        # a certified English agent takes it
    after_s = 30
    aht_factor = 1.2          # optional, default 1

Overflow has no exact queueing formula; the simulator (:mod:`optimize.simulation`) plays
it, so a manager sees what an overflow rule does to a plan's service. The requirements
and the scheduler do not count the overflow capacity yet.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from forecast.inputs.problems import Problem

__all__ = ["Overflow", "parse_overflow"]

_QUEUE = re.compile(r"^([A-Za-z_][\w-]*)/([a-z]{2,3})$")


@dataclass(frozen=True)
class Overflow:
    """Contacts of ``(channel, language)`` waiting ``after_s`` move to ``to``."""

    channel: str
    language: str
    to: tuple[str, str]
    after_s: float
    aht_factor: float = 1.0

    @property
    def name(self) -> str:
        """``channel/language``."""
        return f"{self.channel}/{self.language}"


def parse_overflow(raw: Any, channels: dict[str, Any], file: str
                   ) -> tuple[tuple[Overflow, ...], list[Problem]]:
    """The ``[overflow]`` tables of ``scenario.toml`` and the problems found in them."""
    problems: list[Problem] = []

    def bad(key: str, value: object, message: str) -> None:
        problems.append(Problem(file, message, column=key, value=value))

    if raw is None:
        return (), problems
    if not isinstance(raw, dict):
        bad("overflow", raw, 'expected tables such as [overflow."vip_chat/ko"]')
        return (), problems
    out = []
    for name, table in raw.items():
        where = f"overflow.{name}"
        q = _QUEUE.match(name)
        if q is None or q.group(1) not in channels:
            bad(where, name, f"expected CHANNEL/LANGUAGE with a configured channel "
                             f"({sorted(channels)}), e.g. vip_chat/ko")
            continue
        if not isinstance(table, dict):
            bad(where, table, "expected a table with to and after_s")
            continue
        for key in sorted(set(table) - {"to", "after_s", "aht_factor"}):
            bad(f"{where}.{key}", table[key], "unknown key; expected one of "
                                              "['after_s', 'aht_factor', 'to']")
        to = table.get("to")
        t = _QUEUE.match(to) if isinstance(to, str) else None
        ok = True
        if t is None or t.group(1) not in channels:
            bad(f"{where}.to", to, "expected CHANNEL/LANGUAGE of a configured channel")
            ok = False
        elif (t.group(1), t.group(2)) == (q.group(1), q.group(2)):
            bad(f"{where}.to", to, "a queue cannot overflow to itself")
            ok = False
        after = table.get("after_s")
        if isinstance(after, bool) or not isinstance(after, int | float) or not (
                math.isfinite(after) and after >= 0):
            bad(f"{where}.after_s", after, "expected seconds >= 0")
            ok = False
        factor = table.get("aht_factor", 1.0)
        if isinstance(factor, bool) or not isinstance(factor, int | float) or not (
                0.1 <= factor <= 10):
            bad(f"{where}.aht_factor", factor, "expected a value in [0.1, 10]")
            ok = False
        if ok:
            out.append(Overflow(q.group(1), q.group(2), (t.group(1), t.group(2)),
                                float(after), float(factor)))
    to = {(o.channel, o.language): o.to for o in out}
    for start in to:
        seen, node = [start], to[start]
        while node in to and node not in seen:
            seen.append(node)
            node = to[node]
        if node == start:
            chain = " -> ".join("/".join(x) for x in [*seen, start])
            problems.append(Problem(file, f"overflow routes in a circle: {chain}",
                                    column=f"overflow.{'/'.join(start)}.to",
                                    value="/".join(to[start])))
    return tuple(out), problems
