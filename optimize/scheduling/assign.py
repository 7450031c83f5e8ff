"""From chosen shifts to activities: place breaks, then give each working agent a queue.

Breaks are placed shift by shift inside their windows (on a ``BREAK_STEP_MIN`` grid), where
the agent's skill group has the most idle capacity, never exceeding the group's cap on
agents on break at once (``max(1, floor(max_on_break_share * on duty))``: a lone agent may
still take a mandatory break); when no position keeps the cap, the least-loaded one is
taken and reported as a bent rule. Each interval, the working agents of a group are then
dealt to the queues in the proportions the model chose, an agent keeping its previous
queue where it can. An agent serves one queue per interval.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimize.config import ScenarioConfig
from optimize.scheduling.inputs import Grid, Queues, SkillGroups
from optimize.scheduling.shifts import BREAK_STEP_MIN

__all__ = ["BREAK_CAP_COST", "place_breaks", "allocate_queues", "activities_table",
           "staffed_from_activities"]

BREAK_CAP_COST = 1.0  # cost of one break placed over its group's cap
_PAD = 2 * 1440  # minutes of padding around the grid for shifts that overhang it


def _minute(ts: pd.Series, grid: Grid) -> np.ndarray:
    return np.rint((pd.DatetimeIndex(ts) - grid.start) / pd.Timedelta(minutes=1)).astype(int)


def place_breaks(shifts: pd.DataFrame, group_of_agent: np.ndarray, idle_tenths: np.ndarray,
                 config: ScenarioConfig, grid: Grid) -> tuple[pd.DataFrame, list]:
    """Place every break of every shift.

    Returns
    -------
    (pandas.DataFrame, list)
        Breaks (``shift``, ``name``, ``start_min``, ``end_min`` in minutes from the grid
        start) and bent-rule terms ``(name, "break_cap", cost)``.
    """
    n_groups = int(group_of_agent.max()) + 1 if len(group_of_agent) else 0
    span = grid.n * grid.step_min + 2 * _PAD
    on_duty = np.zeros((n_groups, span), dtype=int)
    s_min = _minute(shifts["start_utc"], grid) + _PAD
    e_min = _minute(shifts["end_utc"], grid) + _PAD
    grp = group_of_agent[shifts["agent"].to_numpy()]
    for g, s, e in zip(grp, s_min, e_min, strict=True):
        on_duty[g, s:e] += 1
    cap = np.maximum(1, np.floor(config.shifts.max_on_break_share * on_duty).astype(int))
    idle_min = np.zeros((n_groups, span))
    idle_min[:, _PAD:_PAD + grid.n * grid.step_min] = np.repeat(idle_tenths, grid.step_min, axis=1)
    on_break = np.zeros((n_groups, span), dtype=int)
    rows, bent = [], []
    templates = config.shifts.templates
    order = np.lexsort((shifts["agent"].to_numpy(), s_min))
    for i in order:
        g, s = grp[i], s_min[i]
        earliest = s
        for b in templates[int(shifts["template"].iloc[i])].breaks:
            pos = s + np.arange(b.window_start_min, b.window_end_min + 1, BREAK_STEP_MIN)
            pos = pos[pos >= earliest]
            if len(pos) == 0:
                pos = np.array([earliest])
            over = np.array([(on_break[g, p:p + b.duration_min] + 1
                              > cap[g, p:p + b.duration_min]).any() for p in pos])
            idle_score = np.array([idle_min[g, p:p + b.duration_min].sum() for p in pos])
            load = np.array([on_break[g, p:p + b.duration_min].sum() for p in pos])
            best = pos[np.lexsort((pos, load, -idle_score, over))[0]]
            if over[pos == best][0]:
                stamp = (grid.start + pd.Timedelta(minutes=int(best - _PAD))).strftime(
                    "%Y-%m-%dT%H:%MZ")
                bent.append((f"break_cap(group {g}, {stamp})", "break_cap", BREAK_CAP_COST))
            on_break[g, best:best + b.duration_min] += 1
            rows.append((int(i), b.name, int(best - _PAD), int(best - _PAD + b.duration_min)))
            earliest = best + b.duration_min
    return pd.DataFrame(rows, columns=["shift", "name", "start_min", "end_min"]), bent


def allocate_queues(shifts: pd.DataFrame, breaks: pd.DataFrame, groups: SkillGroups,
                    alloc_tenths: np.ndarray, grid: Grid) -> dict[tuple[int, int], int]:
    """Queue per (shift, interval) for every interval the shift works on the grid."""
    step = grid.step_min
    s_min = _minute(shifts["start_utc"], grid)
    e_min = _minute(shifts["end_utc"], grid)
    work = {}  # (shift, t) -> working minutes
    brk = breaks.groupby("shift")
    brk_spans = {k: list(zip(v["start_min"], v["end_min"], strict=True)) for k, v in brk}
    for i, (s, e) in enumerate(zip(s_min, e_min, strict=True)):
        for t in range(max(0, s // step), min(grid.n, -(-e // step))):
            lo, hi = max(s, t * step), min(e, (t + 1) * step)
            mins = hi - lo - sum(max(0, min(hi, be) - max(lo, bs))
                                 for bs, be in brk_spans.get(i, []))
            if mins > 0:
                work[i, t] = mins
    grp = groups.of_agent[shifts["agent"].to_numpy()]
    by_gt: dict[tuple[int, int], list[int]] = {}
    for (i, t) in sorted(work, key=lambda k: (k[1], k[0])):
        by_gt.setdefault((int(grp[i]), t), []).append(i)
    out: dict[tuple[int, int], int] = {}
    for (g, t), members in sorted(by_gt.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        skills = groups.skills[g]
        if not skills:
            continue
        left = {q: alloc_tenths[g, q, t] / 10.0 for q in skills}
        members = sorted(members, key=lambda i: (out.get((i, t - 1)) is None, i))
        for i in members:
            p = work[i, t] / step
            prev = out.get((i, t - 1))
            if prev is not None and left[prev] >= p / 2:
                q = prev
            else:
                q = max(skills, key=lambda k: (left[k], -k))
            out[i, t] = q
            left[q] -= p
    return out


def activities_table(shifts: pd.DataFrame, breaks: pd.DataFrame, queue_of: dict,
                     agent_ids: pd.Series, queues: Queues, grid: Grid) -> pd.DataFrame:
    """Activity segments (``docs/contract.md``), adjacent equal segments merged."""
    step = grid.step_min
    s_min = _minute(shifts["start_utc"], grid)
    e_min = _minute(shifts["end_utc"], grid)
    brk = {k: v for k, v in breaks.groupby("shift")}
    rows = []
    for i, (s, e) in enumerate(zip(s_min, e_min, strict=True)):
        b = brk.get(i)
        cuts = {s, e} | {c for c in range((s // step + 1) * step, e, step)}
        if b is not None:
            cuts |= set(b["start_min"]) | set(b["end_min"])
        cuts = sorted(c for c in cuts if s <= c <= e)
        segs = []
        for lo, hi in zip(cuts[:-1], cuts[1:], strict=True):
            act, ch, lang = "work", "", ""
            if b is not None:
                inside = b[(b["start_min"] <= lo) & (b["end_min"] >= hi)]
                if not inside.empty:
                    act = inside["name"].iloc[0]
            if act == "work":
                q = queue_of.get((i, lo // step))
                if q is not None:
                    ch, lang = queues.channel[q], queues.language[q]
            if segs and segs[-1][2:] == [act, ch, lang] and segs[-1][1] == lo:
                segs[-1][1] = hi
            else:
                segs.append([lo, hi, act, ch, lang])
        aid = agent_ids.iloc[int(shifts["agent"].iloc[i])]
        rows.extend([aid, *seg] for seg in segs)
    df = pd.DataFrame(rows, columns=["agent_id", "start_min", "end_min", "activity", "channel",
                                     "language"])
    for col in ("start", "end"):
        df[f"{col}_utc"] = grid.start + pd.to_timedelta(df[f"{col}_min"], unit="min")
    return df[["agent_id", "start_utc", "end_utc", "activity", "channel", "language"]]


def staffed_from_activities(activities: pd.DataFrame, queues: Queues, grid: Grid) -> np.ndarray:
    """Heads working each queue per interval (queue x interval), recomputed from segments."""
    step = grid.step_min
    total = grid.n * step
    qidx = {(c, lang): q for q, (c, lang) in enumerate(zip(queues.channel, queues.language,
                                                            strict=True))}
    diff = np.zeros((len(queues.channel), total + 1))
    work = activities[activities["activity"] == "work"]
    s = np.clip(_minute(work["start_utc"], grid), 0, total)
    e = np.clip(_minute(work["end_utc"], grid), 0, total)
    q = np.array([qidx.get((c, lang), -1) for c, lang in zip(work["channel"], work["language"],
                                                              strict=True)], dtype=int)
    ok = (q >= 0) & (e > s)
    np.add.at(diff, (q[ok], s[ok]), 1.0)
    np.add.at(diff, (q[ok], e[ok]), -1.0)
    per_min = np.cumsum(diff[:, :total], axis=1)
    return per_min.reshape(len(queues.channel), grid.n, step).mean(axis=2)
