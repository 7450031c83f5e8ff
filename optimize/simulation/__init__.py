"""Discrete-event simulation: what a staffing actually delivers, contact by contact.

:mod:`~optimize.simulation.priority_pool` simulates one language's chat pool with a VIP
class (seeded), the check of :mod:`optimize.queueing.priority`'s reserved-capacity model.
"""

from optimize.simulation.priority_pool import ClassStats, PoolSimResult, simulate_pool

__all__ = [
    "ClassStats",
    "PoolSimResult",
    "simulate_pool",
]
