"""Time zones: shifts in local time across the autumn 2026 changes.

Europe leaves summer time on Sunday 2026-10-25 (03:00 CEST -> 02:00 CET), the United
States on Sunday 2026-11-01 (02:00 EDT -> 01:00 EST); Asia/Kolkata has no DST and a
half-hour offset (+05:30). Source: the IANA tz database rules EU and US.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from test_schedule_support import agent, requirements, rule_violations, small_config

from optimize.scheduling import build_schedule
from optimize.scheduling.problem.inputs import check_agents, make_grid
from optimize.scheduling.problem.shifts import candidate_shifts

START = dt.date(2026, 10, 19)  # Monday; two weeks cover both changes


def _cands(tz: str, step: int = 60):
    config = small_config(step=step)
    agents = check_agents(pd.DataFrame([agent("X", ("en",), ("chat",), tz)]))
    grid = make_grid(requirements({("chat", "en"): 1.0}, start=START, days=14))
    c = candidate_shifts(agents, config, grid, START, 2)
    return c[c["template"] == 0]  # full_9h


def test_berlin_shift_across_fall_back_lasts_nine_real_hours():
    c = _cands("Europe/Berlin")
    row = c[c["start_local"] == "2026-10-24T22:00:00+02:00"].iloc[0]
    assert row["start_utc"] == pd.Timestamp("2026-10-24T20:00Z")
    assert row["end_utc"] == pd.Timestamp("2026-10-25T05:00Z")
    assert row["end_local"] == "2026-10-25T06:00:00+01:00"  # 9 h later, clocks went back
    assert row["paid_min"] == 480


def test_ambiguous_start_takes_first_occurrence_once():
    c = _cands("Europe/Berlin")
    day = c[c["start_local"].str.startswith("2026-10-25")]
    assert len(day) == 24  # 02:00 happens twice but is offered once
    assert "2026-10-25T02:00:00+02:00" in set(day["start_local"])


def test_new_york_changes_a_week_later():
    c = _cands("America/New_York")
    eu_sunday = c[c["start_local"].str.startswith("2026-10-25T09:00")].iloc[0]
    assert eu_sunday["start_utc"] == pd.Timestamp("2026-10-25T13:00Z")  # still EDT
    us_sunday = c[c["start_local"].str.startswith("2026-11-01T09:00")].iloc[0]
    assert us_sunday["start_utc"] == pd.Timestamp("2026-11-01T14:00Z")  # EST


def test_kolkata_half_hour_offset_lands_on_the_grid():
    c = _cands("Asia/Kolkata")
    assert len(c) == 14 * 24
    assert set(pd.DatetimeIndex(c["start_utc"]).minute) == {30}
    assert set(c["start_local"].str[-6:]) == {"+05:30"}


def test_spring_forward_start_does_not_exist():
    config = small_config(step=60)
    agents = check_agents(pd.DataFrame([agent("X", ("en",), ("chat",), "Europe/Berlin")]))
    start = dt.date(2026, 3, 23)
    grid = make_grid(requirements({("chat", "en"): 1.0}, start=start, days=7))
    c = candidate_shifts(agents, config, grid, start, 1)
    sunday = c[(c["template"] == 0) & c["start_local"].str.startswith("2026-03-29")]
    assert len(sunday) == 23
    assert not sunday["start_local"].str.startswith("2026-03-29T02").any()


@pytest.fixture(scope="module")
def two_weeks():
    config = small_config(step=120)
    agents = pd.DataFrame([
        agent("BER", ("en",), ("chat",), "Europe/Berlin", lo=24, hi=40),
        agent("NYC", ("en",), ("chat",), "America/New_York", lo=24, hi=40),
        agent("KOL", ("en",), ("chat",), "Asia/Kolkata", lo=24, hi=40),
    ])
    req = requirements({("chat", "en"): 1.0}, start=START, days=14, hours=(0, 24))
    res = build_schedule(req, agents, config, start=START, weeks=2, time_limit_s=6, seed=1)
    return config, agents, res


def test_two_week_dst_schedule_keeps_every_rule_in_local_time(two_weeks):
    config, agents, res = two_weeks
    assert res.status in ("optimal", "feasible")
    assert rule_violations(res.roster, agents, config, START, 2) == []
    for row in res.roster.itertuples(index=False):
        local = pd.Timestamp(row.start_local)
        assert local.utcoffset() == row.start_utc.tz_convert(row.timezone).utcoffset()
        assert local.minute == 0 and local.hour % 2 == 0  # the 120-min local start step
        assert row.end_utc - row.start_utc == pd.Timedelta(hours=9 if row.template ==
                                                           "full_9h" else 4)


def test_no_candidate_lies_wholly_outside_the_plan_weeks():
    # Chicago's last plan day (Sunday 1 Nov) ends at 06:00 UTC on Monday: a shift starting
    # there at 23:00 local would cover no interval of the plan and have no queue
    c = _cands("America/Chicago")
    grid_end = pd.Timestamp(START, tz="UTC") + pd.Timedelta(days=14)
    assert (c["start_utc"] < grid_end).all()
    assert len(c) and c["start_utc"].max() > grid_end - pd.Timedelta(hours=9)  # spills kept
