"""Re-planning during a surge (issue 5): started shifts stay, the rest is re-optimised
within the rules, and every change is reported.

The published roster is hand-made (forced through ``build_schedule``'s ``shift_terms`` hard
sets, which also tests that mechanism), so that the test knows who may be extended or
called in: PT works 4-hour shifts and has room in its contract, OFF has days off, MAX is at
its contract maximum and UNAV is on leave on the surge day.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from test_schedule_support import (
    START,
    agent,
    recompute_staffed,
    requirements,
    rule_violations,
    skill_violations,
    small_config,
)

from optimize.cli import main
from optimize.scheduling import build_schedule
from optimize.scheduling.problem.choices import ShiftSet, ShiftTerms
from optimize.scheduling.replan.rest_of_week import CHANGE_COLUMNS, ReplanCosts, replan

ASOF = pd.Timestamp("2026-12-02T12:00Z")  # Wednesday noon
WED = dt.date(2026, 12, 2)
PUBLISHED = [  # agent, UTC start, template
    *[("PT", f"2026-12-0{d}T10:00Z" if d else "2026-11-30T10:00Z", "part_4h") for d in range(5)],
    *[("MAX", f"2026-12-0{d}T08:00Z" if d else "2026-11-30T08:00Z", "full_9h") for d in range(4)],
    ("OFF", "2026-11-30T12:00Z", "full_9h"), ("OFF", "2026-12-01T12:00Z", "full_9h"),
    ("UNAV", "2026-11-30T06:00Z", "full_9h"), ("UNAV", "2026-12-01T06:00Z", "full_9h"),
]


def forced(shifts: list[tuple[str, str, str]]):
    """shift_terms that make exactly ``shifts`` the schedule."""
    def terms(cand: pd.DataFrame, agents: pd.DataFrame) -> ShiftTerms:
        names = {t.name: k for k, t in enumerate(small_config().shifts.templates)}
        ids = agents["agent_id"].to_numpy()[cand["agent"].to_numpy()]
        sets = []
        for aid, ts, tpl in shifts:
            rows = np.flatnonzero((ids == aid) & (cand["start_utc"] == pd.Timestamp(ts))
                                  & (cand["template"] == names[tpl]))
            assert len(rows) == 1
            sets.append(ShiftSet(rows, None, f"published({aid}, {ts})"))
        keep = np.concatenate([s.rows for s in sets])
        drop = np.ones(len(cand), dtype=bool)
        drop[keep] = False
        return ShiftTerms(cost=np.zeros(len(cand)), drop=drop, sets=tuple(sets))
    return terms


@pytest.fixture(scope="module")
def desk():
    config = small_config()
    agents = pd.DataFrame([
        agent("PT", ("en",), ("chat",), lo=16, hi=40),
        agent("MAX", ("en",), ("chat",), lo=32, hi=32),
        agent("OFF", ("en",), ("chat",), "Europe/London", lo=16, hi=40),
        agent("UNAV", ("en",), ("chat",), lo=16, hi=40, unavailable=(WED,)),
    ])
    req = requirements({("chat", "en"): 1.0})
    pub = build_schedule(req, agents, config, start=START, time_limit_s=4.0, seed=1,
                         shift_terms=forced(PUBLISHED))
    surge = req.copy()
    hot = ((surge["interval_start"] >= ASOF)
           & (surge["interval_start"] < ASOF + pd.Timedelta(days=1, hours=10)))
    surge.loc[hot, "required_scheduled"] *= 3.0
    return config, agents, pub, surge


@pytest.fixture(scope="module")
def surged(desk):
    config, agents, pub, surge = desk
    return replan(pub.roster, pub.activities, surge, agents, config, start=START, weeks=1,
                  asof=ASOF, time_limit_s=4.0, seed=1)


def test_hard_sets_force_the_published_roster(desk):
    _, agents, pub, _ = desk
    assert pub.status in ("optimal", "feasible")
    got = sorted(zip(pub.roster["agent_id"], pub.roster["start_utc"], pub.roster["template"],
                     strict=True))
    want = sorted((a, pd.Timestamp(t), k) for a, t, k in PUBLISHED)
    assert got == want


def test_started_shifts_keep_start_and_end(desk, surged):
    _, _, pub, _ = desk
    new = surged.schedule.roster.set_index(["agent_id", "start_utc"])
    extended = set(surged.changes.loc[surged.changes["kind"] == "extended", "agent_id"])
    started = pub.roster[pub.roster["start_utc"] < ASOF]
    assert len(started) == 10
    for r in started.itertuples(index=False):
        row = new.loc[(r.agent_id, r.start_utc)]
        if r.agent_id not in extended or r.shift_date != WED.isoformat():
            assert row["end_utc"] == r.end_utc and row["template"] == r.template
    # PT's Wednesday 4-hour shift (10:00-14:00) is extended to 9 hours in the surge
    pt = new.loc[("PT", pd.Timestamp("2026-12-02T10:00Z"))]
    assert pt["template"] == "full_9h" and pt["end_utc"] == pd.Timestamp("2026-12-02T19:00Z")
    assert "PT" in extended


def test_no_hard_rule_broken_over_the_week(desk, surged):
    config, agents, _, _ = desk
    assert surged.schedule.status in ("optimal", "feasible")
    assert rule_violations(surged.schedule.roster, agents, config, START, 1) == []
    assert skill_violations(surged.schedule.activities, agents, config) == []


def _short_after(activities: pd.DataFrame, surge: pd.DataFrame) -> float:
    times = pd.DatetimeIndex(surge["interval_start"].unique()).sort_values()
    staffed = recompute_staffed(activities, times)
    req = surge[surge["interval_start"] >= ASOF]
    have = [staffed.get((t, c, lang), 0.0) for t, c, lang in
            zip(req["interval_start"], req["channel"], req["language"], strict=True)]
    return float(np.clip(req["required_scheduled"].to_numpy() - np.array(have), 0, None).sum())


def test_coverage_after_asof_improves(desk, surged):
    _, _, pub, surge = desk
    before, after = _short_after(pub.activities, surge), _short_after(
        surged.schedule.activities, surge)
    assert after < before - 10  # at least 10 head-intervals better against the surge
    assert surged.unmet_before == pytest.approx(before)
    assert surged.unmet_after == pytest.approx(after)
    assert "unmet head-intervals after asof" in surged.summary


def test_history_before_asof_is_the_published_activities(desk, surged):
    _, _, pub, _ = desk

    def past(acts: pd.DataFrame) -> pd.DataFrame:
        a = acts[acts["start_utc"] < ASOF].copy()
        a["end_utc"] = a["end_utc"].clip(upper=ASOF)
        return a.sort_values(["agent_id", "start_utc"]).reset_index(drop=True)

    pd.testing.assert_frame_equal(past(surged.schedule.activities), past(pub.activities),
                                  check_dtype=False)
    # a break published for a started shift that began before asof is still there whole;
    # the others start at or after asof inside their template windows, in template order
    config = desk[0]
    windows = {t.name: [(b.name, b.window_start_min, b.window_end_min) for b in t.breaks]
               for t in config.shifts.templates}
    new = surged.schedule.roster.set_index(["agent_id", "start_utc"])
    started = pub.roster[pub.roster["start_utc"] < ASOF]
    n_open = 0
    for r in started.itertuples(index=False):
        end = new.loc[(r.agent_id, r.start_utc), "end_utc"]  # an extension ends later
        mine = [a.loc[(a["agent_id"] == r.agent_id) & (a["activity"] != "work")
                      & (a["start_utc"] >= r.start_utc) & (a["start_utc"] < end),
                      ["start_utc", "end_utc", "activity"]]
                for a in (pub.activities, surged.schedule.activities)]
        begun = mine[0][mine[0]["start_utc"] < ASOF]
        assert set(begun.itertuples(index=False)) <= set(mine[1].itertuples(index=False))
        rules = windows[new.loc[(r.agent_id, r.start_utc), "template"]]
        assert len(mine[1]) == len(rules)
        for (name, lo, hi), b in zip(rules, mine[1].itertuples(index=False), strict=True):
            if b.start_utc >= ASOF:
                n_open += 1
                offset = (b.start_utc - r.start_utc) / pd.Timedelta(minutes=1)
                assert b.activity == name and lo <= offset <= hi and offset % 15 == 0
    assert n_open >= 2  # the case is exercised


def test_activities_tile_every_new_shift(surged):
    acts = surged.schedule.activities.sort_values(["agent_id", "start_utc"])
    for r in surged.schedule.roster.itertuples(index=False):
        mine = acts[(acts["agent_id"] == r.agent_id) & (acts["start_utc"] >= r.start_utc)
                    & (acts["start_utc"] < r.end_utc)]
        assert mine["start_utc"].iloc[0] == r.start_utc and mine["end_utc"].iloc[-1] == r.end_utc
        assert (mine["start_utc"].iloc[1:].to_numpy() == mine["end_utc"].iloc[:-1].to_numpy()).all()
        breaks = mine[mine["activity"] != "work"]["activity"].tolist()
        assert breaks == (["break", "meal"] if r.template == "full_9h" else ["break"])


def test_changes_list_exactly_the_agents_whose_shifts_differ(desk, surged):
    _, _, pub, _ = desk

    def shifts(r: pd.DataFrame) -> dict:
        return {a: set(zip(g["start_utc"], g["end_utc"], strict=True))
                for a, g in r.groupby("agent_id")}

    before, after = shifts(pub.roster), shifts(surged.schedule.roster)
    differ = {a for a in set(before) | set(after) if before.get(a) != after.get(a)}
    assert differ
    assert set(surged.changes["agent_id"]) == differ
    assert list(surged.changes.columns) == list(CHANGE_COLUMNS)
    assert set(surged.changes["kind"]) <= {"extended", "moved", "called in", "cancelled"}
    named = surged.schedule.penalties[surged.schedule.penalties["kind"] == "change"]
    assert len(named) == len(surged.changes)
    assert named["cost"].sum() == pytest.approx(surged.changes["cost"].sum())
    assert surged.schedule.objective >= named["cost"].sum()


def test_call_in_only_where_rules_and_contracts_allow(desk, surged):
    _, _, pub, _ = desk
    ch, new = surged.changes, surged.schedule.roster
    assert "called in" in set(ch["kind"])  # the surge justifies calling someone in
    # MAX is at its contract maximum: never extended, and any hour it is called in for is
    # an hour taken off another of its shifts (its week stays at 32 paid hours)
    assert not ((ch["agent_id"] == "MAX") & (ch["kind"] == "extended")).any()
    assert new.loc[new["agent_id"] == "MAX", "paid_hours"].sum() == pytest.approx(32.0)
    assert not (new["agent_id"].eq("UNAV") & new["shift_date"].eq(WED.isoformat())).any()
    called = ch[ch["kind"] == "called in"]
    assert not called["shift_date"].isin(["2026-11-30", "2026-12-01"]).any()  # the past


def test_keep_today_fixes_every_shift_published_today(desk):
    config, agents, pub, surge = desk
    res = replan(pub.roster, pub.activities, surge, agents, config, start=START, weeks=1,
                 asof=ASOF, keep_today=True, time_limit_s=4.0, seed=1)
    assert rule_violations(res.schedule.roster, agents, config, START, 1) == []
    today = res.changes[res.changes["shift_date"] == WED.isoformat()]
    assert set(today["kind"]) <= {"extended"}
    new = res.schedule.roster
    wed = new[new["shift_date"] == WED.isoformat()]
    pub_wed = pub.roster[pub.roster["shift_date"] == WED.isoformat()]
    assert list(wed["start_utc"]) == list(pub_wed["start_utc"])  # nobody called in today
    assert res.unmet_after < res.unmet_before  # Thursday is still re-planned


def test_asof_outside_the_week_is_refused(desk):
    config, agents, pub, surge = desk
    with pytest.raises(ValueError, match=r"asof 2026-12-09T00:00Z is outside the roster's weeks"):
        replan(pub.roster, pub.activities, surge, agents, config, start=START, weeks=1,
               asof=pd.Timestamp("2026-12-09T00:00Z"))


# ----------------------------------------------------------------- the generic mechanism

def test_shift_costs_are_named_and_counted_in_the_objective():
    config = small_config()
    agents = pd.DataFrame([agent("A", ("en",), ("chat",), lo=16, hi=40),
                           agent("B", ("en",), ("chat",), lo=16, hi=40)])
    req = requirements({("chat", "en"): 1.0})

    def prefer_b(cand: pd.DataFrame, agents: pd.DataFrame) -> ShiftTerms:
        cost = np.where(cand["agent"].to_numpy() == 0, 0.5, 0.0)
        return ShiftTerms(cost=cost, drop=np.zeros(len(cand), dtype=bool), kind="preference")

    res = build_schedule(req, agents, config, start=START, time_limit_s=3.0, seed=1,
                         shift_terms=prefer_b)
    named = res.penalties[res.penalties["kind"] == "preference"]
    n_a = int((res.roster["agent_id"] == "A").sum())
    assert n_a >= 2 and len(named) == n_a  # A still meets its contract minimum
    assert named["cost"].tolist() == [0.5] * n_a
    assert named["name"].str.startswith("preference(agent A, 2026-").all()
    assert res.best_bound <= res.objective + 1e-6
    assert res.objective >= 0.5 * n_a


def test_a_fixed_shift_that_breaks_a_rule_is_named():
    config = small_config()
    agents = pd.DataFrame([agent("A", ("en",), ("chat",), lo=8, hi=40)])
    req = requirements({("chat", "en"): 1.0})
    res = build_schedule(req, agents, config, start=START, time_limit_s=3.0, shift_terms=forced(
        [("A", "2026-11-30T06:00Z", "full_9h"), ("A", "2026-12-01T00:00Z", "full_9h")]))
    assert res.status == "infeasible" and res.roster.empty
    assert "min_rest" in res.conflicts[0] and "must_work" in res.conflicts[0]


def test_shift_terms_are_checked():
    config = small_config()
    agents = pd.DataFrame([agent("A", ("en",), ("chat",))])
    req = requirements({("chat", "en"): 1.0})

    def negative(cand: pd.DataFrame, agents: pd.DataFrame) -> ShiftTerms:
        return ShiftTerms(cost=-np.ones(len(cand)), drop=np.zeros(len(cand), dtype=bool))

    with pytest.raises(ValueError, match=r"cost must be finite and >= 0, got -1.0"):
        build_schedule(req, agents, config, start=START, shift_terms=negative)


# ----------------------------------------------------------------- the command line

def _scenario(tmp_path, sample_dir):
    """A 5-agent English desk with the sample's scenario.toml and two days of history."""
    scen = tmp_path / "scen"
    scen.mkdir()
    (scen / "scenario.toml").write_text((sample_dir / "scenario.toml").read_text())
    (scen / "agents.csv").write_text(
        "agent_id,name,languages,channels,timezone,min_hours_week,max_hours_week,unavailable,vip\n"
        "E1,Ann,en,chat;email,UTC,16,40,,false\n"
        "E2,=Bob,en,chat,Europe/London,16,40,,false\n"
        "E3,Cy,en,chat;email,America/New_York,16,40,,false\n"
        "E4,Di,en,chat,UTC,16,24,,false\n"
        "E5,Ed,en,chat;email,Asia/Kolkata,16,40,,false\n")
    hist = pd.date_range("2026-11-28", periods=96, freq="30min", tz="UTC")
    rows = [f"{t.isoformat()},{ch},en,10,300" for t in hist for ch in ("chat", "email")]
    (scen / "contacts.csv").write_text("interval_start,channel,language,contacts,aht_s\n"
                                       + "\n".join(rows) + "\n")
    return scen


