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
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_schedule_support import (
    START,
    agent,
    desk_supply,
    requirements,
    rule_violations,
    skill_violations,
    small_config,
    solve_desk,
)

from optimize.scenario.config import load_config
from optimize.scheduling import build_schedule
from optimize.scheduling.bound.lagrange import PRICE_FLOOR, evaluate, improve_bound, make_dual
from optimize.scheduling.problem.inputs import check_agents, make_grid
from optimize.scheduling.problem.shifts import candidate_shifts
from optimize.scheduling.search.primal import fairness_terms
from optimize.scheduling.search.relax import allocate
from optimize.scheduling.search.strategy import CPSAT_MAX_CANDIDATES
from optimize.scheduling.synthetic import make_agents, make_requirements


@pytest.fixture(scope="module")
def proven():
    """A 2-agent, 2-queue desk (one bilingual agent) solved to proven optimality."""
    p = solve_desk([agent("EN", ("en",), ("chat",), lo=8, hi=16),
                    agent("BI", ("en", "ko"), ("chat",), lo=8, hi=16)],
                   requirements({("chat", "en"): 1.0, ("chat", "ko"): 0.5}, hours=(8, 16)),
                   small_config(step=240))
    assert p["solved"].status == "optimal"
    return p


def test_exact_allocation_reproduces_the_optimum(proven):
    p = proven
    worked = p["solved"].worked
    found = allocate(desk_supply(p, worked), p["groups"], p["queues"])
    shifts = p["built"].cand[worked].reset_index(drop=True)
    fair = sum(c for _, _, c in fairness_terms(shifts, p["agents"], 7, p["first_day"]))
    assert found.objective + fair == pytest.approx(p["solved"].objective, abs=1e-6)
    assert (found.alloc.sum(axis=1) + found.idle == desk_supply(p, worked)).all()  # integral
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


def test_negative_prices_bound_a_desk_whose_cost_is_overstaffing():
    """Two hours a day need one head, shifts last 4 or 9 h: covering the peak brings idle
    heads around it. Only negative prices (surplus capacity) can show that; with prices
    held >= 0 the bound stayed at 0.36 of the optimum's 12.98 (measured), now 3.18."""
    p = solve_desk([agent("A", ("en",), ("chat",), lo=0, hi=16),
                    agent("B", ("en",), ("chat",), lo=0, hi=16)],
                   requirements({("chat", "en"): 1.0}, hours=(10, 12)),
                   small_config(step=240))
    assert p["solved"].status == "optimal"
    found = allocate(desk_supply(p, p["solved"].worked), p["groups"], p["queues"])
    assert found.price.min() == PRICE_FLOOR  # the LP's own duals use the floor
    value, lam = improve_bound(p["dual"], found.price.ravel(), found.objective, 10.0, 800)
    assert lam.min() < 0
    assert 2.0 < value <= p["solved"].objective + 1e-6


def test_improved_bound_is_tight_on_the_small_desk(proven):
    p = proven
    worked = p["solved"].worked
    found = allocate(desk_supply(p, worked), p["groups"], p["queues"])
    value, lam = improve_bound(p["dual"], found.price.ravel(), found.objective, 10.0, 800)
    assert value == pytest.approx(evaluate(p["dual"], lam))
    assert evaluate(p["dual"], found.price.ravel()) <= value <= p["solved"].objective + 1e-6
    assert value >= 0.9 * p["solved"].objective  # measured: within 1% on this desk


@pytest.fixture(scope="module")
def large():
    config = load_config(Path(__file__).resolve().parents[3] / "optimize"
                         / "scenario" / "sample_scenario.toml")
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


@pytest.fixture(scope="module")
def costly():
    """The proven desk with a cost on every candidate of one agent, solved to optimality.

    Agent BI pays 0.3 cost units per candidate shift worked (like a preference), so the
    optimum trades some coverage against those costs.
    """
    p = solve_desk([agent("EN", ("en",), ("chat",), lo=8, hi=16),
                    agent("BI", ("en", "ko"), ("chat",), lo=8, hi=16)],
                   requirements({("chat", "en"): 1.0, ("chat", "ko"): 0.5}, hours=(8, 16)),
                   small_config(step=240),
                   cost_of=lambda cand: np.where(cand["agent"].to_numpy() == 1, 0.3, 0.0))
    solved, groups, grid = p["solved"], p["groups"], p["grid"]
    assert solved.status == "optimal"
    with_cost = p["dual"]
    without = make_dual(p["built"].cand, p["built"].terms, p["agents"], groups, p["queues"],
                        p["config"], p["carries"], 7)
    found = allocate(desk_supply(p, solved.worked), groups, p["queues"])
    return dict(solved=solved, with_cost=with_cost, without=without, found=found,
                n_lam=groups.n * grid.n)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), scale=st.floats(0.0, 200.0))
