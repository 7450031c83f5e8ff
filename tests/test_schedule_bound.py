"""The proven bound and the exact allocation against CP-SAT's proven optimum; the large path.

On desks small enough for CP-SAT to prove optimality, the exact allocation LP must give
the same objective for the optimal shifts, and the Lagrangian bound must stay at or below
the optimum for any prices (weak duality). On a desk above ``CPSAT_MAX_CANDIDATES`` the
greedy + LP + Lagrangian path must return a legal schedule with a consistent, positive
bound.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_schedule_support import (
    START,
    agent,
    requirements,
    rule_violations,
    skill_violations,
    small_config,
)

from optimize.config import load_config
from optimize.scheduling import build_schedule
from optimize.scheduling.inputs import check_agents, make_grid, make_queues, skill_groups
from optimize.scheduling.lagrange import PRICE_FLOOR, evaluate, improve_bound, make_dual
from optimize.scheduling.model import build_model
from optimize.scheduling.primal import fairness_terms
from optimize.scheduling.relax import allocate
from optimize.scheduling.rules import carry_from_previous
from optimize.scheduling.search import CPSAT_MAX_CANDIDATES
from optimize.scheduling.shifts import candidate_shifts
from optimize.scheduling.solve import solve_built
from optimize.scheduling.synthetic import make_agents, make_requirements


@pytest.fixture(scope="module")
def proven():
    """A 2-agent, 2-queue desk (one bilingual agent) solved to proven optimality."""
    config = small_config(step=240)
    agents = check_agents(pd.DataFrame([
        agent("EN", ("en",), ("chat",), lo=8, hi=16),
        agent("BI", ("en", "ko"), ("chat",), lo=8, hi=16),
    ]))
    req = requirements({("chat", "en"): 1.0, ("chat", "ko"): 0.5}, hours=(8, 16))
    grid = make_grid(req)
    queues = make_queues(req, config, grid)
    groups = skill_groups(agents, queues, config)
    first_day = pd.Timestamp(START)
    cand_all = candidate_shifts(agents, config, grid, START, 1)
    carries = carry_from_previous(None, agents, first_day)
    built = build_model(cand_all, agents, groups, queues, grid, config, carries, 7, first_day)
    shape = (groups.n, len(queues.channel), grid.n)
    solved = solve_built(built, shape, time_limit_s=30, seed=0, workers=2)
    assert solved.status == "optimal"
    dual = make_dual(built.cand, built.terms, agents, groups, queues, config, carries, 7)
    return dict(config=config, agents=agents, groups=groups, queues=queues, grid=grid,
                built=built, solved=solved, dual=dual, first_day=first_day)


def _supply(p, worked):
    terms = p["built"].terms
    on = worked[terms["cand"].to_numpy()]
    cap = np.zeros((p["groups"].n, p["grid"].n))
    np.add.at(cap, (terms["g"].to_numpy()[on], terms["t"].to_numpy()[on]),
              terms["tenths"].to_numpy()[on])
    return cap


def test_exact_allocation_reproduces_the_optimum(proven):
    p = proven
    worked = p["solved"].worked
    found = allocate(_supply(p, worked), p["groups"], p["queues"])
    shifts = p["built"].cand[worked].reset_index(drop=True)
    fair = sum(c for _, _, c in fairness_terms(shifts, p["agents"], 7, p["first_day"]))
    assert found.objective + fair == pytest.approx(p["solved"].objective, abs=1e-6)
    assert (found.alloc.sum(axis=1) + found.idle == _supply(p, worked)).all()  # integral
    assert (found.alloc.sum(axis=0) <= p["built"].required).all()


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), scale=st.floats(0.0, 200.0))
def test_lagrangian_bound_never_exceeds_the_optimum(proven, seed, scale):
    p = proven
    lam = np.random.default_rng(seed).random(p["groups"].n * p["grid"].n) * scale
    assert evaluate(p["dual"], lam) <= p["solved"].objective + 1e-6
    # the capacity rows are equalities: prices down to minus the idle weight stay valid
    assert evaluate(p["dual"], np.maximum(lam - scale / 2, PRICE_FLOOR)) \
        <= p["solved"].objective + 1e-6


def _solved_desk(agents, req, config):
    agents = check_agents(pd.DataFrame(agents))
    grid = make_grid(req)
    queues = make_queues(req, config, grid)
    groups = skill_groups(agents, queues, config)
    first_day = pd.Timestamp(START)
    cand = candidate_shifts(agents, config, grid, START, 1)
    carries = carry_from_previous(None, agents, first_day)
    built = build_model(cand, agents, groups, queues, grid, config, carries, 7, first_day)
    solved = solve_built(built, (groups.n, len(queues.channel), grid.n), time_limit_s=30,
                         seed=0, workers=2)
    dual = make_dual(built.cand, built.terms, agents, groups, queues, config, carries, 7)
    return dict(agents=agents, groups=groups, queues=queues, grid=grid, built=built,
                solved=solved, dual=dual)


def test_negative_prices_bound_a_desk_whose_cost_is_overstaffing():
    """Two hours a day need one head, shifts last 4 or 9 h: covering the peak brings idle
    heads around it. Only negative prices (surplus capacity) can show that; with prices
    held >= 0 the bound stayed at 0.36 of the optimum's 12.98 (measured), now 3.18."""
    p = _solved_desk([agent("A", ("en",), ("chat",), lo=0, hi=16),
                      agent("B", ("en",), ("chat",), lo=0, hi=16)],
                     requirements({("chat", "en"): 1.0}, hours=(10, 12)),
                     small_config(step=240))
    assert p["solved"].status == "optimal"
    found = allocate(_supply(p, p["solved"].worked), p["groups"], p["queues"])
    assert found.price.min() == PRICE_FLOOR  # the LP's own duals use the floor
    value, lam = improve_bound(p["dual"], found.price.ravel(), found.objective, 10.0, 800)
    assert lam.min() < 0
    assert 2.0 < value <= p["solved"].objective + 1e-6


