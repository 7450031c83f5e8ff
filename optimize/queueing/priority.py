"""Priority pooling: a VIP channel answered first by certified agents of a shared chat pool.

Two models live here, both pure functions broadcasting over numpy arrays (times in
seconds, loads in Erlangs = contacts x aht_s / interval_s).

Shared priority pool (reference; what the pool would be if anyone could serve VIP)
-------------------------------------------------------------------------------------
``c`` agents serve two classes in one M/M/c queue with equal service rates ``mu``; class 1
(VIP) has non-preemptive priority. An arrival waits iff all ``c`` agents are busy, with
probability ``C(c, A)`` (Erlang C on the combined load ``A``, as in FCFS: the priority
rule does not change the busy-server process). A waiting class-1 customer waits for the
class-1 customers ahead of it and one more service completion; completions occur at rate
``c mu`` while class-1 arrivals join ahead at ``lambda1``, so (Gross, Shortle, Thompson &
Harris, *Fundamentals of Queueing Theory*, 4th ed., sec. 3.4.2, non-preemptive priority
M/M/c, equal rates)::

    P(W1 > t) = C(c, A) exp(-(c mu - lambda1) t)

and the mean waits (Cobham 1954, "Priority assignment in waiting line problems")::

    W1 = C / (c mu (1 - s1)),   W2 = C / (c mu (1 - s1)(1 - s)),  s1 = A1 / c, s = A / c.

:func:`priority_wait_tail` and :func:`priority_mean_waits` implement these; tests check
them against a seeded simulation (``optimize.simulation.priority_pool``). The consequence: VIP
answered within ``t`` needs ``C(c, A)`` of the *whole pool* near ``1 - target``, i.e. the
regular chat staffed far above its own target. And with ``vip = true`` only certified
agents may serve VIP, so the formula does not describe the desk anyway.

Reserved-capacity pool (the requirement model)
----------------------------------------------
Per language and interval, ``m`` certified agents and ``n`` regular agents share the
chat queue. Every agent handles up to ``k = chat.concurrency`` chats at once. A
certified agent keeps ``v = min(vip.concurrency, k)`` of its slots for VIP chats (its
VIP concurrency, as configured): it holds at most ``v`` VIP and ``k - v`` regular chats.
VIP chats are answered first by construction: reserved capacity, not queue order, is what
keeps their wait short (the priority rule only matters without a reservation, above). So

* VIP is an Erlang A (or C) queue with ``m v`` servers whose handle time is the VIP
  ``aht_s`` stretched as if the agent ran ``k`` chats, ``aht (1 + s (k - 1))``
  (:func:`reserved_vip_metrics`): exact but for that stretch, which is pessimistic (an
  agent rarely runs ``k`` chats), so the VIP target is met with a margin;
  ``tests/optimize/queueing/test_priority.py`` measures it.
* Each certified agent adds ``(k - v) / k`` of an agent to regular chat, its share of
  slots (:func:`pool_credit`). The regular class is then staffed with the channel's own
  chat model at ``n + credit`` agents (linear between whole agents, as
  ``optimize.queueing.requirements`` interpolates). Pessimistic too: ``k - v`` regular chats run
  with less slowdown than ``k``; VIP chats in the reserved slots slow them a little.

Requirement: ``m`` = least certified agents meeting the VIP target
(:func:`vip_agents_reserved`), then ``n`` = the chat requirement minus the credit.
"""

from __future__ import annotations

import logging

import numpy as np

from optimize.queueing.arrays import as_arrays, check_range, scalar_or_array
from optimize.queueing.erlang import (
    ErlangAResult,
    erlang_a,
    erlang_b_array,
    erlang_c_from_b,
    smallest_meeting,
)

__all__ = ["priority_wait_tail", "priority_mean_waits", "reserved_slots", "pool_credit",
           "reserved_vip_metrics", "vip_agents_reserved"]

logger = logging.getLogger(__name__)

_PATIENCE_FACTOR_C = 1e4  # erlang_c channels: patience = this x handle time (as requirements)


# --------------------------------------------------------------------------- shared pool

def priority_wait_tail(agents, load, vip_load, aht_s, t_s):
    """``P(W1 > t)`` of the class-1 (VIP) customers of a non-preemptive priority M/M/c.

    Parameters
    ----------
    agents : array_like
        Servers ``c`` (all serve both classes).
    load : array_like
        Combined offered load ``A = A1 + A2`` in Erlangs.
    vip_load : array_like
        Class-1 load ``A1 <= A``.
    aht_s : array_like
        Mean service time of both classes (equal rates), seconds.
    t_s : array_like
        Waiting-time threshold, seconds.

    Returns
    -------
    float or ndarray
        ``C(c, A) exp(-(c - A1) t / aht)`` (Gross, Shortle, Thompson & Harris, sec. 3.4.2);
        1.0 when ``A >= c``.
    """
    c, a, a1, aht, t = as_arrays(agents=agents, load=load, vip_load=vip_load, aht_s=aht_s,
                               t_s=t_s)
    check_range("agents", c, low=0.0)
    check_range("load", a, low=0.0)
    check_range("vip_load", a1, low=0.0)
    if np.any(a1 > a):
        raise ValueError(f"vip_load must be <= load, got {float(a1[a1 > a].flat[0])!r}")
    check_range("aht_s", aht, low=0.0, low_ok=False)
    check_range("t_s", t, low=0.0)
    cw = erlang_c_from_b(c, a, erlang_b_array(c, a))
    with np.errstate(over="ignore"):
        tail = cw * np.exp(-(c - a1) * t / aht)
    return scalar_or_array(np.where(a >= c, np.where(a == 0, 0.0, 1.0), np.clip(tail, 0.0, 1.0)))


