"""One replication of a planned period, contact by contact, on SimPy's event scheduler.

The desk works as the plan says (``routing="planned"``): during each work segment an
agent takes contacts of that one queue only; a segment's end stops new contacts, the
ones in progress are finished. Within a queue contacts wait first-in first-out; a new
contact goes to the least-loaded agent with a free slot (as the chat model assumes).
With ``routing="skills"`` an agent on duty who has nothing in hand also takes waiting
work of any other queue it is skilled for, the highest channel priority first (a new
contact of a queue with no free slot goes to such an idle agent); its planned queue still
comes first.

- **Arrivals**: Poisson with the forecast mean per interval, uniform within it
  (a non-homogeneous Poisson process with a piecewise-constant rate); with
  ``day_levels``, doubly stochastic: each queue's level of each day is drawn from the
  forecast's band (one standard normal per queue and day times ``Desk.level_sd``); or,
  with ``Desk.replay``, the actual counts of a week, uniform within their intervals.
- **Handling**: exponential handle times with the interval's ``aht_s``. An agent with
  ``j`` contacts in parallel works each at ``1 / (1 + slowdown (j - 1))`` of its solo
  speed, the state-dependent model of :mod:`optimize.queueing.chat`; being memoryless,
  the next completion is redrawn whenever ``j`` changes.
- **Abandonment**: exponential patience (Erlang A channels); a waiting contact whose
  patience runs out leaves at that moment. Erlang C and deferred channels never abandon.
- **Priority pooling** (``pool_with``): an agent planned on a pooled priority queue
  (``vip_chat/ko`` pooled with ``chat``) takes that queue's contacts in up to its
  ``concurrency`` slots and the partner queue's (``chat/ko``) in the rest of the
  partner's ``concurrency`` (``Desk.pool_regular``); a freed slot takes a waiting
  priority contact first. A new partner contact goes to the least-loaded agent that
  has room, the partner queue's own agents first on a tie.
- **Overflow** (``[overflow]`` in ``scenario.toml``): a contact still waiting after the
  queue's ``after_s`` moves to the queue's overflow target (handle time times
  ``aht_factor``), and on from there if that queue overflows too; it keeps its patience
  and is measured in the queue it arrived in. With ``move_when_unstaffed`` a contact
  arriving while no agent is on its queue (planned there, or pooled into it) moves at
  once. A contact moved into a queue of a lower channel priority than its own (a VIP chat
  into regular English chat) goes to the front of that queue's line, behind any such
  contacts already there.
- **Shrinkage** (``scenario.toml`` ``[staffing] shrinkage_mode``): ``"intervals"`` (the
  default) loses each agent x interval of planned work with probability equal to the
  channel's shrinkage, independently (training, 1:1s, short absences taken in whole
  intervals); ``"shifts"`` loses whole shifts with that probability (an agent who does
  not come in; the channel of the shift's first work); ``"none"`` simulates the plan as
  written.
- **Warm start**: the period is preceded by a copy of itself (warm-up, same plan) and
  followed by a copy of its first response window (so late replies are seen); only
  contacts arriving in the period itself are measured.

Returns per-contact records (the Ciw pattern: every measure is an aggregation of them)
and the busy and staffed slot-seconds per queue x interval for occupancy.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
import pandas as pd
import simpy

from optimize.simulation.desk import Desk
from optimize.simulation.draws import draw_arrivals, draw_segments, period_copies

__all__ = ["ROUTING_MODES", "SHRINKAGE_MODES", "Replication", "simulate_once"]

SHRINKAGE_MODES = ("intervals", "shifts", "none")
ROUTING_MODES = ("planned", "skills")


@dataclass(frozen=True)
class Replication:
    """What one replication produced.

    ``records`` has one row per contact arriving in the period: ``queue`` (index into
    ``Desk.queues``), ``interval`` (of arrival), ``arrival_s``, ``start_s`` (NaN when never
    answered), ``abandoned``; ``backlog`` (Q, T) counts contacts waiting at each interval's
    end; ``busy_s`` and ``staffed_s`` (Q, T) are contact-slot-seconds in service and agent
    slot-seconds on the queue (``concurrency`` slots per agent, the partner's ``concurrency``
    for an agent on a pooled queue, whose regular contacts count as its busy time too; plus
    the slot of a contact still in hand after its agent's segment ended).
    """

    records: pd.DataFrame
    backlog: np.ndarray
    busy_s: np.ndarray
    staffed_s: np.ndarray


class _Run:
    """The mutable state of one replication; SimPy schedules its events."""

    def __init__(self, desk: Desk, c: dict[str, np.ndarray], segments: np.ndarray,
                 rng: np.random.Generator, routing: str):
        self.env = simpy.Environment(initial_time=float(min(c["arrival_s"].min(initial=0.0),
                                                            segments[:, 0].min(initial=0.0))))
        self.desk, self.c, self.seg, self.rng = desk, c, segments, rng
        n, n_a = len(c["queue"]), len(desk.agents)
        self.start = np.full(n, np.nan)
        self.end = np.full(n, np.nan)
        self.until = np.full(n, np.nan)  # end of the segment a contact was taken in
        self.waits_in = c["queue"].copy()  # the queue a contact waits in (overflow moves it)
        self.served_in = np.full(n, -1)  # the planned queue of the agent who took it
        self.waiting = [deque() for _ in desk.queues]
        self.urgent = [deque() for _ in desk.queues]  # moved in from a higher priority
        self.on_queue: list[set[int]] = [set() for _ in desk.queues]
        self.took = np.full(n, -1)  # the queue a contact was taken from
        self.agent_queue = np.full(n_a, -1)
        self.segment_end = np.zeros(n_a)
        self.active: list[list[int]] = [[] for _ in range(n_a)]
        self.version = np.zeros(n_a, dtype=np.int64)
        self.capacity = desk.concurrency.astype(int)
        self.skills = desk.skill_order() if routing == "skills" else None
        partner = desk.pool_partner
        self.partner = np.full(len(desk.queues), -1) if partner is None else partner
        # agents planned on a pooled priority queue, filed under the partner they also take
        self.pooled_on: list[set[int]] = [set() for _ in desk.queues]
        # skills routing: the agents on duty (any queue) who may take each queue
        self.skilled_on: list[set[int]] = [set() for _ in desk.queues]

    # ------------------------------------------------------------------ events
    def arrivals(self):
        env, arr, queue = self.env, self.c["arrival_s"], self.c["queue"]
        for i in range(len(arr)):
            wait = arr[i] - env.now
            if wait > 0:
                yield env.timeout(wait)
            self.arrive(i, int(queue[i]))

    def roster(self):
        env, seg = self.env, self.seg
        times = np.concatenate([seg[:, 1], seg[:, 0]])
        kind = np.concatenate([np.zeros(len(seg), int), np.ones(len(seg), int)])  # ends first
        rows = np.concatenate([np.arange(len(seg)), np.arange(len(seg))])
        for j in np.lexsort((kind, times)):
            wait = times[j] - env.now
            if wait > 0:
                yield env.timeout(wait)
            a, q = int(seg[rows[j], 2]), int(seg[rows[j], 3])
            if kind[j]:
                self.agent_queue[a] = q
                self.segment_end[a] = seg[rows[j], 1]
                self.on_queue[q].add(a)
                if self.partner[q] >= 0:
                    self.pooled_on[self.partner[q]].add(a)
                if self.skills is not None:
                    for q2 in self.skills[a]:
                        self.skilled_on[q2].add(a)
                self.fill(a)
            else:
                self.on_queue[q].discard(a)
                if self.partner[q] >= 0:
                    self.pooled_on[self.partner[q]].discard(a)
                if self.agent_queue[a] == q:
                    self.agent_queue[a] = -1
                    if self.skills is not None:
                        for q2 in self.skills[a]:
                            self.skilled_on[q2].discard(a)

    def room(self, a: int, q: int) -> bool:
        """Agent ``a`` may take one more contact of queue ``q`` now."""
        active, own = self.active[a], self.agent_queue[a]
        if own < 0 or self.partner[own] < 0:
            return len(active) < self.capacity[q]
        partner = self.partner[own]
        if q != own and q != partner:  # another skilled queue (skills routing): its own rule
            return len(active) < self.capacity[q]
        mine = sum(1 for i in active if self.took[i] == own)  # pooled: the priority class
        if len(active) >= self.capacity[partner]:
            return False
        if q == own:
            return mine < self.capacity[own]
        return len(active) - mine < self.desk.pool_regular[own]

    def arrive(self, i: int, q: int) -> None:
        best, load = -1, np.inf
        for pool, tie in ((self.on_queue[q], 0.0), (self.pooled_on[q], 0.5)):
            for a in pool:
                j = len(self.active[a]) + tie
                if j < load and self.room(a, q):
                    best, load = a, j
                    if j == 0:
                        break
        if best < 0 and self.skills is not None:
            best = next((a for a in self.skilled_on[q] if not self.active[a]), -1)
        if best >= 0:
            self.begin(i, best, q)
            return
        desk = self.desk
        to = -1 if desk.overflow_to is None else int(desk.overflow_to[q])
        if (to >= 0 and desk.overflow_now is not None and desk.overflow_now[q]
                and not self.on_queue[q] and not self.pooled_on[q]):
            self.c["aht_s"][i] *= float(desk.overflow_factor[q])  # nobody on q: move now
            self.arrive(i, to)
            return
        own = int(self.c["queue"][i])
        line = (self.urgent if desk.priority is not None and q != own
                and desk.priority[own] > desk.priority[q] else self.waiting)
        line[q].append(i)
        self.waits_in[i] = q
        if to >= 0:
            ev = self.env.timeout(float(desk.overflow_after_s[q]))
            ev.callbacks.append(_Overflow(self, i, q, to))

    def overflow(self, i: int, q: int, to: int) -> None:
        """Contact ``i`` has waited its queue's overflow time: move it unless it has gone."""
        if (self.waits_in[i] != q or not np.isnan(self.start[i])
                or self.c["deadline_s"][i] < self.env.now):
            return
        self.c["aht_s"][i] *= float(self.desk.overflow_factor[q])
        self.waits_in[i] = -1  # its place in q's line is stale from now on
        self.arrive(i, to)

    def fill(self, a: int) -> None:
        q = self.agent_queue[a]
        if q < 0:
            return
        self.take(a, q)
        if self.partner[q] >= 0:
            self.take(a, int(self.partner[q]))
        if self.skills is not None and not self.active[a]:
            for q2 in self.skills[a]:  # idle: other skilled queues, by priority
                if q2 != q and self.take(a, q2):
                    break

    def take(self, a: int, q: int) -> bool:
        """Agent ``a`` takes waiting contacts of queue ``q`` while it has free slots."""
        deadline, now = self.c["deadline_s"], self.env.now
        took = False
        for waiting in (self.urgent[q], self.waiting[q]):
            while waiting and self.room(a, q):
                i = waiting.popleft()
                if deadline[i] < now or self.waits_in[i] != q:
                    continue  # left when its patience ran out, or moved on by overflow
                self.begin(i, a, q)
                took = True
        return took

    def begin(self, i: int, a: int, q: int) -> None:
        self.took[i] = q
        self.start[i] = self.env.now
        self.until[i] = self.segment_end[a]
        self.served_in[i] = self.agent_queue[a]
        self.waits_in[i] = -1
        self.active[a].append(i)
        self.reschedule(a)

    def reschedule(self, a: int) -> None:
        self.version[a] += 1
        active = self.active[a]
        if not active:
            return
        stretch = 1.0 + self.desk.slowdown[self.c["queue"][active]] * (len(active) - 1)
        rates = 1.0 / (self.c["aht_s"][active] * stretch)
        total = rates.sum()
        ev = self.env.timeout(self.rng.exponential(1.0 / total))
        ev.callbacks.append(_Completion(self, a, int(self.version[a]), rates / total))

    def complete(self, a: int, version: int, p: np.ndarray) -> None:
        if version != self.version[a]:
            return
        active = self.active[a]
        k = int(self.rng.choice(len(active), p=p)) if len(active) > 1 else 0
        self.end[active.pop(k)] = self.env.now
        self.fill(a)
        self.reschedule(a)


class _Overflow:
    """A waiting contact's overflow time; void once it was answered, left or moved."""

    __slots__ = ("run", "i", "q", "to")

    def __init__(self, run: _Run, i: int, q: int, to: int):
        self.run, self.i, self.q, self.to = run, i, q, to

    def __call__(self, _event) -> None:
        self.run.overflow(self.i, self.q, self.to)


class _Completion:
    """A scheduled completion on agent ``a``; stale once the agent's state has changed."""

    __slots__ = ("run", "a", "version", "p")

    def __init__(self, run: _Run, a: int, version: int, p: np.ndarray):
        self.run, self.a, self.version, self.p = run, a, version, p

    def __call__(self, _event) -> None:
        self.run.complete(self.a, self.version, self.p)


def _integral(starts: np.ndarray, ends: np.ndarray, weights: np.ndarray,
              edges: np.ndarray) -> np.ndarray:
    """Integral over each bin of ``edges`` of the sum of weighted intervals [start, end)."""
    def cum(t_points, w):
        order = np.argsort(t_points)
        tp, cw = t_points[order], np.concatenate([[0.0], np.cumsum(w[order])])
        ctw = np.concatenate([[0.0], np.cumsum((w * t_points)[order])])
        k = np.searchsorted(tp, edges, side="right")
        return cw[k] * edges - ctw[k]

    total = cum(starts, weights) - cum(ends, weights)
    # the prefix sums reach ~1e11 s^2: keep milliseconds, drop the rounding noise below
    return np.maximum(np.round(np.diff(total), 3), 0.0)


def simulate_once(desk: Desk, seed: int | np.random.SeedSequence, *,
                  shrinkage: str = "intervals", warmup: bool = True,
                  routing: str = "planned", day_levels: bool = False) -> Replication:
    """Simulate the desk's period once.

    Parameters
    ----------
    desk : Desk
    seed : int or SeedSequence
        Seeds ``numpy.random.default_rng``; the same seed gives the same replication.
    shrinkage : {"intervals", "shifts", "none"}
        How scheduled time is lost (see the module docstring).
    warmup : bool
        Precede the period by a copy of itself, so it starts with the backlog and queues
        its own plan leaves (default); False starts empty.
    routing : {"planned", "skills"}
        Each agent on its planned queue only (default), or idle agents also taking other
        queues they are skilled for (see the module docstring).
    day_levels : bool
        Draw each queue's daily level from the forecast's band before the Poisson draws
        (needs ``Desk.level_sd``, i.e. a forecast with P10 and P90).

    Returns
    -------
    Replication
    """
    if shrinkage not in SHRINKAGE_MODES:
        raise ValueError(f"shrinkage must be one of {SHRINKAGE_MODES}, got {shrinkage!r}")
    if routing not in ROUTING_MODES:
        raise ValueError(f"routing must be one of {ROUTING_MODES}, got {routing!r}")
    rng = np.random.default_rng(seed)
    copies = period_copies(desk, warmup)
    c = draw_arrivals(desk, rng, copies, day_levels)
    seg = draw_segments(desk, rng, copies, shrinkage)
    run = _Run(desk, c, seg, rng, routing)
    run.env.process(run.arrivals())
    run.env.process(run.roster())
    horizon = max(o + n for o, n in copies)
    run.env.run(until=horizon)

    q_all, arr = c["queue"], c["arrival_s"]
    answered = np.isfinite(run.start)
    leave = np.where(answered, run.start, np.minimum(c["deadline_s"], horizon))
    abandoned = ~answered & (c["deadline_s"] < horizon)
    measured = (arr >= 0) & (arr < desk.length_s)
    records = pd.DataFrame({"queue": q_all[measured], "interval": c["interval"][measured],
                            "arrival_s": arr[measured], "start_s": run.start[measured],
                            "abandoned": abandoned[measured]})
    n_q, step = len(desk.queues), desk.interval_s
    edges = np.arange(desk.n_intervals + 1) * float(step)
    backlog = np.zeros((n_q, desk.n_intervals))
    busy = np.zeros((n_q, desk.n_intervals))
    staffed = np.zeros((n_q, desk.n_intervals))
    served_end = np.where(np.isfinite(run.end), run.end, horizon)
    for q in range(n_q):
        m = q_all == q
        ends = edges[1:]
        backlog[q] = (np.searchsorted(np.sort(arr[m]), ends, side="right")
                      - np.searchsorted(np.sort(leave[m]), ends, side="right"))
        ok = answered & (run.served_in == q)  # busy where the agent was planned
        busy[q] = _integral(run.start[ok], served_end[ok], np.ones(ok.sum()), edges)
        sm = seg[:, 3] == q
        # a contact still in hand when the agent's segment ends keeps its slot staffed
        over = np.maximum(run.start, run.until)
        spill = ok & (served_end > over)
        slots = desk.concurrency[run.partner[q]] if run.partner[q] >= 0 else desk.concurrency[q]
        staffed[q] = (_integral(seg[sm, 0], seg[sm, 1], np.full(sm.sum(), float(slots)), edges)
                      + _integral(over[spill], served_end[spill], np.ones(spill.sum()), edges))
    return Replication(records=records, backlog=backlog, busy_s=busy, staffed_s=staffed)
