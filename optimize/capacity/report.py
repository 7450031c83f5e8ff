"""What a manager reads of a capacity plan: the per-language view, the files, the summary.

Every figure of the app page and of ``capacity.md`` comes from the functions here, so
the two cannot disagree. The files (``docs/contract.md``):

* ``capacity.csv``: per week and queue, the forecast (``contacts`` and its P10/P90, handle
  time, market regime, model), ``required_hours`` on schedule, and in FTE the paid time
  ``required``, ``available`` and ``short`` today and with the plan, and the expected
  ``service_level`` today and with the plan;
* ``hires.csv``: per start week and hire profile, the hires, when to decide (the lead
  time before the start) and when they are fully productive;
* ``supply.csv``: per week and supply group (today's agents of one skill set, agents added
  by hand, hires of one profile), paid, used and spare hours.
"""

from __future__ import annotations

import pandas as pd

from optimize.capacity.plan import CapacityPlan

__all__ = ["COVERED_FTE", "SERVICE_NOTE", "by_language", "capacity_files", "capacity_markdown", "check_summary",
           "service_by_queue"]

#: how the expected service levels are made, for the reader of ``capacity.md`` and the app
SERVICE_NOTE = (
    "Each week's paid hours go to the queues as the hiring programme gives them: when they "
    "are short, by channel priority on the shortfall curve, so email and social (priority 1 "
    "and 2) give way first, and a backlog queue short of its need all week answers almost "
    "nothing in time. A weekly schedule of the same desk spreads spare minutes to the "
    "backlogs, so its email and social figures (Overview, summary.md) can be far better "
    "than the 'today' columns here.")
#: a queue-week short by less than this many FTE counts as covered
COVERED_FTE = 0.05
_FTE = ["required_fte", "available_fte_today", "available_fte_plan", "short_fte_today",
        "short_fte_plan"]


def by_language(capacity: pd.DataFrame) -> pd.DataFrame:
    """FTE per week and language (the queues of a language summed): ``week_start,
    language, required_fte, available_fte_today, available_fte_plan, short_fte_today,
    short_fte_plan``."""
    return (capacity.groupby(["week_start", "language"], as_index=False)[_FTE].sum()
            .sort_values(["language", "week_start"]).reset_index(drop=True))


def service_by_queue(capacity: pd.DataFrame) -> pd.DataFrame:
    """Contact-weighted expected service level per channel and language over the horizon,
    today and with the plan; ``covered_from``, the first week from which the plan covers
    the queue in full in every later week, and the plan's service level from then on."""
    df = capacity.assign(w_today=capacity["contacts"] * capacity["service_level_today"],
                         w_plan=capacity["contacts"] * capacity["service_level_plan"])
    g = df.groupby(["channel", "language"])
    out = pd.DataFrame({"contacts": g["contacts"].sum(),
                        "service_level_today": g["w_today"].sum() / g["contacts"].sum(),
                        "service_level_plan": g["w_plan"].sum() / g["contacts"].sum()})
    short = df[df["short_fte_plan"] >= COVERED_FTE]
    last_short = short.groupby(["channel", "language"])["week_start"].max()
    first = df.groupby(["channel", "language"])["week_start"].min()
    covered = (last_short + pd.Timedelta(weeks=1)).reindex(first.index).fillna(first)
    covered[covered > df["week_start"].max()] = pd.NaT
    out["covered_from"] = covered
    later = df[df["week_start"] >= df[["channel", "language"]].merge(
        covered.rename("c").reset_index(), how="left")["c"].to_numpy()]
    g = later.groupby(["channel", "language"])
    out["service_level_plan_covered"] = g["w_plan"].sum() / g["contacts"].sum()
    return out.reset_index()


def capacity_files(plan: CapacityPlan, checks: pd.DataFrame | None = None) -> dict[str, bytes]:
    """``capacity.csv``, ``hires.csv``, ``supply.csv``, ``capacity.md`` and, after a check
    on the scheduler (:func:`optimize.capacity.check.calibrate`), ``check.csv``, as bytes."""
    from optimize.outputs.export import table_to_csv

    files = {"capacity.csv": table_to_csv(plan.capacity), "hires.csv": table_to_csv(plan.hires),
             "supply.csv": table_to_csv(plan.groups),
             "capacity.md": capacity_markdown(plan, checks).encode()}
    if checks is not None:
        files["check.csv"] = table_to_csv(checks)
    return files


