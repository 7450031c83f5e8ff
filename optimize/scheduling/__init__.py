"""Multilingual shift scheduling on OR-Tools CP-SAT (issue 5).

``build_schedule(requirements, agents, config, start=...)`` returns a
:class:`ScheduleResult`: roster, activities, scheduled heads per queue, objective, bound
and gap, unmet intervals, named penalties, and the rule conflicts when infeasible.
"""

from optimize.scheduling.schedule import ScheduleResult, build_schedule
from optimize.scheduling.solve import ProgressInfo

__all__ = ["ScheduleResult", "ProgressInfo", "build_schedule"]
