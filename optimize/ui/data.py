"""Data page: the sample company or an uploaded scenario, with readable validation problems."""

import pandas as pd
import streamlit as st

from forecast.inputs.problems import InputError, Problem
from optimize.ui import state
from optimize.ui.uploads import problems_table, read_uploads
from optimize.ui.views import local, table_height

st.title("Data")
state.init_state()


def use(source: str, upload=None) -> None:
    """Switch the scenario in use; what-ifs and a built schedule belong to the old one."""
    st.session_state.update(source=source, upload=upload, channels_whatif={},
                            staffing_whatif={}, deflection={}, schedule=None, tz=None,
                            opened_published=False,  # the new scenario's published plan
                            capacity_inputs=None)
    for key in [k for k in st.session_state if str(k).startswith(("w:", "cap:"))]:
        del st.session_state[key]


#: widths of the problem table: the problem text gets the room
PROBLEM_COLUMNS = {"file": st.column_config.TextColumn("file", width="small"),
                   "line": st.column_config.NumberColumn("line", width="small"),
                   "column": st.column_config.TextColumn("column", width="small"),
                   "value": st.column_config.TextColumn("value", width="small"),
                   "problem": st.column_config.TextColumn("problem", width="large")}
problems: list[Problem] = []
left, right = st.columns([1, 1], gap="large")
with left:
    st.subheader("Scenario in use")
    st.write(f"Now planning the **{state.scenario_key()}**.")
    if st.session_state["source"] == "upload" and st.button("Use the sample company instead",
                                                            key="use_sample"):
        use("sample")
        st.rerun()

with right:
    st.subheader("Upload a scenario")
    st.markdown(
        "The files of a scenario directory, as described in the README: `contacts.csv` (or "
        "`contacts.csv.gz`), `agents.csv`, `scenario.toml`, and optionally `market.csv` and "
        "`calendar.csv` (special days: closures, outages, holidays, events). "
        f"Each file at most **{state.MAX_UPLOAD_MB} MB**; UTF-8, with or without BOM.")
    files = st.file_uploader("Scenario files", type=["csv", "gz", "toml"],
                             accept_multiple_files=True, key="upload_files",
                             max_upload_size=state.MAX_UPLOAD_MB)  # the widget says it too
    if st.button("Validate and use", key="validate_upload", disabled=not files):
        named, problems = read_uploads([(f.name, f.getvalue()) for f in files],
                                       max_mb=state.MAX_UPLOAD_MB)
        if not problems:
            try:
                state.load_upload(named)
            except InputError as exc:
                problems = list(exc.problems)
            except Exception as exc:  # never crash on a user's file
                problems = [Problem("upload", f"could not be read: {type(exc).__name__}: {exc}")]
        if not problems and named:
            use("upload", named)
            st.success("Upload validated: it is now the scenario in use.")
            st.rerun()

if problems:  # full width: the problem text is what the reader needs
    st.error(f"The upload has {len(problems)} problem(s); nothing was changed. Fix them and "
             "upload the files again.")
    st.dataframe(problems_table(problems), hide_index=True, width="stretch",
                 height=table_height(len(problems), 15), column_config=PROBLEM_COLUMNS)

st.divider()
try:
    scenario, key = state.current_scenario()
except InputError as exc:
    st.error("The scenario in use cannot be read:")
    st.dataframe(problems_table(exc.problems), hide_index=True, width="stretch",
                 column_config=PROBLEM_COLUMNS)
    st.stop()

contacts = scenario.contacts
first, last = contacts["interval_start"].min(), contacts["interval_start"].max()
c1, c2, c3, c4 = st.columns(4)
c1.metric("Queues (channel x language)", len(scenario.queues))
c2.metric("Agents", len(scenario.agents))
c3.metric("Interval", f"{scenario.interval_s // 60} min")
c4.metric("History", f"{(last - first).days + 1} days")
tz = st.session_state["tz"] or scenario.config.horizon.display_timezone
st.caption(f"History {local(first, tz)} to {local(last, tz)}; "
           f"{len(contacts):,} contact rows; market rows: "
           f"{0 if scenario.market is None else len(scenario.market):,}; data hash {key[:12]}.")
if scenario.calendar is not None and len(scenario.calendar):
    kinds = scenario.calendar["kind"].value_counts()
    st.caption(f"calendar.csv: {len(scenario.calendar)} special days ("
               + ", ".join(f"{n} {k}" for k, n in kinds.items()) + "): closed and outage days "
               "are left out of the forecast's fits and forecast as zero ahead; holidays and "
               "events are scaled (README, calendar.csv).")

st.subheader("Channels and service targets")
rows = [{"channel": ch.name, "kind": ch.kind, "model": ch.model if ch.kind == "realtime" else "backlog",
         "target": (f"{ch.service_level:.0%} in {ch.answer_time_s:g} s" if ch.kind == "realtime"
                    else f"{ch.response_share:.0%} in {ch.response_window_h:g} h"),
         "concurrency": ch.concurrency, "vip only": ch.vip, "priority": ch.priority}
        for ch in scenario.config.channels.values()]
st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")

st.subheader("Agents")
agents = scenario.agents.copy()
for col in ("languages", "channels", "unavailable"):
    if col in agents:
        agents[col] = agents[col].map(lambda v: ", ".join(map(str, v)) if isinstance(v, tuple) else v)
st.dataframe(agents, hide_index=True, width="stretch", height=300)
