"""Array arguments of the queueing formulas: broadcast to float64, range-checked.

Shared by :mod:`optimize.queueing.erlang`, :mod:`optimize.queueing.chat` and
:mod:`optimize.queueing.priority`, so every formula reports a bad value the same way.
"""

from __future__ import annotations

import numpy as np

__all__ = ["as_arrays", "check_range", "scalar_or_array"]


def check_range(name: str, value: np.ndarray, *, low: float, low_ok: bool = True,
                high: float = np.inf) -> None:
    """Raise ``ValueError`` naming the first value of ``name`` outside its range (or NaN)."""
    bad = np.isnan(value) | (value < low if low_ok else value <= low) | (value > high)
    if np.any(bad):
        first = value[bad].flat[0] if value.ndim else value
        rng = f"{'>=' if low_ok else '>'} {low:g}" + (f" and <= {high:g}" if high < np.inf else "")
        raise ValueError(f"{name} must be {rng}, got {float(first)!r}")


def as_arrays(**named: object) -> list[np.ndarray]:
    """Broadcast the arguments to float64 arrays of a common shape."""
    try:
        arrays = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in named.values()))
    except ValueError as exc:
        raise ValueError(f"arguments {list(named)} cannot be broadcast together: {exc}") from None
    return [np.array(a, dtype=float) for a in arrays]


def scalar_or_array(x: np.ndarray) -> np.ndarray | float:
    """Return a Python float for 0-d results, the array otherwise."""
    return float(x) if x.ndim == 0 else x
