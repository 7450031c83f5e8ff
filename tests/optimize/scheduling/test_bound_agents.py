"""The agents' side of the Lagrangian bound: contract minimums and agent types.

Both against CP-SAT's proven optimum on small desks: the weekly minimum makes each
agent's relaxed week earn less (a higher bound) and must never push the bound above the
optimum (at every price; measured, it did not raise the improved bound on these small
desks); identical agents are solved once and counted by head.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from test_schedule_support import agent, desk_supply, requirements, small_config, solve_desk

from optimize.scheduling.bound.agents import best_weeks, row_values
from optimize.scheduling.bound.lagrange import PRICE_FLOOR, coverage_cells, evaluate, improve_bound
from optimize.scheduling.search.relax import allocate
from optimize.scheduling.solver.model import SCALE


def _improved(p, dual):
    found = allocate(desk_supply(p, p["solved"].worked), p["groups"], p["queues"])
    value, lam = improve_bound(dual, found.price.ravel(), p["solved"].objective, 10.0, 800,
                               theta0=2.0, patience=20, deflection=0.5)
    assert value == pytest.approx(evaluate(dual, lam))
    return value


def _random_prices(p, n=20):
    rng = np.random.default_rng(7)
    size = p["groups"].n * p["grid"].n
    return [np.maximum(rng.random(size) * s - s / 3, PRICE_FLOOR)
            for s in np.linspace(0.0, 200.0, n)]


@pytest.fixture(scope="module")
def bound_to_work():
    """Two agents who must each work 16 paid hours, a desk that needs one head 2 h a day:
    the contract minimum forces idle heads, which the optimum pays for."""
    p = solve_desk([agent("A", ("en",), ("chat",), lo=16, hi=16),
                    agent("B", ("en",), ("chat",), lo=16, hi=16)],
                   requirements({("chat", "en"): 1.0}, hours=(10, 12)),
                   small_config(step=240))
    assert p["solved"].status == "optimal"
    return p


def test_contract_minimum_is_in_each_agents_week(bound_to_work):
    weeks = bound_to_work["dual"].weeks
    assert (weeks.min_units * 240 == 16 * 60).all()  # 4 h units (4 h and 8 h paid)
    assert (weeks.cap_units == weeks.min_units).all()


def test_contract_minimum_raises_the_bound_and_keeps_it_valid(bound_to_work):
    p = bound_to_work
    d = p["dual"]
    loose = dataclasses.replace(d, weeks=dataclasses.replace(
        d.weeks, min_units=np.zeros_like(d.weeks.min_units)))
    opt = p["solved"].objective
    for lam in _random_prices(p):
        assert evaluate(loose, lam) <= evaluate(d, lam) <= opt + 1e-6
    # at the lowest prices an agent's hours only cost: without the minimum nobody works
    floor = np.full(p["groups"].n * p["grid"].n, PRICE_FLOOR)
    assert evaluate(d, floor) > evaluate(loose, floor) + 1.0
    # the improved bounds: both 5.66 of 12.98 (measured; the subgradient path does not
    # reach the minimum's idle heads on this desk), so only validity is pinned here
    assert _improved(p, d) <= opt + 1e-6


@pytest.fixture(scope="module")
def twins():
    """Three agents, two of them identical but for their names, solved to optimality."""
    p = solve_desk([agent("EN", ("en",), ("chat",), lo=8, hi=16),
                    agent("EN2", ("en",), ("chat",), lo=8, hi=16),
                    agent("BI", ("en", "ko"), ("chat",), lo=8, hi=16)],
                   requirements({("chat", "en"): 1.5, ("chat", "ko"): 0.5}, hours=(8, 16)),
                   small_config(step=240))
    assert p["solved"].status == "optimal"
    return p


def test_identical_agents_are_one_type_counted_by_head(twins):
    weeks = twins["dual"].weeks
    assert (weeks.n_agents, weeks.n_types) == (3, 2)
    assert sorted(weeks.count[::weeks.n_weeks]) == [1.0, 2.0]
    # the representative of each type: EN (first of the twins) and BI, with their counts
    assert dict(zip(weeks.rep.tolist(), weeks.count[::weeks.n_weeks], strict=True)) == {
        0: 2.0, 2: 1.0}


def test_per_type_values_and_cells_add_up_to_the_bound(twins):
    d = twins["dual"]
    for lam in _random_prices(twins, n=5):
        total, _ = best_weeks(d.weeks, lam)
        assert float(d.weeks.count @ row_values(d.weeks, lam)) == pytest.approx(total)
        assert (coverage_cells(d, lam).sum() - total) / SCALE == pytest.approx(evaluate(d, lam))


def test_bound_with_agent_types_stays_valid_and_tight(twins):
    p = twins
    opt = p["solved"].objective
    for lam in _random_prices(p):
        assert evaluate(p["dual"], lam) <= opt + 1e-6
    assert 0.9 * opt <= _improved(p, p["dual"]) <= opt + 1e-6
