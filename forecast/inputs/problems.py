"""Validation primitives shared by every stage: one problem per line, never a traceback.

A :class:`Problem` names the file, line, column and value and says what was expected.
Loaders collect every problem they find and raise one :class:`InputError` carrying all of
them, so that a user fixes a file in one pass instead of one error per run.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["Problem", "InputError", "raise_if_any"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one input.

    Parameters
    ----------
    file : str
        File name as the user knows it (e.g. ``contacts.csv``).
    message : str
        What was expected, e.g. ``"expected an integer >= 0"``.
    line : int | None
        1-based line number in the file (the header is line 1), when known.
    column : str | None
        Column the problem is in (for a ``.toml`` file: the dotted key, shown as "key").
    value : object
        The offending value, shown with ``repr``; ``None`` when not applicable.
    """

    file: str
    message: str
    line: int | None = None
    column: str | None = None
    value: object = None

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
        parts = [where]
        if self.column is not None:
            label = "key" if self.file.endswith(".toml") else "column"
            parts.append(f"{label} {self.column!r}")
        if self.value is not None:
            parts.append(f"value {self.value!r}")
        return f"{', '.join(parts)}: {self.message}"


class InputError(Exception):
    """Bad input: carries every :class:`Problem` found, formatted one per line."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def raise_if_any(problems: Iterable[Problem]) -> None:
    """Raise :class:`InputError` if ``problems`` is not empty."""
    problems = list(problems)
    if problems:
        raise InputError(problems)