def _forecast(surge: float) -> pd.DataFrame:
    times = pd.date_range("2026-11-29", "2026-12-08", freq="30min", tz="UTC", inclusive="left")
    busy = ((times.hour >= 7) & (times.hour < 21)).astype(float)
    hot = (times >= ASOF) & (times < ASOF + pd.Timedelta(hours=20))
    frames = [pd.DataFrame({"interval_start": times, "channel": ch, "language": "en",
                            "contacts": n * busy * np.where(hot, surge, 1.0), "aht_s": 300.0})
              for ch, n in (("chat", 14.0), ("email", 6.0))]
    return pd.concat(frames, ignore_index=True)


def test_cli_replan_end_to_end(tmp_path, sample_dir, capsys, monkeypatch):
    import optimize.scheduling.replan.rest_of_week as replan_module
    from optimize.queueing.requirements import compute_requirements
    from optimize.scenario.load import load_scenario_dir

    calls = []

    def spy(*args, **kwargs):  # the real replan, its keyword arguments recorded
        calls.append(kwargs)
        return replan(*args, **kwargs)

    monkeypatch.setattr(replan_module, "replan", spy)

    scen = _scenario(tmp_path, sample_dir)
    config = load_scenario_dir(scen).config
    req = compute_requirements(_forecast(1.0), config, interval_s=1800)
    req.to_csv(tmp_path / "req.csv", index=False)
    _forecast(2.5).to_csv(tmp_path / "surge.csv", index=False)
    pub, new = tmp_path / "pub", tmp_path / "new"
    assert main(["schedule", "--data", str(scen), "--requirements", str(tmp_path / "req.csv"),
                 "--out", str(pub), "--start", "2026-11-30", "--weeks", "1",
                 "--time-limit", "4"]) == 0
    capsys.readouterr()
    prev = tmp_path / "previous_roster.csv"  # E1 worked last Saturday: nothing to bend
    prev.write_text("agent_id,name,timezone,shift_date,start_utc,end_utc\n"
                    "E1,Ann,UTC,2026-11-28,2026-11-28T08:00:00+00:00,2026-11-28T17:00:00+00:00\n")
    assert main(["replan", "--roster", str(pub), "--asof", "2026-12-02T12:00Z", "--forecast",
                 str(tmp_path / "surge.csv"), "--data", str(scen), "--out", str(new),
                 "--time-limit", "4", "--previous-roster", str(prev), "--cost-moved", "9.5",
                 "--cost-called-in", "20"]) == 0
    assert calls[0]["costs"] == ReplanCosts(moved=9.5, called_in=20.0)
    assert list(calls[0]["previous_roster"]["agent_id"]) == ["E1"]
    assert calls[0]["previous_roster"]["end_utc"].iloc[0] == pd.Timestamp("2026-11-28T17:00Z")
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line.startswith("replan from 2026-12-02T12:00Z: ") and " -> " in line
    for name in ("roster.csv", "activities.csv", "coverage.csv", "roster.ics", "changes.csv",
                 "requirements.csv", "summary.md"):
        assert (new / name).stat().st_size > 0, name
    changes = pd.read_csv(new / "changes.csv", keep_default_na=False)
    assert list(changes.columns) == list(CHANGE_COLUMNS)
    assert len(changes) > 0
    assert set(changes.loc[changes["agent_id"] == "E2", "name"]) <= {"'=Bob"}  # escaped
    before = pd.read_csv(pub / "roster.csv")
    after = pd.read_csv(new / "roster.csv")
    started = before[pd.to_datetime(before["start_utc"], utc=True) < ASOF]
    kept = started.merge(after, on=["agent_id", "start_utc"], suffixes=("", "_new"))
    assert len(kept) == len(started)  # every started shift is still there, same start

    # bad input: one line naming the value, exit 2, the earlier output untouched
    roster_bytes = (new / "roster.csv").read_bytes()
    assert main(["replan", "--roster", str(pub), "--asof", "2026-12-09T00:00Z", "--forecast",
                 str(tmp_path / "surge.csv"), "--data", str(scen), "--out", str(new)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--asof '2026-12-09T00:00Z' is outside the roster's weeks" in err[0]
    assert (new / "roster.csv").read_bytes() == roster_bytes
    prev.write_text("agent_id,shift_date,start_utc,end_utc\n"
                    "E1,2026-11-29,2026-11-29T08:00Z,2026-11-29T17:00Z\n"
                    "E2,2026-11-30,2026-11-30T08:00Z,2026-11-30T17:00Z\n")
    assert main(["replan", "--roster", str(pub), "--asof", "2026-12-02T12:00Z", "--forecast",
                 str(tmp_path / "surge.csv"), "--data", str(scen), "--out", str(new),
                 "--previous-roster", str(prev)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[1:] == ["  previous_roster.csv:3, column 'shift_date', value '2026-11-30': "
                       "expected a local date before the plan start 2026-11-30"]
    assert (new / "roster.csv").read_bytes() == roster_bytes
    assert len(calls) == 1  # both bad runs stopped before re-planning


def test_cli_schedule_carries_rest_from_the_previous_roster(tmp_path, sample_dir, capsys):
    from optimize.queueing.requirements import compute_requirements
    from optimize.scenario.load import load_scenario_dir

    scen = _scenario(tmp_path, sample_dir)
    config = load_scenario_dir(scen).config
    compute_requirements(_forecast(1.0), config, interval_s=1800).to_csv(
        tmp_path / "req.csv", index=False)
    prev = tmp_path / "previous_roster.csv"  # everyone worked until 23:30 UTC on Sunday
    prev.write_text("agent_id,shift_date,start_utc,end_utc\n" + "".join(
        f"E{i},2026-11-29,2026-11-29T14:30Z,2026-11-29T23:30Z\n" for i in range(1, 6)))
    out = tmp_path / "out"
    assert main(["schedule", "--data", str(scen), "--requirements", str(tmp_path / "req.csv"),
                 "--out", str(out), "--start", "2026-11-30", "--weeks", "1",
                 "--time-limit", "4", "--previous-roster", str(prev)]) == 0
    roster = pd.read_csv(out / "roster.csv")
    first = pd.to_datetime(roster["start_utc"], utc=True).min()
    assert first >= pd.Timestamp("2026-11-30T10:30Z")  # 11 h of rest after 23:30
    # a previous roster dated inside the plan is bad input: one line, exit 2, out untouched
    before = (out / "roster.csv").read_bytes()
    prev.write_text("agent_id,shift_date,start_utc,end_utc\n"
                    "E1,2026-11-30,2026-11-30T08:00Z,2026-11-30T17:00Z\n")
    capsys.readouterr()
    assert main(["schedule", "--data", str(scen), "--requirements", str(tmp_path / "req.csv"),
                 "--out", str(out), "--start", "2026-11-30", "--weeks", "1",
                 "--previous-roster", str(prev)]) == 2
    assert "expected a local date before the plan start" in capsys.readouterr().err
    assert (out / "roster.csv").read_bytes() == before
