"""Seeded discrete-event simulation of one language's chat pool with a VIP class.

Validation tool for :mod:`optimize.queueing.priority` (tests and ``bench/bench_vip.py``), not used
to compute requirements. The pool is simulated exactly as the formulas assume it works,
plus the details they leave out:

* ``certified`` agents and ``regular`` agents, each with ``concurrency`` chat slots; an
  agent running ``j`` chats handles each at rate ``1 / (aht (1 + slowdown (j - 1)))``
  (exponential, the state-dependent model of :mod:`optimize.queueing.chat`), with each class's own
  ``aht`` and ``slowdown``;
* Poisson arrivals per class, exponential patience per class (``inf``: nobody abandons);
* a new chat goes to the least-loaded agent allowed to take it (regular agents first on
  a tie); a freed slot of a certified agent takes the oldest waiting VIP chat first
  (non-preemptive priority), then the oldest regular chat; FIFO within a class;
* ``policy="reserved"``: a certified agent holds at most ``reserve`` VIP chats and
  ``concurrency - reserve`` regular chats; ``policy="shared"``: no reservation, every
  slot of a certified agent serves both classes (the textbook non-preemptive priority
  queue when ``concurrency == 1`` and everybody is certified).

It is a Gillespie simulation of the continuous-time Markov chain (one event per step),
a Python loop over events: about 10^5 events per second.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np

__all__ = ["ClassStats", "PoolSimResult", "simulate_pool"]

logger = logging.getLogger(__name__)

_POLICIES = ("reserved", "shared")


@dataclass(frozen=True)
class ClassStats:
    """Outcome of one class over the measured window (arrivals after the warm-up)."""

    arrivals: int
    answered_within: int  # answered with a wait <= target_s
    abandoned: int
    mean_wait_s: float  # over answered chats

    @property
    def service_level(self) -> float:
        """Share of arrivals answered within the target (abandoners are misses)."""
        return self.answered_within / self.arrivals if self.arrivals else 1.0

    @property
    def std_error(self) -> float:
        """Binomial standard error of :attr:`service_level`."""
        p = self.service_level
        return math.sqrt(p * (1.0 - p) / self.arrivals) if self.arrivals else 0.0


@dataclass(frozen=True)
class PoolSimResult:
    """Per-class outcomes and the simulated time."""

    vip: ClassStats
    regular: ClassStats
    hours: float


def _stats(waits: list[float], arrivals: int, abandoned: int, target: float) -> ClassStats:
    w = np.asarray(waits, dtype=float)
    return ClassStats(arrivals=arrivals, answered_within=int((w <= target).sum()),
                      abandoned=abandoned, mean_wait_s=float(w.mean()) if w.size else 0.0)


def simulate_pool(*, certified: int, regular: int, vip_per_h: float, regular_per_h: float,
                  vip_aht_s: float, regular_aht_s: float, concurrency: int, reserve: int,
                  vip_target_s: float, regular_target_s: float, vip_slowdown: float = 0.0,
                  regular_slowdown: float = 0.0, vip_patience_s: float = math.inf,
                  regular_patience_s: float = math.inf, policy: str = "reserved",
                  hours: float = 200.0, warmup_h: float = 2.0, seed: int = 0) -> PoolSimResult:
    """Simulate the pool for ``hours`` (after ``warmup_h``) and return per-class outcomes.

    Raises
    ------
    ValueError
        On a negative count or rate, ``reserve`` outside ``[0, concurrency]``, or an unknown
        ``policy``.
    """
    if policy not in _POLICIES:
        raise ValueError(f"policy must be one of {_POLICIES}, got {policy!r}")
    if certified < 0 or regular < 0 or vip_per_h < 0 or regular_per_h < 0:
        raise ValueError("agents and arrival rates must be >= 0, got "
                         f"{(certified, regular, vip_per_h, regular_per_h)!r}")
    if not 0 <= reserve <= concurrency or concurrency < 1:
        raise ValueError(f"reserve must be in [0, concurrency={concurrency}], got {reserve!r}")
    rng = np.random.default_rng(seed)
    k = int(concurrency)
    n = certified + regular
    cert = [True] * certified + [False] * regular
    reg_cap = [k - reserve if policy == "reserved" else k] * certified + [k] * regular
    vip_cap = [reserve if policy == "reserved" else k] * certified + [0] * regular
    nv, nr = [0] * n, [0] * n
    rate = [0.0] * n  # completion rate per agent
    lam_v, lam_r = vip_per_h / 3600.0, regular_per_h / 3600.0
    ab_v = 0.0 if math.isinf(vip_patience_s) else 1.0 / vip_patience_s
    ab_r = 0.0 if math.isinf(regular_patience_s) else 1.0 / regular_patience_s
    qv: list[float] = []
    qr: list[float] = []
    waits_v: list[float] = []
    waits_r: list[float] = []
    arr = {"v": 0, "r": 0}
    aband = {"v": 0, "r": 0}
    t0, t_end = warmup_h * 3600.0, (warmup_h + hours) * 3600.0
    now = 0.0

    def agent_rate(a: int) -> float:
        j = nv[a] + nr[a]
        return (nv[a] / (vip_aht_s * (1.0 + vip_slowdown * (j - 1)))
                + nr[a] / (regular_aht_s * (1.0 + regular_slowdown * (j - 1)))) if j else 0.0

    def pick(vip: bool) -> int:
        best, key = -1, (k + 1, 2)
        for a in range(n):
            if nv[a] + nr[a] >= k or (nv[a] >= vip_cap[a] if vip else nr[a] >= reg_cap[a]):
                continue
            cand = (nv[a] + nr[a], int(cert[a]))
            if cand < key:
                best, key = a, cand
        return best

    def start(a: int, vip: bool, arrived: float) -> None:
        if vip:
            nv[a] += 1
        else:
            nr[a] += 1
        rate[a] = agent_rate(a)
        if arrived >= t0:
            (waits_v if vip else waits_r).append(now - arrived)

    while True:
        total_service = sum(rate)
        total = lam_v + lam_r + total_service + len(qv) * ab_v + len(qr) * ab_r
        now += rng.exponential(1.0 / total)
        if now >= t_end:
            break
        u = rng.random() * total
        if u < lam_v + lam_r:  # an arrival
            vip = u < lam_v
            if now >= t0:
                arr["v" if vip else "r"] += 1
            a = pick(vip)
            if a >= 0:
                start(a, vip, now)
            else:
                (qv if vip else qr).append(now)
            continue
        u -= lam_v + lam_r
        if u < total_service:  # a completion at agent a
            acc, a = 0.0, 0
            for a in range(n):
                acc += rate[a]
                if u < acc:
                    break
            j = nv[a] + nr[a]
            vip_rate = nv[a] / (vip_aht_s * (1.0 + vip_slowdown * (j - 1)))
            if rng.random() * rate[a] < vip_rate:
                nv[a] -= 1
            else:
                nr[a] -= 1
            rate[a] = agent_rate(a)
            if qv and vip_cap[a] > nv[a]:
                start(a, True, qv.pop(0))
            elif qr and reg_cap[a] > nr[a]:
                start(a, False, qr.pop(0))
            continue
        u -= total_service  # an abandonment, uniformly among the waiting of its class
        vip = u < len(qv) * ab_v
        q = qv if vip else qr
        arrived = q.pop(int(rng.integers(len(q))))
        if arrived >= t0:
            aband["v" if vip else "r"] += 1
    # chats still waiting at the end are left out (their outcome is unknown)
    unknown_v = sum(1 for x in qv if x >= t0)
    unknown_r = sum(1 for x in qr if x >= t0)
    return PoolSimResult(
        vip=_stats(waits_v, arr["v"] - unknown_v, aband["v"], vip_target_s),
        regular=_stats(waits_r, arr["r"] - unknown_r, aband["r"], regular_target_s),
        hours=hours)
