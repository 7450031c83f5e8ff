"""Re-planning moves the breaks of started shifts that have not begun by asof (issue 5).

A hand-made published Wednesday: A works 06:00-15:00 and B 08:00-17:00 (both ``full_9h``:
a 15-min break starting 90-150 min in, a 60-min meal starting 210-300 min in). At asof
09:40 A's break (07:30) is over and B's (09:30-09:45) is under way: both stay. A's meal
(published 10:00-11:00) and B's meal (12:00-13:00) have not begun. The new requirement is
2 chat/en heads all day except 1 in a lull at 10:30-11:30: A's meal moves into the lull;
B's meal cannot gain anything (2 heads are needed wherever it goes) and stays.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_schedule_support import START, agent, check_one_shift_replan, small_config

from optimize.scheduling.replan.rest_of_week import replan

ASOF = pd.Timestamp("2026-12-02T09:40Z")
DAY = "2026-12-02"


def _ts(hhmm: str) -> pd.Timestamp:
    return pd.Timestamp(f"{DAY}T{hhmm}Z")


def _shift(aid: str, start: str, end: str, breaks: list[tuple[str, str, str]]) -> list[dict]:
    """Activities of one shift: work on chat/en around the given (name, start, end) breaks."""
    rows, at = [], _ts(start)
    for name, lo, hi in breaks:
        rows.append(dict(agent_id=aid, start_utc=at, end_utc=_ts(lo), activity="work",
                         channel="chat", language="en"))
        rows.append(dict(agent_id=aid, start_utc=_ts(lo), end_utc=_ts(hi), activity=name,
                         channel="", language=""))
        at = _ts(hi)
    rows.append(dict(agent_id=aid, start_utc=at, end_utc=_ts(end), activity="work",
                     channel="chat", language="en"))
    return rows


@pytest.fixture(scope="module")
def case():
    config = small_config()
    agents = pd.DataFrame([agent("A", ("en",), ("chat",), lo=0, hi=40),
                           agent("B", ("en",), ("chat",), lo=0, hi=40)])
    roster = pd.DataFrame([
        dict(agent_id=a, name=f"Agent {a}", timezone="UTC", shift_date=DAY, start_utc=_ts(s),
             end_utc=_ts(e), start_local=f"{DAY}T{s}:00+00:00", end_local=f"{DAY}T{e}:00+00:00",
             paid_hours=8.0, template="full_9h")
        for a, s, e in (("A", "06:00", "15:00"), ("B", "08:00", "17:00"))])
    acts = pd.DataFrame(
        _shift("A", "06:00", "15:00", [("break", "07:30", "07:45"), ("meal", "10:00", "11:00")])
        + _shift("B", "08:00", "17:00", [("break", "09:30", "09:45"),
                                         ("meal", "12:00", "13:00")]))
    times = pd.date_range(pd.Timestamp(START, tz="UTC"), periods=7 * 48, freq="30min")
    wed = (times >= _ts("06:00")) & (times < _ts("22:00"))
    lull = (times >= _ts("10:30")) & (times < _ts("11:30"))
    req = pd.DataFrame({"interval_start": times, "channel": "chat", "language": "en",
                        "required_scheduled": np.where(lull, 1.0, 2.0) * wed})
    res = replan(roster, acts, req, agents, config, start=START, weeks=1, asof=ASOF,
                 time_limit_s=3.0, seed=1)
    return acts, req, res


def _breaks(acts: pd.DataFrame, aid: str) -> list[tuple]:
    mine = acts[(acts["agent_id"] == aid) & (acts["activity"] != "work")]
    return [(r.activity, f"{r.start_utc:%H:%M}", f"{r.end_utc:%H:%M}")
            for r in mine.itertuples(index=False)]


def test_an_open_break_moves_to_where_the_queue_can_spare_the_agent(case):
    _, _, res = case
    assert res.schedule.status in ("optimal", "feasible")
    assert res.changes.empty  # the shifts themselves do not change
    acts = res.schedule.activities
    assert _breaks(acts, "A") == [("break", "07:30", "07:45"), ("meal", "10:30", "11:30")]
    # B's break was under way at asof: it stays; B's meal has nowhere better: it stays
    assert _breaks(acts, "B") == [("break", "09:30", "09:45"), ("meal", "12:00", "13:00")]
    # A's meal no longer leaves 10:00-10:30 one head short
    assert res.unmet_after == pytest.approx(res.unmet_before - 1.0)


def test_moved_breaks_keep_the_cap_and_coverage_recomputes_from_activities(case):
    _, req, res = case
    acts = res.schedule.activities
    off = acts[acts["activity"] != "work"]
    for r in off.itertuples(index=False):  # 2 on duty: at most 1 on break at once
        others = off[(off["agent_id"] != r.agent_id) & (off["start_utc"] < r.end_utc)
                     & (off["end_utc"] > r.start_utc)]
        assert others.empty
    staffed = check_one_shift_replan(res.schedule, req, ("A", "B"))
    short = np.clip(req["required_scheduled"].to_numpy()
                    - np.array([staffed.get((t, "chat", "en"), 0.0)
                                for t in req["interval_start"]]), 0, None)
    assert res.unmet_after == pytest.approx(short[req["interval_start"] >= ASOF].sum())



def _move(shifts: dict, asof: str, lull: tuple[str, str]) -> tuple[pd.DataFrame, list]:
    """move_open_breaks on hand-made shifts; chat/en needs 2 heads, none in the lull."""
    from optimize.scheduling.problem.inputs import make_grid, make_queues
    from optimize.scheduling.replan.breaks import move_open_breaks

    config = small_config()
    roster = pd.DataFrame([{"agent_id": a, "start_utc": _ts(s), "end_utc": _ts(e),
                            "template": "full_9h"} for a, (s, e, _) in shifts.items()])
    acts = pd.DataFrame([row for a, (s, e, b) in shifts.items() for row in _shift(a, s, e, b)])
    times = pd.date_range(pd.Timestamp(START, tz="UTC"), periods=7 * 48, freq="30min")
    quiet = (times >= _ts(lull[0])) & (times < _ts(lull[1]))
    req = pd.DataFrame({"interval_start": times, "channel": "chat", "language": "en",
                        "required_scheduled": np.where(quiet, 0.0, 2.0)})
    grid = make_grid(req)
    out, bent = move_open_breaks(acts, roster, _ts(asof), config,
                                 make_queues(req, config, grid), grid, dict.fromkeys(shifts, 0))
    work = out[out["activity"] == "work"]
    assert set(zip(work["channel"], work["language"], strict=True)) == {("chat", "en")}
    for a, (s, e, _) in shifts.items():  # each shift still tiled from start to end
        mine = out[out["agent_id"] == a].sort_values("start_utc")
        assert mine["start_utc"].iloc[0] == _ts(s) and mine["end_utc"].iloc[-1] == _ts(e)
        assert (mine["start_utc"].iloc[1:].to_numpy() == mine["end_utc"].iloc[:-1].to_numpy()).all()
    return out, bent


def test_a_moved_break_keeps_the_cap_on_breaks_at_once():
    # 2 on duty: at most 1 on break. C's meal would go to 11:30 (the lull) but A's begun
    # meal runs until 12:00 there: it goes to 12:00, half in the lull
    shifts = {"A": ("06:00", "15:00", [("break", "07:30", "07:45"), ("meal", "11:00", "12:00")]),
              "C": ("08:00", "17:00", [("break", "09:30", "09:45"), ("meal", "12:30", "13:30")])}
    out, bent = _move(shifts, "11:10", ("11:30", "12:30"))
    assert _breaks(out, "A") == [("break", "07:30", "07:45"), ("meal", "11:00", "12:00")]
    assert _breaks(out, "C") == [("break", "09:30", "09:45"), ("meal", "12:00", "13:00")]
    assert bent == []


def test_a_break_with_no_room_under_the_cap_goes_where_least_short_and_is_reported():
    # every start left for C's break (10:00-10:30) meets A's begun meal (09:45-10:45)
    shifts = {"A": ("06:00", "15:00", [("break", "07:30", "07:45"), ("meal", "09:45", "10:45")]),
              "C": ("08:00", "17:00", [("break", "10:15", "10:30"), ("meal", "12:00", "13:00")])}
    out, bent = _move(shifts, "09:50", ("10:30", "11:00"))
    assert _breaks(out, "C") == [("break", "10:30", "10:45"), ("meal", "12:00", "13:00")]
    # 10:30-10:45 with A's meal: 2 on break, cap 1
    assert bent == [("break_cap(agent C, 2026-12-02T10:30Z, 15 min over)", "break_cap", 1.0)]
