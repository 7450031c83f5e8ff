"""Multilingual shift scheduling on OR-Tools (issue 5).

``build_schedule(requirements, agents, config, start=...)`` returns a
:class:`ScheduleResult`: roster, activities, scheduled heads per queue, objective, proven
bound and gap (strategy: :mod:`optimize.scheduling.search.strategy`; CP-SAT, MathOpt/GLOP and a
Lagrangian bound), unmet intervals, named penalties, and the rule conflicts when
infeasible.
"""

from optimize.scheduling.schedule import ScheduleResult, build_schedule
from optimize.scheduling.solver.solve import ProgressInfo

__all__ = ["ScheduleResult", "ProgressInfo", "build_schedule"]
