"""Fallback between email or social queues (``[overflow]`` rules within one deferred channel).

A fallback, for instance ``social/ko -> social/en`` after 3 h through machine
translation, gives the source its usual capacity and offers the target what that leaves
waiting at ``after_s``, to be answered within the window's rest (:func:`plan_fallback`);
:func:`fallback_service` is what the fluid model promises the source, and the roster's
promise is :mod:`optimize.queueing.roster_backlog`'s. Rules between real-time queues are
:mod:`optimize.queueing.overflow`'s.
"""

from __future__ import annotations

import numpy as np

from optimize.queueing.backlog import (
    integer_agents,
    overflow_backlog,
    required_capacity,
    simulate_backlog,
    to_arrivals,
)
from optimize.scenario.config import ScenarioConfig
from optimize.scenario.overflow import Overflow

__all__ = ["MOVED", "fallback_rules", "fallback_service", "plan_fallback"]

#: contacts moved into an interval below this do not shorten its deadline (plan_fallback)
MOVED = 0.01


def fallback_rules(config: ScenarioConfig, interval_s: int) -> tuple[Overflow, ...]:
    """The rules between queues of one deferred channel that the requirements and the
    roster promise count (:func:`plan_fallback`,
    :func:`optimize.queueing.roster_backlog.roster_deferred`): a fallback, for instance to
    agents of another language through translation, that leaves the target at least one
    interval of the source's response window. A contact's service counts one move, so a
    rule from a queue that takes another rule's contacts, or into a queue that moves its
    own on, is left to the simulator (as are rules between channels, and a wait that
    leaves less than an interval: the contact has as good as missed its window)."""
    def deferred(channel: str) -> bool:
        ch = config.channels.get(channel)
        return ch is not None and ch.kind == "deferred"

    rules = [o for o in config.overflow if deferred(o.channel) and o.to[0] == o.channel
             and o.after_s <= config.channels[o.channel].response_window_h * 3600.0
             - interval_s]
    sources = {(o.channel, o.language) for o in rules}
    return tuple(o for o in rules if o.to not in sources
                 and not any(r.to == (o.channel, o.language) for r in rules))


def plan_fallback(arrivals: np.ndarray, aht_s: np.ndarray, languages: list[str],
                  rules: tuple[Overflow, ...], is_open: np.ndarray, interval_s: int,
                  window_s: float, share: float) -> tuple[np.ndarray, np.ndarray]:
    """The fluid capacity of one deferred channel's queues with its fallback rules planned.

    Each source queue gets its capacity without the rule (the level-rate profile of
    :func:`optimize.queueing.backlog.required_capacity`), none where it is closed
    (``is_open`` False); what its whole agents (:func:`integer_agents`) leave waiting at
    ``after_s`` (:func:`overflow_backlog`: the inbox left at closing time, and what the
    profile answers later than ``after_s`` on a peak) is offered to the target at
    ``aht_factor`` times its handle time, to be answered within the window's rest. The
    target's capacity is the profile for its own and the moved contacts, an interval
    holding moved ones (more than :data:`MOVED`) on the shorter deadline.

    Parameters
    ----------
    arrivals, aht_s : ndarray, shape (L, T)
        Per language of the channel and interval.
    languages : list of str
        The rows' languages.
    rules : tuple of Overflow
        Fallbacks within this channel (:func:`fallback_rules`).
    is_open : ndarray of bool, shape (L, T)
    interval_s : int
    window_s, share : float
        The channel's response window (seconds) and share.

    Returns
    -------
    capacity, offered : ndarray, shape (L, T)
        Contacts to answer per interval, and contacts offered (moved ones included).
    """
    cap = required_capacity(arrivals, interval_s, window_s, share)
    offered = arrivals.copy()
    window = np.full(arrivals.shape, float(window_s))
    targets = set()
    for rule in rules:
        x, y = languages.index(rule.language), languages.index(rule.to[1])
        cap[x] = np.where(is_open[x], cap[x], 0.0)
        # what whole agents (the requirement) answer: they come later than the fluid rate
        whole = integer_agents(arrivals[x:x + 1], cap[x:x + 1], aht_s[x:x + 1], interval_s)
        moved = overflow_backlog(arrivals[x:x + 1], whole * interval_s / aht_s[x:x + 1],
                                 interval_s, rule.after_s)[1][0]
        offered[y] += moved * rule.aht_factor * aht_s[x] / aht_s[y]
        rest = window_s - rule.after_s  # >= one interval (fallback_rules)
        window[y] = np.where(moved > MOVED, np.minimum(window[y], rest), window[y])
        targets.add(y)
    if targets:
        rows = sorted(targets)
        cap[rows] = required_capacity(offered[rows], interval_s, window[rows], share)
    return cap, offered


