"""Forecast page: history, forecast and band per queue, the market, scenarios and accuracy."""

import datetime as dt

import pandas as pd
import streamlit as st

from optimize.outputs.labels import model_label
from optimize.ui import state
from optimize.ui.charts import forecast_chart, market_chart, whatif_chart
from optimize.ui.insights import accuracy_table
from optimize.ui.views import local, plan_caption, table_height

p = state.plan()
st.title("Forecast")
st.caption(plan_caption(p))

src = p.forecast_source
base = src.get("baseline")  # the stored typical run a market what-if is computed against
if base is not None:
    st.info(f"Market what-if computed in the app like for like with the stored typical run "
            f"`{base['run_id']}` (its baseline: the same origin {local(base['asof'], p.tz)}, "
            f"{base['horizon_days']} days and models, the market scenario alone differs). "
            "The stored run is unchanged.", icon=":material/info:")
elif src.get("live"):
    st.info(f"Forecast computed in the app (no stored run of this data covers the plan); origin "
            f"{local(src['asof'], p.tz)}, {src['horizon_days']} days.", icon=":material/info:")
else:
    st.success(f"Forecast run `{src['run_id']}` from `{src['store']}`, refreshed "
               f"{local(src['created_at'], p.tz)}, origin {local(src['asof'], p.tz)}, "
               f"{src['horizon_days']} days.", icon=":material/database:")

st.subheader("History and forecast")
queues = ["all queues"] + [f"{c}/{lang}" for c, lang in p.scenario.queues.itertuples(index=False)]
c1, c2 = st.columns([2, 1])
q = c1.selectbox("Queue", queues, key="fc_queue")
weeks_back = c2.slider("Weeks of history shown", 1, 8, 2, key="fc_weeks")
hist = p.scenario.contacts
hist = hist[hist["interval_start"] >= p.data_end - pd.Timedelta(weeks=weeks_back)]
shown = p.forecast
if q != "all queues":
    c, lang = q.split("/")
    hist = hist[(hist["channel"] == c) & (hist["language"] == lang)]
    shown = shown[(shown["channel"] == c) & (shown["language"] == lang)]
hist = hist.groupby("interval_start", as_index=False)["contacts"].sum()
band = shown.groupby("interval_start", as_index=False)[
    ["contacts", "contacts_p10", "contacts_p90"]].sum()
st.altair_chart(forecast_chart(hist, band, p.tz, title=f"Contacts per interval: {q}"),
                width="stretch")
if p.scenario.market is not None:
    m = p.scenario.market
    lo, hi = hist["interval_start"].min(), band["interval_start"].max()
    st.altair_chart(market_chart(m[m["timestamp"] >= lo], p.tz, domain=(lo, hi)),
                    width="stretch")
st.caption("Below the contacts: the market price and its volatility up to the end of the "
           "history, on the same time axis; the forecast carries the chosen market scenario "
           "forward."
           + (" The total's P10-P90 band adds the queues' bands, so it is wider than a joint band."
              if q == "all queues" else ""))

st.subheader("Market scenario")
labels = {"calm": "Calm", "typical": "Typical", "stressed": "Stressed", "shock": "Custom shock"}
current = "shock" if st.session_state["shock"] else st.session_state["market_scenario"]
with st.form("market_form", border=True):
    choice = st.radio("Market over the plan", list(labels), format_func=labels.get, horizontal=True,
                      index=list(labels).index(current) if current in labels else 1)
    f1, f2, f3 = st.columns(3)
    shock_day = f1.date_input("Shock day", (p.start + pd.Timedelta(days=2)).date(),
                              min_value=p.start.date(), max_value=(p.end - pd.Timedelta(days=1)).date())
    shock_hour = f2.time_input("Shock time (in the display zone)", dt.time(14, 0))
    shock_move = f3.number_input("Price move (%)", -90.0, 500.0, -15.0, 1.0,
                                 help="A sudden market move: -15 is a 15% crash.")
    go = st.form_submit_button("Use this market scenario", type="primary")
if go:
    if choice == "shock":
        at = pd.Timestamp(dt.datetime.combine(shock_day, shock_hour), tz=p.tz).tz_convert("UTC")
        st.session_state.update(market_scenario="typical", shock=(at.isoformat(), shock_move / 100))
    else:
        st.session_state.update(market_scenario=choice, shock=None)
    st.rerun()

