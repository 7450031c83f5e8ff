"""Promised beside simulated, as people read it: the tables and sections that
``simulation.md``, ``summary.md`` and the app's simulation tab show, and the calibrated
shrinkage of ``plan --calibrate``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimize.outputs.summary import md_table

__all__ = ["calibration_markdown", "over_promise_line", "simulation_markdown",
           "simulation_table", "vip_table"]


def simulation_table(comparison: pd.DataFrame) -> pd.DataFrame:
    """Promised beside simulated per queue, as people read it (percent strings).

    ``comparison`` is :func:`optimize.simulation.promise_table` (per queue: contacts,
    promised and simulated service level with its 95% interval, abandonment, difference,
    ``over_promise``). ``summary.md``, ``simulation.md`` and the app show this table.
    """
    c = comparison.sort_values(["channel", "language"])

    def pct(x: float) -> str:
        return "" if not np.isfinite(x) else f"{100 * x:.1f}%"

    def interval(lo: float, hi: float) -> str:
        return "" if not (np.isfinite(lo) and np.isfinite(hi)) else \
            f"{100 * max(lo, 0.0):.1f}-{100 * min(hi, 1.0):.1f}%"

    return pd.DataFrame({
        "queue": (c["channel"] + "/" + c["language"]).to_numpy(),
        "contacts": c["contacts"].round().astype(int).to_numpy(),
        "promised": [pct(v) for v in c["promised_service_level"]],
        "simulated": [pct(v) for v in c["service_level"]],
        "95% interval": [interval(lo, hi) for lo, hi in zip(c["service_level_lo"],
                                                          c["service_level_hi"], strict=True)],
        "abandoned": [pct(v) if k == "realtime" else "" for v, k in zip(
            c["abandon_rate"], c["kind"], strict=True)],
        "over-promise": np.where(c["over_promise"], "yes", ""),
    })


def vip_table(comparison: pd.DataFrame, config) -> pd.DataFrame:
    """Simulated VIP chat beside its regular channel, per language, as people read it.

    Each VIP real-time channel is paired with its ``pool_with`` channel, else with the one
    real-time channel that is not VIP (no table when there is no such single partner).
    Each is measured against its own target; "VIP at or above" compares those service
    levels. ``comparison`` is :func:`optimize.simulation.promise_table`.
    """
    cols = ["language", "VIP", "service level", "abandoned", "regular", "its service level",
            "its abandoned", "VIP at or above"]
    realtime = {n: ch for n, ch in config.channels.items() if ch.kind == "realtime"}
    plain = [n for n, ch in realtime.items() if not ch.vip]
    rows = []
    c = comparison.set_index(["channel", "language"])
    for name, ch in sorted(realtime.items()):
        partner = ch.pool_with or (plain[0] if len(plain) == 1 else None)
        if not ch.vip or partner is None:
            continue
        for lang in sorted(comparison.loc[comparison["channel"] == name, "language"]):
            if (partner, lang) not in c.index:
                continue
            v, r = c.loc[(name, lang)], c.loc[(partner, lang)]
            sl_v, sl_r = float(v["service_level"]), float(r["service_level"])
            rows.append({
                "language": lang,
                "VIP": f"{name} ({ch.answer_time_s:g} s)",
                "service level": f"{100 * sl_v:.1f}%",
                "abandoned": f"{100 * float(v['abandon_rate']):.1f}%",
                "regular": f"{partner} ({realtime[partner].answer_time_s:g} s)",
                "its service level": f"{100 * sl_r:.1f}%",
                "its abandoned": f"{100 * float(r['abandon_rate']):.1f}%",
                "VIP at or above": ("yes" if sl_v >= sl_r else
                                    "within the 95% intervals" if float(v["service_level_hi"])
                                    >= float(r["service_level_lo"]) else "no")})
    return pd.DataFrame(rows, columns=cols)


def over_promise_line(comparison: pd.DataFrame) -> str:
    """One sentence: how many queues over-promise, and which."""
    flagged = comparison[comparison["over_promise"]].sort_values(["channel", "language"])
    names = ", ".join(flagged["channel"] + "/" + flagged["language"])
    return (f"{len(flagged)} of {len(comparison)} queues over-promise by more than 2 points"
            + (f": {names}." if len(flagged) else "."))


def simulation_markdown(comparison: pd.DataFrame, *, reps: int, seed: int,
                        shrinkage: str, routing: str = "planned", day_levels: bool = False,
                        replay: bool = False, config=None) -> str:
    """The "promised and simulated" section of ``summary.md`` and ``simulation.md``; with
    the scenario's ``config``, also VIP beside regular chat per language (:func:`vip_table`)."""
    table = simulation_table(comparison)
    table["over-promise"] = table["over-promise"].map({"yes": "**yes**", "": ""})
    shrink = {"intervals": "each agent x interval of planned work lost with the channel's "
                           "shrinkage probability",
              "shifts": "whole shifts lost with the channel's shrinkage probability",
              "none": "no shrinkage: the plan as written"}[shrinkage]
    route = {"planned": "every agent on its planned queue",
             "skills": "idle agents also take other queues they are skilled for"}[routing]
    arrivals = ("the actual contacts of the file given, replayed" if replay else
                "Poisson at the forecast, each day's level drawn from its P10-P90 band"
                if day_levels else "Poisson at the forecast")
    return "\n".join([
        "## Promised and simulated",
        "",
        f"The plan's queueing formulas (promised) beside a discrete-event simulation of the "
        f"roster ({reps} replication(s), seed {seed}; arrivals: {arrivals}; routing: {route}; "
        f"shrinkage: {shrink}; a warm-up week first). Service level is the share of offered contacts answered within "
        "the target (real-time) or the response window (email, social). Over-promise: the "
        "promise exceeds the simulated mean by more than 2 points.",
        "",
        over_promise_line(comparison),
        "",
        md_table(table),
        "",
    ] + _vip_section(comparison, config))