def fallback_service(offered: np.ndarray, capacity: np.ndarray, aht_s: np.ndarray,
                     languages: list[str], rules: tuple[Overflow, ...], interval_s: int,
                     window_s: float, *, staffed: bool
                     ) -> tuple[np.ndarray, np.ndarray, dict[int, dict[str, np.ndarray]]]:
    """What the fluid model of one deferred channel gives its fallbacks' sources.

    Each source's line is :func:`overflow_backlog` at ``capacity``; a contact it answers
    is in time (it waited less than ``after_s``), a moved one is in time with the share
    of the target's offered contacts of that interval that the target answers within the
    window's rest, charged to the contact's own arrival interval (:func:`to_arrivals`).

    Parameters
    ----------
    offered, capacity, aht_s : ndarray, shape (L, T)
        Contacts offered (the targets' including what the requirements planned to move),
        contacts the agents can answer, handle time; per language and interval.
    languages : list of str
    rules : tuple of Overflow
    interval_s : int
    window_s : float
    staffed : bool
        True: ``offered`` is each queue's own, and the target is offered what the
        source's agents leave (a staffing being evaluated); False: the requirements'
        (:func:`plan_fallback`), which already hold the moved contacts.

    Returns
    -------
    offered, removal, sources
        ``offered`` with the moved contacts where ``staffed``; ``removal``, ``capacity``
        with each source's row replaced by its contacts answered or moved per interval
        (its fluid line in :func:`optimize.queueing.backlog.simulate_backlog`); per source
        row ``within`` (share in time per arrival interval), ``occupancy`` and
        ``extra_delay_s`` (the target's wait, averaged over the arrivals).
    """
    offered, removal = offered.copy(), capacity.copy()
    lines = []
    for rule in rules:
        x, y = languages.index(rule.language), languages.index(rule.to[1])
        served, moved = (v[0] for v in overflow_backlog(offered[x:x + 1], capacity[x:x + 1],
                                                        interval_s, rule.after_s))
        removal[x] = served + moved
        if staffed:
            offered[y] = offered[y] + moved * rule.aht_factor * aht_s[x] / aht_s[y]
        lines.append((rule, x, y, served, moved))
    sources = {}
    for rule, x, y, served, moved in lines:
        there = simulate_backlog(offered[y:y + 1], removal[y:y + 1], interval_s,
                                 window_s - rule.after_s)
        late = to_arrivals(offered[x:x + 1], served, moved,
                           moved * (1.0 - np.nan_to_num(there.within_window[0], nan=1.0)))[0]
        wait = to_arrivals(offered[x:x + 1], served, moved,
                           moved * np.nan_to_num(there.mean_delay_s[0]))[0]
        a = offered[x]
        with np.errstate(invalid="ignore", divide="ignore"):
            sources[x] = {
                "within": np.where(a > 0, np.clip(1.0 - late / a, 0.0, 1.0), 1.0),
                "occupancy": np.where(capacity[x] > 0,
                                      np.clip(served / capacity[x], 0.0, 1.0), 0.0),
                "extra_delay_s": np.where(a > 0, wait / a, 0.0)}
    return offered, removal, sources
