"""Export page: the built schedule as spreadsheet-safe CSV and as calendar files."""

import streamlit as st

from optimize.outputs.export import (
    activities_to_csv,
    coverage_to_csv,
    roster_to_csv,
    roster_to_ics,
    table_to_csv,
)
from optimize.outputs.summary import short_line
from optimize.records import find_plan
from optimize.ui import state
from optimize.ui.views import plan_caption, schedule_for

p = state.plan()
config = state.plan_config(p.scenario.config)
st.title("Export")
st.caption(plan_caption(p))

sched = schedule_for(p, config, stale_ok=True)
week = p.start.strftime("%Y-%m-%d")
st.download_button("Requirements CSV (the what-if requirements of the plan week)",
                   table_to_csv(state.requirements(p, config)), f"requirements_{week}.csv",
                   "text/csv", key="dl_requirements", icon=":material/table:")
if sched is None or sched["coverage"] is None:
    st.info("Build a schedule on the Schedule page to export the roster, activities, coverage "
            "and calendar files.")
    st.stop()
if sched["stale"]:
    st.warning("The schedule was built for earlier inputs; rebuild it to export the current plan.")

res = sched["result"]
stored = {}
if sched.get("plan_id"):  # the files exactly as kept in the store
    info, _, stored = state.stored_plan(str(state.store_path()), sched["plan_id"])
    status = find_plan(state.store_path(), info.plan_id).status  # it may have been published since
    st.markdown(f"Plan **{info.plan_id}** ({status}; {info.origin}): the files "
                "below are the ones kept in the plan store (`staffcast export "
                f"{info.plan_id} --store ...` writes the same).")
fig = sched.get("figures") or {}
if "shifts" in fig and not sched["stale"]:  # the counts every page and summary.md give
    st.markdown(f"Schedule: **{fig['status']}**, {fig['shifts']} shifts for "
                f"{fig['agents_scheduled']} agents, {fig['paid_hours']:,.0f} paid hours. "
                f"{short_line(fig)}")
else:
    st.markdown(f"Schedule: **{res.status}**, {len(res.roster)} shifts for "
                f"{res.roster['agent_id'].nunique()} agents, "
                f"{res.roster['paid_hours'].sum():,.0f} paid hours.")
files = [
    ("Roster CSV", stored.get("roster.csv") or roster_to_csv(res.roster),
     f"roster_{week}.csv", "text/csv", "dl_roster"),
    ("Activities CSV", stored.get("activities.csv") or activities_to_csv(res.activities),
     f"activities_{week}.csv", "text/csv", "dl_activities"),
    ("Coverage CSV", stored.get("coverage.csv") or coverage_to_csv(sched["coverage"]),
     f"coverage_{week}.csv", "text/csv", "dl_coverage"),
    ("Calendar (.ics)", stored.get("roster.ics") or roster_to_ics(res.roster),
     f"roster_{week}.ics", "text/calendar", "dl_ics"),
]
if "summary.md" in stored:
    files.append(("Summary (.md)", stored["summary.md"], f"summary_{week}.md", "text/markdown",
                  "dl_summary"))
cols = st.columns(len(files))
for col, (label, data, name, mime, key) in zip(cols, files, strict=True):
    col.download_button(label, data, name, mime, key=key, icon=":material/download:",
                        width="stretch")
    col.caption(f"{name}, {len(data) / 1024:,.0f} KB")
st.caption("CSV files are UTF-8 with ISO 8601 times carrying their offset; cells a "
           "spreadsheet would execute are escaped. The calendar file holds one event per shift.")

st.subheader("One agent's calendar")
names = res.roster.drop_duplicates("agent_id").sort_values("agent_id")
who = st.selectbox("Agent", names["agent_id"], key="ics_agent",
                   format_func=dict(zip(names["agent_id"], names["name"], strict=True)).get)
if who is not None:
    mine = res.roster[res.roster["agent_id"] == who]
    st.download_button(f"Calendar of {who} (.ics, {len(mine)} shifts)", roster_to_ics(mine),
                       f"roster_{who}_{week}.ics", "text/calendar", key="dl_ics_agent",
                       icon=":material/event:")