in_plan = (p.forecast["interval_start"] >= p.start) & (p.forecast["interval_start"] < p.end)
fc = p.forecast[in_plan]
if st.session_state["market_scenario"] != "typical" or st.session_state["shock"]:
    typical, _ = state.forecast_for(p.scenario, p.data_key, p.start, p.end, p.data_end,
                                    "typical", None)
    typical = typical[(typical["interval_start"] >= p.start) & (typical["interval_start"] < p.end)]
    surge = fc["contacts"].sum() / typical["contacts"].sum() - 1.0
    st.metric("Contacts in the plan week vs a typical market", f"{fc['contacts'].sum():,.0f}",
              f"{100 * surge:+.1f}%", delta_color="inverse")
    st.altair_chart(whatif_chart(typical, fc, p.tz, "contacts",
                                 labels=("typical market", "chosen scenario"),
                                 title="Surge implied by the scenario (all queues)"),
                    width="stretch")
else:
    st.caption("Typical market: choose another scenario or a custom shock above to see the surge "
               "it implies.")

st.subheader("Backtest accuracy (WAPE, lower is better)")
metrics = pd.DataFrame()
run = base if base is not None else (None if src.get("live") else src)
if run is not None:  # a what-if keeps showing its baseline run's backtest
    metrics = state.stored_metrics(run["store"], run["run_id"])
if metrics.empty:
    st.caption("No backtest is stored with "
               + ("this forecast." if run is None else f"forecast run `{run['run_id']}`"
                  + (", the baseline of the market what-if." if base is not None else ".")))
    if st.button("Run a backtest now (2 weekly origins, 7 days; takes a while)", key="run_backtest"):
        try:
            metrics = state.backtest_metrics(p.scenario, p.data_key, 2, 7)
        except ValueError as exc:
            st.error(f"Backtest not possible: {exc}")
if not metrics.empty:
    acc = accuracy_table(metrics)
    cand = [c for c in acc.columns if c not in ("channel", "language")]
    st.dataframe(acc, hide_index=True, width="stretch",
                 column_config={c: st.column_config.NumberColumn(
                     model_label(c), format="percent", help=f"code name: {c}") for c in cand})
    st.caption("Rolling-origin backtest per queue: every candidate model and the baselines "
               "(seasonal naive, same-interval average) on the same origins"
               + (f"; stored with forecast run `{run['run_id']}`"
                  + (", the baseline of the market what-if." if base is not None else ".")
                  if run is not None else "."))

if run is not None:
    choices = state.stored_choices(run["store"], run["run_id"])
    if not choices.empty:
        st.subheader("Model choice per queue")
        n = st.column_config.NumberColumn
        used = choices["used"] if "used" in choices else choices["model"]
        shown = choices.assign(model_name=used.map(model_label))
        cols = ["channel", "language", "model_name", "reason", "validation_wape", "baseline",
                "baseline_wape", "validation_days"]
        st.dataframe(shown[[c for c in cols if c in shown]],
                     hide_index=True, width="stretch", height=table_height(len(shown), 20),
                     column_config={"model_name": "model", "reason": st.column_config.TextColumn(
                         "why", help="lowest: clearly better than the other candidates "
                                     "of its kind; pool: the mean of the best and the "
                                     "candidates not clearly worse on the validation "
                                     "days"),
                                    "validation_wape": n("validation WAPE", format="percent"),
                                    "baseline": "best baseline",
                                    "baseline_wape": n("its WAPE", format="percent"),
                                    "validation_days": n("days", format="%d")})
        st.caption("How the refresh chose each queue's model, on its backtest's days; never a "
                   "model worse than the best baseline (`staffcast runs --choices`).")

st.subheader("Track record: published forecasts against what came")
record = state.track_record(str(state.store_path()))
if record.empty:
    st.caption("No run has been scored yet: each refresh (`staffcast refresh`) scores the "
               "store's earlier runs on the actuals that arrived after them.")
else:
    recent = record[record["run_id"].isin(record["run_id"].drop_duplicates().tail(10))]
    n = st.column_config.NumberColumn
    st.dataframe(recent, hide_index=True, width="stretch", height=table_height(len(recent), 20),
                 column_config={"run_id": "forecast run", "horizon": "days ahead",
                                "wape": n("WAPE", format="percent"),
                                "bias": n("bias", format="percent",
                                          help="Above zero: the run forecast too many."),
                                "coverage": n("inside P10-P90", format="percent",
                                              help="Share of intervals inside the band; 80% "
                                                   "is what the band promises."),
                                "actual": n("actual contacts", format="%.0f")})
    st.caption("The last 10 scored runs, all queues pooled; `staffcast runs --accuracy "
               "--by-queue` gives every queue. Compare the day-ahead WAPE with the backtest "
               "above: a track record much worse than the backtest means the forecast "
               "should not be trusted as it is.")
