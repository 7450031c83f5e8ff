"""From chosen shifts to minutes: breaks placed, every working minute on a queue.

:mod:`~optimize.scheduling.activities.assign` places breaks and gives each working agent
a queue; :mod:`~optimize.scheduling.activities.catchup` then moves heads a queue can spare
to queues that are short and to the email and social backlog.
"""

from optimize.scheduling.activities.assign import (
    activities_table,
    allocate_queues,
    place_breaks,
    staffed_from_activities,
)
from optimize.scheduling.activities.catchup import backlog_surplus, catch_up

__all__ = [
    "activities_table",
    "allocate_queues",
    "backlog_surplus",
    "catch_up",
    "place_breaks",
    "staffed_from_activities",
]
