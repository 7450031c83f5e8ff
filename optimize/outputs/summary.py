"""The short human-readable ``summary.md`` of a plan: what a support manager reads first."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from optimize.outputs.figures import peak_intervals, plan_figures

__all__ = ["BENDS_NOTE", "REMEDY_NOTE", "hours_markdown", "md_table", "queue_outlook",
           "remedies_markdown", "remedy_tables", "repeatability", "short_line",
           "summary_markdown"]


def md_table(df: pd.DataFrame) -> str:
    """Render ``df`` as a GitHub-flavoured Markdown table (no optional dependency); a
    missing number (NaN: e.g. no wait to report where no reply came in time) shows as -."""
    cols = [str(c) for c in df.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in df.itertuples(index=False):
        cells = ("-" if isinstance(v, float) and np.isnan(v) else str(v) for v in row)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def queue_outlook(forecast: pd.DataFrame, coverage: pd.DataFrame,
                  start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Per channel x language over ``[start, end)``: volume and the service the plan gives.

    Service level, ASA and abandonment are contact-weighted means over the intervals;
    ``peak_asa_s`` is that mean over the queue's peak intervals (the busiest 10 % by
    contacts, :func:`~optimize.outputs.figures.peak_intervals`, as on the Overview) and
    ``worst_asa_s`` the longest ASA of any interval with contacts.
    """
    keys = ["interval_start", "channel", "language"]
    cov = coverage.merge(forecast[keys + ["contacts"]], on=keys, how="left")
    cov = cov[(cov["interval_start"] >= start) & (cov["interval_start"] < end)]
    cov = cov.reset_index(drop=True)
    w = cov["contacts"].fillna(0.0).to_numpy()
    cov = cov.assign(_w=w, _peak=peak_intervals(cov))
    rows = []
    for (channel, language), g in cov.groupby(["channel", "language"], sort=True):
        wsum = g["_w"].sum()

        def wmean(col: str, g=g, wsum=wsum) -> float:
            if col not in g or wsum <= 0:
                return float("nan")
            v = g[col].to_numpy(dtype=float)
            wt = g["_w"].to_numpy()
            ok = np.isfinite(v) & (wt > 0)
            return float(np.average(v[ok], weights=wt[ok])) if ok.any() else float("nan")

        busy = g[g["_w"] > 0]
        rows.append({
            "channel": channel, "language": language,
            "contacts": round(float(wsum)),
            "service_level": round(wmean("service_level"), 3),
            "asa_s": round(wmean("asa_s"), 1),
            "peak_asa_s": round(wmean("asa_s", g[g["_peak"]], g.loc[g["_peak"], "_w"].sum()), 1),
            "worst_asa_s": round(float(busy["asa_s"].max()), 1) if len(busy) and "asa_s" in busy else float("nan"),
            "abandon_rate": round(wmean("abandon_rate"), 3),
            "max_backlog": round(float(g["backlog"].max()), 1) if "backlog" in g and g["backlog"].notna().any() else "",
            "max_oldest_age_h": round(float(g["oldest_age_h"].max()), 1) if "oldest_age_h" in g and g["oldest_age_h"].notna().any() else "",
        })
    return pd.DataFrame(rows)


