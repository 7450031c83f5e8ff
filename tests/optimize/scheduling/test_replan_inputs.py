"""Re-planning with the previous week's roster and with costs set by the caller (issue 5).

The desk: M and C (UTC, chat/en) have a published week with M working Monday 12:00-21:00,
Tuesday and Wednesday, and C Tuesday to Thursday (all ``full_9h``, 08:00 on the other
days). Re-planned from Monday 00:00, a surge at 06:00-10:00 on Monday pulls M's Monday
shift early (a move) and calls C in. But in the previous week C worked Sunday until
23:00 and M until 02:00 on Monday: with 11 h of rest, neither may start before 10:00
(C) or 13:00 (M) on Monday, and M's published Monday shift is itself now illegal.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
from test_schedule_support import START, agent, rule_violations, small_config

from optimize.cli import main
from optimize.cli.replan import COST_FLAGS
from optimize.scheduling.replan.rest_of_week import ReplanCosts, replan

MONDAY = pd.Timestamp("2026-11-30T00:00Z")
PUBLISHED = [("M", "2026-11-30T12:00Z"), ("M", "2026-12-01T08:00Z"), ("M", "2026-12-02T08:00Z"),
             ("C", "2026-12-01T08:00Z"), ("C", "2026-12-02T08:00Z"), ("C", "2026-12-03T08:00Z")]
PREVIOUS = pd.DataFrame({  # roster.csv rows of the week before
    "agent_id": ["C", "M", "X"], "shift_date": ["2026-11-29", "2026-11-29", "2026-11-29"],
    "start_utc": pd.to_datetime(["2026-11-29T14:00Z", "2026-11-29T17:00Z", "2026-11-29T08:00Z"]),
    "end_utc": pd.to_datetime(["2026-11-29T23:00Z", "2026-11-30T02:00Z", "2026-11-29T17:00Z"]),
})  # X has left the desk: ignored
REST = pd.Timedelta(hours=11)


def _published() -> tuple[pd.DataFrame, pd.DataFrame]:
    starts = [pd.Timestamp(s) for _, s in PUBLISHED]
    roster = pd.DataFrame({
        "agent_id": [a for a, _ in PUBLISHED], "name": [f"Agent {a}" for a, _ in PUBLISHED],
        "timezone": "UTC", "shift_date": [f"{s:%Y-%m-%d}" for s in starts],
        "start_utc": starts, "end_utc": [s + pd.Timedelta(hours=9) for s in starts],
        "start_local": [s.isoformat() for s in starts],
        "end_local": [(s + pd.Timedelta(hours=9)).isoformat() for s in starts],
        "paid_hours": 8.0, "template": "full_9h"})
    acts = pd.DataFrame({"agent_id": roster["agent_id"], "start_utc": roster["start_utc"],
                         "end_utc": roster["end_utc"], "activity": "work", "channel": "chat",
                         "language": "en"})
    return roster, acts


@pytest.fixture(scope="module")
def desk():
    config = small_config()
    agents = pd.DataFrame([agent("M", ("en",), ("chat",), lo=16, hi=40),
                           agent("C", ("en",), ("chat",), lo=16, hi=40)])
    times = pd.date_range(MONDAY, periods=7 * 48, freq="30min")
    surge = (times >= MONDAY + pd.Timedelta(hours=6)) & (times < MONDAY + pd.Timedelta(hours=10))
    later = (times >= MONDAY + pd.Timedelta(days=1)) & (times < MONDAY + pd.Timedelta(days=4))
    day = (times.hour >= 8) & (times.hour < 17)
    req = pd.DataFrame({"interval_start": times, "channel": "chat", "language": "en",
                        "required_scheduled": np.where(surge, 3.0, 0.0) + (later & day)})
    return config, agents, req


def _run(desk, **kw):
    config, agents, req = desk
    roster, acts = _published()
    return replan(roster, acts, req, agents, config, start=START, weeks=1, asof=MONDAY,
                  time_limit_s=3.0, seed=1, **kw)


@pytest.fixture(scope="module")
def default(desk):
    return _run(desk)


def _monday(res) -> pd.DataFrame:
    r = res.schedule.roster
    return r[r["shift_date"] == "2026-11-30"]


def test_without_the_previous_roster_the_surge_pulls_shifts_early(default):
    # (what the previous roster must prevent, so the next test can fail)
    assert default.schedule.status in ("optimal", "feasible")
    early = _monday(default)
    assert set(early["agent_id"]) == {"M", "C"}
    assert (early["start_utc"] < MONDAY + pd.Timedelta(hours=10)).all()
    ch = default.changes[default.changes["shift_date"] == "2026-11-30"]
    assert dict(zip(ch["agent_id"], ch["kind"], strict=True)) == {"M": "moved", "C": "called in"}


def test_rest_carries_over_from_the_previous_roster(desk, caplog):
    config, agents, _ = desk
    with caplog.at_level(logging.WARNING, logger="optimize.scheduling.replan.rest_of_week"):
        res = _run(desk, previous_roster=PREVIOUS)
    assert res.schedule.status in ("optimal", "feasible")
    assert "breaks the rest or consecutive days carried" in caplog.text  # M's Monday 12:00
    last_end = PREVIOUS.groupby("agent_id")["end_utc"].max()
    for r in res.schedule.roster.itertuples(index=False):
        assert r.start_utc >= last_end[r.agent_id] + REST, r
    assert rule_violations(res.schedule.roster, agents, config, START, 1) == []
    # M's published Monday shift had to go (moved to 13:00 or later, or cancelled)
    m = res.changes[(res.changes["agent_id"] == "M") & (res.changes["shift_date"] == "2026-11-30")]
    assert list(m["kind"]) in (["moved"], ["cancelled"])


def test_a_started_shift_that_broke_the_carried_rest_is_history(desk, caplog):
    # at 12:30 M's Monday 12:00 shift has started, 1 h short of its carried rest: nothing
    # can undo that, so M's carry is dropped (with a warning) while C's still holds
    config, agents, req = desk
    roster, acts = _published()
    with caplog.at_level(logging.WARNING, logger="optimize.scheduling.replan.rest_of_week"):
        res = replan(roster, acts, req, agents, config, start=START, weeks=1,
                     asof=pd.Timestamp("2026-11-30T12:30Z"), previous_roster=PREVIOUS,
                     time_limit_s=3.0, seed=1)
    assert res.schedule.status in ("optimal", "feasible")
    assert "previous roster is ignored for them" in caplog.text and "(M)" in caplog.text
    new = res.schedule.roster
    assert ((new["agent_id"] == "M") & (new["start_utc"] == pd.Timestamp("2026-11-30T12:00Z"))).any()
    c = new[new["agent_id"] == "C"]
    assert (c["start_utc"] >= PREVIOUS["end_utc"].iloc[0] + REST).all()


def test_published_weeks_that_break_the_carried_rules_are_found(desk):
    from optimize.scheduling.problem.inputs import check_agents
    from optimize.scheduling.replan.carry import carry_conflicts

    config, agents, _ = desk
    agents = check_agents(agents)
    ns = pd.date_range("2026-11-30T12:00Z", periods=5, freq="D").as_unit("ns").asi8
    pub = pd.DataFrame({"agent": [1] * 5, "day": np.arange(5), "s_ns": ns})  # C: Mon-Fri
    prev = PREVIOUS[PREVIOUS["agent_id"] == "C"]
    assert carry_conflicts(pub, None, agents, config, START) == {}
    assert carry_conflicts(pub, prev, agents, config, START) == {"C": False}  # 1 + 5 in a row
    assert carry_conflicts(pub[1:], prev, agents, config, START) == {}  # Monday off
    early = pub.assign(s_ns=pub["s_ns"] - int(3 * 3600e9))  # Monday 09:00 < 23:00 + 11 h
    assert carry_conflicts(early[:4], prev, agents, config, START) == {"C": False}
    # the breach is history when the shift that makes it has started
    started = pub.assign(fixed=pub["day"] <= 3)
    assert carry_conflicts(started, prev, agents, config, START) == {"C": False}  # Friday's
    assert carry_conflicts(started.assign(fixed=True), prev, agents, config, START) == {"C": True}
    assert carry_conflicts(early[:4].assign(fixed=early["day"] == 0), prev, agents, config,
                           START) == {"C": True}


def test_a_previous_roster_inside_the_plan_week_is_refused(desk):
    late = PREVIOUS.assign(shift_date="2026-11-30")
    with pytest.raises(ValueError, match=r"previous_roster shift_date '2026-11-30' is not "
                                         r"before the plan start 2026-11-30"):
        _run(desk, previous_roster=late)


def test_a_high_cost_of_moving_keeps_every_published_shift_in_place(desk, default):
    assert "moved" in set(default.changes["kind"])  # the default moves M (see above)
    res = _run(desk, costs=ReplanCosts(moved=1e4))
    assert "moved" not in set(res.changes["kind"])
    assert "called in" in set(res.changes["kind"])  # the surge is still answered
    new, (pub, _) = res.schedule.roster, _published()
    assert set(zip(pub["agent_id"], pub["start_utc"], strict=True)) <= set(
        zip(new["agent_id"], new["start_utc"], strict=True))


@pytest.mark.parametrize("field, value", [("moved", -1.0), ("called_in", float("nan")),
                                          ("extended", float("inf")), ("cancelled", "5")])
def test_replan_costs_must_be_finite_and_not_negative(field, value):
    with pytest.raises(ValueError, match=rf"ReplanCosts.{field} must be a finite number >= 0, "
                                         rf"got {value!r}"):
        ReplanCosts(**{field: value})


def test_cli_cost_flags_default_to_replan_costs():
    assert {k: d for k, (_, d) in COST_FLAGS.items()} == vars(ReplanCosts())


@pytest.mark.parametrize("flag, value", [("--cost-moved", "-1"), ("--cost-called-in", "abc"),
                                         ("--cost-extended", "nan")])
def test_cli_refuses_a_bad_cost_in_one_line(tmp_path, capsys, flag, value):
    out = tmp_path / "out"
    out.mkdir()
    (out / "roster.csv").write_text("kept\n")
    code = main(["replan", "--roster", str(tmp_path), "--asof", "2026-12-02T12:00Z",
                 "--forecast", str(tmp_path / "f.csv"), "--data", str(tmp_path),
                 "--out", str(out), flag, value])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err == [f"staffcast: error: {flag} {value!r} must be a number >= 0 (cost units)"]
    assert (out / "roster.csv").read_text() == "kept\n"
