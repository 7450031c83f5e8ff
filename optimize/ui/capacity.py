"""Capacity page: how many agents of which languages and skills, and when to hire them.

The page only collects the what-ifs and shows :func:`optimize.capacity.capacity_plan`'s
result through the report functions (:mod:`optimize.capacity.report`) that also write
``capacity.md``; the plan itself is cached in :mod:`optimize.ui.capacity_state`.
"""

import dataclasses

import pandas as pd
import streamlit as st

from forecast.inputs.problems import InputError
from forecast.longrange import REGIMES, VolumeScenario
from optimize.capacity import AddedAgents, by_language, capacity_files, service_by_queue
from optimize.capacity.config import default_profiles
from optimize.capacity.report import SERVICE_NOTE, capacity_markdown, check_summary
from optimize.ui import capacity_state, state
from optimize.ui.charts import capacity_chart
from optimize.ui.views import table_height

st.title("Capacity")
try:
    scenario, data_key = state.current_scenario()
    base = capacity_state.capacity_settings()
except InputError as exc:
    st.error(f"The {state.scenario_key()} cannot be planned: "
             + "; ".join(str(p) for p in exc.problems[:3]) + ". See the Data page.")
    st.stop()
config = scenario.config
languages = sorted(scenario.contacts["language"].unique())
profiles = base.profiles or default_profiles(languages, {c: ch.vip for c, ch in
                                                         config.channels.items()})
history_end = scenario.contacts["interval_start"].max()
st.caption(f"{state.scenario_key().capitalize()}: history to {history_end:%a %d %b %Y}; "
           "the plan's weeks start on the Monday after the last whole week. Settings from "
           "`[capacity]` of scenario.toml, changed here for this session only.")

saved = st.session_state["capacity_inputs"]
with st.form("capacity_form"):
    c = st.columns(4)
    weeks = c[0].slider("weeks ahead", 4, 52, saved["weeks"] if saved else 26, key="cap:weeks")
    regime = c[1].selectbox("market regime", REGIMES, index=REGIMES.index(
        saved["regime"] if saved else "typical"), help="calm / stressed: the history's "
        "weeks of low / high market volatility, with the volume each channel saw then")
    growth = c[2].number_input("extra growth per year (%)", -50.0, 300.0,
                               saved["growth"] if saved else 0.0, 5.0)
    given = c[3].number_input("efficiency (0 = measure)", 0.0, 3.0,
                              saved["efficiency"] if saved else base.efficiency or 0.0, 0.05,
                              key="cap:efficiency",
                              help="paid hours per required hour on schedule; 0 measures it "
                                   "by scheduling the history's last week with today's agents")
    c = st.columns(6)
    attrition = c[0].number_input("attrition per month (%)", 0.0, 50.0,
                                  100.0 * base.attrition_monthly, 0.5, key="cap:attrition")
    training = c[1].number_input("training (weeks)", 0, 26, base.training_weeks,
                               key="cap:training")
    ramp = c[2].number_input("ramp-up (weeks)", 0, 26, base.ramp_weeks)
    lead = c[3].number_input("lead time (weeks)", 0, 26, base.lead_time_weeks)
    max_hires = c[4].number_input("most hires a week", 0, 200, base.max_hires_per_week)
    min_class = c[5].number_input("smallest class", 1, 200, base.min_class_size)
    st.markdown("**Per channel**: deflection (help centre, chatbot) and service target")
    c = st.columns(len(config.channels))
    deflection, targets = {}, {}
    for col, (name, ch) in zip(c, config.channels.items(), strict=True):
        deflection[name] = col.number_input(f"{name}: deflected (%)", 0.0, 90.0, 0.0, 5.0,
                                            key=f"cap:defl:{name}") / 100.0
        now = ch.service_level if ch.kind == "realtime" else ch.response_share
        targets[name] = col.number_input(f"{name}: target", 0.5, 0.99, float(now), 0.01,
                                         key=f"cap:target:{name}")
    rule_names = [o.name for o in config.overflow]
    rules = st.multiselect(
        "overflow and fallback rules in force", rule_names,
        default=saved.get("rules", rule_names) if saved else rule_names, key="cap:rules",
        help="the scenario's [overflow] rules; a rule taken out leaves its queue to be "
             "staffed on its own") if rule_names else []
    st.markdown("**Agents added by hand** (fully productive from the week given, 0 = first)")
    added_table = st.data_editor(
        pd.DataFrame({"profile": pd.Series(dtype=str), "count": pd.Series(dtype=int),
                      "from_week": pd.Series(dtype=int)}),
        num_rows="dynamic", hide_index=True, key="cap:added", column_config={
            "profile": st.column_config.SelectboxColumn(options=[p.name for p in profiles]),
            "count": st.column_config.NumberColumn(min_value=1, step=1),
            "from_week": st.column_config.NumberColumn(min_value=0, step=1)})
    check = st.selectbox(
        "check on the scheduler", ["no", "check only", "1 correction", "2 corrections"],
        index=0 if not saved else saved.get("check", 0), key="cap:check",
        help="schedule the plan's last week with the desk it plans (today's agents less "
             "the expected leavers, plus the hires) and give the queues it leaves short "
             "more hours, as `staffcast capacity --calibrate N`: a minute or two a round")
    built = st.form_submit_button("Build capacity plan", type="primary", key="cap:build")

