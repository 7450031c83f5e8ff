"""Chat concurrency: an agent handles up to ``k`` chats at once, each slower when shared.

Model (state-dependent service rate, in the spirit of the published "Erlang Chat" models)
------------------------------------------------------------------------------------------
``aht_s`` is the handle time of a chat handled alone. An agent with ``j`` chats in
parallel handles each in ``aht_s * (1 + slowdown * (j - 1))``, so completes chats at rate
``f(j) = j / (aht_s * (1 + slowdown * (j - 1)))``. New chats go to the least-loaded agent,
so with ``m`` chats in progress on ``N`` agents, ``m mod N`` agents hold ``ceil(m / N)``
chats and the others ``floor(m / N)``. When all ``N * k`` slots are busy, arrivals queue
(FIFO) and abandon with mean patience ``patience_s``; the head of the queue then enters
service at the constant rate ``N f(k)``. The system is a birth-death chain; its queue part
has the Erlang A form, so the waiting-time measures reuse the Erlang A closed forms with
``x = N f(k) theta_inv``.

The simple approximation (:func:`effective_aht`) staffs chat as an ordinary Erlang queue
whose servers are agents with handle time ``aht_s * (1 + slowdown * (k - 1)) / k``
(full concurrency all the time). ``tests/optimize/queueing/test_requirements.py`` measures the gap.
"""

from __future__ import annotations

import logging

import numpy as np

from optimize.queueing.arrays import as_arrays, check_range, scalar_or_array
from optimize.queueing.erlang import ErlangAResult, log_a, smallest_meeting

__all__ = ["effective_aht", "chat_erlang_a", "agents_for_chat"]

logger = logging.getLogger(__name__)


def effective_aht(aht_s, concurrency, slowdown):
    """Agent-level handle time of the simple approximation: ``aht (1 + s (k - 1)) / k``."""
    aht, k, s = as_arrays(aht_s=aht_s, concurrency=concurrency, slowdown=slowdown)
    check_range("aht_s", aht, low=0.0, low_ok=False)
    check_range("concurrency", k, low=1.0)
    check_range("slowdown", s, low=0.0)
    return scalar_or_array(aht * (1.0 + s * (k - 1.0)) / k)


def _log_weights(n: np.ndarray, lam: np.ndarray, aht: np.ndarray, k: np.ndarray,
                 s: np.ndarray, width: int) -> np.ndarray:
    """Unnormalised log stationary weights of states ``m = 0..width-1`` (rows x states)."""
    m = np.arange(1, width)[None, :].astype(float)
    nn = np.maximum(n[:, None], 1.0)
    q, r = np.floor(m / nn), np.mod(m, nn)

    def f(j):
        return j / (aht[:, None] * (1.0 + s[:, None] * (j - 1.0)))

    rate = r * f(q + 1.0) + (nn - r) * f(q)
    with np.errstate(divide="ignore"):
        steps = np.log(lam[:, None]) - np.log(rate)
    steps = np.where(m <= (n * k)[:, None], steps, 0.0)
    return np.concatenate([np.zeros((len(n), 1)), np.cumsum(steps, axis=1)], axis=1)


_TINY_LOAD = 1e-100  # Erlangs; smaller positive loads are computed at this one


