"""Re-planning a published week during a surge: keep what has started, re-optimise the rest.

:mod:`~optimize.scheduling.replan.rest_of_week` is the entry point (:func:`replan`);
:mod:`~optimize.scheduling.replan.activities` keeps the published history,
:mod:`~optimize.scheduling.replan.breaks` places breaks that have not begun again, and
:mod:`~optimize.scheduling.replan.carry` carries rest and consecutive days over the week start.
"""

from optimize.scheduling.replan.rest_of_week import ReplanCosts, ReplanResult, replan

__all__ = [
    "ReplanCosts",
    "ReplanResult",
    "replan",
]
