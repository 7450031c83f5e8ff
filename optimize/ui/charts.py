"""Altair chart builders: pure functions from contract tables to ``alt.Chart``.

Times are drawn as wall-clock times of a chosen IANA time zone (see
:func:`optimize.ui.whatif.to_wall_time`) on a UTC scale, so the chart reads the same in
every browser. Every chart is interactive (zoom and pan on the time axis, tooltips).
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from optimize.ui.whatif import to_wall_time

__all__ = [
    "forecast_chart",
    "market_chart",
    "requirements_heatmap",
    "coverage_chart",
    "roster_gantt",
    "whatif_chart",
    "capacity_chart",
]

_AXIS = alt.Axis(format="%a %d %b %H:%M", labelAngle=0)
_T = alt.X("t:T", title=None, scale=alt.Scale(type="utc"), axis=_AXIS)
_FMT = "%a %Y-%m-%d %H:%M"
#: y axes of stacked time charts take the same room, so their time axes line up
_YAXIS = alt.Axis(minExtent=60)
#: queue colours of the roster (breaks and meals are greys)
#: one clearly different colour per channel (Tableau 10's first hues)
_CHANNEL_COLOURS = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#b07aa1", "#edc948",
                    "#76b7b2", "#ff9da7")
_PALETTE = ("#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2", "#ff9da6",
            "#9d755d", "#eeca3b", "#2f4b7c", "#a05195", "#665191", "#d45087", "#003f5c")


def _timed(df: pd.DataFrame, col: str, tz: str, name: str = "t") -> pd.DataFrame:
    out = df.copy()
    out[name] = to_wall_time(out[col], tz)
    out[f"{name}_label"] = out[name].dt.strftime(_FMT) + f" {tz}"
    return out


def forecast_chart(history: pd.DataFrame, forecast: pd.DataFrame, tz: str, *,
                   title: str = "") -> alt.Chart:
    """History (line), forecast mean (line) and P10-P90 band over time.

    ``history`` has ``interval_start, contacts``; ``forecast`` has ``interval_start,
    contacts, contacts_p10, contacts_p90`` (both already summed to the queue or total
    that is shown).
    """
    hist = _timed(history, "interval_start", tz).assign(series="history")
    fc = _timed(forecast, "interval_start", tz).assign(series="forecast")
    zoom = alt.selection_interval(bind="scales", encodings=["x"])
    band = alt.Chart(fc).mark_area(opacity=0.25, color="#4c78a8").encode(
        x=_T, y=alt.Y("contacts_p10:Q", title="contacts per interval", axis=_YAXIS),
        y2="contacts_p90:Q",
        tooltip=[alt.Tooltip("t_label:N", title="time"),
                 alt.Tooltip("contacts_p10:Q", format=".1f", title="P10"),
                 alt.Tooltip("contacts_p90:Q", format=".1f", title="P90")])
    lines = alt.Chart(pd.concat([hist[["t", "t_label", "contacts", "series"]],
                                 fc[["t", "t_label", "contacts", "series"]]])).mark_line(
        strokeWidth=1.2).encode(
        x=_T, y="contacts:Q",
        color=alt.Color("series:N", scale=alt.Scale(domain=["history", "forecast"],
                                                    range=["#555555", "#4c78a8"]),
                        legend=alt.Legend(orient="top", title=None)),
        tooltip=[alt.Tooltip("t_label:N", title="time"), "series:N",
                 alt.Tooltip("contacts:Q", format=".1f")])
    return (band + lines).add_params(zoom).properties(title=title, height=340)


def market_chart(market: pd.DataFrame, tz: str, *, vol_window: int = 24,
                 above: alt.TopLevelMixin | None = None,
                 domain: tuple[pd.Timestamp, pd.Timestamp] | None = None) -> alt.VConcatChart:
    """Market price and its rolling volatility (std of hourly log returns, ``vol_window``
    points, in %) as stacked panels under ``above`` (e.g. :func:`forecast_chart`), all
    sharing one time axis; ``domain`` (UTC instants) fixes that axis's extent, to line the
    panels up with a chart drawn separately (Streamlit cannot fit a stack holding a
    layered chart to the page width)."""
    import numpy as np

    m = market.sort_values("timestamp").reset_index(drop=True)
    logret = np.log(m["price"].astype(float)).diff()
    m["volatility"] = logret.rolling(vol_window, min_periods=2).std() * 100.0
    m = _timed(m, "timestamp", tz)
    x = _T
    if domain is not None:
        lo, hi = to_wall_time(pd.Series(list(domain)), tz)
        x = alt.X("t:T", title=None, axis=_AXIS,
                  scale=alt.Scale(type="utc", domain=[lo.isoformat(), hi.isoformat()]))
    base = alt.Chart(m).encode(x=x, tooltip=[alt.Tooltip("t_label:N", title="time"),
                                              alt.Tooltip("price:Q", format=",.1f"),
                                              alt.Tooltip("volatility:Q", format=".2f")])
    price = base.mark_line(color="#f58518").encode(
        y=alt.Y("price:Q", title="market price", scale=alt.Scale(zero=False), axis=_YAXIS)).properties(
        height=130)
    vol = base.mark_area(color="#e45756", opacity=0.6).encode(
        y=alt.Y("volatility:Q", title=f"volatility % ({vol_window} h)", axis=_YAXIS)).properties(
        height=90)
    panels = ([above] if above is not None else []) + [price, vol]
    return alt.vconcat(*panels).resolve_scale(x="shared")


def whatif_chart(base: pd.DataFrame, alt_df: pd.DataFrame, tz: str, value: str, *,
                 labels: tuple[str, str] = ("baseline", "what-if"), title: str = "") -> alt.Chart:
    """Two time series of ``value`` (summed over queues) compared on one time axis."""
    parts = []
    for df, label in ((base, labels[0]), (alt_df, labels[1])):
        s = df.groupby("interval_start", as_index=False)[value].sum().assign(series=label)
        parts.append(s)
    d = _timed(pd.concat(parts, ignore_index=True), "interval_start", tz)
    return alt.Chart(d).mark_line(strokeWidth=1.3).encode(
        x=_T, y=alt.Y(f"{value}:Q", title=value.replace("_", " ")),
        color=alt.Color("series:N", legend=alt.Legend(orient="top", title=None)),
        tooltip=[alt.Tooltip("t_label:N", title="time"), "series:N",
                 alt.Tooltip(f"{value}:Q", format=".1f")],
    ).add_params(alt.selection_interval(bind="scales", encodings=["x"])).properties(
        title=title, height=260)


def requirements_heatmap(requirements: pd.DataFrame, tz: str, *,
                         value: str = "required_scheduled") -> alt.Chart:
    """Heatmap of ``value`` by interval (x) and queue (y)."""
    d = _timed(requirements, "interval_start", tz)
    d["queue"] = d["channel"].astype(str) + "/" + d["language"].astype(str)
    step = (d["t"].drop_duplicates().sort_values().diff().min() or pd.Timedelta(minutes=30))
    d["t_end"] = d["t"] + step
    n_queues = d["queue"].nunique()
    return alt.Chart(d).mark_rect().encode(
        x=_T, x2="t_end:T",
        y=alt.Y("queue:N", title=None, sort="ascending", axis=alt.Axis(labelOverlap=False)),
        color=alt.Color(f"{value}:Q", title="agents", scale=alt.Scale(scheme="viridis")),
        tooltip=[alt.Tooltip("t_label:N", title="time"), "queue:N",
                 alt.Tooltip("contacts:Q", format=".1f"),
                 alt.Tooltip("required_agents:Q", title="productive agents"),
                 alt.Tooltip(f"{value}:Q", format=".1f", title="heads on schedule")],
    ).add_params(alt.selection_interval(bind="scales", encodings=["x"])).properties(
        height=max(160, 20 * n_queues))


def coverage_chart(coverage: pd.DataFrame, tz: str, *, title: str = "",
                   required: str = "required_agents") -> alt.Chart:
    """Scheduled agents (area) against the requirement (line, column ``required``) over
    time for one queue or the sum of the queues given.

    ``scheduled_agents`` are heads on the schedule, so compare them with
    ``required_scheduled`` (heads after shrinkage) when the table has it.
    """
    s = coverage.groupby("interval_start", as_index=False)[
        [required, "scheduled_agents"]].sum().rename(columns={required: "required_agents"})
    d = _timed(s, "interval_start", tz)
    tip = [alt.Tooltip("t_label:N", title="time"),
           alt.Tooltip("required_agents:Q", format=".1f", title="required"),
           alt.Tooltip("scheduled_agents:Q", format=".1f", title="scheduled")]
    legend = alt.Legend(orient="top", title=None)
    series = alt.Color("series:N", legend=legend, scale=alt.Scale(
        domain=["scheduled", "required"],
        range=["#54a24b", "#e45756"]))
    area = alt.Chart(d.assign(series="scheduled")).mark_area(
        opacity=0.35, interpolate="step-after").encode(
        x=_T, y=alt.Y("scheduled_agents:Q", title="agents"), color=series, tooltip=tip)
    line = alt.Chart(d.assign(series="required")).mark_line(interpolate="step-after").encode(
        x=_T, y="required_agents:Q", color=series, tooltip=tip)
    return (area + line).add_params(
        alt.selection_interval(bind="scales", encodings=["x"])).properties(title=title, height=300)


def roster_gantt(activities: pd.DataFrame, agents: pd.DataFrame, tz: str) -> alt.Chart:
    """One row per agent, one bar per activity segment, coloured by channel (work) or by
    activity (break, meal); the queue (channel/language) is in the tooltip and the label."""
    a = activities.merge(agents[["agent_id", "name"]], on="agent_id", how="left")
    a["who"] = a["agent_id"].astype(str) + " " + a["name"].fillna("").astype(str)
    work = a["activity"] == "work"
    a["what"] = a["activity"].astype(str)
    queue = (a["channel"].fillna("").astype(str) + "/" + a["language"].fillna("").astype(str))
    a.loc[work, "what"] = queue[work].where(queue[work] != "/", "work (no queue)")
    a["colour"] = a["activity"].astype(str)
    a.loc[work, "colour"] = a.loc[work, "channel"].fillna("").astype(str).replace(
        "", "work (no queue)")
    a = _timed(a, "start_utc", tz)
    a["t_end"] = to_wall_time(a["end_utc"], tz)
    a["end_label"] = a["t_end"].dt.strftime(_FMT)
    channels = sorted(set(a["colour"]) - {"break", "meal", "work (no queue)"})
    domain = channels + ["break", "meal", "work (no queue)"]
    colours = [_CHANNEL_COLOURS[i % len(_CHANNEL_COLOURS)] for i in range(len(channels))] + [
        "#d9d9d9", "#a6a6a6", "#6b6b6b"]
    return alt.Chart(a).mark_bar().encode(
        x=_T, x2="t_end:T",
        y=alt.Y("who:N", title=None, sort="ascending",
                axis=alt.Axis(labelOverlap=False, labelLimit=220)),
        color=alt.Color("colour:N", title="channel", scale=alt.Scale(domain=domain,
                                                                      range=colours),
                        legend=alt.Legend(orient="top", columns=len(domain))),
        tooltip=["who:N", alt.Tooltip("what:N", title="queue"),
                 alt.Tooltip("t_label:N", title="from"), alt.Tooltip("end_label:N", title="to")],
    ).add_params(alt.selection_interval(bind="scales", encodings=["x"])).properties(
        height=max(200, 22 * a["who"].nunique()))


def capacity_chart(by_language: pd.DataFrame) -> alt.Chart:
    """Required beside available FTE per week, one panel per language
    (:func:`optimize.capacity.by_language`): today's desk, and with the hiring plan."""
    names = {"required_fte": "required", "available_fte_today": "available today",
             "available_fte_plan": "available with the plan"}
    long = by_language.melt(id_vars=["week_start", "language"], value_vars=list(names),
                            var_name="series", value_name="fte")
    long["series"] = long["series"].map(names)
    long["week"] = long["week_start"].dt.tz_convert("UTC").dt.tz_localize(None)
    return alt.Chart(long).mark_line(point=True).encode(
        x=alt.X("week:T", title=None, axis=alt.Axis(format="%d %b %y", labelAngle=0)),
        y=alt.Y("fte:Q", title="FTE"),
        color=alt.Color("series:N", title=None, legend=alt.Legend(orient="top"),
                        scale=alt.Scale(domain=list(names.values()),
                                        range=["#e15759", "#bab0ac", "#4e79a7"])),
        strokeDash=alt.StrokeDash("series:N", legend=None,
                                  scale=alt.Scale(domain=list(names.values()),
                                                  range=[[1, 0], [4, 3], [1, 0]])),
        tooltip=[alt.Tooltip("language:N"), alt.Tooltip("week:T", format="%Y-%m-%d"),
                 alt.Tooltip("series:N"), alt.Tooltip("fte:Q", format=".1f")],
    ).properties(width=165, height=150).facet(
        facet=alt.Facet("language:N", title=None), columns=4
    ).resolve_scale(y="independent")
