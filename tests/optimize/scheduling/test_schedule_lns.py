"""Large-neighbourhood search (optimize/scheduling/search/lns.py) and the MIP bridge (mip.py).

The neighbourhood piece is the full model with everything outside it fixed, so (a) a
piece covering the whole desk is the whole problem: one step reaches the optimum CP-SAT
proves on the full model; (b) the schedule's true objective (exact allocation, fairness,
candidate costs) never rises along the steps, and every agent's hard rules still hold.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from ortools.sat.python import cp_model
from test_schedule_support import (
    START,
    agent,
    requirements,
    rule_violations,
    small_config,
    solve_desk,
)

from optimize.scheduling.search.lns import Incumbent, improve_lns
from optimize.scheduling.search.primal import greedy_weeks
from optimize.scheduling.search.relax import allocate
from optimize.scheduling.search.strategy import _supply, _value
from optimize.scheduling.solver.mip import solve_as_mip


def test_solve_as_mip_matches_cp_sat_on_a_small_model():
    m = cp_model.CpModel()
    x, z = m.new_bool_var("x"), m.new_bool_var("z")
    y = m.new_int_var(0, 5, "y")
    m.add(x + 2 * y <= 4)
    m.add(x + y >= 2)
    m.add(~z + y >= 1)  # a negated literal
    m.minimize(3 * x + y - 2 * z + 7)
    res = solve_as_mip(m, np.array([True, False, True]), 5.0)
    cp = cp_model.CpSolver()
    assert cp.solve(m) == cp_model.OPTIMAL
    assert res.status == "optimal"
    assert res.objective == pytest.approx(cp.objective_value) == 7.0
    assert res.bound == pytest.approx(7.0)
    assert list(np.rint(res.values)) == [0, 1, 2]  # x, z, y in creation order


def test_solve_as_mip_takes_a_float_objective_in_place_of_the_models():
    m = cp_model.CpModel()
    x = m.new_bool_var("x")
    m.new_bool_var("z")  # in no constraint: only the float objective prices it
    y = m.new_int_var(0, 5, "y")
    m.add(x + 2 * y <= 4)
    m.add(x + y >= 2)
    m.minimize(3 * x + y)  # ignored: x, z, y priced 0.5, -1.25, 0.75 plus 0.1
    res = solve_as_mip(m, np.array([True, True, False]), 5.0,
                       objective=np.array([0.5, -1.25, 0.75]), offset=0.1)
    # y = 1 needs x = 1 (0.5 + 0.75), y = 2 costs 1.5: both with z = 1 (-1.25)
    assert res.status == "optimal"
    assert res.objective == pytest.approx(0.5 + 0.75 - 1.25 + 0.1)
    assert list(np.rint(res.values)) == [1, 1, 1]


def test_solve_as_mip_refuses_enforced_constraints():
    m = cp_model.CpModel()
    x, y = m.new_bool_var("x"), m.new_bool_var("y")
    m.add(x + y <= 1).only_enforce_if(x)
    with pytest.raises(ValueError, match="linear constraints without enforcement"):
        solve_as_mip(m, np.array([True, True]), 1.0)


@pytest.fixture(scope="module")
def desk():
    config = small_config(step=240)
    rows = [agent("EN", ("en",), ("chat",), lo=8, hi=24),
            agent("BI", ("en", "ko"), ("chat",), lo=8, hi=24),
            agent("EN2", ("en",), ("chat",), lo=8, hi=16, tz="Asia/Seoul")]
    req = requirements({("chat", "en"): 1.5, ("chat", "ko"): 0.5}, hours=(6, 22))
    d = solve_desk(rows, req, config)
    assert d["solved"].status == "optimal"
    cand_all = d["cand"]
    keep = ~cand_all["unavailable"].to_numpy()
    built = d["built"]
    groups, queues, grid = d["groups"], d["queues"], d["grid"]
    start, _ = greedy_weeks(cand_all, _terms_all(d), d["agents"], groups, queues, config,
                            d["carries"], 7, d["first_day"], seed=0, passes=1)
    worked = start[keep]
    found = allocate(_supply(worked, built.terms, groups.n, grid.n), groups, queues)

    def value(w):
        return _value(w, keep, built.terms, built.cand, d["agents"], groups, queues, grid, 7,
                      d["first_day"], None, ())

    return {**d, "keep": keep, "start": Incumbent(worked, found.alloc), "value": value}


def _terms_all(d):
    from optimize.scheduling.solver.model import coverage_terms

    return coverage_terms(d["cand"], d["config"], d["grid"], d["groups"].of_agent)


def _lns(d, **kw):
    b = d["built"]
    return improve_lns(d["start"], b.cand, b.terms, d["agents"], d["groups"], d["queues"],
                       d["config"], d["carries"], 7, d["first_day"], seed=0,
                       step_s=60.0, **kw)


def _roster(d, worked):
    shifts = d["built"].cand[worked]
    names = [t.name for t in d["config"].shifts.templates]
    paid = {t.name: t.paid_h for t in d["config"].shifts.templates}
    tpl = [names[k] for k in shifts["template"]]
    return pd.DataFrame({"agent_id": d["agents"]["agent_id"].to_numpy()[shifts["agent"]],
                         "start_utc": pd.to_datetime(shifts["start_utc"], utc=True),
                         "end_utc": pd.to_datetime(shifts["end_utc"], utc=True),
                         "template": tpl, "paid_hours": [paid[t] for t in tpl]})


def test_a_piece_as_large_as_the_desk_reaches_the_proven_optimum(desk):
    # all three share chat/en: the first step frees all three weeks
    inc, gains = _lns(desk, size=3, max_steps=1)
    proven = desk["solved"].objective
    assert desk["value"](desk["start"].worked) > proven + 1.0  # the greedy is not optimal
    assert desk["value"](inc.worked) == pytest.approx(proven, abs=1e-6)
    assert gains == 1


def test_small_pieces_never_worsen_and_keep_every_rule(desk):
    seen = [desk["value"](desk["start"].worked)]
    inc = desk["start"]
    for k in range(6):  # two-agent pieces, one step at a time
        inc, _ = improve_lns(inc, desk["built"].cand, desk["built"].terms, desk["agents"],
                             desk["groups"], desk["queues"], desk["config"], desk["carries"],
                             7, desk["first_day"], seed=k, size=2,
                             step_s=60.0, max_steps=1)
        seen.append(desk["value"](inc.worked))
        # the incumbent's allocation is feasible: it fills no more than the presence
        cap = _supply(inc.worked, desk["built"].terms, desk["groups"].n, desk["grid"].n)
        assert np.all(inc.alloc.sum(axis=1) <= cap)
    assert all(b <= a + 1e-6 for a, b in zip(seen, seen[1:], strict=False))
    assert seen[-1] >= desk["solved"].objective - 1e-6
    assert rule_violations(_roster(desk, inc.worked), desk["agents"], desk["config"], START,
                           1) == []
