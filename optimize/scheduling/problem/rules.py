"""Hard labour rules as CP-SAT constraints, one helper per rule, all in agent local time.

Each helper adds the rule for one agent's candidate shifts. ``enforce`` maps a rule key
(``"min_rest"``, ``("weekly_hours_min", week)``, ...) to an enforcement literal; the
conflict finder (:mod:`optimize.scheduling.explain`) passes literals so that CP-SAT can
name the rules that cannot hold together, while the main model passes none.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from ortools.sat.python import cp_model

from optimize.scenario.config import ScenarioConfig

__all__ = ["Carry", "RuleKey", "LEAVE_SHARE", "add_agent_rules", "carry_from_previous",
           "weekly_minimum_h"]

RuleKey = str | tuple[str, int]
LEAVE_SHARE = 0.2  # share of the weekly contract minimum an unavailable day counts for
Enforce = Callable[[RuleKey], list]


@dataclass(frozen=True)
class Carry:
    """What the previous period leaves to one agent: last shift end and current streak."""

    last_end_utc: pd.Timestamp | None = None
    streak_days: int = 0  # consecutive worked local days ending the day before the horizon


def carry_from_previous(previous_roster: pd.DataFrame | None, agents: pd.DataFrame,
                        first_day: pd.Timestamp) -> list[Carry]:
    """Per agent, the :class:`Carry` implied by the previous roster (``docs/contract.md``)."""
    if previous_roster is None or previous_roster.empty:
        return [Carry() for _ in range(len(agents))]
    prev = previous_roster.copy()
    prev["end_utc"] = pd.to_datetime(prev["end_utc"], utc=True)
    prev["shift_date"] = pd.to_datetime(prev["shift_date"]).dt.normalize()
    out = []
    for aid in agents["agent_id"]:
        mine = prev[prev["agent_id"] == aid]
        if mine.empty:
            out.append(Carry())
            continue
        dates = set(mine["shift_date"])
        streak, d = 0, first_day - pd.Timedelta(days=1)
        while d in dates:
            streak, d = streak + 1, d - pd.Timedelta(days=1)
        out.append(Carry(last_end_utc=mine["end_utc"].max(), streak_days=streak))
    return out


def weekly_minimum_h(agent: pd.Series, first_day: pd.Timestamp, week: int) -> float:
    """Contract minimum of week ``week``, less ``LEAVE_SHARE`` of it per unavailable day.

    An unavailable day is leave: it counts ``min_hours_week * LEAVE_SHARE`` toward the
    minimum, so a week of holidays does not make the contract impossible.
    """
    lo = float(agent["min_hours_week"])
    days = {(first_day + pd.Timedelta(days=7 * week + i)).date() for i in range(7)}
    off = len(days & set(agent["unavailable"]))
    return max(0.0, lo - off * lo * LEAVE_SHARE)


def _add(model: cp_model.CpModel, ct_expr, lits: list) -> None:
    if isinstance(ct_expr, bool | np.bool_):  # no variable left in the rule
        if ct_expr:
            return
        ct = model.add_bool_or([])  # always false: the rule cannot hold
    else:
        ct = model.add(ct_expr)
    if lits:
        ct.only_enforce_if(lits)


def add_agent_rules(model: cp_model.CpModel, cand: pd.DataFrame, x: list,
                    config: ScenarioConfig, agent: pd.Series, carry: Carry, n_days: int,
                    first_day: pd.Timestamp, enforce: Enforce | None = None) -> None:
    """Add every hard labour rule for one agent.

    Parameters
    ----------
    cand : pandas.DataFrame
        This agent's candidate shifts (columns of :func:`candidate_shifts`).
    x : list
        One Boolean per row of ``cand`` (the shift is worked).
    n_days : int
        Days in the horizon (a multiple of 7).
    first_day : pandas.Timestamp
        The first local date planned (naive midnight).
    enforce : callable, optional
        Rule key -> list of enforcement literals (empty list: always enforced).
    """
    lits = enforce or (lambda key: [])
    lab = config.labour
    day = cand["day"].to_numpy()
    paid = cand["paid_min"].to_numpy()
    start = pd.DatetimeIndex(cand["start_utc"]).as_unit("ns").asi8
    end = pd.DatetimeIndex(cand["end_utc"]).as_unit("ns").asi8
    night = cand["night"].to_numpy()
    by_day = [np.flatnonzero(day == d) for d in range(n_days)]
    worked = [sum(x[i] for i in idx) for idx in by_day]

    # unavailable dates: no shift touching them
    for i in np.flatnonzero(cand["unavailable"].to_numpy()):
        _add(model, x[i] == 0, lits("unavailable"))
    # one shift per local day
    for idx in by_day:
        if len(idx) > 1:
            _add(model, sum(x[i] for i in idx) <= 1, lits("one_shift_per_day"))
    # minimum rest: the spans [start, end + rest) of two worked shifts never overlap
    rest_ns = int(lab.min_rest_h * 3600e9)
    busy_end = end + rest_ns
    for u in np.unique(start):
        idx = np.flatnonzero((start <= u) & (u < busy_end))
        if len(idx) > 1:
            _add(model, sum(x[i] for i in idx) <= 1, lits("min_rest"))
    if carry.last_end_utc is not None:
        limit = carry.last_end_utc.as_unit("ns").value + rest_ns
        for i in np.flatnonzero(start < limit):
            _add(model, x[i] == 0, lits("min_rest"))
    # maximum consecutive working days, the previous period's streak included
    m = lab.max_consecutive_days
    seq = [1] * carry.streak_days + worked
    offset = carry.streak_days
    for lo in range(max(0, offset - m), len(seq) - m):
        window = seq[lo:lo + m + 1]
        if lo + m >= offset:
            _add(model, sum(window) <= m, lits("max_consecutive_days"))
    # per week: days off, contract hours, nights
    for w in range(n_days // 7):
        idx = np.concatenate(by_day[7 * w:7 * w + 7])
        week_worked = sum(worked[7 * w:7 * w + 7])
        if lab.min_days_off_per_week > 0:
            _add(model, week_worked <= 7 - lab.min_days_off_per_week,
                 lits(("min_days_off_per_week", w)))
        hours = sum(int(paid[i]) * x[i] for i in idx)
        lo_min = int(round(weekly_minimum_h(agent, first_day, w) * 60))
        hi_min = int(round(float(agent["max_hours_week"]) * 60))
        if lo_min > 0:
            _add(model, hours >= lo_min, lits(("weekly_hours_min", w)))
        _add(model, hours <= hi_min, lits(("weekly_hours_max", w)))
        nights = [x[i] for i in idx if night[i]]
        if len(nights) > lab.max_nights_per_week:
            _add(model, sum(nights) <= lab.max_nights_per_week, lits(("max_nights_per_week", w)))
