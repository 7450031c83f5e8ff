"""Why a queue misses its target, and what would fix it, in numbers (issue 16, part 4).

For every queue whose plan falls short of its requirement, :func:`shortfall_reasons`
compares the head-hours it is short with what its skilled agents could still give:

- nobody may take the queue (no agent with its channel and language, or no VIP
  certificate for a VIP channel): certify or hire;
- its skilled agents are at their contract maximum (their unused contract hours are
  fewer than the hours short): add agents speaking the language with the channel, or
  overtime;
- its skilled agents have hours to spare but the schedule spent them elsewhere (higher
  priority queues, labour rules, or the hours of day they may work): the queue's
  priority, or agents who can work those hours.

A real-time queue gets a routing remedy too: where it has no overflow rule, an overflow
to the channel's queue in the language most of its agents speak, after half the answer
time (so the moved contacts have the other half); where its rule keeps it staffed
(``keep_staffed``), leaving it to that rule in its thin hours (not a VIP queue's rule to
a team without the certification). An email or social queue without a rule is offered a
fallback to that language's queue after half its response window (answered through
translation). What such a rule does to the plan is for the
requirements and the simulator to say (:mod:`optimize.queueing.overflow`).

A first cut: it reads totals over the plan, not which hours of the day are short, and the
queues of one language share its agents, so :func:`language_totals` adds them up per
language (the figure to hire by).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from optimize.scenario.config import ScenarioConfig

__all__ = ["language_totals", "shortfall_reasons"]


def _skilled(agents: pd.DataFrame, channel: str, language: str | None, vip: bool) -> pd.Series:
    """Agents who may take ``channel`` (in ``language``; any language when None)."""
    ok = agents["channels"].map(lambda c: channel in c)
    if language is not None:
        ok &= agents["languages"].map(lambda x: language in x)
    return ok & (agents["vip"] | (not vip))


def shortfall_reasons(requirements: pd.DataFrame, staffed: pd.DataFrame,
                      roster: pd.DataFrame, agents: pd.DataFrame, config: ScenarioConfig,
                      *, weeks: int, interval_s: int) -> pd.DataFrame:
    """Per short queue: head-hours short, skilled agents, their unused contract hours,
    the reason and the remedy.

    Parameters
    ----------
    requirements : DataFrame
        ``interval_start, channel, language, required_scheduled`` over the plan weeks.
    staffed : DataFrame
        ``interval_start, channel, language, scheduled_agents`` (the schedule's heads).
    roster : DataFrame
        ``agent_id, paid_hours`` per shift.
    agents : DataFrame
        ``agents.csv`` as loaded.
    config : ScenarioConfig
    weeks, interval_s : int

    Returns
    -------
    DataFrame
        ``channel, language, short_h, skilled_agents, unused_contract_h, reason, remedy``,
        largest shortfall first; empty when no queue is short.
    """
    keys = ["interval_start", "channel", "language"]
    df = requirements[keys + ["required_scheduled"]].merge(
        staffed[keys + ["scheduled_agents"]], on=keys, how="left")
    df["short"] = np.maximum(df["required_scheduled"] - df["scheduled_agents"].fillna(0.0), 0.0)
    short = (df.groupby(["channel", "language"])["short"].sum() * interval_s / 3600.0)
    short = short[short > 0.5]
    paid = roster.groupby("agent_id")["paid_hours"].sum() if len(roster) else pd.Series(
        dtype=float)
    queues = set(zip(requirements["channel"], requirements["language"], strict=True))
    rows = []
    for (channel, language), hours in short.sort_values(ascending=False).items():
        vip = config.channels[channel].vip
        mask = _skilled(agents, channel, language, vip)
        skilled = agents[mask]
        cap = skilled["max_hours_week"].astype(float) * weeks
        unused = float(np.maximum(cap - paid.reindex(skilled["agent_id"]).fillna(0.0)
                                  .to_numpy(), 0.0).sum())
        full_time = float(skilled["max_hours_week"].mean()) if len(skilled) else 40.0
        who = f"agents speaking {language} with {channel}" + (" (VIP-certified)" if vip else "")
        if len(skilled) == 0:
            reason = "no agent may take this queue"
            remedy = (f"certify or hire {who}: about {math.ceil(hours / (full_time * weeks))} "
                      f"at {full_time:.0f} h a week")
        elif unused < hours:
            gap = hours - unused
            n = math.ceil(gap / (full_time * weeks))
            reason = (f"not enough skilled contracted hours: its {len(skilled)} agents have "
                      f"{unused:,.0f} h unused for {hours:,.0f} h short")
            remedy = f"add {n} {who.replace('agents', 'agent' if n == 1 else 'agents', 1)}, " \
                     f"or {gap:,.0f} h of overtime"
        else:
            reason = (f"its {len(skilled)} skilled agents have {unused:,.0f} h unused, spent on "
                      "other queues or outside the short hours")
            remedy = (f"raise the priority of {channel} (now {config.channels[channel].priority:g})"
                      f" or add {who} who work the short hours")
        route = _routing_remedy(channel, language, config, queues, agents, interval_s)
        remedy += f"; or {route}" if route else ""
        rows.append({"channel": channel, "language": language, "short_h": round(hours, 1),
                     "skilled_agents": int(len(skilled)), "unused_contract_h": round(unused, 1),
                     "reason": reason, "remedy": remedy})
    return pd.DataFrame(rows, columns=["channel", "language", "short_h", "skilled_agents",
                                       "unused_contract_h", "reason", "remedy"])


def _routing_remedy(channel: str, language: str, config: ScenarioConfig,
                    queues: set[tuple[str, str]], agents: pd.DataFrame, interval_s: int) -> str:
    """An overflow that would relieve a short queue (module docstring), or "";
    ``queues`` are the plan's ``(channel, language)``."""
    ch = config.channels[channel]
    if ch.pool_with is not None:
        return ""
    rule = next((o for o in config.overflow if (o.channel, o.language) == (channel, language)),
                None)
    if rule is not None:
        # a VIP queue's safety valve to an uncertified team is never offered as the whole
        # answer: its thin hours would go to agents without the certification
        valve = ch.vip and not getattr(config.channels.get(rule.to[0]), "vip", True)
        return (f"let it overflow to {rule.to[0]}/{rule.to[1]} in its thin hours "
                "(keep_staffed = false)" if rule.keep_staffed and ch.kind == "realtime"
                and not valve else "")
    able = agents[_skilled(agents, channel, None, ch.vip)]
    spoken = pd.Series([lang for langs in able["languages"] for lang in langs], dtype=object)
    if spoken.empty:
        return ""
    counts = spoken.value_counts()
    top = sorted(counts.index[counts == counts.max()])[0]
    if top == language or (channel, top) not in queues:
        return ""
    if ch.kind == "deferred":
        if any((o.channel, o.language) == (channel, top) for o in config.overflow):
            return ""  # a fallback into a queue that moves its own on is not counted
        step_h = interval_s / 3600.0  # half the window, on the interval grid
        after_h = max(np.floor(ch.response_window_h / 2 / step_h) * step_h, step_h)
        return (f"open a fallback to {channel}/{top} after {after_h:g} h "
                "(answered through translation)")
    after = max(5.0, 5.0 * round(ch.answer_time_s / 10.0))
    return f"open an overflow to {channel}/{top} after {after:g} s"


def language_totals(requirements: pd.DataFrame, staffed: pd.DataFrame, roster: pd.DataFrame,
                    agents: pd.DataFrame, *, weeks: int, interval_s: int) -> pd.DataFrame:
    """Per language: head-hours short over all its queues, the agents speaking it, their
    unused contract hours, and the agents to add (none when the unused hours cover it).

    Returns
    -------
    DataFrame
        ``language, short_h, agents, unused_contract_h, add_agents``, most short first.
    """
    keys = ["interval_start", "channel", "language"]
    df = requirements[keys + ["required_scheduled"]].merge(
        staffed[keys + ["scheduled_agents"]], on=keys, how="left")
    df["short"] = np.maximum(df["required_scheduled"] - df["scheduled_agents"].fillna(0.0), 0.0)
    short = df.groupby("language")["short"].sum() * interval_s / 3600.0
    paid = roster.groupby("agent_id")["paid_hours"].sum() if len(roster) else pd.Series(
        dtype=float)
    rows = []
    for language, hours in short[short > 0.5].sort_values(ascending=False).items():
        speak = agents[agents["languages"].map(lambda x, lang=language: lang in x)]
        cap = speak["max_hours_week"].astype(float).to_numpy() * weeks
        unused = float(np.maximum(cap - paid.reindex(speak["agent_id"]).fillna(0.0)
                                  .to_numpy(), 0.0).sum())
        full_time = float(speak["max_hours_week"].mean()) if len(speak) else 40.0
        add = max(0, math.ceil((hours - unused) / (full_time * weeks)))
        rows.append({"language": language, "short_h": round(hours, 1), "agents": len(speak),
                     "unused_contract_h": round(unused, 1), "add_agents": add})
    return pd.DataFrame(rows, columns=["language", "short_h", "agents", "unused_contract_h",
                                       "add_agents"])