def test_improved_bound_is_tight_on_the_small_desk(proven):
    p = proven
    worked = p["solved"].worked
    found = allocate(_supply(p, worked), p["groups"], p["queues"])
    value, lam = improve_bound(p["dual"], found.price.ravel(), found.objective, 10.0, 800)
    assert value == pytest.approx(evaluate(p["dual"], lam))
    assert evaluate(p["dual"], found.price.ravel()) <= value <= p["solved"].objective + 1e-6
    assert value >= 0.9 * p["solved"].objective  # measured: within 1% on this desk


@pytest.fixture(scope="module")
def large():
    config = load_config(Path(__file__).resolve().parents[1] / "optimize"
                         / "sample_scenario.toml")
    agents = make_agents(24, seed=1)
    req = make_requirements(agents, START, seed=1)
    res = build_schedule(req, agents, config, start=START, time_limit_s=12.0, seed=0,
                         workers=2)
    return config, agents, req, res


def test_large_path_is_taken(large):
    config, agents, req, _ = large
    grid = make_grid(req)
    assert len(candidate_shifts(check_agents(agents), config, grid, START, 1)) \
        > CPSAT_MAX_CANDIDATES


def test_large_path_schedule_is_legal_with_a_proven_gap(large):
    config, agents, _, res = large
    assert res.status in ("feasible", "optimal")
    assert rule_violations(res.roster, agents, config, START, 1) == []
    assert skill_violations(res.activities, agents, config) == []
    assert 0.0 < res.best_bound <= res.objective
    assert res.gap == pytest.approx((res.objective - res.best_bound) / res.objective)
    # measured 55% on this desk: small fractional requirements around the clock make the
    # LP relaxation (and so any LP or Lagrangian bound) far weaker than on the sample
    assert res.gap < 0.8
