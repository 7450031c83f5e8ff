"""Agents' soft preferences as a cost per candidate shift.

``agents.csv`` may give each agent a preferred window of local start times and preferred
days off (:mod:`optimize.scenario.agents`). A candidate shift that starts outside the window costs
``START_COST``; one on a preferred day off (the local weekday of its start) costs
``DAY_OFF_COST``. Both are in the scheduler's cost units (one head short for one interval
on a priority-1 queue, first penalty segment), so a preference gives way only where
keeping it would leave more service uncovered than it is worth: a preferred day off
yields to two head-intervals of chat (priority 4) or six of email. It is set above what
one weekend shift can change in the fairness terms (``2 x FAIRNESS_COST``: moving it from
one team member to another closes the spread by two), so that spreading weekends evenly
does not override an agent's own wish to keep them free.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["START_COST", "DAY_OFF_COST", "preference_costs", "preference_terms"]

START_COST = 2.0  # cost units per shift starting outside the agent's preferred window
DAY_OFF_COST = 6.0  # cost units per shift on one of the agent's preferred days off
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _flags(cand: pd.DataFrame, agents: pd.DataFrame,
           first_day: pd.Timestamp) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(outside window, on a day off, local start minute, local weekday) per candidate."""
    a = cand["agent"].to_numpy(dtype=int)
    n = len(agents)
    window = agents.get("preferred_start", pd.Series([None] * n))
    lo = np.array([w[0] if w else -1 for w in window], dtype=int)[a]
    hi = np.array([w[1] if w else -1 for w in window], dtype=int)[a]
    local = cand["start_local"].astype(str)
    minute = (local.str[11:13].astype(int) * 60 + local.str[14:16].astype(int)).to_numpy()
    weekday = (first_day.weekday() + cand["day"].to_numpy(dtype=int)) % 7
    inside = np.where(lo <= hi, (minute >= lo) & (minute <= hi), (minute >= lo) | (minute <= hi))
    outside = (lo >= 0) & ~inside
    off = np.zeros((n, 7), dtype=bool)
    for i, days in enumerate(agents.get("preferred_days_off", pd.Series([()] * n))):
        off[i, list(days or ())] = True
    return outside, off[a, weekday], minute, weekday


def preference_costs(cand: pd.DataFrame, agents: pd.DataFrame,
                     first_day: pd.Timestamp) -> np.ndarray:
    """Cost (cost units, >= 0) of working each candidate shift, from the agents' preferences.

    Parameters
    ----------
    cand : pandas.DataFrame
        Candidate shifts (:func:`~optimize.scheduling.problem.shifts.candidate_shifts`): ``agent``,
        ``day`` (index from ``first_day``), ``start_local`` (ISO 8601 with offset).
    agents : pandas.DataFrame
        Checked agents; ``preferred_start`` and ``preferred_days_off`` are optional.
    first_day : pandas.Timestamp
        The first local date planned.
    """
    if cand.empty:
        return np.zeros(0)
    outside, day_off, _, _ = _flags(cand, agents, first_day)
    return START_COST * outside + DAY_OFF_COST * day_off


def preference_terms(shifts: pd.DataFrame, agents: pd.DataFrame,
                     first_day: pd.Timestamp) -> list[tuple[str, str, float]]:
    """Named penalty terms ``(name, "preference", cost)`` of the worked ``shifts``."""
    if shifts.empty:
        return []
    outside, day_off, minute, weekday = _flags(shifts, agents, first_day)
    out = []
    ids = agents["agent_id"].to_numpy()
    for i in np.flatnonzero(outside | day_off):
        a = int(shifts["agent"].iloc[i])
        date = str(shifts["start_local"].iloc[i])[:10]
        if outside[i]:
            lo, hi = agents["preferred_start"].iloc[a]
            out.append((f"preference(agent {ids[a]}, {date}: starts {minute[i] // 60:02d}:"
                        f"{minute[i] % 60:02d}, prefers {lo // 60:02d}:{lo % 60:02d}-"
                        f"{hi // 60:02d}:{hi % 60:02d})", "preference", START_COST))
        if day_off[i]:
            out.append((f"preference(agent {ids[a]}, {date}: works on a preferred day off, "
                        f"{_DAYS[weekday[i]]})", "preference", DAY_OFF_COST))
    return out
