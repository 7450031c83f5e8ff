"""Requirements and coverage of channels pooled with priority (``pool_with`` in scenario.toml).

``[channels.vip_chat] pool_with = "chat"`` staffs each language's VIP chats inside that
language's chat pool with the reserved-capacity model of :mod:`optimize.queueing.priority`:

* vip_chat row: ``required_agents`` = ``m``, the least certified agents whose reserved
  slots meet the VIP target (:func:`optimize.queueing.priority.vip_agents_reserved`);
  ``required_agents_exact`` is the crossing point between ``m - 1`` and ``m`` (linear in
  the service level, as elsewhere); the metrics are those of the reserved slots.
* chat row: ``required_agents_exact`` = the channel's own requirement minus the credit
  ``m (k - v) / k`` of the certified agents of that language and interval
  (:func:`optimize.queueing.priority.pool_credit`), floored at 0 (the stand-alone requirement
  already holds the occupancy cap); ``required_agents`` its ceiling;
  the metrics are the chat model's at ``required_agents + credit`` agents (linear
  between whole agents, like ``evaluate_staffing``).

So the scheduler needs no change: a VIP-certified agent it places on vip_chat counts for
the VIP row, and its regular-chat work is already deducted from the chat row. The
coverage (:func:`apply_pooling` with ``productive``) uses the same model on the
scheduled agents. ``p_meet_target`` is NaN on pooled rows (not modelled).

:func:`pooled_service_level` gives the same two models as functions of the agents on one
channel's rows, for the scheduler's service-level penalty
(:mod:`optimize.scheduling.problem.penalty`).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from optimize.queueing.metrics import channel_metrics, interpolated_metrics
from optimize.queueing.priority import (
    pool_credit,
    reserved_slots,
    reserved_vip_metrics,
    vip_agents_reserved,
)
from optimize.scenario.config import ScenarioConfig

__all__ = ["apply_pooling", "pooled_service_level"]

logger = logging.getLogger(__name__)

_METRICS = ("service_level", "asa_s", "abandon_rate", "occupancy")


def _vip_fn(config: ScenarioConfig, name: str):
    """VIP metrics as a function of (certified agents, load, aht_s)."""
    ch, pool = config.channels[name], config.channels[config.channels[name].pool_with]
    v = float(reserved_slots(ch.concurrency, pool.concurrency))
    patience = ch.patience_s if ch.model == "erlang_a" else np.inf

    def fn(m, load, aht):
        r = reserved_vip_metrics(m, load, aht, v, pool.concurrency, ch.concurrency_slowdown,
                                 patience, ch.answer_time_s)
        return {"service_level": np.asarray(r.service_level), "asa_s": np.asarray(r.asa_s),
                "abandon_rate": np.asarray(r.p_abandon), "occupancy": np.asarray(r.occupancy)}

    return fn, v, patience


def _credit_on(df: pd.DataFrame, vip_rows: np.ndarray, pool_rows: np.ndarray,
               credit: np.ndarray) -> np.ndarray:
    """The VIP rows' credit, summed per (interval_start, language), on the pool rows."""
    keys = ["interval_start", "language"]
    per_key = (df.loc[vip_rows, keys].assign(credit=credit)
               .groupby(keys, sort=False)["credit"].sum())
    idx = pd.MultiIndex.from_frame(df.loc[pool_rows, keys])
    return per_key.reindex(idx).fillna(0.0).to_numpy(dtype=float)


