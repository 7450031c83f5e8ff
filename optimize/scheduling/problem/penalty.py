"""The shortfall penalty per queue x interval: a convex piecewise-linear curve.

Two shapes, both convex and nondecreasing in the shortfall (heads on schedule below
``required_scheduled``), so that the CP-SAT model, the allocation LP, the Lagrangian bound
and the greedy all stay exact:

* ``"requirement"`` (the fallback): slopes ``SEGMENT_SLOPES`` x channel priority that rise
  at the shares ``SEGMENT_BREAKS`` of the requirement; every head short of a queue costs
  about the same wherever it is.
* ``"service_level"``: what one more head is worth where it is placed, from the queueing
  engine (:func:`optimize.queueing.requirements.evaluate_staffing`'s metrics). For a real-time
  queue with ``R = required_agents`` productive agents the curve passes through the points
  ``n = R, R-1, ..., R-steps`` and ``n = 0`` productive agents, each at a shortfall of
  ``required_scheduled * (R - n) / R`` heads on schedule (``(R - n) / (1 - shrinkage)``),
  with the value ``priority * (missed(n) - missed(R)) / norm_c`` where
  ``missed(n) = contacts * (1 - service_level(n))`` are the contacts not answered within
  the target (abandoned ones included for Erlang A and chat; ``contacts`` and ``aht_s`` are
  ``planned_contacts`` and ``planned_aht_s`` where the requirements planned an overflow,
  and the service level is within ``planned_answer_s``, so a queue taking other queues'
  contacts is priced for them and for the shorter answer time they have left). The curve
  is the lower convex envelope of those points, so it equals the queueing engine at its
  breakpoints and lies below it in between (exact where ``missed`` is convex; Erlang C
  answers nobody within target at or below the load, so a deep shortfall there is a
  chord).
  ``norm_c`` (missed contacts per cost unit) is set per channel ``c`` so that the
  channel's total cost with nobody scheduled (all its cells at full shortfall) equals the
  ``"requirement"`` shape's: each channel keeps its stake, so the channel priorities keep
  their weight against each other and against the other costs (idle heads, fairness),
  and the curves only redistribute it, across the channel's intervals and along the
  shortfall, by the service level each head adds where it is placed. (Measured
  alternative: ``norm_c`` = the channel's mean first slope, i.e. a head short at the
  requirement costs ``priority`` on average; see bench/README.md.)
  Deferred channels (email, social) keep the ``"requirement"`` shape: their target spans
  many intervals and the backlog model's per-interval effect of a head is not separable.
  Pooled channels (``pool_with``) take ``service_level(n)`` from the model that sized
  their rows (:func:`optimize.queueing.pooling.pooled_service_level`), so the breakpoints
  are the service levels the requirement and the coverage report: a vip_chat row at
  ``n`` certified agents is the reserved-slot model (not the standalone chat model of
  vip_chat); a pool (chat) row at ``n`` regular agents is the chat model at
  ``n + credit``, the credit ``m (k - v) / k`` of the *required* certified agents ``m``
  of its language and interval. The standalone chat curve would be inconsistent there:
  the row's ``required_agents`` is the standalone requirement minus the credit, so the
  standalone model at ``n = R`` misses the target (0.66 vs 0.82 at the sample's en peak)
  and counts every contact missed at ``n = 0``. The curves stay separable: a certified
  head scheduled beyond ``m`` lifts chat in the coverage but not in this penalty.

A curve has ``K`` segments per cell: ``breaks[q, t, j]`` (heads short where segment ``j``
starts; ``breaks[..., 0] == 0``, nondecreasing) and ``slopes[q, t, j]`` (cost units per
head short on segment ``j``, channel priority included, nondecreasing in ``j``). Unused
segments are padded with ``break = required`` and the previous slope.
"""

from __future__ import annotations

import dataclasses
import logging

import numpy as np
import pandas as pd

