"""Plans kept in the store, in the app: open on the published plan, keep every build as a
draft, choose a stored plan, compare it with the published one, publish it.

The session's schedule (``st.session_state["schedule"]``) is always one plan: the
published plan opened at the start of a session, a stored plan the manager chose, or a
build (saved as a draft as soon as it is done). A plan carries the choices it was made
with (market scenario, what-ifs, deflection, staffing quantile); opening it puts them back
into the session, so every page shows the plan with the inputs it was made on.
"""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

import pandas as pd
import streamlit as st

from optimize.scenario.config import ScenarioConfig
from optimize.ui import state
from optimize.ui.whatif import apply_deflection

__all__ = ["compare_with_published", "open_published", "plan_bar", "quick_published",
           "save_build", "session_settings", "use_plan"]

log = logging.getLogger(__name__)

_SETTINGS = ("market_scenario", "shock", "quantile", "deflection", "channels_whatif",
             "staffing_whatif")


def session_settings() -> dict[str, Any]:
    """The session's choices a plan depends on, as JSON-able values."""
    ss = st.session_state
    return {"market_scenario": ss["market_scenario"],
            "shock": list(ss["shock"]) if ss["shock"] else None,
            "quantile": ss["quantile"],
            "deflection": sorted([c, lang, float(v)] for (c, lang), v in ss["deflection"].items()
                                 if v),
            "channels_whatif": ss["channels_whatif"], "staffing_whatif": ss["staffing_whatif"]}


def _settings_from(info: Any) -> dict[str, Any]:
    """The session values of a stored plan's settings (plans of the command line name the
    market scenario ``scenario`` and a shock ``TIME@MOVE``; they have no what-ifs)."""
    s = info.settings
    shock = s.get("shock")
    if isinstance(shock, str):
        at, _, move = shock.rpartition("@")
        shock = [pd.Timestamp(at).tz_convert("UTC").isoformat(), float(move)]
    return {"market_scenario": s.get("market_scenario", s.get("scenario", "typical")),
            "shock": tuple(shock) if shock else None,
            "quantile": s.get("quantile") or "contacts",
            "deflection": {(c, lang): float(v) for c, lang, v in s.get("deflection", [])},
            "channels_whatif": dict(s.get("channels_whatif", {})),
            "staffing_whatif": dict(s.get("staffing_whatif", {}))}


def use_plan(p: state.Plan, plan_id: str) -> None:
    """Make stored plan ``plan_id`` the session's schedule, with the choices it was made with
    (reruns the page when they differ from the session's)."""
    info, result, files = state.stored_plan(str(state.store_path()), plan_id)
    settings = _settings_from(info)
    changed = any(st.session_state[k] != v for k, v in settings.items())
    for k, v in settings.items():
        st.session_state[k] = v
    st.session_state["schedule"] = {
        "key": None, "config": None, "data_key": p.data_key,
        "deflection": tuple(sorted(settings["deflection"].items())),
        "time_limit_s": float(info.settings.get("time_limit", 0) or 0), "result": result,
        "stopped": False, "built_at": info.created_at, "plan_id": info.plan_id,
        "uid": info.plan_id,
        "run_id": info.run_id, "figures": info.figures}
    if changed:
        st.rerun()


def _to_open() -> Any | None:
    """The latest published plan of the scenario in use, while the session has neither a
    plan nor was offered one yet (found from the store and the fingerprint of the
    scenario's input files alone: milliseconds, nothing parsed); None otherwise, or when
    the store cannot be read (the app works without it)."""
    if st.session_state.get("opened_published") or st.session_state.get("schedule") is not None:
        return None
    from optimize.records import published_plan

    _, fingerprint = state.scenario_identity()
    try:
        return published_plan(state.store_path(), fingerprint=fingerprint)
    except (ValueError, sqlite3.Error) as exc:
        log.warning("cannot read plans from %s: %s", state.store_path(), exc)
        return None


def quick_published() -> Any | None:
    """The published plan a new session is about to open, so that a page can show its
    stored figures before the scenario is loaded; None when :func:`open_published` will
    not open one, or the plan was made with other choices than the session's."""
    info = _to_open()
    if info is None or any(st.session_state[k] != v for k, v in _settings_from(info).items()):
        return None
    return info


def open_published(p: state.Plan) -> None:
    """Once a session, before anything is built: open the latest published plan of the
    scenario in use (the one ``make run`` published), if there is one."""
    info = _to_open()
    st.session_state["opened_published"] = True
    if info is not None and info.start == p.start:
        use_plan(p, info.plan_id)


