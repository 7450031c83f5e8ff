"""Which week is planned, and which forecast window covers it."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from optimize.scenario.config import HorizonConfig
from optimize.scenario.horizon import forecast_window, plan_window


@pytest.mark.parametrize("data_end, start", [
    ("2026-11-23T00:00Z", "2026-11-30"),  # history ends Sunday night: Monday 11-23 would
                                          # start in the past for agents east of UTC
    ("2026-11-25T13:30Z", "2026-11-30"),  # ends on a Wednesday: the next Monday
    ("2026-11-29T00:30Z", "2026-12-07"),  # less than a day before Monday 11-30: a week later
    ("2026-11-29T00:00Z", "2026-11-30"),  # exactly a day before: that Monday
])
def test_default_plan_is_the_first_monday_a_day_after_the_history(data_end, start):
    t0, t1 = plan_window(pd.Timestamp(data_end), HorizonConfig(weeks=2))
    assert t0 == pd.Timestamp(start, tz="UTC")
    assert t1 - t0 == pd.Timedelta(weeks=2)


def test_explicit_start_and_weeks_beat_the_config():
    cfg = HorizonConfig(start=dt.date(2026, 12, 7), weeks=3)
    assert plan_window(pd.Timestamp("2026-11-23T00:00Z"), cfg)[0] == pd.Timestamp("2026-12-07", tz="UTC")
    t0, t1 = plan_window(pd.Timestamp("2026-11-23T00:00Z"), cfg, start=dt.date(2026, 12, 14), weeks=1)
    assert (t0, t1) == (pd.Timestamp("2026-12-14", tz="UTC"), pd.Timestamp("2026-12-21", tz="UTC"))


def test_forecast_window_pads_a_day_each_side_but_never_starts_after_the_data():
    start, end = pd.Timestamp("2026-11-30", tz="UTC"), pd.Timestamp("2026-12-07", tz="UTC")
    asof, days = forecast_window(start, end, pd.Timestamp("2026-11-25T13:30Z"))
    assert asof == pd.Timestamp("2026-11-25T13:30Z")
    assert asof + pd.Timedelta(days=days) >= end + pd.Timedelta(days=1)
    asof, days = forecast_window(start, end, pd.Timestamp("2026-12-01T00:00Z"))
    assert asof == start - pd.Timedelta(days=1) and days == 9
