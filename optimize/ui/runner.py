"""Running the scheduler from the app: a worker thread, a progress bar and a stop button.

The solver runs in a worker thread; the build (thread, stop flag, progress queue, result
box) is kept in the session under ``"build_job"`` so that it outlives the script run that
started it. The script thread polls its progress reports and redraws the progress bar.
Clicking *Stop* reruns the script, which interrupts the polling loop; its ``finally``
clause sets the stop flag (so does leaving the page), and ``build_schedule(stop=...)``
ends the search with the best schedule found so far. The next run of the Schedule page
(:func:`collect_build`) waits the few seconds that takes and stores that schedule, marked
as stopped.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import streamlit as st

from optimize.scenario.config import ScenarioConfig
from optimize.ui import state
from optimize.ui.uploads import problems_table

__all__ = ["BuildJob", "run_schedule", "collect_build"]

log = logging.getLogger(__name__)

JOB_KEY = "build_job"


@dataclass
class BuildJob:
    """One schedule build running in a worker thread (mutable: it fills as it runs)."""

    thread: threading.Thread
    stop: threading.Event
    updates: queue.Queue
    box: dict[str, Any]
    meta: dict[str, Any]  # what the stored schedule needs besides the result
    started: float = field(default_factory=time.perf_counter)
    last: Any = None  # the last progress report seen


def run_schedule(requirements: pd.DataFrame, p: state.Plan, config: ScenarioConfig, *,
                 key: tuple, time_limit_s: float, seed: int) -> bool:
    """Build the schedule of plan ``p`` and keep it under ``st.session_state["schedule"]``.

    Returns ``True`` when a result (possibly infeasible, with its conflicts) was stored.
    """
    from optimize.scheduling import build_schedule

    stop = threading.Event()
    updates: queue.Queue = queue.Queue()
    box: dict[str, Any] = {}
    weeks = max(1, round((p.end - p.start) / pd.Timedelta(weeks=1)))

    def work() -> None:
        try:
            box["result"] = build_schedule(
                requirements, p.scenario.agents, config, start=p.start.date(), weeks=weeks,
                time_limit_s=time_limit_s, seed=seed, workers=2, progress=updates.put,
                stop=stop.is_set)
        except BaseException as exc:  # reported in the script thread
            box["error"] = exc

    meta = {"key": key, "data_key": p.data_key, "config": config, "deflection": key[-1],
            "time_limit_s": time_limit_s, "seed": seed, "plan_id": None}
    job = BuildJob(threading.Thread(target=work, name="staffcast-schedule", daemon=True),
                   stop, updates, box, meta)
    st.session_state[JOB_KEY] = job
    job.thread.start()
    return _follow(job, stoppable=True)


def collect_build() -> bool:
    """Finish a build whose polling a Stop click (or a page switch) interrupted.

    Waits for the worker (it stops at its next check, keeping its best schedule) and
    stores the result. Returns ``True`` when a result was stored.
    """
    job = st.session_state.get(JOB_KEY)
    if job is None:
        return False
    job.stop.set()
    return _follow(job, stoppable=False)


def _follow(job: BuildJob, *, stoppable: bool) -> bool:
    limit = job.meta["time_limit_s"]
    bar = st.progress(0.0, text="Building the model..." if stoppable else
                      "Stopping: keeping the best schedule found so far...")
    stop_slot = st.empty()
    if stoppable:
        stop_slot.button("Stop", key="stop_build",
                         help="Stop the solver and keep the best schedule found so far.")
    try:
        while job.thread.is_alive():
            job.thread.join(0.3)
            while not job.updates.empty():
                job.last = job.updates.get_nowait()
            elapsed = time.perf_counter() - job.started
            text = (f"{elapsed:.0f} s of at most {limit:.0f} s" if stoppable else
                    f"Stopping after {elapsed:.0f} s: finishing the first complete schedule "
                    "and its bound...")
            if job.last is not None:
                text += (f"; {job.last.solutions} solutions, objective "
                         f"{job.last.objective:,.1f}, gap {100 * job.last.gap:.1f}%")
            bar.progress(min(elapsed / (limit + 5.0), 1.0), text=text)
    finally:
        if job.thread.is_alive():  # interrupted by a rerun: Stop, or the user left the page
            job.stop.set()
    stop_slot.empty()
    del st.session_state[JOB_KEY]
    return _store(job, bar)


def _store(job: BuildJob, bar: Any) -> bool:
    from forecast.inputs.problems import InputError

    err = job.box.get("error")
    if isinstance(err, InputError):
        bar.empty()
        st.error("The schedule cannot be built from these inputs:")
        st.dataframe(problems_table(err.problems), hide_index=True)
        return False
    if err is not None:
        bar.empty()
        log.warning("build_schedule failed: %s", err)
        st.error(f"The solver failed: {type(err).__name__}: {err}")
        return False
    result = job.box["result"]
    stopped = job.stop.is_set()
    built_at = pd.Timestamp.now(tz="UTC")
    st.session_state["schedule"] = {  # uid: this schedule in the caches (key: its inputs)
        **job.meta, "result": result, "stopped": stopped, "built_at": built_at,
        "uid": f"build {built_at.isoformat()}"}
    done = "Stopped" if stopped else "Done"
    bar.progress(1.0, text=f"{done}: {result.status} in {result.wall_time_s:.1f} s")
    return True