if built:
    checks_index = ["no", "check only", "1 correction", "2 corrections"].index(check)
    saved = {"check": checks_index, "weeks": weeks, "regime": regime, "growth": growth, "efficiency": given,
             "attrition": attrition, "training": int(training), "ramp": int(ramp),
             "lead": int(lead), "max_hires": int(max_hires), "min_class": int(min_class),
             "deflection": {k: v for k, v in deflection.items() if v > 0},
             "targets": targets, "rules": list(rules),
             "added": [(str(r.profile), int(r.count), 0 if pd.isna(r.from_week) else int(r.from_week))
                       for r in added_table.dropna(subset=["profile", "count"]).itertuples()]}
    st.session_state["capacity_inputs"] = saved
if not saved:
    st.info("Choose the what-ifs and press Build capacity plan: it forecasts each queue's weekly "
            "volume, turns it into required FTE with the queueing engine and a measured "
            "scheduling efficiency, and chooses the hires per language and skill profile "
            "that close the gap at least cost (about a minute the first time).")
    st.stop()

try:
    settings = base.replace(
        efficiency=saved["efficiency"] or None, attrition_monthly=saved["attrition"] / 100.0, training_weeks=saved["training"],
        ramp_weeks=saved["ramp"], lead_time_weeks=saved["lead"],
        max_hires_per_week=saved["max_hires"], min_class_size=saved["min_class"])
    if not saved["efficiency"]:  # 0 asks for the measured one, whatever scenario.toml says
        settings = dataclasses.replace(settings, efficiency=None)
    settings.check_against(languages, list(config.channels), saved["weeks"])
    volume = VolumeScenario(regime=saved["regime"], growth=saved["growth"] / 100.0,
                            deflection=saved["deflection"])
    channels = {name: dataclasses.replace(ch, **{
        ("service_level" if ch.kind == "realtime" else "response_share"): saved["targets"][name]})
        for name, ch in config.channels.items()}
    plan_config = dataclasses.replace(config, channels=channels, overflow=tuple(
        o for o in config.overflow if o.name in saved.get("rules", rule_names)))
    added = tuple(AddedAgents(*a) for a in saved["added"])
except ValueError as exc:
    st.error(f"These settings cannot be planned: {exc}")
    st.stop()

scenario_key = capacity_state.fingerprint(scenario)  # agents and settings, beside the data
if settings.efficiency is not None:
    eff, note = settings.efficiency, f"{settings.efficiency:.3f} (given)"
else:
    measured = capacity_state.efficiency(scenario, data_key, scenario_key, config)
    eff, note = measured.factor, measured.describe()
whatif_key = repr((settings, volume, added, plan_config.channels, plan_config.overflow))
try:
    rounds = None if saved["check"] == 0 else saved["check"] - 1
    plan, checks = capacity_state.capacity(scenario, data_key, scenario_key, saved["weeks"],
                                           plan_config, settings, volume, added, eff, note,
                                           whatif_key, rounds)
except ValueError as exc:
    st.error(f"No capacity plan: {exc}")
    st.stop()

cap = plan.capacity
lang = by_language(cap)
first, last = cap["week_start"].min(), cap["week_start"].max()
at = lambda w, col: lang.loc[lang["week_start"] == w, col].sum()  # noqa: E731
m = st.columns(4)
m[0].metric("Hires in the plan", f"{int(plan.hires['hires'].sum()) if len(plan.hires) else 0}")
m[1].metric("Required FTE", f"{at(last, 'required_fte'):,.1f}",
            f"{at(last, 'required_fte') - at(first, 'required_fte'):+,.1f} since week 1",
            delta_color="off", help=f"In the last week ({last:%d %b %Y}).")
m[2].metric("Short today (last week)", f"{at(last, 'short_fte_today'):,.1f} FTE")
m[3].metric("Short with the plan (last week)", f"{at(last, 'short_fte_plan'):,.1f} FTE")
st.caption(f"Scheduling efficiency: {note}.")

st.subheader("Required and available FTE by language")
st.altair_chart(capacity_chart(lang), width="stretch")

st.subheader("Hiring plan")
if len(plan.hires):
    shown = plan.hires.copy()
    for col in ("week_start", "decide_by", "fully_productive_from"):
        shown[col] = shown[col].dt.date
    st.dataframe(shown.rename(columns={"week_start": "start"}), hide_index=True,
                 width="stretch", height=table_height(len(shown), 20))
else:
    st.success("No hires needed: today's desk covers the requirement over the horizon.")

st.subheader("Expected service level per queue")
st.caption(SERVICE_NOTE)
service = service_by_queue(cap)
service["covered_from"] = service["covered_from"].dt.date
st.dataframe(service, hide_index=True, width="stretch", height=table_height(len(service), 16),
             column_config={c: st.column_config.NumberColumn(format="%.3f") for c in
                            ("service_level_today", "service_level_plan",
                             "service_level_plan_covered")})

if checks is not None:
    st.subheader("Check on the scheduler")
    st.caption("The plan's last week scheduled with the desk it plans; each round after the "
               "first was planned with the queues the one before left short given more hours.")
    summary = check_summary(checks)
    summary["week_start"] = summary["week_start"].dt.date
    st.dataframe(summary, hide_index=True, width="stretch",
                 height=table_height(len(summary)))

files = capacity_files(plan, checks)
c = st.columns(len(files))
for col, (name, data) in zip(c, files.items(), strict=True):
    col.download_button(f"Download {name}", data, file_name=name, key=f"dl_{name}",
                        mime="text/markdown" if name.endswith(".md") else "text/csv")
with st.expander("The whole summary (capacity.md): model choice, backtest, market regimes"):
    st.markdown(capacity_markdown(plan, checks))
