"""Replications of a planned period, seeded one by one, run in a process pool.

Replication ``r`` of seed ``s`` draws from ``numpy.random.default_rng([s, r])``, so each
one can be reproduced on its own and the result does not depend on how many processes
ran them.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd

from optimize.scenario.config import ScenarioConfig
from optimize.simulation.desk import Desk, desk_from_plan
from optimize.simulation.engine import simulate_once
from optimize.simulation.measures import (
    interval_counts,
    interval_table,
    promise_table,
    queue_table,
)

__all__ = ["SimulationResult", "simulate_desk", "simulate_plan"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SimulationResult:
    """Per interval x queue (``intervals``) and per queue (``queues``) simulated measures."""

    intervals: pd.DataFrame
    queues: pd.DataFrame
    reps: int
    seed: int
    shrinkage: str
    routing: str = "planned"
    day_levels: bool = False


def _one(desk: Desk, seed: int, shrinkage: str, warmup: bool, routing: str,
         day_levels: bool, rep: int) -> dict[str, np.ndarray]:
    return interval_counts(desk, simulate_once(desk, np.random.SeedSequence([seed, rep]),
                                               shrinkage=shrinkage, warmup=warmup,
                                               routing=routing, day_levels=day_levels))


def simulate_desk(desk: Desk, *, reps: int = 10, seed: int = 0, jobs: int = 1,
                  shrinkage: str = "intervals", warmup: bool = True,
                  routing: str = "planned", day_levels: bool = False) -> SimulationResult:
    """Simulate ``reps`` replications of the desk's period and summarise them.

    Parameters
    ----------
    desk : Desk
    reps : int
        Replications (>= 1; the 95% intervals need >= 2).
    seed : int
    jobs : int
        Worker processes (1: in this process).
    shrinkage : {"intervals", "shifts", "none"}
    warmup : bool
    routing : {"planned", "skills"}
    day_levels : bool
        See :func:`optimize.simulation.engine.simulate_once`.

    Returns
    -------
    SimulationResult
    """
    if reps < 1:
        raise ValueError(f"reps must be >= 1, got {reps!r}")
    t0 = time.perf_counter()
    one = partial(_one, desk, int(seed), shrinkage, warmup, routing, day_levels)
    if jobs > 1 and reps > 1:
        with ProcessPoolExecutor(max_workers=min(jobs, reps)) as pool:
            counts = list(pool.map(one, range(reps)))
    else:
        counts = [one(r) for r in range(reps)]
    log.info("simulated %d replication(s) of %d queues x %d intervals in %.1f s", reps,
             len(desk.queues), desk.n_intervals, time.perf_counter() - t0)
    return SimulationResult(intervals=interval_table(desk, counts),
                            queues=queue_table(desk, counts), reps=reps, seed=int(seed),
                            shrinkage=shrinkage, routing=routing, day_levels=day_levels)


def simulate_plan(activities: pd.DataFrame, forecast: pd.DataFrame, config: ScenarioConfig, *,
                  start: pd.Timestamp, weeks: int, interval_s: int, promised: pd.DataFrame,
                  reps: int = 10, seed: int = 0, jobs: int = 1, shrinkage: str | None = None,
                  warmup: bool = True, routing: str = "planned",
                  agents: pd.DataFrame | None = None, arrivals: pd.DataFrame | None = None,
                  day_levels: bool = False) -> tuple[SimulationResult, pd.DataFrame]:
    """Simulate a plan's weeks and set the result beside its promise.

    ``promised`` is the plan's per-queue table (``channel, language, service_level``;
    :func:`optimize.outputs.summary.queue_outlook`); ``agents`` (``agents.csv`` as loaded)
    gives the skills for ``routing="skills"``; ``arrivals`` (a contacts table covering the
    plan weeks) replaces the forecast's Poisson arrivals by the actual ones; ``day_levels``
    draws each day's level from the forecast's band; ``shrinkage`` None takes the
    scenario's ``staffing.shrinkage_mode``. Returns the
    :class:`SimulationResult` and :func:`~optimize.simulation.measures.promise_table`.
    """
    if routing == "skills" and agents is None:
        raise ValueError("routing='skills' needs the agents' skills (agents=...)")
    desk = desk_from_plan(activities, forecast if arrivals is None else arrivals, config,
                          start=start, weeks=weeks, interval_s=interval_s, agents=agents,
                          replay=arrivals is not None)
    res = simulate_desk(desk, reps=reps, seed=seed, jobs=jobs,
                        shrinkage=shrinkage or config.staffing.shrinkage_mode, warmup=warmup,
                        routing=routing, day_levels=day_levels)
    return res, promise_table(res.queues, promised)
