"""Stopping a build keeps the best schedule found so far (the app's Stop button).

Both search paths: CP-SAT on a small desk (stopped through ``CpSolver.stop_search``) and
the greedy + coordinate-descent path of large desks (forced here by lowering
``CPSAT_MAX_CANDIDATES``). A stopped build must still be a legal, complete schedule with
a bound no larger than its objective; on the CP-SAT path the stop must reach the solver.
"""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd
import pytest
from ortools.sat.python import cp_model
from test_schedule_support import START, agent, requirements, rule_violations, small_config

import optimize.scheduling.search.strategy as strategy
from optimize.scheduling import build_schedule

LIMIT_S = 120.0  # far above what a stopped build needs; nothing here is timed


def _desk():
    config = small_config()
    agents = pd.DataFrame([
        agent("EN1", ("en",), ("chat", "email"), lo=32, hi=40),
        agent("EN2", ("en",), ("chat",), "Europe/London", lo=16, hi=24),
        agent("KO1", ("ko", "en"), ("chat", "email"), "Asia/Seoul", lo=32, hi=40),
        agent("KO2", ("ko",), ("chat",), "Asia/Seoul", lo=16, hi=40),
    ])
    req = requirements({("chat", "en"): 1.4, ("chat", "ko"): 1.0, ("email", "en"): 0.6})
    return config, agents, req


def _check(res, agents, config):
    assert res.status in ("optimal", "feasible")
    assert not res.roster.empty
    assert rule_violations(res.roster, agents, config, START, 1) == []
    assert res.best_bound <= res.objective + 1e-6
    assert np.isfinite(res.gap)


@pytest.mark.parametrize("large_path", [False, True])
def test_stop_before_start_returns_the_first_legal_schedule(monkeypatch, large_path):
    if large_path:
        monkeypatch.setattr(strategy, "CPSAT_MAX_CANDIDATES", 0)
    config, agents, req = _desk()
    polled = []

    def stop() -> bool:
        polled.append(True)
        return True

    res = build_schedule(req, agents, config, start=START, time_limit_s=LIMIT_S, seed=1,
                         workers=1, stop=stop)
    _check(res, agents, config)
    assert polled, "the stop hook was never consulted"


def test_stop_from_another_thread_ends_cp_sat(monkeypatch):
    # The CP-SAT path proves optimality on this desk slowly (measured: not optimal after
    # 19 s), so a stop set 2 s in must end the search through CpSolver.stop_search.
    config = small_config(step=60)
    agents = pd.DataFrame([agent(f"A{i}", ("en",), ("chat",), lo=16, hi=40)
                           for i in range(8)])
    req = requirements({("chat", "en"): 3.3})
    calls = []
    real = cp_model.CpSolver.stop_search
    monkeypatch.setattr(cp_model.CpSolver, "stop_search",
                        lambda self: (calls.append(True), real(self))[1])
    flag = threading.Event()
    timer = threading.Timer(2.0, flag.set)
    timer.start()
    try:
        res = build_schedule(req, agents, config, start=START, time_limit_s=LIMIT_S,
                             seed=1, workers=1, stop=flag.is_set)
    finally:
        timer.cancel()
    _check(res, agents, config)
    assert calls, "the watcher never asked CP-SAT to stop"
    assert res.status == "feasible"  # interrupted, not proven optimal