def check_summary(checks: pd.DataFrame) -> pd.DataFrame:
    """Per round of a check: the week, agents, paid hours, efficiency there, required and
    covered hours, and the worst-covered queue."""
    rows = []
    for r, g in checks.groupby("round"):
        worst = g.loc[g["covered_share"].idxmin()]
        rows.append({"round": int(r), "week_start": g["week_start"].iloc[0],
                     "agents": int(g["agents"].iloc[0]), "paid_hours": g["paid_hours"].iloc[0],
                     "efficiency": g["efficiency"].iloc[0],
                     "covered_share": g["covered_hours"].sum() / g["required_hours"].sum(),
                     "queues_below_98pct": int((g["covered_share"] < 0.98).sum()),
                     "worst_queue": f"{worst['channel']}/{worst['language']} "
                                    f"{worst['covered_share']:.1%}"})
    return pd.DataFrame(rows)


def _table(df: pd.DataFrame) -> str:
    cols = list(df.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in df.itertuples(index=False):
        cells = []
        for v in row:
            if isinstance(v, float):
                cells.append("" if pd.isna(v) else f"{v:,.2f}")
            elif isinstance(v, pd.Timestamp):
                cells.append(f"{v:%Y-%m-%d}")
            else:
                cells.append(str(v))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def capacity_markdown(plan: CapacityPlan, checks: pd.DataFrame | None = None) -> str:
    """The plan's summary: horizon, method choices, hires, FTE per language, service."""
    cap = plan.capacity
    weeks = sorted(cap["week_start"].unique())
    first, last = pd.Timestamp(weeks[0]), pd.Timestamp(weeks[-1])
    lang = by_language(cap)
    end = lang[lang["week_start"] == last].drop(columns="week_start")
    start = lang[lang["week_start"] == first].set_index("language")
    end.insert(1, "required_fte_first_week", start.loc[end["language"], "required_fte"].to_numpy())
    hires = (plan.hires.groupby("profile", as_index=False)
             .agg(hires=("hires", "sum"), first_start=("week_start", "min"),
                  decide_first_by=("decide_by", "min"))
             if len(plan.hires) else pd.DataFrame(columns=["profile", "hires"]))
    choice = plan.forecast.choice
    scores = (choice.scores.pivot(index="channel", columns="model", values="wape").reset_index()
              if len(choice.scores) else None)
    parts = [
        f"# staffcast capacity plan: {len(weeks)} weeks from {first:%Y-%m-%d}",
        "",
        f"- Scheduling efficiency: {plan.efficiency_note or f'{plan.efficiency:.3f}'} "
        "(paid hours per required hour on schedule).",
        f"- Hires in the plan: **{int(plan.hires['hires'].sum()) if len(plan.hires) else 0}**; "
        f"programme cost today {plan.cost.get('today', float('nan')):,.0f}, with the plan "
        f"{plan.cost.get('plan', float('nan')):,.0f} (paid-hour units, shortfall priced).",
        "- Long-range model per channel: "
        + ", ".join(f"{c} {m}" for c, m in sorted(choice.chosen.items()))
        + (f" (backtest from {len(choice.origins)} origins)" if choice.origins
           else " (history too short to backtest: 8-week mean)"),
        "",
        "## Hires per profile",
        "",
        _table(hires) if len(hires) else "No hires: today's desk covers the requirement.",
        "",
        f"## FTE per language in the last week ({last:%Y-%m-%d})",
        "",
        _table(end),
        "",
        "## Expected service level over the horizon (contact-weighted)",
        "",
        SERVICE_NOTE,
        "",
        _table(service_by_queue(cap)),
    ]
    if scores is not None:
        parts += ["", "## Long-range backtest (WAPE, weeks 4 and beyond)", "", _table(scores)]
    if checks is not None and len(checks):
        parts += ["", "## Check on the scheduler (the last week scheduled with its planned desk)",
                  "", "Each round schedules the plan's last week with today's agents less the "
                  "expected leavers plus the hires so far; a queue covered below its need "
                  "gets `1 / covered share` more hours in the next round's plan.", "",
                  _table(check_summary(checks))]
    parts += ["", "## Market regimes (contacts against the centred 13-week mean)", "",
              _table(plan.forecast.regimes.pivot(index="channel", columns="regime",
                                                 values="factor").reset_index())]
    return "\n".join(parts) + "\n"
