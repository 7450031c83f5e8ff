"""The simulated desk: a plan's tables turned into plain arrays the engine runs on.

A :class:`Desk` holds, for one planned period, the queues (channel x language) with their
queueing parameters from ``scenario.toml``, the forecast arrival rate and handle time per
queue x interval, and every planned work segment (agent, queue, start, end) from
``activities.csv``. Times are seconds from the plan start (a UTC midnight).
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimize.scenario.config import ScenarioConfig

__all__ = ["Desk", "desk_from_plan", "unskilled_work"]

log = logging.getLogger(__name__)

_KEYS = ["interval_start", "channel", "language"]
Z_BAND = 2.5631031310892007  # P90 - P10 of a standard normal


@dataclass(frozen=True)
class Desk:
    """One planned period of a desk, as arrays (``Q`` queues, ``T`` intervals, ``S`` segments).

    ``target_s`` is the answer-time target of a real-time queue and the response window of
    a deferred one; ``patience_s`` is ``inf`` where nobody abandons (Erlang C channels,
    deferred channels). ``contacts`` is the mean number of arrivals per interval (the
    forecast), ``aht_s`` the mean handle time of a contact handled alone.
    """

    queues: tuple[tuple[str, str], ...]
    deferred: np.ndarray  # (Q,) bool
    concurrency: np.ndarray  # (Q,) int
    slowdown: np.ndarray  # (Q,)
    patience_s: np.ndarray  # (Q,)
    target_s: np.ndarray  # (Q,)
    shrinkage: np.ndarray  # (Q,)
    start: pd.Timestamp
    interval_s: int
    contacts: np.ndarray  # (Q, T)
    aht_s: np.ndarray  # (Q, T)
    agents: tuple[str, ...]
    seg_agent: np.ndarray  # (S,) index into agents
    seg_queue: np.ndarray  # (S,) index into queues
    seg_start_s: np.ndarray  # (S,)
    seg_end_s: np.ndarray  # (S,)
    replay: bool = False  # contacts are actual counts to replay, not Poisson means
    level_sd: np.ndarray | None = None  # (Q, T) sd of the interval mean's level (day levels)
    overflow_to: np.ndarray | None = None  # (Q,) queue a waiting contact moves to, or -1
    overflow_after_s: np.ndarray | None = None  # (Q,) after this wait
    overflow_factor: np.ndarray | None = None  # (Q,) handle-time factor in the new queue
    overflow_now: np.ndarray | None = None  # (Q,) bool: move at once while nobody is on it
    priority: np.ndarray | None = None  # (Q,) the channel's priority weight
    skills: np.ndarray | None = None  # (A, Q) bool: queues each agent may take
    # pool_with: (Q,) the partner queue an agent planned on this (priority) queue also takes,
    # or -1; such an agent holds at most ``concurrency`` of this queue's contacts,
    # ``pool_regular`` of the partner's and ``concurrency`` of the partner's in all
    pool_partner: np.ndarray | None = None
    pool_regular: np.ndarray | None = None  # (Q,) int

    def skill_order(self) -> list[list[int]]:
        """Per agent, the queues it may take, highest channel priority first (skills
        routing); an agent's own planned queues when no skills are known."""
        if self.skills is None:
            skills = np.zeros((len(self.agents), len(self.queues)), dtype=bool)
            skills[self.seg_agent, self.seg_queue] = True
        else:
            skills = self.skills
        prio = np.zeros(len(self.queues)) if self.priority is None else self.priority
        order = np.lexsort((np.arange(len(self.queues)), -prio))
        return [[int(q) for q in order if skills[a, q]] for a in range(len(self.agents))]

    @property
    def n_intervals(self) -> int:
        """Intervals in the period."""
        return self.contacts.shape[1]

    @property
    def length_s(self) -> float:
        """Length of the period, seconds."""
        return float(self.n_intervals * self.interval_s)


def _queue_parameters(queues: list[tuple[str, str]], config: ScenarioConfig) -> dict[str, np.ndarray]:
    chans = [config.channels[c] for c, _ in queues]
    deferred = np.array([ch.kind == "deferred" for ch in chans])
    return {
        "deferred": deferred,
        "concurrency": np.array([1 if ch.kind == "deferred" else ch.concurrency for ch in chans]),
        "slowdown": np.array([0.0 if ch.kind == "deferred" else ch.concurrency_slowdown
                              for ch in chans], dtype=float),
        "patience_s": np.array([ch.patience_s if ch.kind == "realtime" and ch.model == "erlang_a"
                                else np.inf for ch in chans], dtype=float),
        "target_s": np.array([ch.response_window_h * 3600.0 if ch.kind == "deferred"
                              else ch.answer_time_s for ch in chans], dtype=float),
        "shrinkage": np.array([config.shrinkage_for(c) for c, _ in queues], dtype=float),
        "priority": np.array([ch.priority for ch in chans], dtype=float),
    }