def summary_markdown(*, scenario, start: dt.date, weeks: int, forecast: pd.DataFrame,
                     requirements: pd.DataFrame, result, coverage: pd.DataFrame) -> str:
    """Build ``summary.md`` for a plan of ``weeks`` weeks from ``start`` (UTC dates)."""
    t0 = pd.Timestamp(start, tz="UTC")
    t1 = t0 + pd.Timedelta(weeks=weeks)
    fc = forecast[(forecast["interval_start"] >= t0) & (forecast["interval_start"] < t1)]
    fig = plan_figures(result, coverage, forecast, scenario.config, t0, t1, scenario.interval_s)
    lines = [
        f"# staffcast plan: {start.isoformat()} + {weeks} week(s)",
        "",
        f"Scenario `{scenario.directory}`: {len(scenario.queues)} queues, {len(scenario.agents)} agents, "
        f"{scenario.interval_s // 60}-minute intervals. Market scenario: "
        f"{', '.join(sorted(fc['scenario'].astype(str).unique())) if 'scenario' in fc else 'n/a'}.",
        "",
        "## Schedule",
        "",
        f"- Solver status **{result.status}**, objective {result.objective:,.1f}, best bound "
        f"{result.best_bound:,.1f}, gap {100 * result.gap:.2f}% after {result.wall_time_s:.1f} s.",
        f"- {repeatability(result)}",
        f"- {fig['agents_scheduled']} agents scheduled, {fig['shifts']} shifts, "
        f"{fig['paid_hours']:,.1f} paid hours.",
        f"- Forecast contacts in the plan window: {fig['contacts']:,.0f}.",
        f"- {short_line(fig)}",
        *_moved_line(result.moved_h),
        "",
        "## Response-time outlook per queue",
        "",
        md_table(queue_outlook(forecast, coverage, t0, t1)),
        "",
    ]
    if len(result.penalties):
        top = (result.penalties.groupby("kind", as_index=False)["cost"].agg(["sum", "count"])
               .sort_values("sum", ascending=False))
        lines += ["## Where the plan bends", "", BENDS_NOTE, "", md_table(top.round(1)), ""]
    return "\n".join(lines)


def short_line(fig: dict) -> str:
    """The sentence on rows short of the requirement and below target (from
    :func:`~optimize.outputs.figures.plan_figures`), as every page says it."""
    return (f"{fig['rows_short']:,} interval x queue rows short of the requirement "
            f"({fig['head_hours_short']:,.1f} head-hours); {fig['rows_below_target']:,} rows "
            f"in {fig['queues_below_target']} queue(s) below their service target.")


BENDS_NOTE = ("Costs of the roster as built, in the scheduler's cost units (one head short "
              "for one interval on a priority-1 queue). They are recomputed from the "
              "activities as placed (breaks at their minutes, each agent on one queue at a "
              "time), so they can exceed the objective above, which counts each shift's "
              "expected presence (breaks spread over their windows) shared between queues "
              "in tenths of a head.")


def _moved_line(moved_h: tuple[tuple[str, float], ...]) -> list[str]:
    """The summary line on spare agents moved after the search (none: no line)."""
    if not moved_h:
        return []
    parts = ", ".join(f"{channel} {hours:,.1f} h" for channel, hours in moved_h)
    return [f"- Spare agents moved after the search to short queues and backlogs "
            f"(optimize/scheduling/activities/catchup.py): {parts}."]


def repeatability(result) -> str:
    """One sentence: whether a rerun gives this schedule again (``ScheduleResult.cut``)."""
    if result.reproducible:
        return (f"Repeatable: the search ended on its work budget ({result.work_s:,.1f} work s), "
                "so the same inputs, seed and work limit give this schedule again.")
    stage = result.cut.removesuffix(" (stopped)")
    if stage != result.cut:
        return f"Not repeatable: the build was stopped during the {stage}, so a rerun may differ."
    return (f"Not repeatable: the time limit ended the {stage} before its work budget, so a "
            "rerun may differ; a longer time limit (or, on the command line, a smaller "
            "--work-limit) makes it repeatable.")


def hours_markdown(moved: pd.DataFrame, hours) -> str:
    """The "hours of operation" section: each queue's hours and the forecast contacts that
    fall outside them, with where they went (:func:`optimize.queueing.routing.route_hours`;
    the padding days around the plan included)."""
    by_queue = {h.name: h for h in hours}
    days = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

    def clock(m: int) -> str:
        return f"{m // 60:02d}:{m % 60:02d}"

    rows = []
    for r in moved.sort_values(["channel", "language"]).itertuples(index=False):
        h = by_queue[f"{r.channel}/{r.language}"]
        rows.append({"queue": h.name,
                     "open (local)": f"{clock(h.open_min)}-{clock(h.close_min)} {h.timezone}",
                     "days": "every day" if len(h.days) == 7 else ", ".join(days[d] for d in h.days),
                     "outside hours": r.closed_to or "not offered",
                     "contacts moved": f"{r.contacts:,.0f}"})
    return "\n".join([
        "## Hours of operation", "",
        "Outside its hours a queue's forecast contacts go to the queue named (or are not "
        "offered) before requirements are computed: nothing is required of a closed queue.",
        "", md_table(pd.DataFrame(rows)), ""])


