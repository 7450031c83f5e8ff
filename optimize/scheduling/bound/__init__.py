"""A proven lower bound on the schedule's cost, by Lagrangian relaxation.

:mod:`~optimize.scheduling.bound.lagrange` prices the capacity constraints and improves the
bound by subgradient steps; :mod:`~optimize.scheduling.bound.agents` finds each agent's
best relaxed week at given prices, under the full hard rules.
"""

from optimize.scheduling.bound.agents import AgentWeeks, agent_weeks, best_weeks
from optimize.scheduling.bound.lagrange import Dual, improve_bound, make_dual

__all__ = [
    "AgentWeeks",
    "Dual",
    "agent_weeks",
    "best_weeks",
    "improve_bound",
    "make_dual",
]
