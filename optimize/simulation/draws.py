"""What one replication draws before it runs: the contacts that arrive and the work
segments that shrinkage leaves (module docstring of :mod:`optimize.simulation.engine`).

The period is played as copies: a warm-up copy of itself (optional), the period, and a
copy of its first response window so late replies are seen.
"""

from __future__ import annotations

import numpy as np

from optimize.queueing.roster_backlog import SHIFT_GAP_S  # the roster model's shifts too
from optimize.simulation.desk import Desk

__all__ = ["draw_arrivals", "draw_segments", "period_copies"]


def period_copies(desk: Desk, warmup: bool) -> list[tuple[float, float]]:
    """(offset, length) of each copy of the period: warm-up, the period, the cool-down."""
    out = [(-desk.length_s, desk.length_s)] if warmup else []
    cool = float(np.max(desk.target_s[desk.deferred], initial=0.0))
    cool = min(np.ceil(cool / desk.interval_s) * desk.interval_s, desk.length_s)
    return out + [(0.0, desk.length_s)] + ([(desk.length_s, cool)] if cool > 0 else [])


def draw_arrivals(desk: Desk, rng: np.random.Generator, copies,
                  day_levels: bool) -> dict[str, np.ndarray]:
    """Contacts of every copy, in arrival order: ``queue``, ``interval``, ``arrival_s``,
    ``aht_s`` and the ``deadline_s`` their patience gives (inf: never abandons)."""
    step = desk.interval_s
    per_day = 86400 // step
    parts = []
    for offset, length in copies:
        n_t = int(round(length / step))
        mean = desk.contacts[:, :n_t]
        if day_levels and desk.level_sd is not None:
            z = rng.standard_normal((mean.shape[0], -(-n_t // per_day)))
            day = np.arange(n_t) // per_day
            mean = np.maximum(mean + z[:, day] * desk.level_sd[:, :n_t], 0.0)
        counts = (np.rint(mean).astype(int) if desk.replay else rng.poisson(mean))
        q, t = np.nonzero(counts)
        reps = counts[q, t]
        q, t = np.repeat(q, reps), np.repeat(t, reps)
        arr = offset + (t + rng.random(len(t))) * step
        parts.append((q, t, arr))
    q = np.concatenate([p[0] for p in parts])
    t = np.concatenate([p[1] for p in parts])
    arr = np.concatenate([p[2] for p in parts])
    order = np.argsort(arr, kind="stable")
    q, t, arr = q[order], t[order], arr[order]
    patience = desk.patience_s[q]
    finite = np.isfinite(patience)
    drawn = rng.exponential(1.0, len(q)) * np.where(finite, patience, 0.0)
    return {"queue": q, "interval": t, "arrival_s": arr, "aht_s": desk.aht_s[q, t],
            "deadline_s": np.where(finite, arr + drawn, np.inf)}


def draw_segments(desk: Desk, rng: np.random.Generator, copies, shrinkage: str) -> np.ndarray:
    """Work segments of every copy, thinned by shrinkage: rows (start, end, agent, queue)."""
    step = float(desk.interval_s)
    s, e = desk.seg_start_s, desk.seg_end_s
    first = np.floor(s / step).astype(int)
    last = np.ceil(e / step).astype(int)
    n = np.maximum(last - first, 1)
    idx = np.repeat(np.arange(len(s)), n)
    k = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
    ps = np.maximum(s[idx], (first[idx] + k) * step)
    pe = np.minimum(e[idx], (first[idx] + k + 1) * step)
    shift, shift_first = _shifts(desk)
    out = []
    for offset, length in copies:
        ok = ps < length
        if shrinkage == "intervals":
            ok &= rng.random(len(ps)) >= desk.shrinkage[desk.seg_queue[idx]]
        elif shrinkage == "shifts":
            present = (rng.random(len(shift_first))
                       >= desk.shrinkage[desk.seg_queue[shift_first]])
            ok &= present[shift[idx]]
        out.append(np.column_stack([offset + ps[ok], offset + np.minimum(pe[ok], length),
                                    desk.seg_agent[idx][ok], desk.seg_queue[idx][ok]]))
    pieces = np.concatenate(out) if out else np.zeros((0, 4))
    return _merge(pieces)


def _shifts(desk: Desk) -> tuple[np.ndarray, np.ndarray]:
    """Shift number of every work segment (an agent's segments less than SHIFT_GAP_S apart
    are one shift) and the first segment of each shift."""
    order = np.lexsort((desk.seg_start_s, desk.seg_agent))
    a, s, e = desk.seg_agent[order], desk.seg_start_s[order], desk.seg_end_s[order]
    new = np.ones(len(order), dtype=bool)
    new[1:] = (a[1:] != a[:-1]) | (s[1:] - e[:-1] > SHIFT_GAP_S)
    shift = np.empty(len(order), dtype=int)
    shift[order] = np.cumsum(new) - 1
    return shift, order[new]


def _merge(pieces: np.ndarray) -> np.ndarray:
    """Join pieces of one agent on one queue that touch (fewer roster events)."""
    if len(pieces) == 0:
        return pieces
    pieces = pieces[np.lexsort((pieces[:, 0], pieces[:, 2]))]
    new = np.ones(len(pieces), dtype=bool)
    new[1:] = ((pieces[1:, 2] != pieces[:-1, 2]) | (pieces[1:, 3] != pieces[:-1, 3])
               | (pieces[1:, 0] > pieces[:-1, 1] + 1e-9))
    group = np.cumsum(new) - 1
    ends = np.full(group[-1] + 1, -np.inf)
    np.maximum.at(ends, group, pieces[:, 1])
    merged = pieces[new].copy()
    merged[:, 1] = ends
    return merged
