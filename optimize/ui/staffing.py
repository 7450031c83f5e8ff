"""Staffing page: required agents per interval x queue, with live what-ifs and deflection."""

import numpy as np
import pandas as pd
import streamlit as st

from optimize.outputs.figures import demand_figures
from optimize.ui import state
from optimize.ui.charts import requirements_heatmap
from optimize.ui.views import plan_caption, table_height

p = state.plan()
base_config = p.scenario.config
st.title("Staffing")
st.caption(plan_caption(p))

with st.expander("What-ifs: service targets, concurrency, shrinkage, occupancy", expanded=True):
    if st.button("Reset all what-ifs", key="reset_whatifs"):
        st.session_state.update(channels_whatif={}, staffing_whatif={}, deflection={},
                                quantile="contacts")
        for k in [k for k in st.session_state if str(k).startswith("w:")]:
            del st.session_state[k]
        st.rerun()
    changes = {}
    cols = st.columns(len(base_config.channels))
    for col, (name, ch) in zip(cols, base_config.channels.items(), strict=True):
        own = st.session_state["channels_whatif"].get(name, {})
        with col:
            st.markdown(f"**{name}** ({ch.kind})")
            if ch.kind == "realtime":
                sl = col.slider("target: share answered", 0.50, 0.99, float(own.get(
                    "service_level", ch.service_level)), 0.01, key=f"w:{name}:sl")
                at = col.number_input("within (s)", 5, 3600, int(own.get(
                    "answer_time_s", ch.answer_time_s)), 5, key=f"w:{name}:at")
                cc = col.number_input("concurrency (chats)", 1, 10, int(own.get(
                    "concurrency", ch.concurrency)), key=f"w:{name}:cc")
                new = {"service_level": sl, "answer_time_s": float(at), "concurrency": int(cc)}
            else:
                rs = col.slider("target: share replied", 0.50, 0.99, float(own.get(
                    "response_share", ch.response_share)), 0.01, key=f"w:{name}:rs")
                rw = col.number_input("within (h)", 0.5, 336.0, float(own.get(
                    "response_window_h", ch.response_window_h)), 0.5, key=f"w:{name}:rw")
                new = {"response_share": rs, "response_window_h": float(rw)}
            base = {k: getattr(ch, k) for k in new}
            changes[name] = {k: v for k, v in new.items() if abs(float(v) - float(base[k])) > 1e-9}
    s1, s2, s3 = st.columns(3)
    sw = st.session_state["staffing_whatif"]
    shrink = s1.slider("shrinkage", 0.0, 0.6, float(sw.get("shrinkage", base_config.staffing.shrinkage)),
                       0.01, key="w:shrinkage",
                       help="Paid time not available for contacts (training, 1:1s, absence).")
    occ = s2.slider("occupancy cap", 0.5, 1.0, float(sw.get("max_occupancy",
                    base_config.staffing.max_occupancy)), 0.01, key="w:occupancy")
    quantiles = ["contacts", "contacts_p50", "contacts_p90"]
    q = s3.selectbox("staff to forecast", quantiles, index=quantiles.index(st.session_state["quantile"]),
                     format_func={"contacts": "mean", "contacts_p50": "P50 (median)",
                                  "contacts_p90": "P90 (cautious)"}.get, key="w:quantile")
    st.session_state["channels_whatif"] = {k: v for k, v in changes.items() if v}
    st.session_state["staffing_whatif"] = {
        k: v for k, v in (("shrinkage", shrink), ("max_occupancy", occ))
        if abs(v - getattr(base_config.staffing, k)) > 1e-9}
    st.session_state["quantile"] = q

with st.expander("Deflection: inquiries the help centre or chatbot resolves first", expanded=True):
    queues = p.scenario.queues.copy()
    defl = st.session_state["deflection"]
    queues["deflected %"] = [100.0 * defl.get((c, lang), 0.0)
                             for c, lang in zip(queues["channel"], queues["language"], strict=True)]
    edited = st.data_editor(
        queues, key="w:deflection", hide_index=True, width="stretch", height=table_height(8),
        disabled=["channel", "language"],
        column_config={"deflected %": st.column_config.NumberColumn(
            min_value=0.0, max_value=95.0, step=1.0, format="%.0f%%")})
    st.session_state["deflection"] = {
        (c, lang): float(v) / 100.0 for c, lang, v in
        zip(edited["channel"], edited["language"], edited["deflected %"].fillna(0.0), strict=True)
        if v and v > 0}

config = state.plan_config(base_config)
baseline = state.requirements(p, base_config, quantile="contacts", deflection={})
whatif = state.requirements(p, config)
interval_h = p.scenario.interval_s / 3600.0

def totals(req: pd.DataFrame) -> tuple[float, float, float]:
    """Contacts, peak heads and required hours: the Overview's figures (demand_figures)."""
    fig = demand_figures(req, p.scenario.agents, p.start, p.end, p.scenario.interval_s)
    return fig["contacts"], fig["peak_heads_required"], fig["required_hours"]

b, w = totals(baseline), totals(whatif)
m = st.columns(3)


def delta(new: float, old: float, unit: str = "") -> str | None:
    return f"{new - old:+,.0f}{unit}" if abs(new - old) >= 0.5 else None


m[0].metric("Contacts reaching agents", f"{w[0]:,.0f}", delta(w[0], b[0]), delta_color="off")
m[1].metric("Peak heads", f"{w[1]:,d}", delta(w[1], b[1]), delta_color="inverse",
            help="Most agents needed on the schedule at once, rounded up to whole heads.")
m[2].metric("Required hours", f"{w[2]:,.0f} h", delta(w[2], b[2], " h"), delta_color="inverse")
st.caption("Deltas compare with the scenario as configured (mean forecast, no deflection).")

st.subheader("Heads on the schedule by interval and queue")
st.altair_chart(requirements_heatmap(whatif, p.tz), width="stretch")

st.subheader("Per queue")
keys = ["channel", "language"]
agg = {"contacts": ("contacts", "sum"), "hours": ("required_scheduled", "sum"),
       "peak": ("required_scheduled", "max")}
per_q = whatif.groupby(keys, as_index=False).agg(**agg).merge(
    baseline.groupby(keys, as_index=False).agg(**agg), on=keys, suffixes=("", "_baseline"))
for col in ("hours", "hours_baseline"):
    per_q[col] *= interval_h
per_q["hours_change"] = per_q["hours"] - per_q["hours_baseline"]
per_q["peak"] = np.ceil(per_q["peak"] - 1e-9).astype(int)  # whole heads
st.dataframe(per_q[["channel", "language", "contacts", "contacts_baseline", "hours",
                    "hours_baseline", "hours_change", "peak"]].round(1),
             hide_index=True, width="stretch", height=table_height(len(per_q)), column_config={
                 "contacts_baseline": "contacts (as configured)", "hours": "hours on schedule",
                 "hours_baseline": "hours (as configured)", "hours_change": "change (h)",
                 "peak": st.column_config.NumberColumn(
                     "peak heads", help="Most heads the queue needs at once, rounded up.")})