def apply_pooling(df: pd.DataFrame, metrics: pd.DataFrame, config: ScenarioConfig, step: int,
                  productive: pd.Series | None = None) -> pd.DataFrame:
    """Replace the pooled channels' rows of ``metrics`` (see the module docstring).

    Parameters
    ----------
    df : DataFrame
        The prepared forecast (``interval_start, channel, language, volume, aht_eff``),
        index aligned with ``metrics``.
    metrics : DataFrame
        Per-row metrics from the stand-alone models; required-agent columns when
        ``productive`` is None, else only the service measures.
    config : ScenarioConfig
    step : int
        Interval length, seconds.
    productive : Series, optional
        Productive agents per row (coverage mode); None: compute requirements.

    Returns
    -------
    DataFrame
        A copy of ``metrics`` with the pooled rows replaced.
    """
    pooled = {n: ch.pool_with for n, ch in config.channels.items() if ch.pool_with}
    if not pooled:
        return metrics
    out = metrics.copy()
    chan = df["channel"].to_numpy()
    for name, pool_name in pooled.items():
        vip_rows = df.index[chan == name]
        pool_rows = df.index[chan == pool_name]
        if len(vip_rows) == 0:
            continue
        ch, pool = config.channels[name], config.channels[pool_name]
        fn, v, patience = _vip_fn(config, name)
        aht = df.loc[vip_rows, "aht_eff"].to_numpy(dtype=float)
        load = df.loc[vip_rows, "volume"].to_numpy(dtype=float) * aht / step
        if productive is None:
            m = vip_agents_reserved(load, aht, v, pool.concurrency, ch.concurrency_slowdown,
                                    patience, ch.answer_time_s, ch.service_level)
            m = np.atleast_1d(m).astype(float)
            at_m, below = fn(m, load, aht), fn(np.maximum(m - 1, 0), load, aht)
            with np.errstate(divide="ignore", invalid="ignore"):
                f = (ch.service_level - below["service_level"]) / (
                    at_m["service_level"] - below["service_level"])
            f = np.where(below["service_level"] >= ch.service_level, 0.0, np.nan_to_num(f, nan=1.0))
            out.loc[vip_rows, "required_agents_exact"] = np.where(
                m > 0, m - 1 + np.clip(f, 0.0, 1.0), 0.0)
            out.loc[vip_rows, "required_agents"] = m.astype(np.int64)
            certified = m
        else:
            certified = productive.loc[vip_rows].to_numpy(dtype=float)
            at_m = interpolated_metrics(fn, certified, load, aht)
        for k in _METRICS:
            out.loc[vip_rows, k] = at_m[k]
        credit = _credit_on(df, vip_rows, pool_rows,
                            np.atleast_1d(pool_credit(certified, v, pool.concurrency)))
        if len(pool_rows) == 0:
            continue
        p_aht = df.loc[pool_rows, "aht_eff"].to_numpy(dtype=float)
        p_load = df.loc[pool_rows, "volume"].to_numpy(dtype=float) * p_aht / step
        if productive is None:
            exact = np.maximum(out.loc[pool_rows, "required_agents_exact"].to_numpy(dtype=float)
                               - credit, 0.0)
            n = np.ceil(exact - 1e-9)
            out.loc[pool_rows, "required_agents_exact"] = exact
            out.loc[pool_rows, "required_agents"] = n.astype(np.int64)
        else:
            n = productive.loc[pool_rows].to_numpy(dtype=float)
        at_n = interpolated_metrics(channel_metrics(pool), n + credit, p_load, p_aht)
        for k in _METRICS:
            out.loc[pool_rows, k] = at_n[k]
        if "p_meet_target" in out.columns:
            out.loc[vip_rows.append(pool_rows), "p_meet_target"] = np.nan
        logger.info("pooled %s into %s (%g reserved slots per certified agent): %d + %d rows",
                    name, pool_name, v, len(vip_rows), len(pool_rows))
    return out


def pooled_service_level(requirements: pd.DataFrame, config: ScenarioConfig, rows: np.ndarray,
                         agents: np.ndarray, load: np.ndarray, aht: np.ndarray,
                         ) -> np.ndarray | None:
    """Service level of pooled requirement rows at ``agents`` productive agents of their queue.

    The model that sized the rows (module docstring), with the rest of the pool at its
    requirement: a vip_chat row at ``agents`` certified agents is
    :func:`optimize.queueing.priority.reserved_vip_metrics` on their reserved slots; a pool (chat)
    row at ``agents`` regular agents is the chat model at ``agents + credit``, the credit
    of the certified agents that row's language and interval *requires*
    (``required_agents`` of its vip_chat row), linear between whole agents, as
    :func:`apply_pooling` computes its metrics.

    Parameters
    ----------
    requirements : DataFrame
        The requirements table (``interval_start, channel, language, required_agents``);
        the vip_chat rows in it give the credit on the pool rows (none there: no credit).
    config : ScenarioConfig
    rows : ndarray of int
        Positions in ``requirements`` of rows of one channel.
    agents : ndarray
        Productive agents of that channel, shape ``(len(rows), M)``.
    load, aht : ndarray
        The rows' offered load (Erlangs) and ``aht_s``, shape ``(len(rows),)``.

    Returns
    -------
    ndarray or None
        Shape ``agents.shape``; None when the rows' channel is neither pooled nor a pool
        (or ``rows`` is empty).
    """
    rows = np.asarray(rows, dtype=int)
    if len(rows) == 0:
        return None
    chans = requirements["channel"].to_numpy()
    name = chans[rows[0]]
    if np.any(chans[rows] != name):
        raise ValueError(f"rows must all be of one channel, got {sorted(set(chans[rows]))!r}")
    pooled = {n: ch.pool_with for n, ch in config.channels.items() if ch.pool_with}
    cols = np.shape(agents)[1]
    load, aht = np.repeat(load, cols), np.repeat(aht, cols)
    if name in pooled:
        sl = _vip_fn(config, name)[0](np.ravel(agents), load, aht)["service_level"]
        return np.asarray(sl, dtype=float).reshape(np.shape(agents))
    vip = [n for n, p in pooled.items() if p == name]
    if not vip:
        return None
    ch, pool = config.channels[vip[0]], config.channels[name]
    df = requirements.reset_index(drop=True)
    vip_rows = np.flatnonzero(chans == vip[0])
    credit = np.zeros(len(rows))
    if len(vip_rows):
        credit = _credit_on(df, vip_rows, rows, np.atleast_1d(pool_credit(
            df.loc[vip_rows, "required_agents"].to_numpy(dtype=float),
            reserved_slots(ch.concurrency, pool.concurrency), pool.concurrency)))
    x = np.asarray(agents, dtype=float) + credit[:, None]
    sl = interpolated_metrics(channel_metrics(pool), x.ravel(), load, aht)["service_level"]
    return np.asarray(sl, dtype=float).reshape(x.shape)
