"""Shared fixtures-by-function for the scheduler tests, and independent rule checkers.

The checkers recompute every hard rule from the public outputs (roster, activities) with
plain Python, sharing no code with the scheduler, so that a scheduler bug cannot hide in
both. The tests at the bottom prove the checkers can fail.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from optimize.scenario.config import parse_config

START = dt.date(2026, 11, 30)  # a Monday


def small_config(step: int = 120, **labour) -> object:
    """A scenario with the sample's channels, 2 templates and coarse start steps (fast)."""
    doc = {
        "channels": {
            "vip_chat": {"priority": 8.0, "vip": True},
            "chat": {"priority": 4.0},
            "email": {"kind": "deferred", "priority": 1.0},
        },
        "shifts": {
            "start_step_min": step, "max_on_break_share": 0.25,
            "templates": [
                {"name": "full_9h", "length_h": 9, "breaks": [
                    {"name": "break", "duration_min": 15, "window_start_min": 90,
                     "window_end_min": 150},
                    {"name": "meal", "duration_min": 60, "window_start_min": 210,
                     "window_end_min": 300, "paid": False}]},
                {"name": "part_4h", "length_h": 4, "breaks": [
                    {"name": "break", "duration_min": 15, "window_start_min": 90,
                     "window_end_min": 150}]},
            ],
        },
        "labour": {"min_rest_h": 11, "max_consecutive_days": 5, "min_days_off_per_week": 2,
                   "max_nights_per_week": 3, **labour},
    }
    return parse_config(doc)


def agent(aid: str, langs: tuple, chans: tuple, tz: str = "UTC", lo: float = 16.0,
          hi: float = 40.0, unavailable: tuple = (), vip: bool = False) -> dict:
    return {"agent_id": aid, "name": f"Agent {aid}", "languages": langs, "channels": chans,
            "timezone": tz, "min_hours_week": lo, "max_hours_week": hi,
            "unavailable": unavailable, "vip": vip}


def requirements(queues: dict, start: dt.date = START, days: int = 7,
                 hours: tuple[int, int] = (6, 22)) -> pd.DataFrame:
    """``queues``: (channel, language) -> heads required in UTC ``hours`` each day."""
    times = pd.date_range(pd.Timestamp(start, tz="UTC"), periods=days * 48, freq="30min")
    day_time = (times.hour >= hours[0]) & (times.hour < hours[1])
    rows = [pd.DataFrame({"interval_start": times, "channel": ch, "language": lang,
                          "required_scheduled": heads * day_time})
            for (ch, lang), heads in queues.items()]
    return pd.concat(rows, ignore_index=True)


def solve_desk(agent_rows: list[dict], req: pd.DataFrame, config, *, grid_queues=None,
               cost_of=None) -> dict:
    """Build the full CP-SAT model of a small desk, solve it (30 s), and make its dual.

    ``grid_queues`` overrides the grid and queues made from ``req`` (e.g. with penalty
    curves); ``cost_of(candidates)`` gives a cost per candidate shift. Returns the pieces
    the bound tests need; the caller asserts the status it expects.
    """
    from optimize.scheduling.bound.lagrange import make_dual
    from optimize.scheduling.problem.inputs import (
        check_agents,
        make_grid,
        make_queues,
        skill_groups,
    )
    from optimize.scheduling.problem.rules import carry_from_previous
    from optimize.scheduling.problem.shifts import candidate_shifts
    from optimize.scheduling.solver.model import build_model
    from optimize.scheduling.solver.solve import solve_built

    agents = check_agents(pd.DataFrame(agent_rows))
    if grid_queues is None:
        grid = make_grid(req)
        grid_queues = (grid, make_queues(req, config, grid))
    grid, queues = grid_queues
    groups = skill_groups(agents, queues, config)
    first_day = pd.Timestamp(START)
    cand = candidate_shifts(agents, config, grid, START, 1)
    carries = carry_from_previous(None, agents, first_day)
    cost = None if cost_of is None else cost_of(cand)
    built = build_model(cand, agents, groups, queues, grid, config, carries, 7, first_day,
                        cost=cost)
    solved = solve_built(built, (groups.n, len(queues.channel), grid.n), time_limit_s=30,
                         seed=0, workers=2)
    kept = None if cost is None else cost[~cand["unavailable"].to_numpy()]
    dual = make_dual(built.cand, built.terms, agents, groups, queues, config, carries, 7,
                     cost=kept)
    return dict(config=config, agents=agents, groups=groups, queues=queues, grid=grid,
                built=built, solved=solved, dual=dual, first_day=first_day, cand=cand,
                carries=carries)


