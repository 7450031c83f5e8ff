"""One language's chat pool with a VIP class, on the plan simulator's engine.

Validation tool for :mod:`optimize.queueing.priority` (tests and ``bench/bench_vip.py``), not used
to compute requirements: a :class:`~optimize.simulation.desk.Desk` of two queues (``chat``
and ``vip_chat`` pooled with it) with agents on them all the time, simulated by
:func:`optimize.simulation.engine.simulate_once`, the engine that checks whole plans. The
pool works as the formulas assume, plus the details they leave out:

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

Arrivals are Poisson at a constant rate; the first ``warmup_h`` hours are not measured, and
chats still waiting at the end are left out (their outcome is unknown).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimize.simulation.desk import Desk
from optimize.simulation.engine import simulate_once

__all__ = ["ClassStats", "PoolSimResult", "simulate_pool"]

_POLICIES = ("reserved", "shared")
_STEP = 1800


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
    k = int(concurrency)
    n_t = int(math.ceil((warmup_h + hours) * 3600.0 / _STEP))
    n = certified + regular
    desk = Desk(queues=(("chat", "pool"), ("vip_chat", "pool")), deferred=np.zeros(2, bool),
                concurrency=np.array([k, reserve if policy == "reserved" else k]),
                slowdown=np.array([regular_slowdown, vip_slowdown], dtype=float),
                patience_s=np.array([regular_patience_s, vip_patience_s], dtype=float),
                target_s=np.array([regular_target_s, vip_target_s], dtype=float),
                shrinkage=np.zeros(2), start=pd.Timestamp("2026-01-05", tz="UTC"),
                interval_s=_STEP,
                contacts=np.array([[regular_per_h], [vip_per_h]]) * _STEP / 3600.0
                * np.ones((2, n_t)),
                aht_s=np.array([[regular_aht_s], [vip_aht_s]], dtype=float) * np.ones((2, n_t)),
                agents=tuple(f"A{a}" for a in range(n)), seg_agent=np.arange(n),
                seg_queue=np.array([1] * certified + [0] * regular, dtype=int),
                seg_start_s=np.zeros(n), seg_end_s=np.full(n, n_t * float(_STEP)),
                pool_partner=np.array([-1, 0]),
                pool_regular=np.array([0, k - reserve if policy == "reserved" else k]))
    rec = simulate_once(desk, seed, shrinkage="none", warmup=False).records
    rec = rec[rec["arrival_s"] >= warmup_h * 3600.0]
    out = {}
    for q, name, target in ((1, "vip", vip_target_s), (0, "regular", regular_target_s)):
        r = rec[rec["queue"] == q]
        answered = r["start_s"].notna()
        known = answered | r["abandoned"]  # still waiting at the end: outcome unknown
        waits = (r["start_s"] - r["arrival_s"])[answered].to_numpy()
        out[name] = _stats(list(waits), int(known.sum()), int(r["abandoned"].sum()), target)
    return PoolSimResult(vip=out["vip"], regular=out["regular"], hours=hours)
