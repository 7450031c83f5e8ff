"""Schedule page: build the roster (on click, with progress and stop), then read it."""

import pandas as pd
import streamlit as st

from optimize.outputs.figures import plan_window_rows
from optimize.outputs.labels import PENALTY_KINDS, penalty_label
from optimize.outputs.simulated import over_promise_line, simulation_table, vip_table
from optimize.outputs.summary import (
    BENDS_NOTE,
    REMEDY_NOTE,
    remedy_tables,
    repeatability,
    short_line,
)
from optimize.ui import state
from optimize.ui.charts import coverage_chart, roster_gantt
from optimize.ui.insights import fairness, roster_table
from optimize.ui.plans import compare_with_published, plan_bar, save_build
from optimize.ui.runner import collect_build, run_schedule
from optimize.ui.views import local, plan_caption, schedule_for, schedule_key, table_height
from optimize.ui.whatif import apply_deflection

MAX_GANTT = 40  # agents drawn in the roster chart at once
COST_UNITS = ("Cost units: one head short for one interval on a priority-1 queue (email). "
              "Live queues price a missing head by the contacts it would have answered within "
              "target there, scaled so each channel weighs as much as before in total: a chat "
              "head (priority 4) costs more at busy intervals and less at quiet ones.")

p = state.plan()
config = state.plan_config(p.scenario.config)
st.title("Schedule")
st.caption(plan_caption(p))

c1, c2, c3 = st.columns([1, 1, 2])
limit = c1.number_input("Solver time limit (s)", 5, 600, 30, 5, key="time_limit",
                        help="The solver stops at this limit with the best schedule found.")
seed = c2.number_input("Random seed", 0, 10_000, 0, key="seed")
if collect_build():  # a build whose progress a Stop click (or a page switch) interrupted
    save_build(p, config)
if c3.button("Build schedule", type="primary", key="build"):
    req = state.requirements(p, config)  # the plan weeks: padding shortfall is not this plan's
    pad = pd.Timedelta(days=1)
    req = req[(req["interval_start"] >= p.start - pad) & (req["interval_start"] < p.end + pad)]
    if run_schedule(req, p, config, key=schedule_key(p, config), time_limit_s=float(limit),
                    seed=int(seed)):
        save_build(p, config)
sched = schedule_for(p, config, stale_ok=True)
plan_bar(p, sched)
if sched is not None and sched.get("stopped"):
    st.warning(f"This build was stopped after {sched['result'].wall_time_s:.0f} s: it is the best "
               "schedule found by then (gap below); build again with a longer limit to improve "
               "it.")
if sched is None:
    st.info("No schedule yet for this scenario's week (none published, none chosen above). "
            "Set the what-ifs on the Staffing page, then click **Build schedule**: the build is "
            "kept in the plan store as a draft.")
    st.stop()
res = sched["result"]
if sched["stale"]:
    st.warning("This schedule was built before the forecast or what-ifs changed: rebuild to "
               "plan against the current requirements.")
m = st.columns(5)
m[0].metric("Status", res.status)
if res.status not in ("optimal", "feasible"):
    m[1].metric("Solve time", f"{res.wall_time_s:.1f} s")
else:
    m[1].metric("Objective", f"{res.objective:,.1f}", help=COST_UNITS)
    m[2].metric("Gap to bound", f"{100 * res.gap:.1f}%" if pd.notna(res.gap) else "n/a")
    m[3].metric("Solve time", f"{res.wall_time_s:.1f} s")
    m[4].metric("Shifts", f"{len(res.roster)}")
    if sched.get("figures"):
        st.caption(short_line(sched["figures"]))
    st.caption(repeatability(res))
if res.status == "unknown":
    st.error(f"The solver found no schedule within {sched['time_limit_s']:.0f} s: raise the time "
             "limit and build again.")
    st.stop()
if res.status not in ("optimal", "feasible"):
    st.error("No schedule satisfies the hard rules. Fix these agents' availability or hours "
             "(agents.csv) or the labour rules (scenario.toml):")
    for reason in res.conflicts or (f"solver status {res.status}",):
        st.write(f"- {reason}")
    st.stop()

agents = p.scenario.agents
# keyed: a click inside a tab (a queue picked, Simulate) reruns the page on the same tab
tab_roster, tab_cov, tab_unmet, tab_fair, tab_sim, tab_cmp = st.tabs(
    ["Roster", "Coverage", "Unmet and bent rules", "Fairness", "Simulated",
     "Compare with published"], key="schedule_tab", on_change="rerun")