def desk_supply(p: dict, worked: np.ndarray) -> np.ndarray:
    """Presence (tenths, groups x intervals) of the chosen candidates of a ``solve_desk``."""
    terms = p["built"].terms
    on = worked[terms["cand"].to_numpy()]
    cap = np.zeros((p["groups"].n, p["grid"].n))
    np.add.at(cap, (terms["g"].to_numpy()[on], terms["t"].to_numpy()[on]),
              terms["tenths"].to_numpy()[on])
    return cap


# ----------------------------------------------------------------- independent checkers

def rule_violations(roster: pd.DataFrame, agents: pd.DataFrame, config, start: dt.date,
                    weeks: int) -> list[str]:
    """Every hard labour rule broken by ``roster``, as readable strings (empty: none)."""
    lab = config.labour
    bad = []
    paid = {t.name: t.paid_h for t in config.shifts.templates}
    length = {t.name: t.length_h for t in config.shifts.templates}
    ns = dt.time.fromisoformat(lab.night_start)
    ne = dt.time.fromisoformat(lab.night_end)
    for a in agents.itertuples(index=False):
        mine = roster[roster["agent_id"] == a.agent_id].sort_values("start_utc")
        tz = ZoneInfo(a.timezone)
        starts = [pd.Timestamp(s).to_pydatetime() for s in mine["start_utc"]]
        ends = [pd.Timestamp(e).to_pydatetime() for e in mine["end_utc"]]
        local_dates = [s.astimezone(tz).date() for s in starts]
        for s, e, tpl, d, ph in zip(starts, ends, mine["template"], local_dates,
                                    mine["paid_hours"], strict=True):
            if (e - s) != dt.timedelta(hours=length[tpl]):
                bad.append(f"{a.agent_id}: shift {s} lasts {e - s}")
            if abs(ph - paid[tpl]) > 1e-9:
                bad.append(f"{a.agent_id}: paid_hours {ph} != {paid[tpl]}")
            loc = s.astimezone(tz)
            if (loc.hour * 60 + loc.minute) % config.shifts.start_step_min:
                bad.append(f"{a.agent_id}: local start {loc} off the start step")
            touched = {d, (e - dt.timedelta(microseconds=1)).astimezone(tz).date()}
            if touched & set(a.unavailable):
                bad.append(f"{a.agent_id}: works on unavailable date {touched}")
        if len(set(local_dates)) != len(local_dates):
            bad.append(f"{a.agent_id}: two shifts on one local day")
        for (e0, s1) in zip(ends[:-1], starts[1:], strict=True):
            if s1 - e0 < dt.timedelta(hours=lab.min_rest_h):
                bad.append(f"{a.agent_id}: rest {s1 - e0} before {s1}")
        worked = set(local_dates)
        for w in range(weeks):
            days = [start + dt.timedelta(days=7 * w + i) for i in range(7)]
            n = sum(d in worked for d in days)
            if 7 - n < lab.min_days_off_per_week:
                bad.append(f"{a.agent_id}: {7 - n} days off in week {w}")
            hours = sum(p for p, d in zip(mine["paid_hours"], local_dates, strict=True)
                        if d in days)
            leave = sum(d in set(a.unavailable) for d in days)  # a leave day counts 1/5
            minimum = max(0.0, a.min_hours_week * (1 - 0.2 * leave))
            if not minimum - 1e-9 <= hours <= a.max_hours_week + 1e-9:
                bad.append(f"{a.agent_id}: {hours} h in week {w}")
            nights = 0
            for s, e, d in zip(starts, ends, local_dates, strict=True):
                if d not in days:
                    continue
                ls, le = s.astimezone(tz).replace(tzinfo=None), e.astimezone(tz).replace(tzinfo=None)
                for off in (-1, 0, 1):
                    base = dt.datetime.combine(ls.date() + dt.timedelta(days=off), ns)
                    stop = dt.datetime.combine(ls.date() + dt.timedelta(days=off + (ne <= ns)), ne)
                    if ls < stop and le > base:
                        nights += 1
                        break
            if nights > lab.max_nights_per_week:
                bad.append(f"{a.agent_id}: {nights} nights in week {w}")
        run, longest = 0, 0
        for i in range(7 * weeks):
            run = run + 1 if start + dt.timedelta(days=i) in worked else 0
            longest = max(longest, run)
        if longest > lab.max_consecutive_days:
            bad.append(f"{a.agent_id}: {longest} consecutive days")
    return bad