def _vip_section(comparison: pd.DataFrame, config) -> list[str]:
    vip = vip_table(comparison, config) if config is not None else pd.DataFrame()
    if vip.empty:
        return []
    return ["### VIP beside regular chat (simulated)", "",
            "Each against its own target; \"within the 95% intervals\": VIP is lower, but the "
            "two intervals overlap (more replications tell them apart).", "",
            md_table(vip), ""]


def calibration_markdown(fit: pd.DataFrame, config=None) -> str:
    """The "calibrated shrinkage" section: what the first plan promised and delivered per
    queue, and the shrinkage the plan was built on again after each round (``fit``: the
    rounds of :func:`optimize.queueing.calibration.effective_shrinkage` with a ``round``
    column); only the queues whose shrinkage changed. With the scenario's ``config``, also
    the ``[staffing.effective_shrinkage]`` table that keeps the last round: every queue
    whose shrinkage differs from its channel's."""
    rounds = int(fit["round"].max())
    first = fit[fit["round"] == 1].set_index(["channel", "language"]).sort_index()
    path = fit.pivot_table(index=["channel", "language"], columns="round", values="shrinkage")
    path = path.reindex(first.index)
    changed = (path.sub(first["configured_shrinkage"], axis=0).abs() > 1e-9).any(axis=1)
    first, path = first[changed], path[changed]
    steps = [" -> ".join([f"{100 * a:.0f}%"] + [f"{100 * v:.1f}%" for v in row])
             for a, row in zip(first["configured_shrinkage"], path.to_numpy(), strict=True)]
    table = pd.DataFrame({
        "queue": [f"{c}/{lg}" for c, lg in first.index],
        "first plan promised": [f"{100 * v:.1f}%" for v in first["promised"]],
        "delivered": ["-" if np.isnan(v) else f"{100 * v:.1f}%" for v in first["delivered"]],
        "shrinkage": steps,
    })
    again = ("once" if rounds == 1 else f"{rounds} times, each round fitted on the previous "
             "round's plan and its simulation")
    return "\n".join([
        "## Calibrated shrinkage",
        "",
        "The first plan was simulated; where the queueing formulas' service level on its "
        "roster and what the roster delivers differed by more than half a point, the queue's "
        "shrinkage was set to the value at which the formulas give the delivered level, and "
        f"the plan was built again on it, {again} (requirements, schedule and the promise "
        "above all use the last; `calibration.csv`). Delivered: the simulation for chat and "
        "VIP chat; for email and social the promise computed on the roster (heads that come "
        "and go, switching from chat), against the fluid backlog the requirements use "
        "('-': a queue answering almost none or almost all in time, not fitted). The "
        "simulation itself still loses the configured shrinkage.",
        "",
        f"{int(changed.sum())} of {len(changed)} queues changed.",
        "",
        md_table(table) if len(table) else "",
        "",
        *(_keep_fit(fit[fit["round"] == rounds], config) if config is not None else []),
    ])


def _keep_fit(last: pd.DataFrame, config) -> list[str]:
    """A ``scenario.toml`` table that keeps the last round's fit for the next plans: the
    queues whose shrinkage differs from their channel's (those the scenario already
    calibrated included, so the table replaces the old one whole)."""
    own = last["channel"].map(config.shrinkage_for)
    keep = last[(last["shrinkage"] - own).abs() > 5e-4].sort_values(["channel", "language"])
    if keep.empty:
        return []
    lines = [f'"{c}/{lg}" = {v:.3f}' for c, lg, v
             in zip(keep["channel"], keep["language"], keep["shrinkage"], strict=True)]
    return ["To plan with this calibration without simulating again (the fit holds while "
            "the desk and its volume stay much the same), put this table in "
            "`scenario.toml`, in place of any `[staffing.effective_shrinkage]` it has:", "",
            "```toml", "[staffing.effective_shrinkage]", *lines, "```", ""]