def overflow_markdown(requirements: pd.DataFrame, config, interval_s: int) -> str:
    """The "overflow" section: per rule, the contacts the requirements plan to move and in
    how many hours the source queue is asked for nobody of its own
    (:func:`optimize.queueing.overflow.plan_overflow`; the plan weeks)."""
    from optimize.queueing.fallback import fallback_rules
    from optimize.queueing.overflow import counted_rules

    counted = {o.name for o in counted_rules(config)}
    fallback = {o.name for o in fallback_rules(config, interval_s)}
    req = requirements.assign(queue=requirements["channel"] + "/" + requirements["language"])
    if "planned_contacts" not in req.columns:
        req = req.assign(planned_contacts=req["contacts"])
    rows = []
    for o in config.overflow:
        own = req[req["queue"] == o.name]
        # per interval: a queue holding other queues' contacts is never left to its own
        # overflow, so its planned count above its contacts is inflow, not a move
        moved = float((own["contacts"] - own["planned_contacts"]).clip(lower=0.0).sum())
        nobody = int(((own["required_agents"] == 0) & (own["contacts"] > 0)).sum())
        total = float(own["contacts"].sum())
        rows.append({"queue": o.name, "to": f"{o.to[0]}/{o.to[1]}",
                     "after_s": f"{o.after_s:g}", "aht_factor": f"{o.aht_factor:g}",
                     "contacts": f"{total:,.0f}",
                     "not planned on its own agents": (f"{moved:,.0f} ({moved / total:.0%})"
                                         if o.name in counted and total > 0 else
                                         "-" if o.name in counted else
                                         "a fallback" if o.name in fallback else "not counted"),
                     "hours with nobody of its own":
                         f"{nobody * interval_s / 3600:,.1f}" if o.name in counted else "-"})
    return "\n".join([
        "## Overflow after a wait", "",
        "A contact still waiting after `after_s` moves to the queue named. In each interval "
        "the requirements either staff the queue on its own or ask nobody of it and size "
        "the target queue for the contacts still there (optimize/queueing/overflow.py). "
        "Between email or social queues (a fallback) the target's requirement includes "
        "what the source's own capacity leaves waiting at `after_s`, and the roster's "
        "promise counts the move; rules between a real-time and a deferred queue, or to "
        "or from a pooled channel, are played by the simulator only (not counted).", "",
        md_table(pd.DataFrame(rows)), ""])


def remedy_tables(reasons: pd.DataFrame, languages: pd.DataFrame
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The per-queue and per-language tables of why queues are short, as people read them
    (:func:`optimize.scheduling.remedy.shortfall_reasons` and ``language_totals``);
    ``summary.md`` and the app's Schedule page show these."""
    q = pd.DataFrame({
        "queue": (reasons["channel"] + "/" + reasons["language"]).to_numpy(),
        "head-hours short": reasons["short_h"].map(lambda v: f"{v:,.1f}").to_numpy(),
        "why": reasons["reason"].to_numpy(), "what would fix it": reasons["remedy"].to_numpy()})
    lang = pd.DataFrame({
        "language": languages["language"].to_numpy(),
        "head-hours short": languages["short_h"].map(lambda v: f"{v:,.1f}").to_numpy(),
        "agents speaking it": languages["agents"].to_numpy(),
        "their unused contract hours": languages["unused_contract_h"].map(
            lambda v: f"{v:,.0f}").to_numpy(),
        "agents to add": languages["add_agents"].to_numpy()})
    return q, lang


REMEDY_NOTE = ("Head-hours short of the requirement over the plan, per queue, with the reason "
               "read from its skilled agents' contracts (a first cut: totals over the plan, not "
               "the hours of the day that are short). The queues of one language share its "
               "agents, so the second table adds them up: the number to hire by.")


def remedies_markdown(reasons: pd.DataFrame, languages: pd.DataFrame) -> str:
    """The "why short, and what would fix it" section of ``summary.md``."""
    if reasons.empty:
        return "## Why queues are short\n\nNo queue is short of its requirement.\n"
    q, lang = remedy_tables(reasons, languages)
    return "\n".join(["## Why queues are short, and what would fix it", "", REMEDY_NOTE, "",
                      md_table(q), "", md_table(lang), ""])
