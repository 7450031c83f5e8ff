"""The scheduler on a small hand-made desk: hard rules, skills, breaks, coverage, figures."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_schedule_support import (
    START,
    agent,
    recompute_staffed,
    requirements,
    rule_violations,
    skill_violations,
    small_config,
)

from optimize.scheduling import ProgressInfo, build_schedule
from optimize.scheduling.solver.model import shortfall_cost


@pytest.fixture(scope="module")
def desk():
    config = small_config()
    agents = pd.DataFrame([
        agent("EN1", ("en",), ("chat", "email"), lo=32, hi=40),
        agent("EN2", ("en",), ("chat",), "Europe/London", lo=16, hi=24),
        agent("KO1", ("ko", "en"), ("chat", "email"), "Asia/Seoul", lo=32, hi=40,
              unavailable=(dt.date(2026, 12, 2),)),
        agent("KO2", ("ko",), ("chat",), "Asia/Seoul", lo=16, hi=40),
        agent("VIP", ("en", "ko"), ("chat", "vip_chat"), lo=32, hi=40, vip=True),
    ])
    req = requirements({("chat", "en"): 1.4, ("chat", "ko"): 1.0, ("vip_chat", "en"): 0.5,
                        ("vip_chat", "ko"): 0.3, ("email", "en"): 0.6})
    seen: list[ProgressInfo] = []
    res = build_schedule(req, agents, config, start=START, time_limit_s=8.0, seed=3,
                         workers=2, progress=seen.append)
    return config, agents, req, res, seen


def test_status_and_figures(desk):
    _, _, _, res, seen = desk
    assert res.status in ("optimal", "feasible")
    assert res.best_bound <= res.objective + 1e-6
    assert 0.0 <= res.gap <= 1.0
    assert np.isclose(res.gap, (res.objective - res.best_bound) / res.objective) or \
        res.status == "optimal"
    assert seen and seen[-1].objective == pytest.approx(res.objective)
    assert all(b.objective <= a.objective + 1e-9 for a, b in zip(seen, seen[1:], strict=False))
    assert res.conflicts == ()


def test_no_hard_rule_broken(desk):
    config, agents, _, res, _ = desk
    assert not res.roster.empty
    assert rule_violations(res.roster, agents, config, START, 1) == []


def test_roster_columns_and_local_times(desk):
    _, agents, _, res, _ = desk
    r = res.roster
    assert list(r.columns) == ["agent_id", "name", "timezone", "shift_date", "start_utc",
                               "end_utc", "start_local", "end_local", "paid_hours", "template"]
    for row in r.itertuples(index=False):
        local = pd.Timestamp(row.start_local)
        assert local == row.start_utc
        assert local.utcoffset() == row.start_utc.tz_convert(row.timezone).utcoffset()
        assert row.shift_date == local.date().isoformat()


def test_skills_respected(desk):
    config, agents, _, res, _ = desk
    assert skill_violations(res.activities, agents, config) == []
    vip_work = res.activities[res.activities["channel"] == "vip_chat"]
    assert set(vip_work["agent_id"]) <= {"VIP"}


def test_staffed_recomputes_from_activities(desk):
    _, _, req, res, _ = desk
    times = pd.DatetimeIndex(sorted(req["interval_start"].unique()))
    again = recompute_staffed(res.activities, times)
    got = {(r.interval_start, r.channel, r.language): r.scheduled_agents
           for r in res.staffed.itertuples(index=False)}
    for key, heads in again.items():
        assert got[key] == pytest.approx(heads)
    assert sum(got.values()) == pytest.approx(sum(again.values()))
    assert len(res.staffed) == len(req)


def test_activities_tile_each_shift_once(desk):
    """Each agent is in one place at a time and every shift minute is accounted for."""
    _, _, _, res, _ = desk
    acts = res.activities.sort_values(["agent_id", "start_utc"])
    for _, mine in acts.groupby("agent_id"):
        assert (mine["start_utc"].to_numpy()[1:] >= mine["end_utc"].to_numpy()[:-1]).all()
    total = (acts["end_utc"] - acts["start_utc"]).sum()
    assert total == (res.roster["end_utc"] - res.roster["start_utc"]).sum()


def test_breaks_in_windows_and_capped(desk):
    config, agents, _, res, _ = desk
    tpl = {t.name: t for t in config.shifts.templates}
    acts = res.activities
    for row in res.roster.itertuples(index=False):
        mine = acts[(acts["agent_id"] == row.agent_id) & (acts["start_utc"] >= row.start_utc)
                    & (acts["end_utc"] <= row.end_utc) & (acts["activity"] != "work")]
        rules = tpl[row.template].breaks
        assert len(mine) == len(rules)
        for b, (_, seg) in zip(rules, mine.sort_values("start_utc").iterrows(), strict=True):
            off = (seg["start_utc"] - row.start_utc) / pd.Timedelta(minutes=1)
            assert b.window_start_min <= off <= b.window_end_min
            assert seg["activity"] == b.name
            assert seg["end_utc"] - seg["start_utc"] == pd.Timedelta(minutes=b.duration_min)
    # cap: per skill set and minute, on break <= max(1, floor(share * on duty))
    skills = {a.agent_id: (a.languages, a.channels, a.vip) for a in agents.itertuples()}
    minutes = pd.date_range(res.roster["start_utc"].min(), res.roster["end_utc"].max(),
                            freq="15min")
    for key in set(skills.values()):
        ids = [k for k, v in skills.items() if v == key]
        shifts = res.roster[res.roster["agent_id"].isin(ids)]
        brk = acts[acts["agent_id"].isin(ids) & (acts["activity"] != "work")]
        for m in minutes:
            duty = ((shifts["start_utc"] <= m) & (shifts["end_utc"] > m)).sum()
            off = ((brk["start_utc"] <= m) & (brk["end_utc"] > m)).sum()
            cap = max(1, int(np.floor(config.shifts.max_on_break_share * duty)))
            assert off <= cap or any(p.startswith("break_cap") for p in res.penalties["name"])


def test_unmet_and_penalties_explain_themselves(desk):
    _, _, _, res, _ = desk
    names = set(res.penalties["name"])
    for r in res.unmet.itertuples(index=False):
        assert r.shortfall == pytest.approx(r.required_scheduled - r.scheduled_agents)
        assert f"understaffed({r.channel}/{r.language}, {r.interval_start:%Y-%m-%dT%H:%MZ})" \
            in names
    assert (res.penalties["cost"] > 0).all()
    assert set(res.penalties["kind"]) <= {"understaffed", "overstaffed", "fairness", "break_cap"}


def test_same_seed_same_schedule():
    config = small_config(step=240)
    agents = pd.DataFrame([agent("A", ("en",), ("chat",), lo=8, hi=8),
                           agent("B", ("en",), ("chat",), lo=8, hi=8)])
    req = requirements({("chat", "en"): 1.0}, days=7, hours=(8, 16))
    runs = [build_schedule(req, agents, config, start=START, time_limit_s=20, seed=5,
                           workers=1) for _ in range(2)]
    assert runs[0].status == "optimal" and runs[0].gap == 0.0
    pd.testing.assert_frame_equal(runs[0].roster, runs[1].roster)
    pd.testing.assert_frame_equal(runs[0].activities, runs[1].activities)


def test_bad_arguments_are_named():
    config = small_config()
    agents = pd.DataFrame([agent("A", ("en",), ("chat",))])
    req = requirements({("chat", "en"): 1.0}, days=7)
    with pytest.raises(ValueError, match="weeks must be a positive integer, got 0"):
        build_schedule(req, agents, config, start=START, weeks=0)
    with pytest.raises(ValueError, match="'voice' is not a channel"):
        build_schedule(req.assign(channel="voice"), agents, config, start=START)
    with pytest.raises(ValueError, match="'Mars/Base' is not an IANA"):
        build_schedule(req, agents.assign(timezone="Mars/Base"), config, start=START)


@given(st.floats(0.1, 50), st.floats(0.5, 8))
def test_shortfall_cost_is_convex_and_increasing(required, priority):
    short = np.linspace(0, required, 41)
    cost = shortfall_cost(short, np.full_like(short, required), priority)
    assert cost[0] == 0
    assert (np.diff(cost) >= -1e-9).all()
    assert (np.diff(cost, 2) >= -1e-7).all()
