"""Idle heads work the deferred backlog (optimize.scheduling.activities.catchup)."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_schedule_support import START, agent, requirements, small_config

from optimize.scenario.config import load_config
from optimize.scheduling import build_schedule
from optimize.scheduling.activities.assign import allocate_queues, place_breaks, work_minutes
from optimize.scheduling.activities.catchup import backlog_surplus, catch_up
from optimize.scheduling.problem.inputs import check_agents, make_grid, make_queues, skill_groups
from optimize.scheduling.problem.shifts import candidate_shifts
from optimize.scheduling.synthetic import make_agents, make_requirements

ROOT = Path(__file__).resolve().parents[3]

@functools.cache
def _desk():
    """40 generated agents, one week, the sample scenario's channels (email and social
    deferred), and their candidate shifts."""
    config = load_config(ROOT / "optimize" / "scenario" / "sample_scenario.toml")
    agents = check_agents(make_agents(40, seed=1))
    req = make_requirements(agents, START, weeks=1, seed=1)
    grid = make_grid(req)
    queues = make_queues(req, config, grid)
    groups = skill_groups(agents, queues, config)
    return config, grid, queues, groups, candidate_shifts(agents, config, grid, START, 1)


def _staffed(queue_of, shifts, breaks, queues, grid):
    i, t, mins = work_minutes(shifts, breaks, grid)
    q = np.array([queue_of[k] for k in zip(i.tolist(), t.tolist(), strict=True)])
    out = np.zeros((len(queues.channel), grid.n))
    np.add.at(out, (q[q >= 0], t[q >= 0]), mins[q >= 0] / grid.step_min)
    return out


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**31 - 1))
def test_spare_heads_go_to_short_queues_and_never_ahead_of_the_backlog(seed):
    config, grid, queues, groups, cand = _desk()
    rng = np.random.default_rng(seed)
    shifts = cand.iloc[np.sort(rng.choice(len(cand), size=160, replace=False))]
    shifts = shifts.reset_index(drop=True)
    alloc = rng.integers(0, 25, size=(groups.n, len(queues.channel), grid.n))
    breaks, _ = place_breaks(shifts, groups.of_agent, np.zeros((groups.n, grid.n), int),
                             config, grid)
    before = allocate_queues(shifts, breaks, groups, alloc, grid)
    after, moved = catch_up(before, shifts, breaks, groups, queues, config, grid)
    assert after.keys() == before.keys()
    deferred = np.array([config.channels[c].kind == "deferred" for c in queues.channel])
    changed = [k for k in before if after[k] != before[k]]
    agent = shifts["agent"].to_numpy()
    for k in changed:  # only to a queue the agent may serve
        assert after[k] in groups.skills[groups.of_agent[agent[k[0]]]]
    s0 = _staffed(before, shifts, breaks, queues, grid)
    s1 = _staffed(after, shifts, breaks, queues, grid)
    req = queues.required
    lost = s1 < s0 - 1e-9
    assert (s1[lost] >= req[lost] - 1e-9).all()  # no queue is made short
    gained = s1 > s0 + 1e-9
    assert (s0[gained & ~deferred[:, None]] < req[gained & ~deferred[:, None]]).all()
    assert (s1 - s0)[gained].sum() > 0  # the random desks always leave something to move
    # the head-hours reported per queue are the heads gained, interval by interval
    np.testing.assert_allclose(moved, np.clip(s1 - s0, 0, None).sum(axis=1) * grid.step_min / 60)
    # a deferred queue gains heads only while it owes: its backlog carried forward
    # (on the final staffing up to the interval before) plus the interval's shortfall
    owed_before = np.zeros(len(queues.channel))
    for t in range(grid.n):
        owed = owed_before + req[:, t] - s0[:, t]
        gained = s1[:, t] > s0[:, t] + 1e-9
        assert (owed[gained & deferred] > 0).all()
        owed_before = np.where(deferred, np.clip(owed_before + req[:, t] - s1[:, t], 0, None), 0)


def test_catching_up_is_not_over_staffing():
    staffed = np.array([[0.0, 0.0, 3.0, 1.0], [2.0, 0.0, 0.0, 0.0]])
    required = np.array([[1.0, 1.0, 1.0, 1.0], [1.0, 1.0, 0.0, 0.0]])
    # row 0: 2 heads short by t = 1, worked off at t = 2; row 1: 1 over, then short
    assert backlog_surplus(staffed, required).tolist() == [[0, 0, 0, 0], [1, 0, 0, 0]]


def test_an_idle_agent_answers_the_email_chat_kept_it_from():
    """One agent, 8 paid hours, a Monday desk: chat (priority 4) needs a head 08:00-12:00
    and 16:00-17:00 (so one 9-hour shift from 08:00), email one head 08:00-10:00, so the
    email waits; 12:00-16:00 nothing is required, and the agent answers it then instead
    of sitting on chat."""
    agents = pd.DataFrame([agent("A", ("en",), ("chat", "email"), lo=8, hi=8)])
    req = pd.concat([requirements({("chat", "en"): 1.0}, hours=(8, 12)),
                     requirements({("chat", "en"): 1.0}, hours=(16, 17)),
                     requirements({("email", "en"): 1.0}, hours=(8, 10))])
    req = req.groupby(["interval_start", "channel", "language"], as_index=False).sum()
    monday = req["interval_start"].dt.date == pd.Timestamp("2026-11-30").date()
    req["required_scheduled"] = req["required_scheduled"].where(monday, 0.0)
    res = build_schedule(req, agents, small_config(), start=pd.Timestamp("2026-11-30").date(),
                         weeks=1, time_limit_s=10.0, seed=0, workers=1)
    assert res.roster[["start_utc", "end_utc"]].astype(str).values.tolist() == [
        ["2026-11-30 08:00:00+00:00", "2026-11-30 17:00:00+00:00"]]
    assert res.status == "optimal"
    acts = res.activities
    work = acts[acts["activity"] == "work"]
    email = work[work["channel"] == "email"]
    minutes = ((email["end_utc"] - email["start_utc"]).dt.total_seconds() / 60).sum()
    assert 90 <= minutes <= 120  # the 2 head-hours short, less what breaks take
    assert (email["start_utc"].dt.hour >= 12).all()  # after chat's hours: caught up
    # all of it moved there after the search (none was dealt to email), and so reported
    assert dict(res.moved_h) == pytest.approx({"email": minutes / 60})
    over = res.penalties[res.penalties["kind"] == "overstaffed"]
    assert not over["name"].str.contains("email").any()  # catching up is not overstaffing
