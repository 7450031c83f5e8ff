"""Overview page: the plan week at a glance, the response-time outlook and the alerts."""

import time

import streamlit as st

from optimize.outputs.figures import below_target, demand_figures, plan_figures
from optimize.ui import state
from optimize.ui.insights import response_outlook, volatility_ratio
from optimize.ui.plans import quick_published
from optimize.ui.views import outlook_columns, plan_caption, schedule_for, table_height

st.title("Overview")
caption, banner, head = st.empty(), st.empty(), st.empty()


def headline(fig: dict) -> None:
    """The metric row, from one figures dict (:mod:`optimize.outputs.figures`)."""
    with head.container():
        c = st.columns(5)
        c[0].metric("Forecast contacts", f"{fig['contacts']:,.0f}")
        c[1].metric("Peak heads required", f"{fig['peak_heads_required']:,d}",
                    help="Most agents needed on the schedule at once (after shrinkage, "
                         "rounded up to whole heads).")
        c[2].metric("Required hours", f"{fig['required_hours']:,.0f} h",
                    help="Agent hours on the schedule the forecast needs (breaks excluded).")
        c[3].metric("Agents", f"{fig['agents']}", help="Their contracts allow at most "
                    f"{fig['contracted_hours']:,.0f} paid hours in the plan.")
        if "paid_hours" in fig:
            c[4].metric("Scheduled paid hours", f"{fig['paid_hours']:,.0f} h",
                        help=f"{fig['agents_scheduled']} agents, {fig['shifts']} shifts")
        else:
            c[4].metric("Scheduled paid hours", "not built")


# A cold start draws the published plan's stored figures before the scenario is loaded
# (seconds for a large contacts file); the row is drawn again below only if they differ.
early = quick_published()
if early is not None and "required_hours" in early.figures:
    headline(early.figures)
    # The loading below holds the GIL for seconds; the server thread that sends these
    # figures to the browser needs it first (measured: they arrived 0.8 s later without).
    time.sleep(0.05)

p = state.plan()
config = state.plan_config(p.scenario.config)
req = state.requirements(p, config)
sched = schedule_for(p, config)
if sched is not None and sched["coverage"] is None:
    sched = None
caption.caption(plan_caption(p))

if sched is not None:
    cov = sched["coverage"]
    cov = cov[(cov["interval_start"] >= p.start) & (cov["interval_start"] < p.end)]
    basis = cov.merge(req[["interval_start", "channel", "language", "contacts"]],
                      on=["interval_start", "channel", "language"], how="left")
    where = (f"plan **{sched['plan_id']}**" if sched.get("plan_id")
             else "the schedule built in this session")
    banner.success(f"Figures from {where} ({sched['result'].status}); the Schedule page "
                   "chooses, compares and publishes plans.", icon=":material/check:")
    fig = (sched["figures"] if sched.get("figures") and not sched["stale"]
           and "required_hours" in sched["figures"] else None)
    if fig is None:
        fig = plan_figures(sched["result"], cov, basis, config, p.start, p.end,
                           p.scenario.interval_s, requirements=req, agents=p.scenario.agents)
else:
    basis = req
    banner.info("No schedule built yet: figures assume every queue is staffed exactly to its "
                "requirement. Build one on the Schedule page.", icon=":material/info:")
    fig = demand_figures(req, p.scenario.agents, p.start, p.end, p.scenario.interval_s)
if early is None or fig != early.figures:
    headline(fig)
required_h, capacity_h = fig["required_hours"], fig["contracted_hours"]

st.subheader("Response-time outlook: how long until support replies?")
outlook = response_outlook(basis, config)
live = outlook[outlook["kind"] == "realtime"]
later = outlook[outlook["kind"] != "realtime"]
st.markdown("**Live chat: expected wait for an agent**")
st.dataframe(live[["channel", "language", "target", "contacts", "service_level",
                   "wait_offpeak_s", "wait_peak_s", "abandon_rate"]],
             hide_index=True, width="stretch", column_config=outlook_columns(),
             height=table_height(len(live)))
st.caption("Waits are the contact-weighted mean time to answer. *Busiest 10%*: the queue's "
           "peak, its busiest tenth of intervals by forecast contacts (summary.md's "
           "peak_asa_s is the same figure); *other intervals*: the rest. A wait at the peak "
           "can be the shorter one: staff follow volume, and a quiet night interval served "
           "by one or two agents keeps a contact waiting longer than a busy one with twenty.")
st.markdown("**Email and social: expected time to a reply**")
st.dataframe(later[["channel", "language", "target", "contacts", "service_level",
                    "reply_typical_h", "reply_worst_h"]],
             hide_index=True, width="stretch", column_config=outlook_columns(),
             height=table_height(len(later)))
st.caption("Reply times are the typical and worst age of the oldest waiting contact; service "
           "level is the share replied within the target.")

st.subheader("Alerts")
if required_h > capacity_h:
    st.warning(f"Not enough contracted hours: the forecast needs {required_h:,.0f} agent hours on "
               f"duty (breaks excluded), the agents' contracts allow at most {capacity_h:,.0f} "
               f"paid hours ({required_h - capacity_h:,.0f} h short before breaks and leave). "
               "Some queues will miss their targets whatever the schedule: add agents or "
               "overtime, deflect contacts, or relax targets on the Staffing page.",
               icon=":material/group_add:")
misses = below_target(basis, config)
if misses.empty and sched is None and required_h > capacity_h:
    # the requirement table meets every target by construction; the contracts cannot
    st.info("Staffed to its requirement, every queue would meet its target in every "
            "interval; the contracted hours above cannot cover that requirement.")
elif misses.empty:
    st.success("Every queue meets its service target in every interval.")
else:
    per_queue = (misses.groupby(["channel", "language", "target"], as_index=False)
                 .agg(intervals=("interval_start", "size"), first=("interval_start", "min"))
                 .sort_values("intervals", ascending=False))
    per_queue["first"] = per_queue["first"].dt.tz_convert(p.tz).dt.strftime("%a %d %b %H:%M")
    st.warning(f"{len(misses)} interval x queue rows below target in {len(per_queue)} queue(s).")
    st.dataframe(per_queue, hide_index=True, width="stretch", height=table_height(len(per_queue), 12),
                 column_config={"intervals": st.column_config.NumberColumn(
                     "intervals below target", help="Half-hour intervals of the plan week.")})
if p.scenario.market is not None:
    ratio, recent, usual = volatility_ratio(p.scenario.market)
    if ratio >= 1.5:
        st.warning(f"Surge risk: market volatility over the last 24 h is {recent:.2f}% per hour, "
                   f"{ratio:.1f}x its 90-day median ({usual:.2f}%). Inquiries follow volatility: "
                   "check the Stressed scenario on the Forecast page and keep standby agents.")
    elif ratio == ratio:  # not nan
        st.caption(f"Surge risk: low. Market volatility over the last 24 h is {ratio:.1f}x its "
                   "90-day median.")
