"""Deferred channels (email, social): a FIFO fluid backlog model with a response window.

Contacts need not be answered in the interval they arrive, only within
``window_s`` seconds for a ``share`` of them. All functions take 2-D arrays
``(queues, intervals)`` on a common grid of ``interval_s`` seconds and are vectorised
across queues.

Fluid model
-----------
Arrivals are spread uniformly inside their interval. ``capacity[q, j]`` contacts can be
handled in interval ``j``; the backlog follows the Lindley recursion
``B_j = max(B_{j-1} + a_j - c_j, 0)`` (solved in closed form with cumulative sums), and
service is first in, first out, so the contact at the head of the queue is the one just
past the cumulative served count. Its arrival time, read off the cumulative arrival curve
(where it first rises past that count), gives the oldest age at each interval end.

Service standard
----------------
For every arrival interval ``i``, at least ``share`` of its contacts must be answered by
``start_i + window_s`` (conservative by up to one interval). With FIFO this is the
cumulative requirement ``S(end_{d_i}) >= A_{i-1} + share * a_i`` where ``d_i`` is the
last interval ending by the deadline. Deadlines after the horizon are not enforced
(their contacts are carried in the final backlog).

Staffing profile (:func:`required_capacity`)
--------------------------------------------
A greedy level-rate policy: in each interval, handle the smallest constant rate that,
if sustained, meets every deadline falling in the next ``window`` intervals, i.e.
``c_j = max_h (R_{j+h} - S_{j-1}) / (h + 1)``. It meets every deadline (the ``h = 0``
term), never works ahead of arrivals, and spreads the work instead of letting it pile up
against the deadlines. It loops over intervals (the recursion is sequential) but is
vectorised across queues and look-ahead steps.

Whole agents (:func:`integer_agents`) round the fluid profile cumulatively: each interval
gets the fewest agents that keep the cumulative number of answered contacts at or above
the fluid profile's, so every deadline the fluid profile meets is still met, while the
rounding surplus carries over instead of costing up to one agent in every interval.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

__all__ = ["BacklogResult", "integer_agents", "overflow_backlog", "required_capacity",
           "simulate_backlog", "to_arrivals"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BacklogResult:
    """Per queue x interval outcome of the fluid model (arrays of shape ``(Q, T)``).

    Attributes
    ----------
    served : contacts answered in the interval.
    backlog : contacts waiting at the interval end.
    oldest_age_h : age of the oldest waiting contact at the interval end, hours (0 if none).
    within_window : share of the interval's arrivals answered within the window (1.0
        when nothing arrived; NaN when the deadline falls after the horizon).
    mean_delay_s : delay from arrival to answer of the interval's middle contact, seconds
        (NaN when it is still waiting at the horizon end).
    occupancy : served / capacity (0 where the capacity is 0).
    """

    served: np.ndarray
    backlog: np.ndarray
    oldest_age_h: np.ndarray
    within_window: np.ndarray
    mean_delay_s: np.ndarray
    occupancy: np.ndarray


def _as2d(name: str, x, shape: tuple[int, int] | None = None) -> np.ndarray:
    arr = np.atleast_2d(np.asarray(x, dtype=float))
    if shape is not None:
        arr = np.broadcast_to(arr, shape)
    if np.any(~np.isfinite(arr)) or np.any(arr < 0):
        bad = arr[~np.isfinite(arr) | (arr < 0)].flat[0]
        raise ValueError(f"{name} must be finite and >= 0, got {float(bad)!r}")
    return arr


def _deadline_index(t: int, interval_s: float, window_s) -> np.ndarray:
    """Per interval, the last interval ending by its deadline (``window_s`` a scalar, or
    an array ``(Q, T)`` of windows per queue and interval)."""
    steps = np.floor(np.asarray(window_s, dtype=float) / interval_s + 1e-9).astype(int)
    return np.arange(t) + np.maximum(steps - 1, 0)


def _inverse(level: np.ndarray, curve: np.ndarray, times: np.ndarray, *,
             last: bool = False) -> np.ndarray:
    """First time each row's non-decreasing ``curve`` reaches ``level`` (rows stacked);
    ``last``: the last time it is still at ``level`` (the end of a flat stretch)."""
    q, n = curve.shape
    ramp = np.arange(n) * 1e-9  # make flat stretches strictly increasing
    if last:  # ... rising to their end instead of from their start
        ramp = ramp - (n - 1) * 1e-9
    span = curve.max() + 1.0 + n * 1e-9
    offset = (np.arange(q) * span)[:, None]
    x = (curve + ramp + offset).ravel()
    tt = np.tile(times, q)
    return np.interp((level + offset).ravel(), x, tt).reshape(level.shape)


def simulate_backlog(arrivals, capacity, interval_s: float, window_s: float,
                     initial_backlog=0.0) -> BacklogResult:
    """Run the FIFO fluid model for given capacities.

    Parameters
    ----------
    arrivals, capacity : array_like, shape (Q, T)
        Contacts arriving, and contacts that can be handled, per queue x interval.
    interval_s : float
        Interval length, seconds.
    window_s : float
        Response window, seconds.
    initial_backlog : array_like, shape (Q,) or scalar
        Contacts waiting at the start (treated as arrived at time 0).

    Returns
    -------
    BacklogResult
    """
    a = _as2d("arrivals", arrivals)
    c = _as2d("capacity", capacity, a.shape)
    b0 = np.broadcast_to(np.asarray(initial_backlog, dtype=float), (a.shape[0],))
    q, t = a.shape
    x = b0[:, None] + np.cumsum(a - c, axis=1)
    backlog = x - np.minimum(np.minimum.accumulate(x, axis=1), 0.0)
    backlog = np.maximum(backlog, 0.0)
    cum_a = b0[:, None] + np.cumsum(a, axis=1)
    cum_s = cum_a - backlog
    served = np.diff(np.concatenate([np.zeros((q, 1)), cum_s], axis=1), axis=1)
    times = np.arange(t + 1) * interval_s
    a_curve = np.concatenate([b0[:, None], cum_a], axis=1)
    s_curve = np.concatenate([np.zeros((q, 1)), cum_s], axis=1)
    # the head is the next contact after the answered ones: where the arrival curve rises
    # past them (not the start of a quiet stretch that ended on exactly that count)
    head_arrival = _inverse(cum_s, a_curve, times, last=True)
    ages = np.where(backlog > 1e-9,
                    np.maximum(times[1:][None, :] - head_arrival, 0.0) / 3600.0, 0.0)

    start_cum = np.concatenate([b0[:, None], cum_a[:, :-1]], axis=1)
    deadline = _deadline_index(t, interval_s, window_s)
    inside = deadline < t
    by_deadline = np.take_along_axis(cum_s, np.minimum(deadline, t - 1)[None, :].repeat(q, 0), 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.clip(by_deadline - start_cum, 0.0, a) / a
    share = np.where(a == 0, 1.0, share)
    share = np.where(inside[None, :], share, np.nan)

    middle = start_cum + a / 2.0
    answered_at = _inverse(middle, s_curve, times)
    arrived_at = (np.arange(t)[None, :] + 0.5) * interval_s
    delay = np.where(middle <= cum_s[:, -1:] + 1e-9, np.maximum(answered_at - arrived_at, 0.0), np.nan)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        occ = np.where(c > 0, served / c, 0.0)
    return BacklogResult(served=served, backlog=backlog, oldest_age_h=ages,
                         within_window=share, mean_delay_s=delay, occupancy=np.clip(occ, 0, 1))


def overflow_backlog(arrivals, capacity, interval_s: float, after_s: float
                     ) -> tuple[np.ndarray, np.ndarray]:
    """The FIFO fluid model of a queue whose contacts move on after ``after_s`` of waiting.

    In each interval the agents answer from the head of the line first; then every
    contact that arrived more than ``after_s`` before the interval's end and is still
    waiting leaves (to the queue's overflow target). Both take contacts from the head, so
    the line stays first in, first out and nobody in it is older than ``after_s`` at an
    interval's end.

    Parameters
    ----------
    arrivals, capacity : array_like, shape (Q, T)
    interval_s, after_s : float

    Returns
    -------
    served, moved : ndarray, shape (Q, T)
        Contacts answered in the queue, and contacts that moved, per interval.
    """
    a = _as2d("arrivals", arrivals)
    c = _as2d("capacity", capacity, a.shape)
    q, t = a.shape
    cum_a = np.cumsum(a, axis=1)
    start_cum = cum_a - a
    # arrivals (uniform within their interval) by each interval's end minus after_s
    at = (np.arange(t) + 1.0) * interval_s - float(after_s)
    k = np.clip(np.floor(at / interval_s).astype(int), 0, t - 1)
    frac = np.clip(at / interval_s - k, 0.0, 1.0)
    aged = np.where(at > 0, start_cum[:, k] + frac * a[:, k], 0.0)
    served, moved = np.zeros((q, t)), np.zeros((q, t))
    head = np.zeros(q)
    for j in range(t):  # sequential by nature, vectorised across queues
        served[:, j] = np.clip(cum_a[:, j] - head, 0.0, c[:, j])
        head = head + served[:, j]
        moved[:, j] = np.maximum(aged[:, j] - head, 0.0)
        head = head + moved[:, j]
    return served, moved


def to_arrivals(arrivals, served, moved, mass) -> np.ndarray:
    """Spread ``mass`` (per interval of a move: the moved contacts that then miss, say)
    over the arrival intervals of the contacts moved, per queue.

    The line is first in, first out (:func:`overflow_backlog`), so the contacts moved in
    interval ``j`` are the cumulative positions ``(lo_j, lo_j + moved_j]``, ``lo_j``
    everything answered or moved before them; ``mass_j`` is spread evenly over them and
    summed per interval of the arrival curve.

    Parameters
    ----------
    arrivals, served, moved, mass : array_like, shape (Q, T)

    Returns
    -------
    ndarray, shape (Q, T)
        Per queue and arrival interval.
    """
    a = _as2d("arrivals", arrivals)
    s, m = (np.broadcast_to(np.asarray(x, dtype=float), a.shape) for x in (served, moved))
    w = np.broadcast_to(np.asarray(mass, dtype=float), a.shape)
    lo = np.cumsum(s + m, axis=1) - m
    cum_a = np.cumsum(a, axis=1)
    out = np.zeros(a.shape)
    for q in range(a.shape[0]):  # one curve per queue
        x = np.column_stack([lo[q], lo[q] + m[q]]).ravel()
        total = np.cumsum(w[q])
        y = np.column_stack([total - w[q], total]).ravel()
        at = np.interp(np.concatenate([[0.0], cum_a[q]]), x, y, left=0.0, right=total[-1])
        out[q] = np.diff(at)
    return out


def required_capacity(arrivals, interval_s: float, window_s, share,
                      initial_backlog=0.0) -> np.ndarray:
    """Contacts to handle per queue x interval so that ``share`` meet the window.

    Parameters
    ----------
    arrivals : array_like, shape (Q, T)
    interval_s : float
    window_s : float or array_like, shape (Q, T)
        Response window, seconds (``>= interval_s``); per queue x interval when the
        contacts of some intervals have less time (moved in by a fallback: the interval's
        deadline then holds for every contact in line before them too).
    share : array_like, shape (Q,) or scalar
        Required share answered within the window, in [0, 1].
    initial_backlog : array_like, shape (Q,) or scalar

    Returns
    -------
    ndarray, shape (Q, T)
        Capacity in contacts per interval (the greedy level-rate profile, see module doc).
    """
    a = _as2d("arrivals", arrivals)
    q, t = a.shape
    p = np.broadcast_to(np.asarray(share, dtype=float), (q,))
    if np.any((p < 0) | (p > 1)):
        raise ValueError(f"share must be in [0, 1], got {float(p[(p < 0) | (p > 1)][0])!r}")
    w = np.broadcast_to(np.asarray(window_s, dtype=float), (q, t))
    if np.any(~(w >= interval_s)):
        raise ValueError(f"window_s must be >= interval_s ({interval_s:g}), "
                         f"got {float(w[~(w >= interval_s)].flat[0])!r}")
    b0 = np.broadcast_to(np.asarray(initial_backlog, dtype=float), (q,))
    cum_a = b0[:, None] + np.cumsum(a, axis=1)
    start_cum = np.concatenate([b0[:, None], cum_a[:, :-1]], axis=1)
    need = start_cum + p[:, None] * a
    deadline = _deadline_index(t, interval_s, w)
    req = np.zeros((q, t))
    keep = deadline < t
    np.maximum.at(req, (np.nonzero(keep)[0], deadline[keep]), need[keep])
    first = np.minimum(deadline[:, 0], t - 1)
    req[np.arange(q), first] = np.maximum(req[np.arange(q), first], b0)
    req = np.maximum.accumulate(req, axis=1)

    look = max(int((deadline - np.arange(t)).max(initial=0)) + 1, 1)  # the longest window
    padded = np.concatenate([req, np.repeat(req[:, -1:], look, axis=1)], axis=1)
    ahead = np.arange(1, look + 1, dtype=float)[None, :]
    cap = np.zeros((q, t))
    done = np.zeros(q)
    for j in range(t):  # sequential by nature; vectorised across queues and look-ahead
        rate = np.max((padded[:, j:j + look] - done[:, None]) / ahead, axis=1)
        cap[:, j] = np.maximum(rate, 0.0)
        done = np.minimum(done + cap[:, j], cum_a[:, j])
    return cap


def integer_agents(arrivals, capacity, work_s, interval_s: float,
                   initial_backlog=0.0) -> np.ndarray:
    """Whole agents per queue x interval that answer at least as much as ``capacity``.

    Parameters
    ----------
    arrivals : array_like, shape (Q, T)
    capacity : array_like, shape (Q, T)
        Fluid capacity in contacts per interval (e.g. from :func:`required_capacity`).
    work_s : array_like, shape (Q, T)
        Handle time per contact in each interval, seconds (> 0).
    interval_s : float
    initial_backlog : array_like, shape (Q,) or scalar

    Returns
    -------
    ndarray of float, shape (Q, T)
        Whole numbers of agents. In every interval the cumulative number of contacts
        answered with them is at least the number answered with ``capacity``, so every
        response-window deadline met by ``capacity`` is met.
    """
    a = _as2d("arrivals", arrivals)
    c = _as2d("capacity", capacity, a.shape)
    w = np.broadcast_to(np.asarray(work_s, dtype=float), a.shape)
    if np.any(~(w > 0)):
        raise ValueError(f"work_s must be > 0, got {float(w[~(w > 0)].flat[0])!r}")
    cum_a = np.broadcast_to(np.asarray(initial_backlog, dtype=float), (a.shape[0],))[:, None] \
        + np.cumsum(a, axis=1)
    agents = np.zeros_like(a)
    fluid = np.zeros(a.shape[0])
    whole = np.zeros(a.shape[0])
    for j in range(a.shape[1]):  # sequential carry, vectorised across queues
        fluid = np.minimum(fluid + c[:, j], cum_a[:, j])
        agents[:, j] = np.ceil(np.maximum(fluid - whole, 0.0) * w[:, j] / interval_s - 1e-9)
        whole = np.minimum(whole + agents[:, j] * interval_s / w[:, j], cum_a[:, j])
    return agents
