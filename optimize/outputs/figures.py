"""The figures of a plan, from one place: every page and ``summary.md`` read them here.

* :func:`plan_figures`: the headline numbers of a schedule over its plan weeks (shifts,
  paid hours, contacts, rows short of the requirement, rows below target, solver figures);
  stored with each plan (:mod:`optimize.records`) and shown by the Overview, Schedule and
  Export pages and ``summary.md``, so two places can never count differently;
* :func:`demand_figures`: what the forecast asks (contacts, required hours, peak heads)
  and what the contracts allow, with or without a schedule;
* :func:`below_target`: the interval x queue rows that miss their service target;
* :func:`plan_window_rows`: a schedule's unmet rows and penalties inside the plan weeks;
* :func:`target_text`: a channel's target in words.

*Peak* is the busiest :data:`PEAK_SHARE` of a queue's intervals by forecast contacts
(:func:`peak_intervals`), the same on every page and in ``summary.md``.

*Short of the requirement* (heads on the schedule below the heads the formulas ask for)
and *below target* (the service the scheduled heads give misses the channel's target) are
different counts: a queue one head short can still meet its target, and one at its
requirement can miss it where the requirement is capped by the scenario's limits.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from optimize.scenario.config import ScenarioConfig

__all__ = ["PEAK_SHARE", "below_target", "demand_figures", "peak_intervals", "plan_figures",
           "plan_window_rows", "target_text"]

_KEYS = ["interval_start", "channel", "language"]

#: *peak* everywhere (the Overview's waits, summary.md's outlook): the busiest 10% of a
#: queue's intervals by forecast contacts over the table given (the plan weeks)
PEAK_SHARE = 0.10


def peak_intervals(table: pd.DataFrame) -> np.ndarray:
    """Boolean mask of the rows of ``table`` (``channel, language, contacts``) that are
    *peak* for their queue: contacts at or above the queue's ``1 - PEAK_SHARE`` quantile,
    and not zero. The one definition of peak the pages and ``summary.md`` use."""
    contacts = table["contacts"].fillna(0.0)
    level = contacts.groupby([table["channel"], table["language"]]).transform(
        lambda c: c.quantile(1.0 - PEAK_SHARE))
    return ((contacts >= level) & (contacts > 0)).to_numpy()


def target_text(config: ScenarioConfig, channel: str) -> str:
    """The service target of ``channel`` in words, e.g. ``"80% in 60 s"``."""
    ch = config.channels[channel]
    if ch.kind == "deferred":
        return f"{ch.response_share:.0%} in {ch.response_window_h:g} h"
    return f"{ch.service_level:.0%} in {ch.answer_time_s:g} s"


def below_target(table: pd.DataFrame, config: ScenarioConfig, *,
                 tolerance: float = 1e-6) -> pd.DataFrame:
    """Rows of a requirements or coverage table that miss their channel's target.

    A realtime row with contacts misses when ``service_level`` is below the channel's
    ``service_level``; a deferred row misses when ``oldest_age_h`` exceeds the channel's
    ``response_window_h``. Returns those rows with a ``target`` and a ``reason`` column,
    worst first.
    """
    cols = ["interval_start", "channel", "language", "contacts", "service_level",
            "oldest_age_h", "target", "reason"]
    if table.empty:
        return pd.DataFrame(columns=cols)
    ch = table["channel"].astype(str)
    kind = ch.map({n: c.kind for n, c in config.channels.items()})
    sl_target = ch.map({n: c.service_level for n, c in config.channels.items()}).astype(float)
    window = ch.map({n: c.response_window_h for n, c in config.channels.items()}).astype(float)
    sl = table["service_level"].astype(float) if "service_level" in table else np.nan
    age = (table["oldest_age_h"].astype(float) if "oldest_age_h" in table
           else pd.Series(np.nan, index=table.index))
    busy = table["contacts"].fillna(0.0) > 0
    miss_rt = (kind == "realtime") & busy & (sl < sl_target - tolerance)
    miss_df = (kind == "deferred") & (age > window + tolerance)
    out = table.loc[miss_rt | miss_df].copy()
    if "oldest_age_h" not in out:
        out["oldest_age_h"] = np.nan
    out["target"] = [target_text(config, c) for c in out["channel"]]
    rt = (kind == "realtime")[out.index]
    out["reason"] = np.where(
        rt, "service level " + (100 * out["service_level"]).round(1).astype(str) + "% below target",
        "oldest contact " + out["oldest_age_h"].round(1).astype(str) + " h waiting")
    gap = np.where(rt, sl_target[out.index] - out["service_level"],
                   (out["oldest_age_h"] - window[out.index]) / window[out.index])
    out = out.assign(_gap=gap).sort_values("_gap", ascending=False)
    return out[cols].reset_index(drop=True)


def plan_window_rows(unmet: pd.DataFrame, penalties: pd.DataFrame, start: pd.Timestamp,
                     end: pd.Timestamp) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The unmet intervals and penalties of a schedule that fall in the plan ``[start, end)``.

    The schedule is built on requirements padded by a day on each side (agents' local days
    reach past the week); no shift is planned for the padding, so its intervals are always
    short and would be read as the plan's misses. Unmet rows are kept by ``interval_start``
    (largest shortfall first); penalties by the UTC time in their name
    (``understaffed(chat/en, 2026-11-30T08:00Z)``); penalties without a time are kept.
    """
    t = pd.to_datetime(unmet["interval_start"], utc=True)
    kept = unmet[(t >= start) & (t < end)]
    if "shortfall" in kept:
        kept = kept.sort_values("shortfall", ascending=False, kind="stable")
    stamp = pd.to_datetime(penalties["name"].astype(str).str.extract(
        r"(\d{4}-\d\d-\d\dT\d\d:\d\dZ)", expand=False), utc=True, format="%Y-%m-%dT%H:%MZ")
    inside = stamp.isna() | ((stamp >= start) & (stamp < end))
    return kept.reset_index(drop=True), penalties[inside].reset_index(drop=True)


