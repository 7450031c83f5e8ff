"""Email and social on a roster: what the backlog model promises when heads come and go.

The fluid model (:mod:`optimize.queueing.backlog`) takes every interval's capacity as
``heads x (1 - shrinkage)`` contacts-worth of steady work and every arrival as its mean.
On a real roster a deferred queue is worked in short blocks between chat blocks, and on
the sample plan that made the fluid promise too good by up to 46 points of share within
window (social/en, against a 40-replication simulation; ``bench/README.md``). Three things it leaves out, each of which the plan
simulator (:mod:`optimize.simulation`) shows:

1. **Heads come and go.** Shrinkage loses whole agent x intervals (or whole shifts) with
   the channel's probability, not a steady fraction of every head; arrivals are Poisson
   and completions too. Near its capacity a backlog then drifts far above the fluid one.
2. **Switching from chat costs time.** An agent who comes to email or social straight
   from a chat block first finishes the chats in hand: with ``k`` of ``c`` slots busy
   that takes ``sum_{i<=k} aht (1 + slowdown (i - 1)) / i`` on average (the state-dependent
   chat model), ``k ~ Binomial(c, occupancy)`` with the occupancy a present agent sees
   (:func:`present_occupancy`); from an email or social block, one contact with the
   probability of that queue's occupancy.
   On a 30-minute social block after chat this is a third of the block.
3. **A block's last contact is finished.** An agent busy when the block ends (or before an
   interval lost to shrinkage) finishes that contact: one contact more than the block's
   rate, which on 30-minute blocks is 10-20 % of their capacity.

:func:`roster_deferred` draws ``PATHS`` seeded sample paths of the interval capacity of
every deferred queue from the roster's work segments (presence per piece, or per shift,
as ``[staffing] shrinkage_mode`` says; Poisson completions over the time left after the
switch; the finished last contact), draws Poisson arrivals, runs the FIFO backlog
recursion of :func:`optimize.queueing.backlog.simulate_backlog` on every path and averages.
As in the simulator the period is preceded by a copy of itself (the backlog the same
plan leaves) and followed by a copy of its first response window. Deadlines lie on the
interval grid: a share is the mean of the shares with the deadline at the end of the
interval ``floor(window / interval)`` intervals on and one interval later (for a window
that is a whole number of intervals, the deadlines of a contact arriving at the start and
at the end of its interval; a shorter or a fractional window is rounded down first, as in
the fluid model). It is a model of the roster, not a simulation of contacts: no routing,
no realtime queues, and the configured shrinkage (not a fitted one) lost as
``shrinkage_mode`` says, as in the simulator.

**Fallback** (:func:`optimize.queueing.fallback.fallback_rules`: an email or social queue
whose contacts move to another queue of its channel after ``after_s``): on every path the
source's line runs :func:`optimize.queueing.backlog.overflow_backlog` (its agents answer
from the head, then everyone older than ``after_s`` moves), the moved contacts join the
target's arrivals at ``aht_factor`` times the source's handle time (in the target's
contacts-worth), and a moved contact counts as answered in time with the share the
target's first-in first-out line answers within the window's rest, charged to the
interval it arrived in (:func:`optimize.queueing.backlog.to_arrivals`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import binom

from optimize.queueing.backlog import (
    BacklogResult,
    overflow_backlog,
    simulate_backlog,
    to_arrivals,
)
from optimize.queueing.fallback import fallback_rules
from optimize.queueing.metrics import channel_metrics
from optimize.scenario.config import ScenarioConfig
from optimize.scenario.overflow import Overflow

__all__ = ["CHUNK", "PATHS", "SHIFT_GAP_S", "Pieces", "drain_seconds", "present_occupancy",
           "roster_deferred", "work_pieces"]

PATHS = 200  # sample paths: about 1 point of standard error on a queue's weekly share
CHUNK = 50  # paths drawn and run at once
SHIFT_GAP_S = 3 * 3600.0  # work of an agent closer than this belongs to one shift
_TOUCH_S = 1.0  # segments closer than this are contiguous


@dataclass(frozen=True)
class Pieces:
    """Work segments cut at interval boundaries, sorted by agent and start (arrays of ``P``).

    ``queue`` indexes the queue list given to :func:`work_pieces`; ``interval`` the period's
    grid; ``cont`` marks a piece followed at once by work of the same agent on the same
    queue; ``switch`` a piece preceded at once by the same agent's work on another queue
    (the piece before it); ``shift`` numbers the agents' shifts.
    """

    queue: np.ndarray
    interval: np.ndarray
    length_s: np.ndarray
    cont: np.ndarray
    switch: np.ndarray
    shift: np.ndarray


def work_pieces(segments: pd.DataFrame, queues: list[tuple[str, str]], start: pd.Timestamp,
                n_t: int, interval_s: int) -> Pieces:
    """The roster's work on the given queues as interval pieces.

    Parameters
    ----------
    segments : DataFrame
        ``agent_id, start_utc, end_utc, channel, language`` (the work rows of
        ``activities.csv``); rows on other queues are left out, times are clipped to the
        period ``[start, start + n_t * interval_s)``.
    queues : list of (channel, language)
    start : Timestamp
    n_t, interval_s : int

    Returns
    -------
    Pieces
    """
    qi = {q: i for i, q in enumerate(queues)}
    keys = zip(segments["channel"].fillna("").astype(str),
               segments["language"].fillna("").astype(str), strict=True)
    q = np.array([qi.get(k, -1) for k in keys], dtype=int)
    t0 = pd.Timestamp(start)
    s = (pd.to_datetime(segments["start_utc"], utc=True) - t0).dt.total_seconds().to_numpy()
    e = (pd.to_datetime(segments["end_utc"], utc=True) - t0).dt.total_seconds().to_numpy()
    s, e = np.clip(s, 0, n_t * interval_s), np.clip(e, 0, n_t * interval_s)
    keep = (q >= 0) & (e > s)
    if not keep.any():
        none = np.zeros(0, dtype=int)
        return Pieces(queue=none, interval=none, length_s=np.zeros(0), cont=none.astype(bool),
                      switch=none.astype(bool), shift=none)
    agent = pd.factorize(segments["agent_id"].astype(str).to_numpy()[keep])[0]
    q, s, e = q[keep], s[keep], e[keep]
    first = np.floor(s / interval_s).astype(int)
    n = np.maximum(np.ceil(e / interval_s).astype(int) - first, 1)
    idx = np.repeat(np.arange(len(s)), n)
    k = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
    ps = np.maximum(s[idx], (first[idx] + k) * interval_s)
    pe = np.minimum(e[idx], (first[idx] + k + 1) * interval_s)
    pa, pq, pj = agent[idx], q[idx], first[idx] + k
    order = np.lexsort((ps, pa))
    ps, pe, pa, pq, pj = ps[order], pe[order], pa[order], pq[order], pj[order]
    same_agent = pa[1:] == pa[:-1]
    touch = same_agent & (np.abs(ps[1:] - pe[:-1]) < _TOUCH_S)
    cont = np.append(touch & (pq[1:] == pq[:-1]), False)
    switch = np.insert(touch & (pq[1:] != pq[:-1]), 0, False)
    new_shift = np.insert(~same_agent | (ps[1:] - pe[:-1] > SHIFT_GAP_S), 0, True)
    return Pieces(queue=pq, interval=pj, length_s=pe - ps, cont=cont, switch=switch,
                  shift=np.cumsum(new_shift) - 1)


def drain_seconds(aht_s, occupancy, concurrency: int, slowdown: float) -> np.ndarray:
    """Mean time an agent leaving a queue needs to finish the contacts in hand.

    ``k ~ Binomial(concurrency, occupancy)`` contacts in hand, finished at the
    state-dependent rates of :mod:`optimize.queueing.chat` (``i`` in hand: each at
    ``1 / (aht (1 + slowdown (i - 1)))``), so ``sum_{i<=k} aht (1 + slowdown (i - 1)) / i``.
    """
    aht = np.asarray(aht_s, dtype=float)
    rho = np.clip(np.nan_to_num(np.asarray(occupancy, dtype=float)), 0.0, 1.0)
    c = max(int(concurrency), 1)
    stage = np.cumsum([(1.0 + slowdown * (i - 1)) / i for i in range(1, c + 1)])
    return aht * sum(binom.pmf(k, c, rho) * stage[k - 1] for k in range(1, c + 1))


def present_occupancy(metrics, load, aht_s, heads, shrinkage: float) -> np.ndarray:
    """Slot occupancy of a real-time queue as an agent present on it sees it.

    With ``heads`` on the schedule, the agent shares the queue with ``Binomial(ceil(heads)
    - 1, 1 - shrinkage)`` others, so the measure is the channel's model (``metrics``, from
    :func:`optimize.queueing.metrics.channel_metrics`) at ``m`` whole agents averaged over
    that law, not at the fractional ``heads x (1 - shrinkage)`` of the coverage formulas
    (which interpolate between a lone agent's high occupancy and a pair's low one, and on
    the sample's chat overstate what the simulated agents carry by about a fifth).
    """
    load, aht = np.asarray(load, dtype=float), np.asarray(aht_s, dtype=float)
    n = np.maximum(np.ceil(np.asarray(heads, dtype=float) - 1e-9), 1).astype(int)
    out = np.zeros(load.shape)
    for m in range(1, int(n.max(initial=1)) + 1):
        w = binom.pmf(m - 1, n - 1, 1.0 - shrinkage)
        if np.any(w > 0):
            occ = np.asarray(metrics(np.full(load.shape, float(m)), load, aht)["occupancy"])
            out += np.where(w > 0, w * np.nan_to_num(occ), 0.0)
    return out


def _capacity_paths(pc: Pieces, drain: np.ndarray, *, aht: np.ndarray, lost: np.ndarray,
                    group: np.ndarray | None, paths: int, copies: list[int],
                    rng: np.random.Generator) -> np.ndarray:
    """Contacts the agents of each queue can start per interval, ``(paths, Q, sum(copies))``:
    the pieces with fresh presence draws for every copy (a copy of ``m`` intervals keeps
    the pieces of its first ``m``). ``lost`` is each piece's shrinkage probability and
    ``group`` the piece's presence group (its shift; None: every piece on its own). Drain
    time longer than a piece is not carried into the next one."""
    q_n, n_t = aht.shape
    cell = ((np.arange(paths)[:, None] * q_n + pc.queue) * n_t + pc.interval).astype(np.int64)
    rate = pc.length_s / aht[pc.queue, pc.interval]
    out = []
    for m in copies:
        if group is None:
            present = rng.random((paths, len(pc.queue))) >= lost
        else:
            first = np.unique(group, return_index=True)[1]
            draw = rng.random((paths, len(first))) >= lost[first]
            present = draw[:, np.searchsorted(group[first], group)]
        before = np.zeros_like(present)
        before[:, 1:] = present[:, :-1] & pc.switch[1:]
        after = np.zeros_like(present)
        after[:, :-1] = present[:, 1:] & pc.cont[:-1]
        left = np.where(present, np.maximum(1.0 - before * drain / pc.length_s, 0.0), 0.0)
        last = present & ~after & (left > 0)
        inside = pc.interval < m
        size = paths * q_n * n_t
        mean = np.bincount(cell[:, inside].ravel(), (left * rate)[:, inside].ravel(),
                           minlength=size).reshape(paths, q_n, n_t)[:, :, :m]
        ends = np.bincount(cell[:, inside].ravel(), last[:, inside].ravel().astype(float),
                           minlength=size).reshape(paths, q_n, n_t)[:, :, :m]
        out.append(rng.poisson(mean) + ends)
    return np.concatenate(out, axis=2).astype(float)


def _shares(arrivals: np.ndarray, capacity: np.ndarray, interval_s: int,
            window_s: float) -> tuple[np.ndarray, BacklogResult]:
    """Share of each interval's arrivals answered within ``window_s`` (the mean over a
    deadline at the interval's start and one at its end) and the recursion's result,
    arrays ``(paths, Q, T)``."""
    r, q, t = arrivals.shape
    share, res = 0.0, None
    for extra in (0.0, float(interval_s)):
        res = simulate_backlog(arrivals.reshape(r * q, t), capacity.reshape(r * q, t),
                               interval_s, window_s + extra)
        share = share + np.nan_to_num(res.within_window.reshape(r, q, t)) / 2.0
    return share, res


def _sums(arrivals: np.ndarray, capacity: np.ndarray, interval_s: int, window_s: float,
          n_t: int, own: np.ndarray, within: np.ndarray | None = None,
          extra_delay: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Sums over paths of the backlog recursion's measures over the period (the middle
    copy), arrival-weighted where a measure is per contact. ``arrivals`` includes contacts
    moved in by a fallback, ``own`` the queue's own (whose measures these are);
    ``within`` replaces the contacts answered within the window per path (a fallback's
    source, :func:`_fallback`) and ``extra_delay`` is added to the delays (per path, of the
    period)."""
    r, q, t = arrivals.shape
    period = slice(n_t, 2 * n_t)
    share, res = _shares(arrivals, capacity, interval_s, window_s)
    a = own[:, :, period]
    got = share[:, :, period] * a if within is None else within
    delay = res.mean_delay_s.reshape(r, q, t)[:, :, period]
    if extra_delay is not None:
        delay = delay + extra_delay
    known = np.isfinite(delay) & (a > 0)
    return {"within": got.sum(axis=0), "arrivals": a.sum(axis=0),
            "delay": np.where(known, delay * a, 0.0).sum(axis=0),
            "delayed": np.where(known, a, 0.0).sum(axis=0),
            "served": res.served.reshape(r, q, t)[:, :, period].sum(axis=0),
            "capacity": capacity[:, :, period].sum(axis=0),
            "backlog": res.backlog.reshape(r, q, t)[:, :, period].sum(axis=0),
            "oldest_age_h": res.oldest_age_h.reshape(r, q, t)[:, :, period].sum(axis=0)}


def _fallback(rule: Overflow, own: np.ndarray, served: np.ndarray, moved: np.ndarray,
              offered: np.ndarray, capacity: np.ndarray, interval_s: int, window_s: float,
              n_t: int) -> dict[str, np.ndarray]:
    """:func:`_sums` of a fallback's source queue, one row: arrays ``(paths, T)`` of its own
    arrivals, its answered and moved contacts (:func:`overflow_backlog`), and the target's
    offered contacts and capacity. A moved contact is answered in time with the share of
    its interval's offered contacts the target answers within the window's rest (the
    target's line is first in, first out), charged to the contact's own arrival interval
    (:func:`~optimize.queueing.backlog.to_arrivals`); so is the target's delay."""
    share, res = _shares(offered[:, None], capacity[:, None], interval_s,
                         window_s - rule.after_s)
    delay = np.nan_to_num(res.mean_delay_s.reshape(share.shape)[:, 0])
    late = to_arrivals(own, served, moved, moved * (1.0 - share[:, 0]))
    wait = to_arrivals(own, served, moved, moved * delay)
    k = np.arange(n_t, 2 * n_t)
    a = own[:, k]
    with np.errstate(invalid="ignore", divide="ignore"):
        extra = np.where(a > 0, wait[:, k] / a, 0.0)
    got = _sums(own[:, None], (served + moved)[:, None], interval_s, window_s, n_t,
                own[:, None], within=(a - late[:, k])[:, None], extra_delay=extra[:, None])
    got["served"] = served[:, k].sum(axis=0)[None]
    return {key: v[0] for key, v in got.items()}


def roster_deferred(grid: dict[str, np.ndarray], queues: list[tuple[str, str]],
                    segments: pd.DataFrame, config: ScenarioConfig, *, start: pd.Timestamp,
                    interval_s: int, mode: str | None = None,
                    seed: int = 0) -> dict[str, np.ndarray]:
    """Service measures of every deferred queue on a roster (see the module docstring).

    Parameters
    ----------
    grid : dict of arrays (Q, T)
        ``volume`` (contacts), ``aht_s``, ``heads`` (scheduled agents) and ``occupancy``
        (of the deferred queues, from the fluid model: how likely an agent leaving one is
        busy; real-time ones are measured by :func:`present_occupancy`) per queue x
        interval of the period.
    queues : list of (channel, language)
        Every queue of the period, realtime ones too (the work an agent switches from).
    segments : DataFrame
        The roster's work (``agent_id, start_utc, end_utc, channel, language``).
    config : ScenarioConfig
    start : Timestamp
        The period's first interval.
    interval_s : int
    mode : {"intervals", "shifts", "none"}, optional
        How shrinkage is lost (with each channel's configured shrinkage, as in the
        simulator); default ``config.staffing.shrinkage_mode``.
    seed : int

    Returns
    -------
    dict of arrays (Q, T)
        ``service_level`` (share within the window), ``asa_s`` (delay of an interval's
        middle contact), ``occupancy``, ``backlog``, ``oldest_age_h``; NaN on realtime rows.
    """
    mode = mode or config.staffing.shrinkage_mode
    if mode not in ("intervals", "shifts", "none"):
        raise ValueError(f"mode must be 'intervals', 'shifts' or 'none', got {mode!r}")
    q_n, n_t = grid["volume"].shape
    pc = work_pieces(segments, queues, start, n_t, interval_s)
    chans = [config.channels[c] for c, _ in queues]
    shrink = np.array([config.shrinkage_for(c) for c, _ in queues], dtype=float)
    if mode == "none":
        shrink = np.zeros_like(shrink)
    drain = np.zeros(len(pc.queue))
    prev = np.flatnonzero(pc.switch) - 1
    for qi in np.unique(pc.queue[prev]):
        ch, at = chans[qi], prev[pc.queue[prev] == qi]
        rows, cols = pc.queue[at], pc.interval[at]
        aht = grid["aht_s"][rows, cols]
        if ch.kind == "deferred":
            busy = grid["occupancy"][rows, cols]
        else:
            busy = present_occupancy(channel_metrics(ch), grid["volume"][rows, cols] * aht
                                     / interval_s, aht, grid["heads"][rows, cols], shrink[qi])
        drain[at + 1] = drain_seconds(aht, busy, ch.concurrency, ch.concurrency_slowdown)
    deferred = np.array([ch.kind == "deferred" for ch in chans])
    lost = shrink[pc.queue]
    group = None
    if mode == "shifts":  # a shift is lost with the shrinkage of its first work's channel
        first = np.unique(pc.shift, return_index=True)[1]
        lost, group = shrink[pc.queue[first]][pc.shift], pc.shift
    # only deferred pieces and the pieces they switch from (whose presence the drain needs)
    keep = deferred[pc.queue] | np.append(pc.switch[1:] & deferred[pc.queue[1:]], False)
    sub = Pieces(**{f: getattr(pc, f)[keep] for f in ("queue", "interval", "length_s", "cont",
                                                      "switch", "shift")})
    rng = np.random.default_rng(seed)
    names = sorted({c for c, _ in queues if config.channels[c].kind == "deferred"})
    window = {n: max(config.channels[n].response_window_h * 3600.0, float(interval_s))
              for n in names}
    cool = {n: min(int(np.ceil(window[n] / interval_s)), n_t) for n in names}
    rows = {n: np.array([i for i, (c, _) in enumerate(queues) if c == n]) for n in names}
    copies = [n_t, n_t, max(cool.values(), default=0)]
    where = {q: (c, int(np.flatnonzero(rows[c] == i)[0])) for i, q in enumerate(queues)
             for c in names if q[0] == c}
    rules = [(o, queues.index((o.channel, o.language)), queues.index(o.to))
             for o in fallback_rules(config, interval_s)
             if (o.channel, o.language) in where and o.to in where]
    total: dict[str, dict[str, np.ndarray]] = {}
    for done in range(0, PATHS, CHUNK):  # paths in chunks: memory stays ~CHUNK paths' worth
        paths = min(CHUNK, PATHS - done)
        cap = _capacity_paths(sub, drain[keep], aht=grid["aht_s"], lost=lost[keep],
                              group=None if group is None else group[keep], paths=paths,
                              copies=copies, rng=rng)
        own, offered = {}, {}
        for name in names:
            volume = grid["volume"][rows[name]]
            mean = np.concatenate([volume, volume, volume[:, :cool[name]]], axis=1)
            own[name] = rng.poisson(np.broadcast_to(mean, (paths,) + mean.shape)).astype(float)
            offered[name] = own[name].copy()
        flows = []
        for rule, qx, qy in rules:  # each source's line, its leftovers offered to the target
            (nx, ix), (ny, iy) = where[queues[qx]], where[queues[qy]]
            tx = own[nx].shape[2]
            served, moved = overflow_backlog(own[nx][:, ix], cap[:, qx, :tx], interval_s,
                                             rule.after_s)
            aht = [np.concatenate([grid["aht_s"][i]] * 3)[:tx] for i in (qx, qy)]
            m = min(tx, own[ny].shape[2])
            offered[ny][:, iy, :m] += (moved * rule.aht_factor * aht[0] / aht[1])[:, :m]
            flows.append((rule, qx, qy, served, moved))
        got = {name: _sums(offered[name], cap[:, rows[name], :own[name].shape[2]], interval_s,
                           window[name], n_t, own[name]) for name in names}
        for rule, qx, qy, served, moved in flows:
            (nx, ix), (ny, iy) = where[queues[qx]], where[queues[qy]]
            src = _fallback(rule, own[nx][:, ix], served, moved, offered[ny][:, iy],
                            cap[:, qy, :own[ny].shape[2]], interval_s, window[nx], n_t)
            src["capacity"] = cap[:, qx, n_t:2 * n_t].sum(axis=0)
            for k, v in src.items():
                got[nx][k][ix] = v
        for name in names:
            acc = total.setdefault(name, {k: 0.0 for k in got[name]})
            for k, v in got[name].items():
                acc[k] = acc[k] + v
    out = {k: np.full((q_n, n_t), np.nan) for k in
           ("service_level", "asa_s", "occupancy", "backlog", "oldest_age_h")}
    with np.errstate(invalid="ignore", divide="ignore"):
        for name, acc in total.items():
            r = rows[name]
            out["service_level"][r] = np.where(acc["arrivals"] > 0,
                                               acc["within"] / acc["arrivals"], 1.0)
            out["asa_s"][r] = np.where(acc["delayed"] > 0, acc["delay"] / acc["delayed"], np.nan)
            out["occupancy"][r] = np.where(acc["capacity"] > 0, np.minimum(
                acc["served"] / acc["capacity"], 1.0), 0.0)
            out["backlog"][r] = acc["backlog"] / PATHS
            out["oldest_age_h"][r] = acc["oldest_age_h"] / PATHS
    return out
