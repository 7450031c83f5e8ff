"""A deterministic work budget beside the wall-clock time limit.

The search's stages (:mod:`~optimize.scheduling.search.strategy`) stop on *work*: counts of what
they did (terms scored by the greedy, allocation LP sizes, subgradient entries, CP-SAT's
deterministic time, neighbourhood piece sizes), each weighted so that one unit is about
one second of this project's 2-core machine (bench/README.md "Repeatable schedules"). Work does not depend on how busy the
machine is, so the same inputs, seed and work limit give the same schedule. The wall
clock is only a cap: when it ends a stage before its work does (a slower or loaded
machine, or a work limit above the time limit), or the user stops the build, the run is
still a valid schedule but no longer repeatable, and :attr:`WorkClock.cut` names the
stage that was cut.
"""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["WorkClock"]


class WorkClock:
    """Work spent and wall time elapsed since ``start`` (a ``time.perf_counter`` value).

    ``work_limit_s`` is the budget in work seconds, ``wall_limit_s`` the time limit;
    stages end at a share of each (:meth:`over`).
    """

    def __init__(self, work_limit_s: float, wall_limit_s: float, *, start: float | None = None,
                 stop: Callable[[], bool] | None = None) -> None:
        if not work_limit_s > 0:
            raise ValueError(f"work limit must be > 0 s, got {work_limit_s!r}")
        self.work_limit_s = float(work_limit_s)
        self.wall_limit_s = float(wall_limit_s)
        self.start = time.perf_counter() if start is None else float(start)
        self.work = 0.0
        self.cut = ""  # the first stage the wall clock or a stop request ended
        self._stop = stop

    def charge(self, units: float) -> None:
        """Count ``units`` work seconds as spent."""
        self.work += float(units)

    def wall(self) -> float:
        """Wall seconds since the start."""
        return time.perf_counter() - self.start

    def left(self, share: float) -> tuple[float, float]:
        """(work, wall) seconds left before ``share`` of each limit (either may be < 0)."""
        return (share * self.work_limit_s - self.work,
                share * self.wall_limit_s - self.wall())

    def over(self, share: float, stage: str) -> bool:
        """Whether ``stage`` must end: its work reached ``share`` of the work limit, or
        (recorded in :attr:`cut`) the wall clock reached ``share`` of the time limit or
        a stop was requested."""
        if self.work >= share * self.work_limit_s:
            return True
        if self._stop is not None and self._stop():
            self.mark_cut(f"{stage} (stopped)")
            return True
        if self.wall() >= share * self.wall_limit_s:
            self.mark_cut(stage)
            return True
        return False

    def mark_cut(self, stage: str) -> None:
        """Record that ``stage`` ended on the wall clock, not on its work (the first one
        recorded is kept)."""
        if not self.cut:
            self.cut = stage

    @property
    def reproducible(self) -> bool:
        """True when every stage ended on its work: a rerun gives the same result."""
        return not self.cut
