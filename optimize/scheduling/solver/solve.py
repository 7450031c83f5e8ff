"""Solving the CP-SAT model: parameters, progress reports, and reading the solution back."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from optimize.scheduling.solver.model import SCALE, Built

__all__ = ["ProgressInfo", "Solved", "solve_built", "relative_gap"]

log = logging.getLogger(__name__)

_STATUS = {
    cp_model.OPTIMAL: "optimal",
    cp_model.FEASIBLE: "feasible",
    cp_model.INFEASIBLE: "infeasible",
    cp_model.MODEL_INVALID: "model_invalid",
    cp_model.UNKNOWN: "unknown",
}


@dataclass(frozen=True)
class ProgressInfo:
    """One improving solution, as reported to the progress callback."""

    wall_time_s: float
    objective: float  # cost units (see optimize.scheduling.solver.model)
    best_bound: float
    gap: float  # relative: (objective - best_bound) / objective
    solutions: int  # improving solutions found so far
    time_limit_s: float


@dataclass(frozen=True)
class Solved:
    """The raw solution of the model."""

    status: str
    worked: np.ndarray  # bool per built.cand row; empty when no solution
    alloc: np.ndarray  # tenths, shape (groups, queues, intervals)
    idle: np.ndarray  # tenths, shape (groups, intervals)
    objective: float
    best_bound: float
    gap: float
    wall_time_s: float
    work_s: float = 0.0  # work seconds spent: CP-SAT's deterministic time, or the search's
    # WorkClock total once search() returns it
    # the stage a wall-clock limit or a stop request ended before its work ("" none:
    # the same inputs and seed give this solution again; optimize.scheduling.solver.clock)
    cut: str = ""


def relative_gap(objective: float, bound: float) -> float:
    """``(objective - bound) / |objective|``, 0 when both are 0."""
    if abs(objective) < 1e-12:
        return 0.0 if abs(bound) < 1e-12 else float("inf")
    return max(0.0, (objective - bound) / abs(objective))


class _Progress(cp_model.CpSolverSolutionCallback):
    def __init__(self, report: Callable[[ProgressInfo], None] | None, limit: float):
        super().__init__()
        self._report = report
        self._limit = limit
        self.count = 0

    def on_solution_callback(self) -> None:
        self.count += 1
        obj = self.objective_value / SCALE
        bound = max(0.0, self.best_objective_bound / SCALE)
        log.debug("solution %d: objective %.2f bound %.2f", self.count, obj, bound)
        if self._report is not None:
            self._report(ProgressInfo(self.wall_time, obj, bound, relative_gap(obj, bound),
                                      self.count, self._limit))


def solve_built(built: Built, shape: tuple[int, int, int], *, time_limit_s: float, seed: int,
                workers: int, progress: Callable[[ProgressInfo], None] | None = None,
                log_search: bool = False, stop: Callable[[], bool] | None = None,
                work_s: float | None = None) -> Solved:
    """Solve ``built``; ``shape`` is (groups, queues, intervals) of the allocation array.

    ``stop`` is polled every 0.2 s while CP-SAT runs; when it returns true the search ends
    with the best solution found so far (``status`` then says ``feasible``). With
    ``work_s``, CP-SAT's deterministic time is capped there and its workers interleave
    (``interleave_search``: the search does not depend on thread timing), so a solve
    that ends on it, or on optimality, is repeatable; ``Solved.cut`` says when
    ``time_limit_s`` or ``stop`` ended it instead.
    """
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = float(time_limit_s)
    solver.parameters.num_workers = int(workers)
    solver.parameters.random_seed = int(seed)
    solver.parameters.log_search_progress = log_search
    if work_s is not None:
        solver.parameters.max_deterministic_time = float(work_s)
        solver.parameters.interleave_search = workers > 1
    callback = _Progress(progress, float(time_limit_s))
    t0 = time.perf_counter()
    done = threading.Event()
    watcher = None
    if stop is not None:
        def watch() -> None:
            while not done.wait(0.2):
                if stop():
                    solver.stop_search()
                    return
        watcher = threading.Thread(target=watch, name="staffcast-stop-watch", daemon=True)
        watcher.start()
    try:
        code = solver.solve(built.model, callback)
    finally:
        done.set()
        if watcher is not None:
            watcher.join()
    wall = time.perf_counter() - t0
    status = _STATUS.get(code, "unknown")
    cut = ""
    if code not in (cp_model.OPTIMAL, cp_model.INFEASIBLE, cp_model.MODEL_INVALID):
        if stop is not None and stop():
            cut = "CP-SAT (stopped)"
        elif work_s is None or solver.deterministic_time < 0.99 * work_s:
            cut = "CP-SAT"  # the wall clock ended it before its deterministic time
    log.info("CP-SAT %s in %.1f s: %s", status, wall, solver.response_stats().splitlines()[0]
             if solver.response_stats() else "")
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return Solved(status, np.zeros(0, dtype=bool), np.zeros(shape, dtype=int),
                      np.zeros(shape[::2], dtype=int), float("nan"), float("nan"),
                      float("nan"), wall, solver.deterministic_time, cut)
    worked = np.array([solver.boolean_value(v) for v in built.x], dtype=bool)
    alloc = np.zeros(shape, dtype=int)
    for key, v in built.alloc.items():
        alloc[key] = solver.value(v)
    idle = np.zeros((shape[0], shape[2]), dtype=int)
    for key, v in built.idle.items():
        idle[key] = solver.value(v)
    obj = solver.objective_value / SCALE
    bound = max(0.0, solver.best_objective_bound / SCALE)  # every penalty term is >= 0
    gap = 0.0 if code == cp_model.OPTIMAL else relative_gap(obj, bound)
    return Solved(status, worked, alloc, idle, obj, bound, gap, wall, solver.deterministic_time,
                  cut)