def chat_erlang_a(agents, load, aht_s, concurrency, slowdown, patience_s, target_s) -> ErlangAResult:
    """Measures of the state-dependent chat model (see the module docstring).

    Parameters
    ----------
    agents : array_like
        Agents ``N`` serving the queue (integers ``>= 0``).
    load : array_like
        Offered load in Erlangs at concurrency 1, ``contacts * aht_s / interval_s``.
    aht_s : array_like
        Handle time of a chat handled alone, seconds.
    concurrency, slowdown : array_like
        ``k >= 1`` chats per agent; each extra parallel chat stretches handle time by
        ``slowdown``.
    patience_s, target_s : array_like
        Mean patience and answer-time target, seconds.

    Returns
    -------
    ErlangAResult
        Same definitions as :func:`optimize.queueing.erlang.erlang_a`; ``occupancy`` is the busy
        share of the ``N * k`` chat slots.
    """
    n, a, aht, k, s, pat, t = as_arrays(agents=agents, load=load, aht_s=aht_s,
                                      concurrency=concurrency, slowdown=slowdown,
                                      patience_s=patience_s, target_s=target_s)
    for name, v in (("agents", n), ("load", a), ("slowdown", s), ("target_s", t)):
        check_range(name, v, low=0.0)
    check_range("concurrency", k, low=1.0)
    check_range("aht_s", aht, low=0.0, low_ok=False)
    check_range("patience_s", pat, low=0.0, low_ok=False)
    shape = n.shape
    n, a, aht, k, s, pat, t = (v.ravel() for v in (n, a, aht, k, s, pat, t))
    live = (n > 0) & (a > 0)
    out = {name: np.where(a == 0, v0, v1) for name, v0, v1 in (
        ("p_wait", 0.0, 1.0), ("p_abandon", 0.0, 1.0), ("occupancy", 0.0, 0.0),
        ("service_level", 1.0, 0.0), ("service_level_answered", 1.0, 0.0),
        ("service_level_virtual", 1.0, 0.0), ("virtual_asa_s", 0.0, np.inf))}
    out["asa_s"] = np.where(a == 0, 0.0, pat)
    if np.any(live):
        nl, al, ahtl, kl, sl, patl, tl = (v[live] for v in (n, a, aht, k, s, pat, t))
        # a positive load this small changes no measure, but below it the state
        # weights underflow to 0/0 (hypothesis found NaN at a subnormal 7.4e-311)
        al = np.maximum(al, _TINY_LOAD)
        slots = nl * kl
        lam = al / ahtl
        logw = _log_weights(nl, lam, ahtl, kl, sl, int(slots.max()) + 1)
        cols = np.arange(logw.shape[1])[None, :]
        below = cols < slots[:, None]
        log_top = np.take_along_axis(logw, slots.astype(int)[:, None], axis=1)[:, 0]
        full_rate = nl * kl / (ahtl * (1.0 + sl * (kl - 1.0)))
        x, y = full_rate * patl, lam * patl
        log_ay = log_a(x, y)
        log_q = log_top + log_ay  # log of total weight of states >= slots
        ref = np.maximum(np.max(np.where(below, logw, -np.inf), axis=1), log_q)
        w_below = np.where(below, np.exp(logw - ref[:, None]), 0.0)
        z_q = np.exp(log_q - ref)
        total = w_below.sum(axis=1) + z_q
        pw = z_q / total
        busy = (w_below * cols).sum(axis=1) / total + pw * slots
        inv_a = np.exp(-log_ay)
        pab = pw * np.clip(1.0 - (1.0 - inv_a) * x / y, 0.0, 1.0)
        z = y * np.exp(-tl / patl)
        log_az = log_a(x, z)
        ratio = np.exp(np.minimum(-x * tl / patl + (y - z) + log_az - log_ay, 0.0))
        within = (x / y) * ((1.0 - inv_a) - ratio * -np.expm1(-log_az))
        svc = (1.0 - pw) + pw * np.clip(within, 0.0, 1.0)
        h = np.minimum(1e-3 * (np.abs(x - y) + np.sqrt(x) + 1.0), 0.5 * x)
        dlog = (log_a(x + h, y) - log_a(x - h, y)) / (2.0 * h)
        values = {
            "p_wait": pw, "p_abandon": pab, "occupancy": busy / slots, "asa_s": pab * patl,
            "service_level": svc,
            "service_level_answered": np.clip(svc / np.maximum(1.0 - pab, 1e-300), 0.0, 1.0),
            "service_level_virtual": np.clip(1.0 - pw * ratio, 0.0, 1.0),
            "virtual_asa_s": pw * patl * np.maximum(1.0 / x - dlog, 0.0),
        }
        for name, v in values.items():
            out[name][live] = v
    return ErlangAResult(**{name: scalar_or_array(v.reshape(shape)) for name, v in out.items()})


def agents_for_chat(load, aht_s, concurrency, slowdown, patience_s, target_s, target_sl,
                    max_occupancy=1.0):
    """Smallest number of agents for which the chat model meets the targets.

    The service level is ``service_level`` (abandoners count as misses), the occupancy
    cap applies to the slot occupancy. Vectorised bisection over all rows at once.
    """
    a, aht, k, s, pat, t, sl, occ = as_arrays(load=load, aht_s=aht_s, concurrency=concurrency,
                                            slowdown=slowdown, patience_s=patience_s,
                                            target_s=target_s, target_sl=target_sl,
                                            max_occupancy=max_occupancy)
    check_range("target_sl", sl, low=0.0, high=1.0)
    check_range("max_occupancy", occ, low=0.0, low_ok=False, high=1.0)
    check_range("load", a, low=0.0)

    def meets(nv: np.ndarray) -> np.ndarray:
        r = chat_erlang_a(nv, a, aht, k, s, pat, t)
        return (np.asarray(r.service_level) >= sl) & (np.asarray(r.occupancy) <= occ)

    eff = a * (1.0 + s * (k - 1.0)) / k  # agents' load at full concurrency
    return smallest_meeting(meets, a, eff)

