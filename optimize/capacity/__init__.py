"""Capacity planning: how many agents of which skills, and when to hire them.

The stages, each a module, in the order :func:`~optimize.capacity.plan.capacity_plan`
runs them:

- :mod:`~optimize.capacity.config`: ``[capacity]`` of scenario.toml (attrition, training,
  lead time, hiring limits, costs, hire profiles);
- :mod:`~optimize.capacity.demand`: the long-range weekly forecast
  (:mod:`forecast.longrange`) spread over a typical week and turned into hours on
  schedule by the queueing engine;
- :mod:`~optimize.capacity.efficiency`: paid hours per required hour, measured by the
  scheduler on a recent week;
- :mod:`~optimize.capacity.supply`: today's agents by skill set, leave and attrition, and
  what a hire yields week by week;
- :mod:`~optimize.capacity.hiring`: the hiring programme (OR-Tools MathOpt, HiGHS);
- :mod:`~optimize.capacity.plan`: the stages chained, service level with and without;
- :mod:`~optimize.capacity.report`: the per-language view, the files and ``capacity.md``.
"""

from optimize.capacity.config import CapacityConfig, HireProfile, capacity_config
from optimize.capacity.efficiency import Efficiency, measure_efficiency, recent_week
from optimize.capacity.plan import AddedAgents, CapacityPlan, capacity_plan
from optimize.capacity.report import by_language, capacity_files, service_by_queue

__all__ = ["AddedAgents", "CapacityConfig", "CapacityPlan", "Efficiency", "HireProfile",
           "by_language", "capacity_config", "capacity_files", "capacity_plan",
           "measure_efficiency", "recent_week", "service_by_queue"]