from optimize.scenario.config import ScenarioConfig
from optimize.scheduling.problem.inputs import Grid, Queues

__all__ = ["SEGMENT_BREAKS", "SEGMENT_SLOPES", "PENALTIES", "CURVE_STEPS", "shortfall_cost",
           "segment_cost", "cell_cost", "requirement_curve", "service_level_curve",
           "lower_hull", "with_penalty", "integer_segments"]

log = logging.getLogger(__name__)

SEGMENT_BREAKS = (0.0, 0.15, 0.35)  # shortfall shares of the requirement where slopes change
SEGMENT_SLOPES = (1.0, 2.0, 4.0)  # cost per head-interval short, per segment (x priority)
PENALTIES = ("requirement", "service_level")
CURVE_STEPS = 4  # whole productive agents below the requirement priced one by one
_CURVE_COLUMNS = ("contacts", "aht_s", "required_agents")


def shortfall_cost(short: np.ndarray, required: np.ndarray, priority: np.ndarray) -> np.ndarray:
    """The ``"requirement"`` penalty of a shortfall (heads) against a requirement (heads).

    Vectorised; ``priority`` broadcasts against ``short`` (e.g. shape ``(n_queues, 1)``).
    """
    short = np.clip(np.asarray(short, dtype=float), 0.0, None)
    req = np.asarray(required, dtype=float)
    cost = np.zeros_like(short)
    prev_slope = 0.0
    for brk, slope in zip(SEGMENT_BREAKS, SEGMENT_SLOPES, strict=True):
        cost += (slope - prev_slope) * np.clip(short - brk * req, 0.0, None)
        prev_slope = slope
    return cost * priority


def segment_cost(short: np.ndarray, breaks: np.ndarray, slopes: np.ndarray) -> np.ndarray:
    """Cost of ``short`` heads on curves ``breaks``, ``slopes`` (shape ``short.shape + (K,)``)."""
    short = np.clip(np.asarray(short, dtype=float), 0.0, None)[..., None]
    inc = np.diff(slopes, axis=-1, prepend=0.0)
    return (inc * np.clip(short - breaks, 0.0, None)).sum(axis=-1)


