"""Overflow after a wait (``[overflow."CHANNEL/LANGUAGE"]`` in ``scenario.toml``).

A contact that has waited ``after_s`` seconds in its queue without an agent moves to
another queue, optionally handled more slowly there (``aht_factor``, e.g. 1.3 for help
through machine translation)::

    [overflow."vip_chat/ko"]
    to = "vip_chat/en"        # a certified English agent takes it
    after_s = 30
    aht_factor = 1.2          # optional, default 1
    keep_staffed = false      # optional: true -> the queue is always staffed on its own
    move_when_unstaffed = false  # optional: true -> move at once while nobody is on the queue

The requirements count rules between real-time queues (:mod:`optimize.queueing.overflow`):
in each interval they may leave the queue to its overflow where that costs fewer heads,
unless ``keep_staffed`` (then the rule only takes what is still waiting, a safety valve).
Between email or social queues a rule is a fallback (e.g. to the English team through
translation): the target is sized for what the source leaves waiting, and the roster's
promise counts the move.

With ``move_when_unstaffed`` (real-time queues) a contact arriving while no agent is on
its queue moves at once instead of waiting ``after_s`` (an ACD's "no agents staffed"
check): a VIP chat of a language nobody certified works in that hour is not held for
seconds in an empty queue first.

Overflow has no exact queueing formula; the simulator (:mod:`optimize.simulation`) plays
every rule, so a manager sees what it does to a plan's service.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from forecast.inputs.problems import Problem
from optimize.scenario.queue_tables import circle_problems, queue_name, queue_tables

__all__ = ["Overflow", "parse_overflow"]



@dataclass(frozen=True)
class Overflow:
    """Contacts of ``(channel, language)`` waiting ``after_s`` move to ``to``."""

    channel: str
    language: str
    to: tuple[str, str]
    after_s: float
    aht_factor: float = 1.0
    keep_staffed: bool = False  # the requirements always staff the queue on its own
    move_when_unstaffed: bool = False  # real-time: no agent on the queue -> move at once

    @property
    def name(self) -> str:
        """``channel/language``."""
        return f"{self.channel}/{self.language}"


_KEYS = ("to", "after_s", "aht_factor", "keep_staffed", "move_when_unstaffed")


def parse_overflow(raw: Any, channels: dict[str, Any], file: str
                   ) -> tuple[tuple[Overflow, ...], list[Problem]]:
    """The ``[overflow]`` tables of ``scenario.toml`` and the problems found in them."""
    problems: list[Problem] = []

    def bad(key: str, value: object, message: str) -> None:
        problems.append(Problem(file, message, column=key, value=value))

    out = []
    for where, queue, table in queue_tables(raw, "overflow", "vip_chat/ko",
                                            _KEYS,
                                            channels, bad):
        to = queue_name(table.get("to"), channels)
        ok = True
        if to is None:
            bad(f"{where}.to", table.get("to"), "expected CHANNEL/LANGUAGE of a configured "
                                                "channel")
            ok = False
        elif to == queue:
            bad(f"{where}.to", table.get("to"), "a queue cannot overflow to itself")
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
        keep = table.get("keep_staffed", False)
        if not isinstance(keep, bool):
            bad(f"{where}.keep_staffed", keep, "expected true or false")
            ok = False
        now = table.get("move_when_unstaffed", False)
        if not isinstance(now, bool):
            bad(f"{where}.move_when_unstaffed", now, "expected true or false")
            ok = False
        elif now and getattr(channels.get(queue[0]), "kind", None) != "realtime":
            bad(f"{where}.move_when_unstaffed", now, "only a real-time queue moves contacts "
                "at once (an email or social queue keeps them for its agents' next shift); "
                "remove the key")
            ok = False
        if ok:
            out.append(Overflow(queue[0], queue[1], to, float(after), float(factor), keep, now))
    problems += circle_problems({(o.channel, o.language): o.to for o in out}, file,
                                "overflow", "to", "overflow routes")
    return tuple(out), problems
