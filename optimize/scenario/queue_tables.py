"""Per-queue tables of ``scenario.toml`` (``[hours."chat/vi"]``, ``[overflow."vip_chat/ko"]``).

:func:`queue_tables` walks one such section: it checks that each table is named
``CHANNEL/LANGUAGE`` with a configured channel and holds only known keys, and yields the
tables for the section's own parser; :func:`queue_name` reads a ``CHANNEL/LANGUAGE``
value (a target queue).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator
from typing import Any

from forecast.inputs.problems import Problem

__all__ = ["Report", "queue_name", "queue_tables", "circle_problems"]

_QUEUE = re.compile(r"^([A-Za-z_][\w-]*)/([a-z]{2,3})$")
Report = Callable[[str, object, str], None]


def queue_name(value: Any, channels: Collection[str]) -> tuple[str, str] | None:
    """``(channel, language)`` of a ``CHANNEL/LANGUAGE`` string with a configured channel."""
    m = _QUEUE.match(value) if isinstance(value, str) else None
    return None if m is None or m.group(1) not in channels else (m.group(1), m.group(2))


def queue_tables(raw: Any, section: str, example: str, keys: Collection[str],
                 channels: Collection[str], bad: Report
                 ) -> Iterator[tuple[str, tuple[str, str], dict]]:
    """Yield ``(where, (channel, language), table)`` for every well-named table of
    ``[section]``, reporting the badly named ones, non-tables and unknown keys."""
    if raw is None:
        return
    if not isinstance(raw, dict):
        bad(section, raw, f'expected tables such as [{section}."{example}"]')
        return
    for name, table in raw.items():
        where = f"{section}.{name}"
        queue = queue_name(name, channels)
        if queue is None:
            bad(where, name, f"expected CHANNEL/LANGUAGE with a configured channel "
                             f"({sorted(channels)}), e.g. {example}")
            continue
        if not isinstance(table, dict):
            bad(where, table, f"expected a table with {', '.join(sorted(keys))}")
            continue
        for key in sorted(set(table) - set(keys)):
            bad(f"{where}.{key}", table[key], f"unknown key; expected one of {sorted(keys)}")
        yield where, queue, table


def circle_problems(edges: dict[tuple[str, str], tuple[str, str] | None], file: str,
                    section: str, key: str, what: str) -> list[Problem]:
    """One problem per queue whose chain of ``edges`` leads back to itself."""
    found = []
    for start in edges:
        seen, node = [start], edges[start]
        while node is not None and node in edges and node not in seen:
            seen.append(node)
            node = edges[node]
        if node == start:
            chain = " -> ".join("/".join(x) for x in [*seen, start])
            found.append(Problem(file, f"{what} in a circle: {chain}",
                                 column=f"{section}.{'/'.join(start)}.{key}",
                                 value="/".join(edges[start])))
    return found