def priority_mean_waits(agents, load, vip_load, aht_s):
    """Mean waits ``(W1, W2)`` in seconds of a non-preemptive priority M/M/c (Cobham 1954).

    ``W1 = C aht / (c (1 - A1/c))``, ``W2 = W1 / (1 - A/c)``; ``inf`` when ``A >= c``
    (``W1`` finite while ``A1 < c``).
    """
    c, a, a1, aht = as_arrays(agents=agents, load=load, vip_load=vip_load, aht_s=aht_s)
    check_range("agents", c, low=0.0)
    check_range("load", a, low=0.0)
    check_range("aht_s", aht, low=0.0, low_ok=False)
    cw = erlang_c_from_b(c, a, erlang_b_array(c, a))
    with np.errstate(divide="ignore", invalid="ignore"):
        w1 = np.where(a1 >= c, np.inf, cw * aht / (c - a1))
        w2 = np.where(a >= c, np.inf, w1 / (1.0 - a / c))
    w1, w2 = np.where(a == 0, 0.0, w1), np.where(a == 0, 0.0, w2)
    return scalar_or_array(w1), scalar_or_array(w2)


# --------------------------------------------------------------------------- reserved pool

def reserved_slots(vip_concurrency, pool_concurrency):
    """Slots ``v = min(vip_concurrency, pool_concurrency)`` a certified agent keeps for VIP."""
    kv, k = as_arrays(vip_concurrency=vip_concurrency, pool_concurrency=pool_concurrency)
    check_range("vip_concurrency", kv, low=1.0)
    check_range("pool_concurrency", k, low=1.0)
    return scalar_or_array(np.minimum(kv, k))


def pool_credit(certified, reserve, pool_concurrency):
    """Regular-chat agents the certified agents are worth: ``certified (k - v) / k``.

    Their share of slots. Pessimistic: ``k - v`` regular chats run faster than ``k`` (less
    slowdown). Crediting that speed (up to 1/2 an agent for ``k = 3, v = 2, s = 0.25``)
    was measured optimistic by up to 0.05 of service level where the certified agents
    are the whole pool (see ``docs/scenario.md``), so it is not used.
    """
    m, v, k = as_arrays(certified=certified, reserve=reserve, pool_concurrency=pool_concurrency)
    check_range("certified", m, low=0.0)
    check_range("pool_concurrency", k, low=1.0)
    if np.any(v < 1) or np.any(v > k):
        raise ValueError(f"reserve must be in [1, pool_concurrency], got {float(v[(v < 1) | (v > k)].flat[0])!r}")
    return scalar_or_array(m * (k - v) / k)


def reserved_vip_metrics(certified, vip_load, aht_s, reserve, pool_concurrency, slowdown,
                         patience_s, target_s) -> ErlangAResult:
    """VIP measures on the ``certified x reserve`` reserved slots (pessimistic, see module).

    Parameters
    ----------
    certified : array_like
        Certified agents ``m`` in the pool (integers ``>= 0``).
    vip_load : array_like
        VIP offered load in Erlangs at concurrency 1, ``contacts * aht_s / interval_s``.
    aht_s : array_like
        VIP handle time of a chat handled alone, seconds.
    reserve, pool_concurrency : array_like
        Reserved slots ``v`` per certified agent and the pool's concurrency ``k``.
    slowdown : array_like
        Handle-time stretch per extra parallel chat (the VIP channel's).
    patience_s : array_like
        Mean patience, seconds (``np.inf`` or the erlang_c convention of ``1e4 x aht``).
    target_s : array_like
        Answer-time target, seconds.

    Returns
    -------
    ErlangAResult
        Erlang A with ``m v`` servers of handle time ``aht (1 + slowdown (k - 1))``;
        ``occupancy`` is the busy share of the reserved slots.
    """
    m, a, aht, v, k, s, pat, t = as_arrays(certified=certified, vip_load=vip_load, aht_s=aht_s,
                                         reserve=reserve, pool_concurrency=pool_concurrency,
                                         slowdown=slowdown, patience_s=patience_s,
                                         target_s=target_s)
    check_range("certified", m, low=0.0)
    check_range("slowdown", s, low=0.0)
    stretch = 1.0 + s * (k - 1.0)
    pat = np.where(np.isinf(pat), _PATIENCE_FACTOR_C * aht * stretch, pat)
    return erlang_a(m * v, a * stretch, aht * stretch, pat, t)


def vip_agents_reserved(vip_load, aht_s, reserve, pool_concurrency, slowdown, patience_s,
                        target_s, target_sl):
    """Least certified agents ``m`` whose reserved slots meet the VIP target.

    The service level is :attr:`ErlangAResult.service_level` of
    :func:`reserved_vip_metrics` (abandoners count as misses). No occupancy cap: the
    reserved slots are idle by design, and the agents' time is counted in the pool.
    Vectorised bisection; ``vip_load == 0`` needs 0.

    Returns
    -------
    int or ndarray of int64
    """
    a, aht, v, k, s, pat, t, sl = as_arrays(vip_load=vip_load, aht_s=aht_s, reserve=reserve,
                                          pool_concurrency=pool_concurrency, slowdown=slowdown,
                                          patience_s=patience_s, target_s=target_s,
                                          target_sl=target_sl)
    check_range("vip_load", a, low=0.0)
    check_range("target_sl", sl, low=0.0, high=1.0)

    def meets(mv: np.ndarray) -> np.ndarray:
        r = reserved_vip_metrics(mv, a, aht, v, k, s, pat, t)
        return np.asarray(r.service_level) >= sl

    return smallest_meeting(meets, a, a * (1.0 + s * (k - 1.0)) / v)
