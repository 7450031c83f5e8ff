"""Two plans side by side: what a manager checks before publishing a draft.

:func:`compare_queues` sets the per queue service of two plans beside each other (the
figures of ``summary.md``'s outlook, :func:`optimize.outputs.summary.queue_outlook`);
:func:`compare_agents` lists, per agent, the shifts one roster adds, removes or moves
against the other. Pure functions on the plans' tables.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimize.outputs.summary import queue_outlook

__all__ = ["compare_agents", "compare_queues"]

_QUEUE = ["channel", "language"]


def compare_queues(base: tuple[pd.DataFrame, pd.DataFrame], other: tuple[pd.DataFrame, pd.DataFrame],
                   start: pd.Timestamp, end: pd.Timestamp, interval_s: int) -> pd.DataFrame:
    """Per queue over ``[start, end)``: the service of plan ``base`` and of plan ``other``.

    Each plan is ``(coverage, forecast)``. Columns: ``channel, language, contacts`` (of
    ``other``), then for ``service_level``, ``asa_s``, ``abandon_rate``,
    ``max_oldest_age_h`` and ``scheduled_h`` (head-hours on the queue) the value in each
    plan (``_base``, ``_new``) and ``_change`` (new minus base), largest service-level
    change first.
    """
    def one(cov: pd.DataFrame, fc: pd.DataFrame) -> pd.DataFrame:
        out = queue_outlook(fc, cov, start, end).set_index(_QUEUE)
        inside = cov[(cov["interval_start"] >= start) & (cov["interval_start"] < end)]
        heads = inside.groupby(_QUEUE)["scheduled_agents"].sum() * interval_s / 3600.0
        out["scheduled_h"] = heads.reindex(out.index).fillna(0.0).round(1)
        out["max_oldest_age_h"] = pd.to_numeric(out["max_oldest_age_h"], errors="coerce")
        return out

    a, b = one(*base), one(*other)
    cols = ["service_level", "asa_s", "abandon_rate", "max_oldest_age_h", "scheduled_h"]
    out = pd.DataFrame({"contacts": b["contacts"]}).join(a[cols].add_suffix("_base"), how="outer")
    out = out.join(b[cols].add_suffix("_new"), how="outer")
    for c in cols:
        out[f"{c}_change"] = (out[f"{c}_new"] - out[f"{c}_base"]).round(3)
    order = out["service_level_change"].abs().fillna(0.0)
    return (out.assign(_o=order).sort_values("_o", ascending=False, kind="stable")
            .drop(columns="_o").reset_index())


def compare_agents(base: pd.DataFrame, other: pd.DataFrame) -> pd.DataFrame:
    """Per agent whose shifts differ between roster ``base`` and roster ``other``.

    A shift is identified by agent and local ``shift_date``: in ``other`` only it is
    *added*, in ``base`` only *removed*, in both with another start or end *moved*.
    Columns: ``agent_id, name, shifts_base, shifts_new, paid_hours_base, paid_hours_new,
    added, removed, moved, changes`` (the changed dates, e.g. ``"+2026-12-03 -2026-12-05
    ~2026-12-01"``); agents with no change are left out; most changes first.
    """
    keys = ["agent_id", "shift_date"]
    cols = keys + ["name", "start_utc", "end_utc", "paid_hours"]
    both = base[cols].merge(other[cols], on=keys, how="outer", suffixes=("_b", "_n"),
                            indicator=True)
    added = both["_merge"] == "right_only"
    removed = both["_merge"] == "left_only"
    moved = (both["_merge"] == "both") & ((both["start_utc_b"] != both["start_utc_n"])
                                          | (both["end_utc_b"] != both["end_utc_n"]))
    both["name"] = both["name_n"].fillna(both["name_b"])
    both["kind"] = np.select([added, removed, moved], ["+", "-", "~"], "")
    changed = both[both["kind"] != ""]
    if changed.empty:
        return pd.DataFrame(columns=["agent_id", "name", "shifts_base", "shifts_new",
                                     "paid_hours_base", "paid_hours_new", "added", "removed",
                                     "moved", "changes"])
    label = changed["kind"] + changed["shift_date"].astype(str).str[:10]
    per = changed.assign(label=label).groupby("agent_id").agg(
        name=("name", "first"), added=("kind", lambda k: int((k == "+").sum())),
        removed=("kind", lambda k: int((k == "-").sum())),
        moved=("kind", lambda k: int((k == "~").sum())),
        changes=("label", lambda s: " ".join(sorted(s, key=lambda x: x[1:]))))
    count = lambda r: r.groupby("agent_id").size()  # noqa: E731
    hours = lambda r: r.groupby("agent_id")["paid_hours"].sum()  # noqa: E731
    per["shifts_base"] = count(base).reindex(per.index).fillna(0).astype(int)
    per["shifts_new"] = count(other).reindex(per.index).fillna(0).astype(int)
    per["paid_hours_base"] = hours(base).reindex(per.index).fillna(0.0).round(2)
    per["paid_hours_new"] = hours(other).reindex(per.index).fillna(0.0).round(2)
    per["_n"] = per["added"] + per["removed"] + per["moved"]
    per = per.sort_values(["_n", "agent_id"], ascending=[False, True]).drop(columns="_n")
    return per.reset_index()[["agent_id", "name", "shifts_base", "shifts_new",
                              "paid_hours_base", "paid_hours_new", "added", "removed",
                              "moved", "changes"]]
