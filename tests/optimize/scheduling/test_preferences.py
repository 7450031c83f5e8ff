"""Agents' preferences: agents.csv columns, their cost per candidate, and their named terms."""

from __future__ import annotations

import pandas as pd
import pytest

from forecast.inputs.problems import InputError
from optimize.scenario.agents import load_agents
from optimize.scheduling.problem.preferences import (
    DAY_OFF_COST,
    START_COST,
    preference_costs,
    preference_terms,
)

HEADER = ("agent_id,name,languages,channels,timezone,min_hours_week,max_hours_week,"
          "preferred_start,preferred_days_off")


def _agents(tmp_path, *rows):
    path = tmp_path / "agents.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def test_preference_columns_parse(tmp_path):
    agents = load_agents(_agents(tmp_path, "A1,Ann,en,chat,UTC,20,40,08:00-11:00,Sat;sunday",
                                 "A2,Bob,en,chat,UTC,20,40,22:00 - 02:30,",
                                 "A3,Cy,en,chat,UTC,20,40,,"))
    assert list(agents["preferred_start"]) == [(480, 660), (1320, 150), None]
    assert list(agents["preferred_days_off"]) == [(5, 6), (), ()]


def test_bad_preferences_are_named(tmp_path):
    with pytest.raises(InputError) as info:
        load_agents(_agents(tmp_path, "A1,Ann,en,chat,UTC,20,40,8-11,Sat;Xyz"))
    assert [str(p) for p in info.value.problems] == [
        "agents.csv:2, column 'preferred_start', value '8-11': expected a local start window "
        "HH:MM-HH:MM such as 08:00-11:00",
        "agents.csv:2, column 'preferred_days_off', value 'Xyz': expected ';'-separated "
        "weekdays such as Sat;Sun",
    ]


def _cand(rows):
    return pd.DataFrame(rows, columns=["agent", "day", "start_local"])


def test_costs_follow_window_wrap_and_local_weekday():
    agents = pd.DataFrame({"agent_id": ["A", "N", "F"],
                           "preferred_start": [(480, 660), (1320, 120), None],
                           "preferred_days_off": [(5, 6), (), (0,)]})
    first = pd.Timestamp("2026-11-30")  # a Monday
    cand = _cand([
        (0, 0, "2026-11-30T08:00:00+09:00"),  # in window, Monday
        (0, 0, "2026-11-30T11:00:00+09:00"),  # window end is included
        (0, 0, "2026-11-30T11:30:00+09:00"),  # outside
        (0, 5, "2026-12-05T09:00:00+09:00"),  # Saturday, a day off
        (0, 6, "2026-12-06T12:00:00+09:00"),  # Sunday, off and outside
        (1, 1, "2026-12-01T23:00:00-05:00"),  # wrapped window: inside
        (1, 1, "2026-12-01T01:00:00-05:00"),  # inside after midnight
        (1, 1, "2026-12-01T03:00:00-05:00"),  # outside
        (2, 0, "2026-11-30T03:00:00+00:00"),  # no window; Monday is a day off
        (2, 1, "2026-12-01T03:00:00+00:00"),  # no preference applies
    ])
    expected = [0, 0, START_COST, DAY_OFF_COST, START_COST + DAY_OFF_COST, 0, 0, START_COST,
                DAY_OFF_COST, 0]
    assert list(preference_costs(cand, agents, first)) == expected
    terms = preference_terms(cand, agents, first)
    assert sum(c for _, _, c in terms) == sum(expected)
    assert ("preference(agent A, 2026-12-06: starts 12:00, prefers 08:00-11:00)", "preference",
            START_COST) in terms
    assert ("preference(agent F, 2026-11-30: works on a preferred day off, Mon)", "preference",
            DAY_OFF_COST) in terms


def test_no_preference_columns_cost_nothing():
    agents = pd.DataFrame({"agent_id": ["A"]})
    cand = _cand([(0, d, f"2026-12-0{d + 1}T06:00:00+00:00") for d in range(7)])
    assert not preference_costs(cand, agents, pd.Timestamp("2026-11-30")).any()


def _desk_agents(**prefs):
    from test_schedule_support import agent

    rows = [agent("A", ("en",), ("chat",), lo=16, hi=40), agent("B", ("en",), ("chat",), lo=16,
                                                                   hi=40)]
    for key, value in prefs.items():
        rows[0][key] = value
    rows[1].update(preferred_start=None, preferred_days_off=())
    return pd.DataFrame(rows)


def _weekdays(roster, aid):
    mine = roster[roster["agent_id"] == aid]
    return {pd.Timestamp(d).day_name()[:3] for d in mine["shift_date"]}


def test_schedule_keeps_preferences_that_cost_no_service():
    from test_schedule_support import START, requirements, rule_violations, small_config

    from optimize.scheduling import build_schedule

    config = small_config()
    agents = _desk_agents(preferred_start=(480, 480), preferred_days_off=(5, 6))
    req = requirements({("chat", "en"): 1.0}, hours=(8, 16))
    res = build_schedule(req, agents, config, start=START, time_limit_s=20, seed=0, workers=2)
    assert res.status in ("optimal", "feasible")
    assert rule_violations(res.roster, agents, config, START, 1) == []
    assert not _weekdays(res.roster, "A") & {"Sat", "Sun"}
    assert set(res.roster.loc[res.roster["agent_id"] == "A", "start_local"].str[11:16]) \
        <= {"08:00"}
    assert "preference" not in set(res.penalties["kind"])


def test_a_preference_gives_way_to_service_and_is_named():
    from test_schedule_support import START, agent, requirements, small_config

    from optimize.scheduling import build_schedule

    config = small_config()
    only = agent("A", ("en",), ("chat",), lo=8, hi=40)
    only.update(preferred_start=None, preferred_days_off=(5,))  # Saturday
    times = requirements({("chat", "en"): 1.0}, hours=(8, 16))
    saturday = times["interval_start"].dt.day_of_week == 5
    req = times.assign(required_scheduled=times["required_scheduled"] * saturday)
    res = build_schedule(req, pd.DataFrame([only]), config, start=START, time_limit_s=20,
                         seed=0, workers=2)
    assert "Sat" in _weekdays(res.roster, "A")  # 16 chat head-intervals outweigh the wish
    pref = res.penalties[res.penalties["kind"] == "preference"]
    assert list(pref["name"]) == [
        "preference(agent A, 2026-12-05: works on a preferred day off, Sat)"]
    assert pref["cost"].sum() == DAY_OFF_COST
