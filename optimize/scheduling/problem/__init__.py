"""The scheduling problem: what is decided, which rules bind, what a shortfall costs.

- :mod:`~optimize.scheduling.problem.inputs`: the interval grid, the queues, skill groups;
- :mod:`~optimize.scheduling.problem.shifts`: candidate shifts per agent, in local time;
- :mod:`~optimize.scheduling.problem.rules`: hard labour rules, one helper per rule;
- :mod:`~optimize.scheduling.problem.penalty`: the convex shortfall curve per queue x
  interval, priced by the queueing engine;
- :mod:`~optimize.scheduling.problem.preferences` and
  :mod:`~optimize.scheduling.problem.choices`: soft costs and extra terms per candidate.
"""

from optimize.scheduling.problem.choices import ShiftSet, ShiftTerms
from optimize.scheduling.problem.inputs import (
    Grid,
    Queues,
    SkillGroups,
    make_grid,
    make_queues,
    skill_groups,
)
from optimize.scheduling.problem.penalty import with_penalty
from optimize.scheduling.problem.rules import add_agent_rules, carry_from_previous
from optimize.scheduling.problem.shifts import candidate_shifts

__all__ = [
    "Grid",
    "Queues",
    "ShiftSet",
    "ShiftTerms",
    "SkillGroups",
    "add_agent_rules",
    "candidate_shifts",
    "carry_from_previous",
    "make_grid",
    "make_queues",
    "skill_groups",
    "with_penalty",
]