def save_build(p: state.Plan, config: ScenarioConfig) -> None:
    """Keep the session's just-built schedule in the store as a draft (a failed save is
    reported and the schedule stays in this session)."""
    from optimize.outputs.export import schedule_files, table_to_csv
    from optimize.outputs.figures import plan_figures
    from optimize.outputs.summary import summary_markdown
    from optimize.records import record_files, save_plan

    sched = st.session_state["schedule"]
    result = sched["result"]
    if result.status not in ("optimal", "feasible"):
        return
    fc = apply_deflection(p.forecast, dict(sched["deflection"]))
    cov = state.coverage(fc, result.staffed, config, (sched["key"], sched["uid"]),
                         p.scenario.interval_s,
                         (p.start, p.end), result.activities)
    req = state.requirements(p, config)
    weeks = max(1, round((p.end - p.start) / pd.Timedelta(weeks=1)))
    summary = summary_markdown(scenario=p.scenario, start=p.start.date(), weeks=weeks,
                               forecast=fc, requirements=req, result=result, coverage=cov)
    pad = pd.Timedelta(days=1)
    window = fc[(fc["interval_start"] >= p.start - pad) & (fc["interval_start"] < p.end + pad)]
    files = {"forecast.csv": table_to_csv(window), "requirements.csv": table_to_csv(req),
             **schedule_files(result, cov), "summary.md": summary.encode("utf-8")}
    figures = plan_figures(result, cov, fc, config, p.start, p.end, p.scenario.interval_s,
                           requirements=req, agents=p.scenario.agents)
    label, fingerprint = state.scenario_identity()
    store = state.store_path()
    try:
        store.parent.mkdir(parents=True, exist_ok=True)
        info = save_plan(store, scenario=label, fingerprint=fingerprint, start=p.start,
                         weeks=weeks, files=record_files(result, files), figures=figures,
                         settings={**session_settings(), "time_limit": sched["time_limit_s"],
                                   "seed": sched.get("seed")},
                         made_by="app", run_id=p.forecast_source.get("run_id"))
    except (OSError, ValueError, sqlite3.Error) as exc:
        st.warning(f"This schedule could not be kept in the plan store ({exc}): it lives in "
                   "this browser session only.")
        sched["figures"] = figures
        return
    sched.update(plan_id=info.plan_id, run_id=info.run_id, figures=figures)
    st.session_state["opened_published"] = True


def plan_bar(p: state.Plan, sched: dict | None) -> None:
    """The Schedule page's plan chooser: the stored plans of this scenario, which one is in
    use and published, and the button that publishes it."""
    from optimize.records import find_plan, list_plans, publish_plan

    _, fingerprint = state.scenario_identity()
    store = state.store_path()
    try:
        plans = [q for q in list_plans(store, fingerprint=fingerprint) if q.start == p.start]
    except (ValueError, sqlite3.Error) as exc:
        st.warning(f"The plan store {store} cannot be read: {exc}")
        return
    if not plans:
        st.caption(f"No stored plans of this scenario's week in {store} yet: a build is kept "
                   "there as a draft.")
        return
    ids = [q.plan_id for q in plans]
    labels = {q.plan_id: q.label for q in plans}
    current = sched.get("plan_id") if sched else None
    c1, c2 = st.columns([3, 1])
    st.session_state["w:plan_pick"] = current if current in ids else None
    pick = c1.selectbox("Plan in use", ids, key="w:plan_pick", format_func=labels.get,
                        placeholder="an unsaved schedule of this session",
                        help="Every build is kept as a draft; `staffcast plan --store` and "
                             "`replan --store` add plans too. Publishing makes a plan the one "
                             "the app opens on.")
    if pick is not None and pick != current:
        use_plan(p, pick)
        st.rerun()
    if current in ids:
        info = find_plan(store, current)
        if info.status == "published":
            c2.success(f"Published {info.published_at:%d %b %H:%M} UTC", icon=":material/verified:")
        elif c2.button("Publish this plan", type="primary", key="publish",
                       help="Make this plan the published plan of its week (the one the app "
                            "opens on); the plan published before it is kept, superseded."):
            publish_plan(store, current)
            st.rerun()
        else:
            c2.info(f"{info.status.capitalize()}: not published", icon=":material/draft:")


def compare_with_published(p: state.Plan, sched: dict) -> tuple[Any, pd.DataFrame, pd.DataFrame] | None:
    """``(published PlanInfo, per queue table, per agent table)`` comparing the plan in use
    with the published plan of its scenario and week; None when there is nothing to compare."""
    from optimize.records import compare_agents, compare_queues, published_plan
    from optimize.records.tables import read_record_table

    _, fingerprint = state.scenario_identity()
    store = str(state.store_path())
    pub = published_plan(store, fingerprint=fingerprint)
    if pub is None or pub.plan_id == sched.get("plan_id") or pub.start != p.start:
        return None
    _, pub_result, pub_files = state.stored_plan(store, pub.plan_id)

    def tables(files: dict[str, bytes], plan_id: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        return (read_record_table(files, "coverage.csv", plan_id),
                read_record_table(files, "forecast.csv", plan_id))

    if sched.get("plan_id"):
        _, result, files = state.stored_plan(store, sched["plan_id"])
        mine = tables(files, sched["plan_id"])
    else:
        result = sched["result"]
        mine = (sched["coverage"], apply_deflection(p.forecast, dict(sched["deflection"])))
    queues = compare_queues(tables(pub_files, pub.plan_id), mine, p.start, p.end,
                            p.scenario.interval_s)
    return pub, queues, compare_agents(pub_result.roster, result.roster)
