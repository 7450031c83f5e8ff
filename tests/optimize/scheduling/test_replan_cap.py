"""Re-planning keeps the cap on breaks at once for shifts that have not started (issue 5).

A hand-made published Wednesday, every agent on chat/en (UTC). The cap is
``max(1, floor(0.25 x on duty))`` = 1 head on break at any minute (at most 3 on duty).

- A works 08:00-17:00 (``full_9h``: a 15-min break starting 90-150 min in, a 60-min meal
  starting 210-300 min in): break 09:30-09:45, meal 13:00-14:00.
- B works 08:00-17:00 (``full_9h``): break 09:30-09:45 (with A's: 15 minutes over the cap,
  history), meal 11:30-12:30.
- C works 13:00-17:00 (``part_4h`` here: one 15-min break starting 30-60 min in): break
  14:00-14:15.

At asof 12:50 A's meal has not begun, but 13:00 is the last start in its window: it stays
at 13:00-14:00. The new requirement is 2 heads 08:00-11:30, none 11:30-13:00 and 3 heads
13:00-17:00, so the shifts do not change. ``build_schedule`` places the breaks itself: not
knowing A's meal is at 13:00 (it puts it in the 11:30 lull), it puts C's break at the
earliest start, 13:30, on top of A's meal. C's break must go to 14:00, the only start in
its window clear of A's meal.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from test_schedule_support import START, agent, check_one_shift_replan

from optimize.scenario.config import parse_config
from optimize.scheduling.replan.rest_of_week import replan

ASOF = pd.Timestamp("2026-12-02T12:50Z")
DAY = "2026-12-02"
SHARE = 0.25


def _ts(hhmm: str) -> pd.Timestamp:
    return pd.Timestamp(f"{DAY}T{hhmm}Z")


def _config() -> object:
    brk = {"name": "break", "duration_min": 15}
    return parse_config({
        "channels": {"vip_chat": {"priority": 8.0, "vip": True}, "chat": {"priority": 4.0},
                     "email": {"kind": "deferred", "priority": 1.0}},
        "shifts": {"start_step_min": 60, "max_on_break_share": SHARE, "templates": [
            {"name": "full_9h", "length_h": 9, "breaks": [
                {**brk, "window_start_min": 90, "window_end_min": 150},
                {"name": "meal", "duration_min": 60, "window_start_min": 210,
                 "window_end_min": 300, "paid": False}]},
            {"name": "part_4h", "length_h": 4, "breaks": [
                {**brk, "window_start_min": 30, "window_end_min": 60}]}]},
        "labour": {"min_rest_h": 11, "max_consecutive_days": 5, "min_days_off_per_week": 2,
                   "max_nights_per_week": 3}})


def _shift(aid: str, start: str, end: str, breaks: list[tuple[str, str, str]]) -> list[dict]:
    """Activities of one shift: work on chat/en around the given (name, start, end) breaks."""
    rows, at = [], _ts(start)
    for name, lo, hi in breaks:
        rows += [dict(agent_id=aid, start_utc=at, end_utc=_ts(lo), activity="work",
                      channel="chat", language="en"),
                 dict(agent_id=aid, start_utc=_ts(lo), end_utc=_ts(hi), activity=name,
                      channel="", language="")]
        at = _ts(hi)
    return rows + [dict(agent_id=aid, start_utc=at, end_utc=_ts(end), activity="work",
                        channel="chat", language="en")]


@pytest.fixture(scope="module")
def case():
    agents = pd.DataFrame([agent(a, ("en",), ("chat",), lo=0, hi=40) for a in "ABC"])
    shifts = {"A": ("08:00", "17:00", "full_9h", 8.0),
              "B": ("08:00", "17:00", "full_9h", 8.0),
              "C": ("13:00", "17:00", "part_4h", 4.0)}
    roster = pd.DataFrame([
        dict(agent_id=a, name=f"Agent {a}", timezone="UTC", shift_date=DAY, start_utc=_ts(s),
             end_utc=_ts(e), start_local=f"{DAY}T{s}:00+00:00", end_local=f"{DAY}T{e}:00+00:00",
             paid_hours=h, template=t) for a, (s, e, t, h) in shifts.items()])
    acts = pd.DataFrame(
        _shift("A", "08:00", "17:00", [("break", "09:30", "09:45"), ("meal", "13:00", "14:00")])
        + _shift("B", "08:00", "17:00", [("break", "09:30", "09:45"), ("meal", "11:30", "12:30")])
        + _shift("C", "13:00", "17:00", [("break", "14:00", "14:15")]))
    times = pd.date_range(pd.Timestamp(START, tz="UTC"), periods=7 * 48, freq="30min")
    heads = np.select([(times >= _ts("08:00")) & (times < _ts("11:30")),
                       (times >= _ts("13:00")) & (times < _ts("17:00"))], [2.0, 3.0], 0.0)
    req = pd.DataFrame({"interval_start": times, "channel": "chat", "language": "en",
                        "required_scheduled": heads})
    res = replan(roster, acts, req, agents, _config(), start=START, weeks=1, asof=ASOF,
                 time_limit_s=3.0, seed=1)
    return req, res


def _breaks(acts: pd.DataFrame, aid: str) -> list[tuple]:
    mine = acts[(acts["agent_id"] == aid) & (acts["activity"] != "work")]
    return [(r.activity, f"{r.start_utc:%H:%M}", f"{r.end_utc:%H:%M}")
            for r in mine.sort_values("start_utc").itertuples(index=False)]


def _over_cap(res) -> pd.Series:
    """Heads on break beyond the cap per minute of Wednesday, counted minute by minute."""
    minutes = pd.date_range(_ts("00:00"), periods=1440, freq="1min")
    acts, roster = res.schedule.activities, res.schedule.roster
    out = []
    for m in minutes:
        duty = ((roster["start_utc"] <= m) & (roster["end_utc"] > m)).sum()
        off = ((acts["activity"] != "work") & (acts["start_utc"] <= m)
               & (acts["end_utc"] > m)).sum()
        out.append(max(0, off - max(1, int(np.floor(SHARE * duty)))))
    return pd.Series(out, index=minutes)


def test_a_break_of_a_shift_not_yet_started_keeps_the_cap(case):
    _, res = case
    assert res.schedule.status in ("optimal", "feasible")
    assert res.changes.empty  # the shifts themselves do not change
    acts = res.schedule.activities
    assert _breaks(acts, "A") == [("break", "09:30", "09:45"), ("meal", "13:00", "14:00")]
    assert _breaks(acts, "B") == [("break", "09:30", "09:45"), ("meal", "11:30", "12:30")]
    assert _breaks(acts, "C") == [("break", "14:00", "14:15")]
    over = _over_cap(res)
    assert over[over.index >= ASOF].sum() == 0
    assert over[over.index < ASOF].sum() == 15  # A's and B's breaks at 09:30: history


def test_coverage_recomputes_from_the_final_activities(case):
    req, res = case
    staffed = check_one_shift_replan(res.schedule, req, "ABC")
    assert staffed[(_ts("14:00"), "chat", "en")] == pytest.approx(2.5)  # C's break 14:00-14:15
    assert staffed[(_ts("13:30"), "chat", "en")] == pytest.approx(2.0)  # A's meal
    short = np.clip(req["required_scheduled"].to_numpy()
                    - np.array([staffed.get((t, "chat", "en"), 0.0)
                                for t in req["interval_start"]]), 0, None)
    after = (req["interval_start"] >= ASOF).to_numpy()
    # 13:00-14:00 A's meal (1 head x 2 intervals), 14:00-14:30 C's break (0.5)
    assert short[after].sum() == pytest.approx(2.5)
    assert res.unmet_after == pytest.approx(2.5)


def test_break_cap_penalties_are_recounted_from_the_final_activities(case):
    _, res = case
    pen = res.schedule.penalties
    cap = pen[pen["kind"] == "break_cap"]
    # one row per break over the cap: the later one (by start, then agent) of A's and B's
    assert list(zip(cap["name"], cap["cost"], strict=True)) == [
        ("break_cap(agent B, 2026-12-02T09:30Z, 15 min over)", 1.0)]
    minutes = sum(int(re.search(r"(\d+) min over", n).group(1)) for n in cap["name"])
    assert minutes == _over_cap(res).sum() == 15


def test_staffing_penalties_are_recounted_from_the_final_activities(case):
    _, res = case
    pen = res.schedule.penalties
    short = pen[pen["kind"] == "understaffed"]
    # requirement shape (no queueing columns), chat priority 4, slopes 1, 2, 4 from 0, 15%
    # and 35% of the requirement short:
    # 09:30 1 of 2 heads (A's and B's breaks, half an interval each): 4 x (1 + 0.7 + 0.6)
    # 13:00 and 13:30 2 of 3 (A's meal): 4 x (1 + 0.55) = 6.2; 14:00 2.5 of 3: 4 x 0.55 = 2.2
    assert sorted(zip(short["name"], short["cost"].round(6), strict=True)) == [
        ("understaffed(chat/en, 2026-12-02T09:30Z)", 9.2),
        ("understaffed(chat/en, 2026-12-02T13:00Z)", 6.2),
        ("understaffed(chat/en, 2026-12-02T13:30Z)", 6.2),
        ("understaffed(chat/en, 2026-12-02T14:00Z)", 2.2)]
    over = pen[pen["kind"] == "overstaffed"]  # 0.1 per head beyond the requirement of 0
    assert sorted(zip(over["name"], over["cost"].round(6), strict=True)) == [
        ("overstaffed(chat/en, 2026-12-02T11:30Z)", 0.1),  # A (B at meal)
        ("overstaffed(chat/en, 2026-12-02T12:00Z)", 0.1),
        ("overstaffed(chat/en, 2026-12-02T12:30Z)", 0.2)]  # A and B
