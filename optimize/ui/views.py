"""Small UI helpers shared by the pages (captions, column formats, the schedule in use)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from optimize.outputs.labels import utc_offset
from optimize.scenario.config import ScenarioConfig
from optimize.ui import state
from optimize.ui.whatif import apply_deflection

__all__ = ["plan_caption", "outlook_columns", "schedule_key", "schedule_for", "local",
           "table_height"]


def local(ts, tz: str, fmt: str = "%a %d %b %Y %H:%M") -> str:
    """``ts`` (tz-aware) as text in ``tz``, with its UTC offset (``UTC+08:00``; ``UTC`` at
    zero): abbreviations are ambiguous (Asia/Manila's "PST" reads as Pacific time)."""
    t = ts.tz_convert(tz)
    return f"{t.strftime(fmt)} {utc_offset(t.strftime('%z'))}"


def table_height(rows: int, max_rows: int = 40) -> int:
    """Pixel height of an ``st.dataframe`` showing ``rows`` rows (at most ``max_rows``)
    without an empty filler row."""
    return 35 * (min(rows, max_rows) + 1) + 3


def plan_caption(p: state.Plan) -> str:
    """One line naming the scenario, plan window, forecast source and time zone."""
    src = p.forecast_source
    if src.get("baseline"):
        where = (f"market what-if computed in the app against forecast run "
                 f"`{src['baseline']['run_id']}`")
    elif src.get("live"):
        where = f"forecast computed in the app from {local(src['asof'], p.tz)}"
    else:
        where = (f"forecast run `{src['run_id']}` refreshed {local(src['created_at'], p.tz)}")
    ms = st.session_state["market_scenario"] + (" + shock" if st.session_state["shock"] else "")
    return (f"{state.scenario_key().capitalize()}, week of {local(p.start, p.tz, '%a %d %b %Y')} "
            f"to {local(p.end, p.tz, '%a %d %b %Y')}; market scenario **{ms}**; {where}; "
            f"times in {p.tz}.")


def outlook_columns() -> dict[str, Any]:
    """Column formats of the response-time outlook table."""
    n = st.column_config.NumberColumn
    return {
        "target": st.column_config.TextColumn("target"),
        "contacts": n("contacts", format="%.0f"),
        "service_level": n("service level", format="percent"),
        "wait_offpeak_s": n("wait, other intervals (s)", format="%.0f"),
        "wait_peak_s": n("wait, busiest 10% (s)", format="%.0f",
                         help="Peak: the queue's busiest 10% of intervals by forecast "
                              "contacts, as in summary.md."),
        "abandon_rate": n("abandoned", format="percent"),
        "reply_typical_h": n("reply typical (h)", format="%.1f"),
        "reply_worst_h": n("reply worst (h)", format="%.1f"),
    }


def schedule_key(p: state.Plan, config: ScenarioConfig) -> tuple:
    """The inputs a schedule depends on; a stored schedule is current when its key matches."""
    defl = tuple(sorted((k, float(v)) for k, v in st.session_state["deflection"].items() if v))
    return (state.forecast_key(p), repr(config), st.session_state["quantile"], defl)


def schedule_for(p: state.Plan, config: ScenarioConfig, *, stale_ok: bool = False
                 ) -> dict[str, Any] | None:
    """The built schedule of the session with its coverage, or ``None``.

    A schedule built for other inputs (scenario, forecast, what-ifs) is returned only with
    ``stale_ok`` (and then carries ``stale=True``). The first call of a session opens the
    published plan of the scenario (:func:`optimize.ui.plans.open_published`).
    """
    from optimize.ui.plans import open_published

    open_published(p)
    sched = st.session_state.get("schedule")
    if sched is None:
        return None
    if sched["key"] is None:  # a stored plan just opened: the session holds its choices now
        sched.update(key=schedule_key(p, config), config=config)
    stale = sched["key"] != schedule_key(p, config)
    if stale and not stale_ok:
        return None
    if sched["data_key"] != p.data_key:  # another scenario: never usable
        return None
    result = sched["result"]
    if result.status not in ("optimal", "feasible"):
        return {**sched, "coverage": None, "stale": stale}
    fc = apply_deflection(p.forecast, dict(sched["deflection"]))
    cov = state.coverage(fc, result.staffed, sched["config"], (sched["key"], sched["uid"]),
                         p.scenario.interval_s,
                         (p.start, p.end), result.activities)
    return {**sched, "coverage": cov, "stale": stale}
