"""Hard rules that cannot hold are named; the previous roster's rest and streak carry over."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from test_schedule_support import START, agent, requirements, rule_violations, small_config

from optimize.scheduling import build_schedule


def test_contract_minimum_against_days_off_names_agent_and_rules():
    config = small_config(min_days_off_per_week=5)  # 2 working days: at most 2 x 8 h paid
    off = (START, START + dt.timedelta(days=1))  # Mon-Tue on leave: 40 h - 2 x 8 h = 24 h
    agents = pd.DataFrame([
        agent("OK", ("en",), ("chat",), lo=16, hi=40),
        agent("BUSY", ("en",), ("chat",), lo=40, hi=40, unavailable=off),
    ])
    res = build_schedule(requirements({("chat", "en"): 1.0}), agents, config, start=START,
                         time_limit_s=5)
    assert res.status == "infeasible"
    assert len(res.conflicts) == 1
    text = res.conflicts[0]
    assert text == ("agent BUSY (Agent BUSY): rules in conflict: "
                    "min_days_off_per_week (week of 2026-11-30: >= 5 days off); "
                    "weekly_hours_min (week of 2026-11-30: >= 24 h paid)")
    assert res.roster.empty and res.activities.empty  # no sentinel rows
    assert list(res.roster.columns)[:2] == ["agent_id", "name"]


def test_leave_days_lower_the_contract_minimum():
    config = small_config()
    off = tuple(START + dt.timedelta(days=i) for i in range(4))  # Mon-Thu on leave
    agents = pd.DataFrame([agent("BUSY", ("en",), ("chat",), lo=40, hi=40, unavailable=off)])
    res = build_schedule(requirements({("chat", "en"): 1.0}), agents, config, start=START,
                         time_limit_s=5)
    assert res.status in ("optimal", "feasible")
    assert res.roster["paid_hours"].sum() >= 8.0  # 40 h - 4 x 8 h of leave
    assert rule_violations(res.roster, agents, config, START, 1) == []


def test_too_many_hours_for_the_days_allowed():
    config = small_config(min_days_off_per_week=3)  # 4 days x 8 h < 40 h
    agents = pd.DataFrame([agent("FULL", ("en",), ("chat",), lo=40, hi=40)])
    res = build_schedule(requirements({("chat", "en"): 1.0}), agents, config, start=START,
                         time_limit_s=5)
    assert res.status == "infeasible"
    assert "min_days_off_per_week" in res.conflicts[0]
    assert "weekly_hours_min" in res.conflicts[0]


def test_previous_roster_rest_and_streak_carry_over():
    config = small_config(step=60)
    agents = pd.DataFrame([agent("A", ("en",), ("chat",), lo=8, hi=40),
                           agent("B", ("en",), ("chat",), lo=8, hi=40)])
    # A worked a late shift ending Mon 02:00 UTC; B worked the five days Wed-Sun before.
    last = pd.Timestamp("2026-11-30T02:00Z")
    prev = pd.DataFrame({
        "agent_id": ["A"] + ["B"] * 5,
        "shift_date": ["2026-11-29"] + [f"2026-11-{d}" for d in range(25, 30)],
        "start_utc": [last - pd.Timedelta(hours=9)]
        + [pd.Timestamp(f"2026-11-{d}T08:00Z") for d in range(25, 30)],
        "end_utc": [last] + [pd.Timestamp(f"2026-11-{d}T17:00Z") for d in range(25, 30)],
    })
    req = requirements({("chat", "en"): 2.0}, hours=(0, 24))
    res = build_schedule(req, agents, config, start=START, time_limit_s=6, previous_roster=prev)
    assert res.status in ("optimal", "feasible")
    r = res.roster
    assert rule_violations(r, agents, config, START, 1) == []
    assert r[r["agent_id"] == "A"]["start_utc"].min() >= last + pd.Timedelta(hours=11)
    assert "2026-11-30" not in set(r[r["agent_id"] == "B"]["shift_date"])
    # without the previous roster, Monday is worth working for both (24/7 demand)
    free = build_schedule(req, agents, config, start=START, time_limit_s=6)
    assert "2026-11-30" in set(free.roster["shift_date"])