with tab_roster:
    f1, f2, f3 = st.columns(3)
    langs = sorted({lang for t in agents["languages"] for lang in t})
    teams_col = "team" if "team" in agents else "channels"
    teams = sorted({t for v in agents[teams_col] for t in (v if isinstance(v, tuple) else (v,))})
    pick_lang = f1.multiselect("Language", langs, key="f_lang")
    pick_team = f2.multiselect("Team" if teams_col == "team" else "Team (channel skill)", teams,
                               key="f_team")
    pick_tz = f3.multiselect("Agent time zone", sorted(agents["timezone"].unique()), key="f_tz")
    keep = pd.Series(True, index=agents.index)
    if pick_lang:
        keep &= agents["languages"].map(lambda t: bool(set(t) & set(pick_lang)))
    if pick_team:
        keep &= agents[teams_col].map(
            lambda v: bool(set(v if isinstance(v, tuple) else (v,)) & set(pick_team)))
    if pick_tz:
        keep &= agents["timezone"].isin(pick_tz)
    chosen = agents.loc[keep, "agent_id"]
    acts = res.activities[res.activities["agent_id"].isin(chosen)]
    working = sorted(acts["agent_id"].unique())
    pages = max(1, -(-len(working) // MAX_GANTT))
    page = 1
    if pages > 1:
        page = int(st.number_input(f"Agents page (of {pages}, {MAX_GANTT} agents a page)", 1,
                                   pages, 1, key="gantt_page"))
        shown = working[(page - 1) * MAX_GANTT:page * MAX_GANTT]
        acts = acts[acts["agent_id"].isin(shown)]
    st.caption(f"{chosen.size} agents match, {len(working)} with shifts"
               + (f", page {page} of {pages} drawn" if pages > 1 else "")
               + f"; times in {p.tz}. Drag to pan, scroll to zoom.")
    if len(acts):
        st.altair_chart(roster_gantt(acts, agents, p.tz), width="stretch")
    roster = res.roster[res.roster["agent_id"].isin(chosen)]
    st.dataframe(roster_table(roster, p.tz), hide_index=True, width="stretch", height=260)

with tab_cov:
    cov = sched["coverage"]
    cov = cov[(cov["interval_start"] >= p.start) & (cov["interval_start"] < p.end)]
    heads = state.requirements(p, sched["config"])[
        ["interval_start", "channel", "language", "required_scheduled"]]
    cov = cov.merge(heads, on=["interval_start", "channel", "language"], how="left")
    queues = ["all queues"] + [f"{c}/{lang}" for c, lang in
                               p.scenario.queues.itertuples(index=False)]
    q = st.selectbox("Queue", queues, key="cov_queue")
    part = cov if q == "all queues" else cov[
        (cov["channel"] + "/" + cov["language"]) == q]
    st.altair_chart(coverage_chart(part, p.tz, title=f"Heads on the schedule vs required: {q}",
                                   required="required_scheduled"), width="stretch")
    st.caption("Both in heads on the schedule (agents on duty, not on break): the requirement "
               "includes shrinkage (paid time not available for contacts), as on the Staffing "
               "page.")

with tab_unmet:
    unmet, pen = plan_window_rows(res.unmet, res.penalties, p.start, p.end)
    st.markdown(f"**{len(unmet)} interval x queue rows of the plan week short of the "
                "requirement** (largest shortfall first; heads on the schedule).")
    if len(unmet):
        unmet["interval_start"] = unmet["interval_start"].map(lambda t: local(t, p.tz))
        st.dataframe(unmet.round(1), hide_index=True, width="stretch", height=240,
                     column_config={"interval_start": "interval", "required_scheduled": "required",
                                    "scheduled_agents": "scheduled"})
    from optimize.scheduling.remedy import language_totals, shortfall_reasons  # after a build

    short_req = state.requirements(p, sched["config"])
    short_req = short_req[(short_req["interval_start"] >= p.start)
                          & (short_req["interval_start"] < p.end)]
    weeks = int(round((p.end - p.start) / pd.Timedelta(days=7)))
    reasons = shortfall_reasons(short_req, res.staffed, res.roster, agents, sched["config"],
                                weeks=weeks, interval_s=p.scenario.interval_s)
    if len(reasons):
        by_queue, by_language = remedy_tables(reasons, language_totals(
            short_req, res.staffed, res.roster, agents, weeks=weeks,
            interval_s=p.scenario.interval_s))
        st.markdown("**Why queues are short, and what would fix it**", help=REMEDY_NOTE)
        st.dataframe(by_queue, hide_index=True, width="stretch", height=240)
        st.dataframe(by_language, hide_index=True, width="stretch",
                     height=table_height(len(by_language)))
    st.markdown("**Where the plan bends** (penalties in cost units)", help=COST_UNITS)
    st.caption(BENDS_NOTE)
    if len(pen):
        by_kind = pen.groupby("kind", as_index=False)["cost"].agg(["sum", "count"]).sort_values(
            "sum", ascending=False)
        by_kind.insert(0, "what", by_kind["kind"].map(lambda k: PENALTY_KINDS.get(k, k)))
        st.dataframe(by_kind.round(1), hide_index=True, width="stretch",
                     height=table_height(len(by_kind)),
                     column_config={"what": "rule bent", "kind": "code name",
                                    "sum": "total cost", "count": "times"})
        top = pen.sort_values("cost", ascending=False).head(200)
        top.insert(0, "penalty", top["name"].map(lambda n: penalty_label(n, p.tz)))
        st.dataframe(top.drop(columns="kind"), hide_index=True, width="stretch", height=240,
                     column_config={"cost": st.column_config.NumberColumn(format="%.1f"),
                                    "name": st.column_config.TextColumn(
                                        "code name", help="as in summary.md and the logs")})
    else:
        st.write("No rule bends.")

with tab_fair:
    fair = fairness(res.roster, config.labour)
    st.caption(f"Night = a shift overlapping {config.labour.night_start}-{config.labour.night_end} "
               "local time; weekend = a shift starting on a local Saturday or Sunday.")
    st.dataframe(fair, hide_index=True, width="stretch", height=320)

with tab_sim:
    st.caption("The service levels above are promised by per-interval queueing formulas. A "
               "discrete-event simulation plays the week contact by contact on this roster: "
               "Poisson arrivals at the forecast, every work minute on its planned queue, "
               "shrinkage as whole agent-intervals lost with the channel's probability, after "
               "a warm-up week (as `staffcast simulate`).")
    s1, s2 = st.columns([1, 3])
    reps = s1.number_input("Replications", 2, 50, 5, key="sim_reps",
                           help="More replications narrow the 95% intervals (about 1 s each).")
    if s2.button("Simulate this schedule", key="simulate") or st.session_state.get(
            "sim_done") == (sched["uid"], int(reps)):
        st.session_state["sim_done"] = (sched["uid"], int(reps))
        fc = apply_deflection(p.forecast, dict(sched["deflection"]))
        comparison = state.simulation(res.activities, fc, sched["coverage"], sched["config"],
                                      (sched["key"], sched["uid"]), p.scenario.interval_s,
                                      (p.start, p.end),
                                      int(reps), int(seed))
        st.markdown(f"**{over_promise_line(comparison)}**")
        st.dataframe(simulation_table(comparison), hide_index=True, width="stretch",
                     height=table_height(len(comparison)))
        vip = vip_table(comparison, sched["config"])
        if len(vip):
            st.markdown("**VIP beside regular chat**, each against its own target")
            st.dataframe(vip, hide_index=True, width="stretch", height=table_height(len(vip)))
    else:
        st.info("Click **Simulate this schedule** to check its promise.")

with tab_cmp:
    compared = compare_with_published(p, sched)
    if compared is None:
        st.info("This is the published plan of the week (or none is published yet): build or "
                "choose a draft above to compare it with the published one.")
    else:
        pub, by_queue, by_agent = compared
        st.markdown(f"**This plan against the published {pub.label}**")
        n = st.column_config.NumberColumn
        shown = ["channel", "language", "contacts", "service_level_base", "service_level_new",
                 "service_level_change", "scheduled_h_base", "scheduled_h_new", "asa_s_base",
                 "asa_s_new", "max_oldest_age_h_base", "max_oldest_age_h_new"]
        live = by_queue["channel"].map(lambda c: sched["config"].channels[c].kind == "realtime")
        by_queue.loc[~live, ["asa_s_base", "asa_s_new"]] = float("nan")
        by_queue["service_level_change"] = 100 * by_queue["service_level_change"]
        st.dataframe(by_queue[shown], hide_index=True, width="stretch",
                     height=table_height(len(by_queue)), column_config={
                         "contacts": n("contacts", format="%.0f"),
                         "service_level_base": n("service level, published", format="percent"),
                         "service_level_new": n("service level, this plan", format="percent"),
                         "service_level_change": n("change", format="%+.1f pts"),
                         "scheduled_h_base": n("head-hours, published", format="%.1f"),
                         "scheduled_h_new": n("head-hours, this plan", format="%.1f"),
                         "asa_s_base": n("mean wait (s), published", format="%.0f"),
                         "asa_s_new": n("mean wait (s), this plan", format="%.0f"),
                         "max_oldest_age_h_base": n("oldest reply (h), published",
                                                    format="%.1f"),
                         "max_oldest_age_h_new": n("oldest reply (h), this plan",
                                                   format="%.1f")})
        st.caption("Per queue over the plan week, largest change of service level first; "
                   "head-hours are agents on the queue (breaks excluded); the wait is the "
                   "contact-weighted mean, live queues only; the oldest reply, email and "
                   "social only.")
        st.markdown(f"**{len(by_agent)} agents whose shifts change** (+ added, - removed, "
                    "~ moved; local shift dates)")
        st.dataframe(by_agent, hide_index=True, width="stretch",
                     height=table_height(len(by_agent), 20))
