"""Service measures of one channel's queueing model at a given staffing.

:func:`channel_metrics` picks the model a channel is configured with (Erlang C, Erlang A,
or the chat concurrency model) and returns its service level, mean wait, abandonment and
occupancy as a function of ``(agents, load, aht_s)``; :func:`interpolated_metrics`
evaluates it at fractional agents. One engine for requirements, coverage, pooling and
the scheduler's shortfall curve, so they can never disagree.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from optimize.queueing.chat import agents_for_chat, chat_erlang_a
from optimize.queueing.erlang import (
    ErlangAResult,
    agents_for_service_level,
    agents_for_service_level_a,
    erlang_a,
    erlang_c,
    service_level,
)
from optimize.scenario.config import ChannelConfig

__all__ = ["PATIENCE_FACTOR_C", "agents_for_target", "channel_metrics", "interpolated_metrics",
           "waited_past"]

PATIENCE_FACTOR_C = 1e4  # erlang_c chat channels: patience = this x aht_s


def channel_metrics(ch: ChannelConfig, target_s=None) -> Callable[..., dict[str, np.ndarray]]:
    """Metrics of one channel's model as a function of (agents, load, aht_s).

    ``target_s`` (seconds, scalar or per row) replaces the channel's ``answer_time_s`` in
    the service level.
    """
    target = ch.answer_time_s if target_s is None else target_s

    def fn(n, load, aht):
        r = _with_patience(ch, n, load, aht, target)
        if r is None:  # Erlang C
            c = np.asarray(erlang_c(n, load))
            sl = np.asarray(service_level(n, load, aht, target))
            with np.errstate(divide="ignore", invalid="ignore"):
                w = np.where(load == 0, 0.0, np.where(load >= n, np.inf, c * aht / (n - load)))
                occ = np.where(load == 0, 0.0, np.minimum(load / n, 1.0))
            return {"service_level": sl, "asa_s": w, "abandon_rate": np.zeros_like(sl),
                    "occupancy": occ}
        return {"service_level": np.asarray(r.service_level), "asa_s": np.asarray(r.asa_s),
                "abandon_rate": np.asarray(r.p_abandon), "occupancy": np.asarray(r.occupancy)}

    return fn


def waited_past(ch: ChannelConfig, after_s: float) -> Callable[..., np.ndarray]:
    """``P(V > after_s)`` for the virtual wait ``V`` (a contact that never gives up) in the
    channel's model, as a function of (agents, load, aht_s): the share of arrivals still
    without an agent after ``after_s`` if none left."""
    def fn(n, load, aht):
        r = _with_patience(ch, n, load, aht, after_s)
        if r is None:  # Erlang C: nobody leaves, the wait is the virtual wait
            return 1.0 - np.asarray(service_level(n, load, aht, after_s), dtype=float)
        return 1.0 - np.asarray(r.service_level_virtual, dtype=float)

    return fn


def _with_patience(ch: ChannelConfig, n, load, aht, target_s) -> ErlangAResult | None:
    """The channel's chat or Erlang A measures at ``target_s``; None for Erlang C."""
    if ch.concurrency > 1:
        patience = ch.patience_s if ch.model == "erlang_a" else PATIENCE_FACTOR_C * aht
        return chat_erlang_a(n, load, aht, ch.concurrency, ch.concurrency_slowdown, patience,
                             target_s)
    if ch.model == "erlang_a":
        return erlang_a(n, load, aht, ch.patience_s, target_s)
    return None


def agents_for_target(ch: ChannelConfig, load, aht, target_s, target_sl,
                      max_occupancy: float) -> np.ndarray:
    """Smallest whole agents meeting ``target_sl`` within ``target_s`` (per row) and the
    occupancy cap, in the channel's model."""
    if ch.concurrency > 1:
        patience = ch.patience_s if ch.model == "erlang_a" else PATIENCE_FACTOR_C * aht
        return agents_for_chat(load, aht, ch.concurrency, ch.concurrency_slowdown, patience,
                               target_s, target_sl, max_occupancy)
    if ch.model == "erlang_a":
        return agents_for_service_level_a(load, aht, ch.patience_s, target_s, target_sl,
                                          max_occupancy)
    return agents_for_service_level(load, aht, target_s, target_sl, max_occupancy)


def interpolated_metrics(fn, n: np.ndarray, load, aht) -> dict[str, np.ndarray]:
    """Metrics at fractional agents: linear between floor(n) and ceil(n)."""
    lo, hi = np.floor(n), np.ceil(n)
    m_lo, m_hi = fn(lo, load, aht), fn(hi, load, aht)
    w = n - lo
    out = {}
    for k in m_lo:
        a, b = m_lo[k], m_hi[k]
        with np.errstate(invalid="ignore"):
            out[k] = np.where(w == 0, a, np.where(np.isinf(a), np.where(w == 1, b, np.inf),
                                                  (1 - w) * a + w * b))
    return out
