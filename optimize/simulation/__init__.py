"""Discrete-event simulation: what a plan actually delivers, contact by contact.

Built on SimPy's event scheduler (:mod:`optimize.simulation.engine`):

- :mod:`~optimize.simulation.desk`: a plan's activities, forecast and scenario as arrays;
- :mod:`~optimize.simulation.draws`: the contacts and the shrinkage-thinned work
  segments a replication draws;
- :mod:`~optimize.simulation.engine`: one seeded replication, per-contact records;
- :mod:`~optimize.simulation.measures`: service level, wait, abandonment, backlog and
  occupancy from the records, over replications, beside the plan's promise;
- :mod:`~optimize.simulation.run`: replications in a process pool;
- :mod:`~optimize.simulation.priority_pool`: one language's chat pool with a VIP class on
  the same engine, the check of :mod:`optimize.queueing.priority`.
"""

from optimize.simulation.desk import Desk, desk_from_plan
from optimize.simulation.engine import Replication, simulate_once
from optimize.simulation.measures import promise_table
from optimize.simulation.priority_pool import ClassStats, PoolSimResult, simulate_pool
from optimize.simulation.run import SimulationResult, simulate_desk, simulate_plan

__all__ = [
    "ClassStats",
    "Desk",
    "PoolSimResult",
    "Replication",
    "SimulationResult",
    "desk_from_plan",
    "promise_table",
    "simulate_desk",
    "simulate_once",
    "simulate_plan",
    "simulate_pool",
]
