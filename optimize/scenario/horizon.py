"""Which week is planned, and which forecast window covers it (shared by CLI and app)."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd

from optimize.scenario.config import HorizonConfig

__all__ = ["LOCAL_PAD", "forecast_window", "plan_window"]

#: Agents work in local time (UTC-12 to UTC+14), so a plan's UTC week is padded by a day
#: on each side to put a forecast under every local shift of the week.
LOCAL_PAD = pd.Timedelta(days=1)


def plan_window(data_end: pd.Timestamp, horizon: HorizonConfig, *, start: dt.date | None = None,
                weeks: int | None = None) -> tuple[pd.Timestamp, pd.Timestamp]:
    """``[start, end)`` in UTC of the plan.

    ``start`` (else ``horizon.start``, else the first Monday at least a day after the
    history ends, so that no local shift of the plan lies in the past) for ``weeks``
    (else ``horizon.weeks``) weeks. ``data_end`` is the first instant without data.
    """
    start = start or horizon.start
    if start is None:
        earliest = pd.Timestamp(data_end) + LOCAL_PAD
        day = earliest.ceil("D").date()
        start = day + dt.timedelta(days=(7 - day.weekday()) % 7)
    t0 = pd.Timestamp(start, tz="UTC")
    return t0, t0 + pd.Timedelta(weeks=weeks or horizon.weeks)


def forecast_window(plan_start: pd.Timestamp, plan_end: pd.Timestamp,
                    data_end: pd.Timestamp) -> tuple[pd.Timestamp, int]:
    """``(asof, horizon_days)`` of a forecast covering the plan padded by
    :data:`LOCAL_PAD` on both sides, never starting after the data ends."""
    asof = min(plan_start - LOCAL_PAD, pd.Timestamp(data_end))
    return asof, math.ceil((plan_end + LOCAL_PAD - asof) / pd.Timedelta(days=1))