def test_bound_with_candidate_costs_stays_below_the_optimum(costly, seed, scale):
    p = costly
    lam = np.maximum(np.random.default_rng(seed).random(p["n_lam"]) * scale - scale / 3,
                     PRICE_FLOOR)
    assert evaluate(p["with_cost"], lam) <= p["solved"].objective + 1e-6
    # charging the costs can only raise L at the same prices (each agent earns less)
    assert evaluate(p["with_cost"], lam) >= evaluate(p["without"], lam) - 1e-9


def test_candidate_costs_tighten_the_improved_bound(costly):
    p = costly
    lam0 = p["found"].price.ravel()
    target = p["solved"].objective
    plain, _ = improve_bound(p["without"], lam0, target, 10.0, 800)
    charged, lam = improve_bound(p["with_cost"], lam0, target, 10.0, 800)
    assert charged == pytest.approx(evaluate(p["with_cost"], lam))
    assert plain <= charged <= target + 1e-6
    assert charged > plain + 0.1  # BI's shifts cost 0.3 each; it must work at least 8 h


@pytest.mark.parametrize("deflection", [0.0, 0.5])
def test_deflected_steps_keep_the_bound_valid_and_tight(proven, deflection):
    p = proven
    found = allocate(desk_supply(p, p["solved"].worked), p["groups"], p["queues"])
    value, lam = improve_bound(p["dual"], found.price.ravel(), p["solved"].objective, 10.0,
                               800, theta0=2.0, patience=20, deflection=deflection)
    assert value == pytest.approx(evaluate(p["dual"], lam))
    assert 0.9 * p["solved"].objective <= value <= p["solved"].objective + 1e-6


@pytest.mark.parametrize("bad", [-0.1, 1.0, 1.5])
def test_deflection_outside_unit_interval_is_refused(proven, bad):
    with pytest.raises(ValueError, match=rf"deflection must be in \[0, 1\), got {bad!r}"):
        improve_bound(proven["dual"], np.zeros(proven["groups"].n * proven["grid"].n), 1.0,
                      1.0, 10, deflection=bad)


def test_start_is_the_best_scaling_of_the_given_prices(proven):
    """High prices make every agent's relaxed week worth more than the coverage saved (L
    far below 0); the path starts from the best of lam0, lam0/2, ..., lam0/16, and the
    bound returned is never below L(0) (= 0 here)."""
    p = proven
    lam0 = np.random.default_rng(3).random(p["groups"].n * p["grid"].n) * 500.0
    assert evaluate(p["dual"], lam0) < 0
    value, lam = improve_bound(p["dual"], lam0, p["solved"].objective, 10.0, 1)
    best = max(evaluate(p["dual"], lam0 / 2**k) for k in range(5))
    floor = evaluate(p["dual"], np.zeros_like(lam0))
    assert floor == 0.0  # no candidate costs: nobody pays for working the minimum
    assert value == pytest.approx(max(best, floor))
    assert value == pytest.approx(evaluate(p["dual"], lam))


def test_bound_climbs_from_far_below_its_floor(proven):
    """From prices where L is far below L(0) = 0 even scaled down 16 times (the case of the
    allocation's duals on large generated desks), the bound still gets within 10% of the
    optimum and is the L of the prices returned."""
    p = proven
    lam0 = np.random.default_rng(3).random(p["groups"].n * p["grid"].n) * 50_000.0
    assert evaluate(p["dual"], lam0 / 16) < -5 * p["solved"].objective
    value, lam = improve_bound(p["dual"], lam0, p["solved"].objective, 10.0, 800,
                               theta0=2.0, patience=20, deflection=0.5)
    assert value == pytest.approx(evaluate(p["dual"], lam))
    assert 0.9 * p["solved"].objective <= value <= p["solved"].objective + 1e-6