def _num(value: float) -> float | None:
    return None if value is None or not math.isfinite(float(value)) else float(value)


def demand_figures(requirements: pd.DataFrame, agents: pd.DataFrame, start: pd.Timestamp,
                   end: pd.Timestamp, interval_s: int) -> dict[str, Any]:
    """What the forecast asks of the desk over ``[start, end)``, and what the contracts allow.

    ``required_hours`` and ``peak_heads_required`` are heads on the schedule
    (``required_scheduled``: after shrinkage, breaks excluded) summed over queues per
    interval; ``contracted_hours`` is the agents' ``max_hours_week`` over the plan's weeks.
    """
    t = requirements["interval_start"]
    req = requirements[(t >= start) & (t < end)]
    per_interval = req.groupby("interval_start")["required_scheduled"].sum()
    weeks = (end - start) / pd.Timedelta(weeks=1)
    return {
        "contacts": round(float(req["contacts"].sum()), 1),
        "required_hours": round(float(per_interval.sum()) * interval_s / 3600.0, 1),
        "peak_heads_required": int(math.ceil(per_interval.max() - 1e-9)) if len(per_interval) else 0,
        "agents": int(len(agents)),
        "contracted_hours": round(float(agents["max_hours_week"].sum()) * weeks, 1),
    }


def plan_figures(result: Any, coverage: pd.DataFrame, forecast: pd.DataFrame,
                 config: ScenarioConfig, start: pd.Timestamp, end: pd.Timestamp,
                 interval_s: int, *, requirements: pd.DataFrame | None = None,
                 agents: pd.DataFrame | None = None) -> dict[str, Any]:
    """The headline figures of a schedule over its plan weeks ``[start, end)``.

    ``result`` is a :class:`~optimize.scheduling.schedule.ScheduleResult`; ``coverage``
    its evaluation (:func:`optimize.queueing.requirements.evaluate_staffing`); ``forecast``
    the forecast it was evaluated on (contacts weight the targets). With ``requirements``
    and ``agents``, the :func:`demand_figures` too. Returns plain JSON-able values
    (``None`` for a figure that does not exist, e.g. the gap of an infeasible model).
    """
    roster = result.roster
    t = forecast["interval_start"]
    contacts = float(forecast.loc[(t >= start) & (t < end), "contacts"].sum())
    unmet, penalties = plan_window_rows(result.unmet, result.penalties, start, end)
    cov = coverage[(coverage["interval_start"] >= start) & (coverage["interval_start"] < end)]
    if "contacts" not in cov:
        cov = cov.merge(forecast[_KEYS + ["contacts"]], on=_KEYS, how="left")
    misses = below_target(cov, config)
    demand = ({} if requirements is None or agents is None else
              demand_figures(requirements, agents, start, end, interval_s))
    return {
        **demand,
        "status": str(result.status),
        "objective": _num(result.objective),
        "best_bound": _num(result.best_bound),
        "gap": _num(result.gap),
        "wall_time_s": _num(result.wall_time_s),
        "reproducible": bool(result.reproducible),
        "cut": str(result.cut),
        "work_s": _num(result.work_s),
        "shifts": int(len(roster)),
        "agents_scheduled": int(roster["agent_id"].nunique()) if len(roster) else 0,
        "paid_hours": round(float(roster["paid_hours"].sum()), 2) if len(roster) else 0.0,
        "contacts": round(contacts, 1),
        "rows_short": int(len(unmet)),
        "head_hours_short": round(float(unmet["shortfall"].sum()) * interval_s / 3600.0
                                  if "shortfall" in unmet else 0.0, 1),
        "rows_below_target": int(len(misses)),
        "queues_below_target": int(misses[["channel", "language"]].drop_duplicates().shape[0]),
        "penalty_cost": round(float(penalties["cost"].sum()), 1) if len(penalties) else 0.0,
    }
