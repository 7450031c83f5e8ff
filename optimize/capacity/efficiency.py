"""Scheduling efficiency: paid hours a schedule needs per hour of requirement, measured.

Requirements are heads on schedule per interval; people work whole shifts with breaks,
under rest and night rules, in their own time zones, so covering a requirement takes more
paid hours than it sums to. The factor is measured, not assumed: the scheduler
(:func:`optimize.scheduling.build_schedule`) staffs a recent week of the desk's own
requirements with the desk's own agents (their skills, time zones, contracts and leave),
and::

    efficiency = paid hours scheduled / (required hours - hours left short)

where hours are ``required_scheduled`` x interval length summed over the week: the paid
hours it took per required hour the schedule covered. On a short desk this is its
operating point; the hours a desk adds fill valleys too (nights, weekends), so the
factor for a fully covered week is higher, and on an overstaffed desk the idle hours
count in. Both are why the plan is checked by scheduling and simulating a planned week
(bench/README.md, "Capacity plan").
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimize.capacity.demand import routed_requirements
from optimize.scenario.config import ScenarioConfig

__all__ = ["Efficiency", "measure_efficiency", "recent_week"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Efficiency:
    """The measured factor and what it came from (hours of the measured week)."""

    factor: float
    paid_hours: float
    required_hours: float
    short_hours: float
    week_start: pd.Timestamp
    agents: int
    status: str

    def describe(self) -> str:
        """One line for a report."""
        return (f"{self.factor:.3f} paid h per required h, measured on the week of "
                f"{self.week_start:%Y-%m-%d} ({self.paid_hours:,.0f} paid h for "
                f"{self.required_hours:,.0f} required h, {self.short_hours:,.0f} h short, "
                f"{self.agents} agents, solver {self.status})")


def recent_week(contacts: pd.DataFrame, config: ScenarioConfig, interval_s: int) -> pd.DataFrame:
    """Requirements of the history's last whole week (Monday-Sunday UTC), from its actual
    contacts and handle times, routed by the hours of operation."""
    t = pd.to_datetime(contacts["interval_start"], utc=True)
    end = (t.max() + pd.Timedelta(seconds=interval_s)).normalize()
    end = end - pd.Timedelta(days=end.weekday())
    week = contacts[((t >= end - pd.Timedelta(days=7)) & (t < end)).to_numpy()]
    if week.empty:
        raise ValueError("the history has no whole week to measure the scheduling efficiency on")
    return routed_requirements(week, config, interval_s)


def measure_efficiency(requirements: pd.DataFrame, agents: pd.DataFrame, config: ScenarioConfig,
                       *, work_limit_s: float = 20.0, time_limit_s: float = 120.0,
                       seed: int = 0) -> Efficiency:
    """Schedule one week of ``requirements`` with ``agents`` and return the paid hours per
    covered required hour (module docstring)."""
    from optimize.scheduling.schedule import build_schedule

    times = pd.to_datetime(requirements["interval_start"], utc=True)
    step_h = float(np.diff(np.unique(times.astype("int64"))).min()) / 3.6e12
    required = float(requirements["required_scheduled"].sum()) * step_h
    start = times.min().date()
    start = start - dt.timedelta(days=start.weekday())
    result = build_schedule(requirements, agents, config, start=start, weeks=1,
                            time_limit_s=time_limit_s, work_limit_s=work_limit_s, seed=seed)
    if result.roster.empty:
        raise ValueError(f"the scheduler found no schedule to measure the efficiency on "
                         f"({result.status}); give --efficiency instead")
    paid = float(result.roster["paid_hours"].sum())
    short = float(result.unmet["shortfall"].sum()) * step_h if len(result.unmet) else 0.0
    factor = paid / max(required - short, 1e-9)
    eff = Efficiency(float(factor), paid, required, short, pd.Timestamp(start, tz="UTC"),
                     len(agents), result.status)
    log.info("scheduling efficiency: %s", eff.describe())
    return eff