def cell_cost(queues: Queues, short: np.ndarray, q: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Penalty (cost units) of ``short`` heads at the cells ``(q, t)`` (broadcasting indices)."""
    if queues.breaks is None:
        return shortfall_cost(short, queues.required[q, t], queues.priority[q])
    return segment_cost(short, queues.breaks[q, t], queues.slopes[q, t])


def requirement_curve(required: np.ndarray, priority: np.ndarray,
                      n_segments: int = len(SEGMENT_SLOPES)) -> tuple[np.ndarray, np.ndarray]:
    """The ``"requirement"`` shape as ``(breaks, slopes)`` arrays of ``n_segments``.

    Breaks are whole tenths of a head (the model's resolution), as the model rounds them.
    """
    req = np.asarray(required, dtype=float)
    r10 = np.rint(req * 10)
    k = len(SEGMENT_BREAKS)
    breaks = np.repeat(req[..., None], n_segments, axis=-1)
    breaks[..., :k] = np.floor(np.multiply.outer(r10, SEGMENT_BREAKS)) / 10
    slopes = np.empty(req.shape + (n_segments,))
    slopes[..., :k] = np.multiply.outer(np.broadcast_to(priority, req.shape), SEGMENT_SLOPES)
    slopes[..., k:] = slopes[..., k - 1:k]
    return breaks, slopes


def lower_hull(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lower convex envelope of points ``(x, y)`` per row, from ``(x[:, 0], y[:, 0])``.

    ``x`` is nondecreasing per row (repeated x are allowed). Returns ``(breaks, slopes)``
    with ``M - 1`` segments for ``M`` points: where each segment starts and its slope,
    padded with ``x[:, -1]`` and the last slope.
    """
    rows, m = x.shape
    r = np.arange(rows)
    breaks = np.repeat(x[:, -1:], m - 1, axis=1).astype(float)
    slopes = np.zeros((rows, m - 1))
    cur = np.zeros(rows, dtype=int)
    col = np.arange(m)[None, :]
    for j in range(m - 1):
        xc, yc = x[r, cur], y[r, cur]
        dx = x - xc[:, None]
        valid = (col > cur[:, None]) & (dx > 1e-12)
        with np.errstate(divide="ignore", invalid="ignore"):
            sl = np.where(valid, (y - yc[:, None]) / np.where(valid, dx, 1.0), np.inf)
        low = sl.min(axis=1)
        live = np.isfinite(low)
        tie = valid & (sl <= low[:, None] + 1e-12 * np.maximum(1.0, np.abs(low[:, None])))
        nxt = m - 1 - np.argmax(tie[:, ::-1], axis=1)  # farthest point on the lowest line
        breaks[live, j] = xc[live]
        slopes[live, j] = low[live]
        if j:
            slopes[~live, j] = slopes[~live, j - 1]
        cur = np.where(live, nxt, cur)
    return breaks, np.maximum.accumulate(slopes, axis=1)


def service_level_curve(requirements: pd.DataFrame, config: ScenarioConfig, grid: Grid,
                        queues: Queues, steps: int = CURVE_STEPS,
                        ) -> tuple[np.ndarray, np.ndarray] | None:
    """The ``"service_level"`` curves ``(breaks, slopes)``, shape ``(n_q, n_t, steps + 1)``.

    Returns None (and logs why) when the requirements lack ``contacts``, ``aht_s`` or
    ``required_agents``; cells of deferred channels, and real-time rows with a missing
    value, get the ``"requirement"`` shape. Heads on schedule per productive agent are the
    row's ``required_scheduled / required_agents`` (``1 / (1 - shrinkage)`` in the table
    contract), so the curve ends exactly at ``required_scheduled``.
    """
    from optimize.queueing.metrics import channel_metrics  # the engine evaluate_staffing uses
    from optimize.queueing.pooling import pooled_service_level

    missing = [c for c in _CURVE_COLUMNS if c not in requirements.columns]
    if missing:
        log.info("requirements lack %s: service-level penalty unavailable", missing)
        return None
    if not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive integer, got {steps!r}")
    n_seg = steps + 1
    breaks, slopes = requirement_curve(queues.required, queues.priority[:, None], n_seg)
    qidx = pd.MultiIndex.from_arrays([list(queues.channel), list(queues.language)])
    pos = qidx.get_indexer(pd.MultiIndex.from_frame(requirements[["channel", "language"]]))
    t_of = np.rint(grid.index_of(requirements["interval_start"])).astype(int)
    step_s = 60.0 * grid.step_min
    for name, rows in requirements.groupby("channel", sort=True).indices.items():
        ch = config.channels[name]
        if ch.kind == "deferred":
            continue
        sub = requirements.iloc[rows]
        # overflow planned (optimize.queueing.overflow): the contacts the queue's own
        # agents are to answer
        contacts = sub.get("planned_contacts", sub["contacts"]).to_numpy(dtype=float)
        aht = sub.get("planned_aht_s", sub["aht_s"]).to_numpy(dtype=float)
        big_r = sub["required_agents"].to_numpy(dtype=float)
        q, t = pos[rows], t_of[rows]
        req = queues.required[q, t]
        ok = (np.isfinite(contacts) & np.isfinite(aht) & (aht > 0) & np.isfinite(big_r)
              & (big_r >= 1) & (req > 0) & (contacts >= 0))
        if not ok.any():
            continue
        q, t, req, r = q[ok], t[ok], req[ok], big_r[ok]
        # productive agents at the points: R, R-1, ..., R-steps (floored at 0), then 0
        n = np.clip(r[:, None] - np.arange(steps + 1)[None, :], 0.0, None)
        n = np.concatenate([n, np.zeros((len(r), 1))], axis=1)
        load = contacts[ok] * aht[ok] / step_s
        # pooled rows (pool_with): the model that sized them; else the channel's own
        sl = pooled_service_level(requirements, config, rows[ok], n, load, aht[ok])
        if sl is None:
            # the answer time the queue's agents are held to (shorter where other queues'
            # contacts overflow to it: optimize.queueing.overflow)
            answer = sub.get("planned_answer_s")
            target = (None if answer is None else
                      np.repeat(answer.to_numpy(dtype=float)[ok], n.shape[1]))
            sl = channel_metrics(ch, target)(n.ravel(), np.repeat(load, n.shape[1]),
                                             np.repeat(aht[ok], n.shape[1]))["service_level"]
        missed = contacts[ok][:, None] * (1.0 - np.asarray(sl, dtype=float).reshape(n.shape))
        missed = np.maximum.accumulate(missed - missed[:, :1], axis=1)  # >= 0, nondecreasing
        x = req[:, None] * (r[:, None] - n) / r[:, None]
        b, s = lower_hull(x, missed)
        # missed contacts per cost unit: the channel's cost with nobody scheduled is the
        # "requirement" shape's
        norm = float(missed[:, -1].sum() / shortfall_cost(req, req, 1.0).sum())
        norm = norm if norm > 0 else 1.0
        breaks[q, t] = b
        slopes[q, t] = s * queues.priority[q][:, None] / norm
        log.info("service-level penalty %s: %d cells, %.3g missed contacts per cost unit",
                 name, len(r), norm)
    return breaks, slopes


def with_penalty(queues: Queues, requirements: pd.DataFrame, config: ScenarioConfig,
                 grid: Grid, penalty: str) -> Queues:
    """``queues`` carrying the ``penalty`` curves (``"requirement"``: unchanged).

    Falls back to the ``"requirement"`` shape, with a warning, when the requirements lack
    the columns the service-level curve needs.
    """
    if penalty not in PENALTIES:
        raise ValueError(f"penalty must be one of {PENALTIES}, got {penalty!r}")
    if penalty == "requirement":
        return queues
    curve = service_level_curve(requirements, config, grid, queues)
    if curve is None:
        log.info("penalty %r needs requirements columns %s: using 'requirement'",
                 penalty, list(_CURVE_COLUMNS))
        return queues
    return dataclasses.replace(queues, breaks=curve[0], slopes=curve[1])


def integer_segments(queues: Queues, r10: np.ndarray, scale: float,
                     tenths: int) -> tuple[np.ndarray, np.ndarray]:
    """Integer breakpoints (tenths short) and objective weights per cell and segment.

    ``weights[..., 0]`` is the objective units per tenth short on the first segment,
    ``weights[..., j]`` the increment of segment ``j`` (>= 0), which applies beyond
    ``brk[..., j]`` tenths short; ``brk[..., 0] == 0`` and segments with
    ``brk >= r10`` or a zero weight are unused. Exactly the model's rounding.
    """
    if queues.breaks is None:
        k = len(SEGMENT_BREAKS)
        brk = np.floor(np.multiply.outer(r10, SEGMENT_BREAKS)).astype(int)
        w = np.array([[p * s * scale / tenths for s in SEGMENT_SLOPES]
                      for p in queues.priority]).reshape(-1, k)
        out = np.rint(w).astype(int)
        out[:, 1:] = np.rint(w[:, 1:] - w[:, :-1]).astype(int)
        return brk, np.broadcast_to(out[:, None, :], r10.shape + (k,)).copy()
    brk = np.clip(np.rint(queues.breaks * tenths), 0, r10[..., None]).astype(int)
    w = queues.slopes * scale / tenths
    out = np.rint(w).astype(int)
    out[..., 1:] = np.clip(np.rint(np.diff(w, axis=-1)), 0, None).astype(int)
    return brk, out
