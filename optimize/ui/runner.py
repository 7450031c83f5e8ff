"""Running the scheduler from the app: a worker thread, a progress bar and a stop button.

The solver runs in a worker thread while the script thread polls its progress reports and
redraws the progress bar. Clicking *Stop* reruns the script, which interrupts the polling
loop; its ``finally`` clause sets the stop flag, and the worker's progress callback raises
:class:`BuildStopped` at the solver's next improving solution (OR-Tools ends the search
when a solution callback raises), or the solver ends at its time limit.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from typing import Any

import pandas as pd
import streamlit as st

from optimize.config import ScenarioConfig
from optimize.ui import state
from optimize.ui.uploads import problems_table

__all__ = ["BuildStopped", "run_schedule"]

log = logging.getLogger(__name__)


class BuildStopped(Exception):
    """Raised inside the solver's progress callback to end a build the user stopped."""


def run_schedule(requirements: pd.DataFrame, p: state.Plan, config: ScenarioConfig, *,
                 key: tuple, time_limit_s: float, seed: int) -> bool:
    """Build the schedule of plan ``p`` and keep it under ``st.session_state["schedule"]``.

    Returns ``True`` when a result (possibly infeasible, with its conflicts) was stored.
    """
    from forecast.validation import InputError
    from optimize.scheduling import build_schedule

    updates: queue.Queue = queue.Queue()
    stop = threading.Event()
    box: dict[str, Any] = {}
    weeks = max(1, round((p.end - p.start) / pd.Timedelta(weeks=1)))

    def progress(info: Any) -> None:
        updates.put(info)
        if stop.is_set():
            raise BuildStopped("stopped from the app")

    def work() -> None:
        try:
            box["result"] = build_schedule(
                requirements, p.scenario.agents, config, start=p.start.date(), weeks=weeks,
                time_limit_s=time_limit_s, seed=seed, workers=2, progress=progress)
        except BaseException as exc:  # reported in the script thread
            box["error"] = exc

    st.session_state["build_stopped"] = True  # cleared when the build completes
    bar = st.progress(0.0, text="Building the model...")
    stop_slot = st.empty()
    stop_slot.button("Stop", key="stop_build", help="Stop the solver; the previous schedule is kept.")
    worker = threading.Thread(target=work, name="staffcast-schedule", daemon=True)
    t0 = time.perf_counter()
    worker.start()
    last = None
    try:
        while worker.is_alive():
            worker.join(0.3)
            while not updates.empty():
                last = updates.get_nowait()
            elapsed = time.perf_counter() - t0
            text = f"{elapsed:.0f} s of at most {time_limit_s:.0f} s"
            if last is not None:
                text += (f"; {last.solutions} solutions, objective {last.objective:,.1f}, "
                         f"gap {100 * last.gap:.1f}%")
            bar.progress(min(elapsed / (time_limit_s + 5.0), 1.0), text=text)
    finally:
        stop.set()
    stop_slot.empty()
    err = box.get("error")
    if isinstance(err, InputError):
        st.error("The schedule cannot be built from these inputs:")
        st.dataframe(problems_table(err.problems), hide_index=True)
        return False
    if err is not None:
        log.warning("build_schedule failed: %s", err)
        st.error(f"The solver failed: {type(err).__name__}: {err}")
        return False
    result = box["result"]
    st.session_state["schedule"] = {
        "key": key, "data_key": p.data_key, "result": result, "config": config,
        "deflection": key[-1], "time_limit_s": time_limit_s,
        "built_at": pd.Timestamp.now(tz="UTC")}
    st.session_state["build_stopped"] = False
    bar.progress(1.0, text=f"Done: {result.status} in {result.wall_time_s:.1f} s")
    return True
