"""Repeatable schedules: the search's stages end on work, not on the wall clock
(optimize/scheduling/solver/clock.py), so the same inputs and seed give the same schedule on a
fast or a slow machine; when the time limit ends a stage first, the result says so."""

from __future__ import annotations

import types

import numpy as np
import pandas as pd
import pytest
from test_schedule_support import START, agent, requirements, rule_violations, small_config

import optimize.scheduling.search.lns as lns_module
import optimize.scheduling.search.strategy as search_module
import optimize.scheduling.solver.clock as clock_module
from optimize.cli import main
from optimize.outputs.summary import repeatability
from optimize.scheduling import build_schedule
from optimize.scheduling.search.strategy import SEARCH_SHARE
from optimize.scheduling.solver.clock import WorkClock
from optimize.scheduling.solver.mip import MipResult


def test_work_ends_a_stage_without_a_cut():
    c = WorkClock(10.0, 1e6)
    assert not c.over(0.5, "passes")
    c.charge(4.9)
    assert not c.over(0.5, "passes")
    c.charge(0.2)
    assert c.over(0.5, "passes") and c.reproducible and c.cut == ""
    assert c.left(1.0)[0] == pytest.approx(4.9)


def test_the_wall_clock_or_a_stop_is_a_cut_and_the_first_one_is_kept():
    c = WorkClock(10.0, 1e-9, start=0.0)  # a time limit long past
    assert c.over(0.5, "greedy passes")
    assert c.over(0.9, "bound")
    assert not c.reproducible and c.cut == "greedy passes"
    s = WorkClock(10.0, 1e6, stop=lambda: True)
    assert s.over(0.5, "polish passes") and s.cut == "polish passes (stopped)"
    with pytest.raises(ValueError, match="work limit must be > 0 s, got 0"):
        WorkClock(0.0, 10.0)


# work seconds; below what the neighbourhood steps need to start (LNS_MIN_S after the
# passes), because SCIP's limit per step is on the wall clock (see lns.py)
WORK = 3.0


def _desk():
    config = small_config(step=120)
    agents = pd.DataFrame(
        [agent(f"E{i}", ("en",), ("chat", "email"), lo=24, hi=40) for i in range(5)]
        + [agent(f"B{i}", ("en", "es"), ("chat",), lo=24, hi=40) for i in range(3)])
    req = requirements({("chat", "en"): 3.0, ("chat", "es"): 1.0, ("email", "en"): 1.0},
                       days=7, hours=(4, 22))
    return req, agents, config


def _slow_machine(monkeypatch, factor: float) -> None:
    """The clock's wall time runs ``factor`` times faster than real: a slower machine."""
    real = clock_module.time.perf_counter
    t0 = real()
    monkeypatch.setattr(clock_module, "time",
                        types.SimpleNamespace(perf_counter=lambda: t0 + factor * (real() - t0)))


def _large_path(mp: pytest.MonkeyPatch) -> None:
    """The large-desk path (greedy, polish passes, bound) on this small desk."""
    mp.setattr(search_module, "CPSAT_MAX_CANDIDATES", 0)


@pytest.fixture(scope="module")
def runs():
    """The desk on this machine and on one five times slower, with a work budget the
    wall clock does not reach, and once with a time limit that cuts it."""
    req, agents, config = _desk()
    kw = dict(start=START, seed=4, workers=2)
    with pytest.MonkeyPatch.context() as mp:
        _large_path(mp)
        fast = build_schedule(req, agents, config, time_limit_s=300, work_limit_s=WORK, **kw)
        _slow_machine(mp, 5.0)
        slow = build_schedule(req, agents, config, time_limit_s=300, work_limit_s=WORK, **kw)
    with pytest.MonkeyPatch.context() as mp:
        _large_path(mp)
        _slow_machine(mp, 1e6)  # every wall check is past the limit
        cut = build_schedule(req, agents, config, time_limit_s=1.0, work_limit_s=WORK, **kw)
    return {"fast": fast, "slow": slow, "cut": cut, "agents": agents, "config": config}


def test_the_same_seed_gives_the_same_schedule_on_a_slower_machine(runs):
    fast, slow = runs["fast"], runs["slow"]
    assert fast.status == slow.status == "feasible"
    assert fast.reproducible and slow.reproducible
    # the same work, and all of it: the bound's steps ended on the budget in both
    assert fast.work_s == slow.work_s >= SEARCH_SHARE * WORK
    assert fast.objective == slow.objective and fast.best_bound == slow.best_bound
    pd.testing.assert_frame_equal(fast.roster, slow.roster)
    pd.testing.assert_frame_equal(fast.activities, slow.activities)


def test_a_run_the_time_limit_cuts_is_a_valid_schedule_marked_not_repeatable(runs):
    cut = runs["cut"]
    assert cut.status == "feasible" and len(cut.roster)
    assert not cut.reproducible and cut.cut == "greedy passes"
    assert cut.work_s < runs["fast"].work_s
    assert rule_violations(cut.roster, runs["agents"], runs["config"], START, 1) == []


def test_the_summary_says_whether_a_rerun_repeats_it():
    def said(cut):
        return repeatability(types.SimpleNamespace(reproducible=not cut, cut=cut, work_s=57.04))

    assert said("").startswith("Repeatable: the search ended on its work budget (57.0 work s)")
    assert said("polish passes (stopped)") == ("Not repeatable: the build was stopped during "
                                               "the polish passes, so a rerun may differ.")
    assert said("bound").startswith("Not repeatable: the time limit ended the bound before")


def test_work_limit_must_be_a_positive_number():
    req, agents, config = _desk()
    with pytest.raises(ValueError, match="work_limit_s must be > 0, got -1"):
        build_schedule(req, agents, config, start=START, work_limit_s=-1)
    with pytest.raises(SystemExit) as exc:  # argparse: one line on stderr, exit 2
        main(["schedule", "--data", "d", "--requirements", "r", "--out", "o",
              "--work-limit", "abc"])
    assert exc.value.code == 2


def test_a_neighbourhood_step_scip_does_not_finish_is_a_cut(monkeypatch):
    """SCIP's limit per piece is on the wall clock: a piece it ends unproven marks the run
    as not repeatable; pieces it proves do not."""
    req, agents, config = _desk()
    calls = []

    def scip(model, integer, time_s, seed):  # proves the first piece, times out after
        calls.append(time_s)
        timed_out = len(calls) > 1
        return MipResult("feasible" if timed_out else "optimal", 1e18, 0.0,
                         np.zeros(len(integer)), timed_out)

    monkeypatch.setattr(lns_module, "solve_as_mip", scip)
    monkeypatch.setattr(search_module, "CPSAT_MAX_CANDIDATES", 0)
    kw = dict(start=START, seed=4, time_limit_s=300, work_limit_s=12.0)
    res = build_schedule(req, agents, config, **kw)
    assert len(calls) >= 2 and res.cut == "neighbourhood search" and not res.reproducible
    assert res.status == "feasible" and len(res.roster)
