"""The previous roster in a re-plan: rest and consecutive days carried over the week start.

:func:`~optimize.scheduling.schedule.build_schedule` carries the labour rules from the
previous roster (:func:`~optimize.scheduling.problem.rules.carry_from_previous`). A re-plan passes
it through, checked here. The published roster was not necessarily planned with it, so
the re-plan asks which agents' published weeks break the carried rules. Where a shift
that has started (or is kept) breaks them, the breach is history: the previous roster
is ignored for that agent (with a warning) rather than making the re-plan infeasible.
Where only later shifts break them, those shifts must change, and the published week
cannot be the search's starting point.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from optimize.scenario.config import ScenarioConfig
from optimize.scheduling.problem.rules import carry_from_previous

__all__ = ["check_previous_roster", "carry_conflicts"]


def check_previous_roster(previous_roster: pd.DataFrame | None, agents: pd.DataFrame,
                          start: dt.date) -> pd.DataFrame | None:
    """The previous roster, checked, with the agents' own ``agent_id`` values.

    Rows of agents not in ``agents`` (e.g. agents who left) are dropped.

    Raises
    ------
    ValueError
        On a missing column or a ``shift_date`` on or after ``start``.
    """
    if previous_roster is None:
        return None
    missing = [c for c in ("agent_id", "shift_date", "end_utc") if c not in previous_roster]
    if missing:
        raise ValueError(f"previous_roster is missing columns {missing}")
    dates = previous_roster["shift_date"].astype(str).str[:10]
    late = dates >= start.isoformat()
    if late.any():
        raise ValueError(f"previous_roster shift_date {dates[late].iloc[0]!r} is not before the "
                         f"plan start {start}; pass the roster of the days before it")
    ids = dict(zip(agents["agent_id"].astype(str), agents["agent_id"], strict=True))
    prev = previous_roster.assign(agent_id=previous_roster["agent_id"].astype(str).map(ids))
    return prev[prev["agent_id"].notna()].reset_index(drop=True)


def carry_conflicts(pub: pd.DataFrame, previous_roster: pd.DataFrame | None,
                    agents: pd.DataFrame, config: ScenarioConfig,
                    start: dt.date) -> dict[str, bool]:
    """Agents whose published week breaks the carried rules: ``agent_id`` -> in the past.

    ``pub`` holds the published shifts as ``agent`` (row of the checked ``agents``),
    ``day`` (local day index from ``start``), ``s_ns`` (UTC start in ns) and optionally
    ``fixed`` (the shift has started or is kept). The value is true when the shift that
    breaks the rule is fixed: the breach is history, and no re-plan can undo it.
    """
    if previous_roster is None or previous_roster.empty:
        return {}
    carries = carry_from_previous(previous_roster, agents, pd.Timestamp(start))
    rest_ns = int(config.labour.min_rest_h * 3600e9)
    most = config.labour.max_consecutive_days
    if "fixed" not in pub:
        pub = pub.assign(fixed=False)
    out = {}
    for a, mine in pub.groupby("agent"):
        c = carries[a]
        if c.last_end_utc is None:
            continue
        mine = mine.sort_values("s_ns")
        fixed = dict(zip(mine["day"], mine["fixed"], strict=True))
        run = next(d for d in range(len(fixed) + 1) if d not in fixed)  # worked from day 0
        rest = mine["s_ns"].iloc[0] < c.last_end_utc.as_unit("ns").value + rest_ns
        streak = c.streak_days + run > most
        if rest or streak:
            past = ((rest and bool(mine["fixed"].iloc[0]))
                    or (streak and bool(fixed[max(0, most - c.streak_days)])))
            out[str(agents["agent_id"].iloc[a])] = past
    return out