def desk_from_plan(activities: pd.DataFrame, forecast: pd.DataFrame, config: ScenarioConfig, *,
                   start: pd.Timestamp, weeks: int, interval_s: int,
                   agents: pd.DataFrame | None = None, replay: bool = False) -> Desk:
    """Build the :class:`Desk` of the plan weeks from ``start``.

    Parameters
    ----------
    activities : DataFrame
        ``activities.csv`` of the plan: ``agent_id, start_utc, end_utc, activity, channel,
        language``; rows with ``activity == "work"`` are the agents' time on a queue.
    forecast : DataFrame
        ``interval_start, channel, language, contacts, aht_s`` covering the plan weeks.
    config : ScenarioConfig
    start : Timestamp
        First instant of the plan (UTC midnight).
    weeks, interval_s : int
    agents : DataFrame, optional
        ``agents.csv`` as loaded (``languages``, ``channels``, ``vip``): the queues each
        agent may take, for skills routing. Without it an agent takes only its planned
        queues.
    replay : bool
        ``forecast`` holds actual contacts (``contacts.csv`` of the plan weeks), replayed
        as counted instead of drawn (missing intervals: none).

    Returns
    -------
    Desk
        Work segments on a queue the forecast lacks are dropped, and counted in a warning.
    """
    t0 = pd.Timestamp(start).tz_convert("UTC") if pd.Timestamp(start).tzinfo \
        else pd.Timestamp(start, tz="UTC")
    n_t = int(weeks * 7 * 86400 // interval_s)
    fc = forecast[forecast["channel"].isin(list(config.channels))].copy()
    fc["interval_start"] = pd.to_datetime(fc["interval_start"], utc=True)
    slot = ((fc["interval_start"] - t0) / pd.Timedelta(seconds=interval_s)).to_numpy()
    fc = fc[(slot >= 0) & (slot < n_t)].assign(slot=slot[(slot >= 0) & (slot < n_t)].astype(int))
    queues = sorted(set(zip(fc["channel"], fc["language"], strict=True)))
    qi = {q: i for i, q in enumerate(queues)}
    rows = np.array([qi[q] for q in zip(fc["channel"], fc["language"], strict=True)], dtype=int)
    contacts = np.zeros((len(queues), n_t))
    contacts[rows, fc["slot"].to_numpy()] = fc["contacts"].astype(float).to_numpy()
    aht = np.full((len(queues), n_t), np.nan)
    aht[rows, fc["slot"].to_numpy()] = fc["aht_s"].astype(float).to_numpy()
    aht = _fill_aht(aht)
    level_sd = None
    if {"contacts_p10", "contacts_p90"} <= set(fc.columns):
        sigma = (fc["contacts_p90"].astype(float) - fc["contacts_p10"].astype(float)) / Z_BAND
        excess = np.sqrt(np.maximum(sigma.to_numpy() ** 2 - fc["contacts"].astype(float)
                                    .to_numpy(), 0.0))
        level_sd = np.zeros((len(queues), n_t))
        level_sd[rows, fc["slot"].to_numpy()] = np.nan_to_num(excess)

    work = activities[activities["activity"] == "work"]
    keys = list(zip(work["channel"].fillna("").astype(str),
                    work["language"].fillna("").astype(str), strict=True))
    known = np.array([k in qi for k in keys], dtype=bool)
    if (~known).any():
        hours = ((work["end_utc"] - work["start_utc"])[~known].dt.total_seconds().sum()) / 3600
        log.warning("%d work segment(s) (%.1f h) are on no forecast queue and are not simulated",
                    int((~known).sum()), hours)
    work = work[known]
    agent_ids = _agents_tuple(work)
    ai = {a: i for i, a in enumerate(agent_ids)}
    s = ((pd.to_datetime(work["start_utc"], utc=True) - t0).dt.total_seconds()).to_numpy()
    e = ((pd.to_datetime(work["end_utc"], utc=True) - t0).dt.total_seconds()).to_numpy()
    s, e = np.clip(s, 0, n_t * interval_s), np.clip(e, 0, n_t * interval_s)
    keep = e > s
    skills = None if agents is None else _skills(agents, agents_order=agent_ids,
                                                 queues=queues, config=config)
    return Desk(**_overflow(queues, config), **_pools(queues, config), skills=skills, replay=replay, level_sd=None if replay else level_sd, queues=tuple(queues), **_queue_parameters(queues, config), start=t0,
                interval_s=int(interval_s), contacts=contacts, aht_s=aht, agents=agent_ids,
                seg_agent=np.array([ai[a] for a in work["agent_id"].astype(str)], dtype=int)[keep],
                seg_queue=np.array([qi[k] for k, ok in zip(keys, known, strict=True) if ok],
                                   dtype=int)[keep],
                seg_start_s=s[keep].astype(float), seg_end_s=e[keep].astype(float))


def _overflow(queues: list[tuple[str, str]], config: ScenarioConfig) -> dict[str, np.ndarray]:
    """The overflow rules of ``scenario.toml`` between simulated queues, as arrays."""
    qi = {q: i for i, q in enumerate(queues)}
    to = np.full(len(queues), -1)
    after = np.full(len(queues), np.inf)
    factor = np.ones(len(queues))
    now = np.zeros(len(queues), dtype=bool)
    for o in config.overflow:
        src = qi.get((o.channel, o.language))
        if src is None or o.to not in qi:
            log.warning("overflow %s -> %s: a queue without forecast rows; not simulated",
                        o.name, "/".join(o.to))
            continue
        to[src], after[src], factor[src] = qi[o.to], o.after_s, o.aht_factor
        now[src] = o.move_when_unstaffed
    return {"overflow_to": to, "overflow_after_s": after, "overflow_factor": factor,
            "overflow_now": now}


def _pools(queues: list[tuple[str, str]], config: ScenarioConfig) -> dict[str, np.ndarray]:
    """``pool_with`` of ``scenario.toml`` as arrays: an agent planned on a pooled priority
    queue (``vip_chat/ko``) also takes its language's partner queue (``chat/ko``) in the
    slots it does not keep for the priority class (docs/scenario.md, Priority pooling)."""
    qi = {q: i for i, q in enumerate(queues)}
    partner = np.full(len(queues), -1)
    regular = np.zeros(len(queues), dtype=int)
    for i, (chan, lang) in enumerate(queues):
        ch = config.channels[chan]
        if ch.pool_with and (ch.pool_with, lang) in qi:
            partner[i] = qi[(ch.pool_with, lang)]
            regular[i] = max(config.channels[ch.pool_with].concurrency - ch.concurrency, 0)
    return {"pool_partner": partner, "pool_regular": regular}


def _agents_tuple(work: pd.DataFrame) -> tuple[str, ...]:
    """The simulated agents: those with work on a queue, in id order."""
    return tuple(sorted(work["agent_id"].astype(str).unique()))


def _skills(agents: pd.DataFrame, *, agents_order: tuple[str, ...],
            queues: list[tuple[str, str]], config: ScenarioConfig) -> np.ndarray:
    """(A, Q) bool: agent ``a`` may take queue ``q`` (its channel and language, and the
    VIP certificate for a VIP channel)."""
    table = agents.set_index(agents["agent_id"].astype(str))
    out = np.zeros((len(agents_order), len(queues)), dtype=bool)
    for i, a in enumerate(agents_order):
        if a not in table.index:
            continue
        row = table.loc[a]
        for j, (chan, lang) in enumerate(queues):
            vip_ok = not config.channels[chan].vip or bool(row["vip"])
            out[i, j] = chan in row["channels"] and lang in row["languages"] and vip_ok
    return out


def _fill_aht(aht: np.ndarray) -> np.ndarray:
    """Intervals without a handle time (no contacts) take the queue's median, else 300 s."""
    with warnings.catch_warnings():  # a queue with no contacts at all: all-NaN row
        warnings.simplefilter("ignore", RuntimeWarning)
        med = np.nanmedian(np.where(aht > 0, aht, np.nan), axis=1)
    med = np.where(np.isfinite(med), med, 300.0)
    return np.where(np.isfinite(aht) & (aht > 0), aht, med[:, None])


def unskilled_work(activities: pd.DataFrame, agents: pd.DataFrame,
                   config: ScenarioConfig) -> pd.DataFrame:
    """Work rows of ``activities`` on a queue their agent may not take.

    An agent may work a queue when its channel and language are among the agent's, and,
    for a VIP channel, when the agent is VIP-certified. Unknown agents count as unskilled.

    Returns
    -------
    DataFrame
        The offending rows of ``activities`` (its index kept), with a ``reason`` column.
    """
    work = activities[activities["activity"] == "work"]
    skills = agents.set_index("agent_id")
    rows = []
    for idx, agent, chan, lang in zip(work.index, work["agent_id"].astype(str),
                                      work["channel"].fillna("").astype(str),
                                      work["language"].fillna("").astype(str), strict=True):
        if agent not in skills.index:
            rows.append((idx, f"agent {agent} is not in agents.csv"))
            continue
        a = skills.loc[agent]
        if chan not in a["channels"] or lang not in a["languages"]:
            rows.append((idx, f"{agent} does not work {chan or '(no channel)'}/"
                              f"{lang or '(no language)'}"))
        elif chan in config.channels and config.channels[chan].vip and not a["vip"]:
            rows.append((idx, f"{agent} is not VIP-certified for {chan}"))
    found = work.loc[[i for i, _ in rows]].copy()
    found["reason"] = [r for _, r in rows]
    return found