def skill_violations(activities: pd.DataFrame, agents: pd.DataFrame, config) -> list[str]:
    """Work segments on a queue the agent may not serve (language, channel, VIP)."""
    by_id = agents.set_index("agent_id")
    bad = []
    for r in activities[activities["activity"] == "work"].itertuples(index=False):
        if not r.channel:
            continue
        a = by_id.loc[r.agent_id]
        ok = (r.channel in a["channels"] and r.language in a["languages"]
              and (a["vip"] or not config.channels[r.channel].vip))
        if not ok:
            bad.append(f"{r.agent_id} works {r.channel}/{r.language}")
    return bad


def recompute_staffed(activities: pd.DataFrame, times: pd.DatetimeIndex) -> dict:
    """(interval_start, channel, language) -> heads working, by explicit overlap sums."""
    out: dict = {}
    step = times[1] - times[0]
    for r in activities[activities["activity"] == "work"].itertuples(index=False):
        if not r.channel:
            continue
        for t in times[(times < r.end_utc) & (times + step > r.start_utc)]:
            ov = min(r.end_utc, t + step) - max(r.start_utc, t)
            key = (t, r.channel, r.language)
            out[key] = out.get(key, 0.0) + ov / step
    return out



def check_one_shift_replan(schedule, req: pd.DataFrame, agent_ids) -> dict:
    """Each listed agent's (single) shift still tiled by its segments, and the schedule's
    ``staffed`` equal to a recount from its activities; returns the recount."""
    acts = schedule.activities
    for aid in agent_ids:
        mine = acts[acts["agent_id"] == aid].sort_values("start_utc")
        assert (mine["start_utc"].iloc[1:].to_numpy() == mine["end_utc"].iloc[:-1].to_numpy()).all()
    staffed = recompute_staffed(acts, pd.DatetimeIndex(req["interval_start"].unique()))
    got = schedule.staffed
    want = [staffed.get((t, c, lang), 0.0) for t, c, lang in
            zip(got["interval_start"], got["channel"], got["language"], strict=True)]
    np.testing.assert_allclose(got["scheduled_agents"].to_numpy(), want)
    return staffed

# ----------------------------------------------------------------- the checkers can fail

def test_rule_checker_flags_a_broken_roster():
    config = small_config()
    agents = pd.DataFrame([agent("A", ("en",), ("chat",), lo=8, hi=16,
                                 unavailable=(dt.date(2026, 12, 2),))])
    t = pd.Timestamp("2026-12-01T08:00Z")
    roster = pd.DataFrame({
        "agent_id": "A", "template": "full_9h", "paid_hours": 8.0,
        "start_utc": [t, t + pd.Timedelta(hours=12), t + pd.Timedelta(hours=30)],
        "end_utc": [t + pd.Timedelta(hours=9), t + pd.Timedelta(hours=21),
                    t + pd.Timedelta(hours=39)],
    })
    bad = "\n".join(rule_violations(roster, agents, config, START, 1))
    assert "rest 3:00:00" in bad
    assert "two shifts on one local day" in bad
    assert "unavailable" in bad
    assert "24.0 h in week 0" in bad


def test_skill_checker_flags_a_wrong_queue():
    config = small_config()
    agents = pd.DataFrame([agent("A", ("en",), ("chat",))])
    acts = pd.DataFrame({"agent_id": ["A", "A"], "activity": "work",
                         "channel": ["vip_chat", "chat"], "language": ["en", "ko"]})
    assert len(skill_violations(acts, agents, config)) == 2

