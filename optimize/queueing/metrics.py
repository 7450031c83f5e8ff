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

from optimize.queueing.chat import chat_erlang_a
from optimize.queueing.erlang import erlang_a, erlang_c, service_level
from optimize.scenario.config import ChannelConfig

__all__ = ["PATIENCE_FACTOR_C", "channel_metrics", "interpolated_metrics"]

PATIENCE_FACTOR_C = 1e4  # erlang_c chat channels: patience = this x aht_s


def channel_metrics(ch: ChannelConfig) -> Callable[..., dict[str, np.ndarray]]:
    """Metrics of one channel's model as a function of (agents, load, aht_s)."""
    def fn(n, load, aht):
        if ch.concurrency > 1:
            patience = ch.patience_s if ch.model == "erlang_a" else PATIENCE_FACTOR_C * aht
            r = chat_erlang_a(n, load, aht, ch.concurrency, ch.concurrency_slowdown,
                              patience, ch.answer_time_s)
        elif ch.model == "erlang_a":
            r = erlang_a(n, load, aht, ch.patience_s, ch.answer_time_s)
        else:
            c = np.asarray(erlang_c(n, load))
            sl = np.asarray(service_level(n, load, aht, ch.answer_time_s))
            with np.errstate(divide="ignore", invalid="ignore"):
                w = np.where(load == 0, 0.0, np.where(load >= n, np.inf, c * aht / (n - load)))
                occ = np.where(load == 0, 0.0, np.minimum(load / n, 1.0))
            return {"service_level": sl, "asa_s": w, "abandon_rate": np.zeros_like(sl),
                    "occupancy": occ}
        return {"service_level": np.asarray(r.service_level), "asa_s": np.asarray(r.asa_s),
                "abandon_rate": np.asarray(r.p_abandon), "occupancy": np.asarray(r.occupancy)}

    return fn


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
