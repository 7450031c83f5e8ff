"""From chosen shifts to activities: place breaks, then give each working agent a queue.

Breaks are placed shift by shift inside their windows (on a ``BREAK_STEP_MIN`` grid), where
the agent's skill group has the most idle capacity, never exceeding the group's cap on
agents on break at once (``max(1, floor(max_on_break_share * on duty))``: a lone agent may
still take a mandatory break); when no position keeps the cap, the least-loaded one is
taken and reported as a bent rule. Each interval, the working agents of a group are then
dealt to the queues in the proportions the model chose, an agent keeping its previous
queue where it can. An agent serves one queue per interval.

All of it is vectorised over shifts and intervals except what is sequential by nature: breaks
are placed shift after shift, and queues are dealt interval after interval (the groups of
one interval at once).
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from optimize.scenario.config import ScenarioConfig
from optimize.scheduling.problem.inputs import Grid, Queues, SkillGroups
from optimize.scheduling.problem.shifts import BREAK_STEP_MIN

__all__ = ["BREAK_CAP_COST", "place_breaks", "allocate_queues", "activities_table",
           "staffed_from_activities", "work_minutes"]

BREAK_CAP_COST = 1.0  # cost of one break placed over its group's cap
_PAD = 2 * 1440  # minutes of padding around the grid for shifts that overhang it


def _minute(ts: pd.Series, grid: Grid) -> np.ndarray:
    """Whole minutes from the grid start (an array, not an Index: cheap to index)."""
    delta = (pd.DatetimeIndex(ts) - grid.start) / pd.Timedelta(minutes=1)
    return np.rint(np.asarray(delta, dtype=float)).astype(int)


def place_breaks(shifts: pd.DataFrame, group_of_agent: np.ndarray, idle_tenths: np.ndarray,
                 config: ScenarioConfig, grid: Grid) -> tuple[pd.DataFrame, list]:
    """Place every break of every shift.

    Shifts are taken in order of start (then agent); each break goes to the window
    position that keeps its group's cap, then has the most idle capacity, then the fewest
    agents already on break, then is earliest. Every position of one break is scored at
    once (positions x minutes index matrices); the shifts stay sequential because each
    break placed changes the load the next one sees.

    Returns
    -------
    (pandas.DataFrame, list)
        Breaks (``shift``, ``name``, ``start_min``, ``end_min`` in minutes from the grid
        start) and bent-rule terms ``(name, "break_cap", cost)``.
    """
    n_groups = int(group_of_agent.max()) + 1 if len(group_of_agent) else 0
    span = grid.n * grid.step_min + 2 * _PAD
    s_min = _minute(shifts["start_utc"], grid) + _PAD
    e_min = _minute(shifts["end_utc"], grid) + _PAD
    agent = shifts["agent"].to_numpy()
    grp = group_of_agent[agent]
    on_duty = _on_duty(grp, s_min, e_min, n_groups, span)
    cap = np.maximum(1, np.floor(config.shifts.max_on_break_share * on_duty).astype(int))
    idle_min = np.zeros((n_groups, span))
    idle_min[:, _PAD:_PAD + grid.n * grid.step_min] = np.repeat(idle_tenths, grid.step_min, axis=1)
    on_break = np.zeros((n_groups, span), dtype=int)
    rows, bent = [], []
    plans = [[(b.name, b.duration_min, np.arange(b.window_start_min, b.window_end_min + 1,
                                                   BREAK_STEP_MIN), np.arange(b.duration_min))
              for b in t.breaks] for t in config.shifts.templates]
    template = shifts["template"].to_numpy()
    order = np.lexsort((agent, s_min))
    for i, g, s, k in zip(order.tolist(), grp[order].tolist(), s_min[order].tolist(),
                          template[order].tolist(), strict=True):
        earliest = s
        busy, limit, idle = on_break[g], cap[g], idle_min[g]
        for name, dur, offsets, minutes in plans[k]:
            pos = s + offsets
            pos = pos[pos >= earliest]
            if len(pos) == 0:
                pos = np.array([earliest])
            idx = pos[:, None] + minutes[None, :]
            load_min = busy[idx]
            over = (load_min + 1 > limit[idx]).any(axis=1)
            pick = int(np.lexsort((pos, load_min.sum(axis=1), -idle[idx].sum(axis=1),
                                   over))[0])
            best = int(pos[pick])
            if over[pick]:
                stamp = (grid.start + pd.Timedelta(minutes=best - _PAD)).strftime(
                    "%Y-%m-%dT%H:%MZ")
                bent.append((f"break_cap(group {g}, {stamp})", "break_cap", BREAK_CAP_COST))
            busy[best:best + dur] += 1
            rows.append((i, name, best - _PAD, best - _PAD + dur))
            earliest = best + dur
    return pd.DataFrame(rows, columns=["shift", "name", "start_min", "end_min"]), bent


def _on_duty(grp: np.ndarray, s_min: np.ndarray, e_min: np.ndarray, n_groups: int,
             span: int) -> np.ndarray:
    """Shifts on duty per group x minute (shifts cover ``[s_min, e_min)``, clipped)."""
    s, e = np.clip(s_min, 0, span), np.clip(e_min, 0, span)
    ok = e > s
    diff = np.zeros((n_groups, span + 1), dtype=int)
    np.add.at(diff, (grp[ok], s[ok]), 1)
    np.add.at(diff, (grp[ok], e[ok]), -1)
    return np.cumsum(diff[:, :span], axis=1)


def _by_rank(breaks: pd.DataFrame, n_shifts: int,
             code: np.ndarray | None = None) -> list[tuple[np.ndarray, ...]]:
    """Per rank k of a break within its shift (table order): ``(has, start, end, code)``
    arrays over shifts (``code``: a value per break row, default 0)."""
    sh = breaks["shift"].to_numpy(dtype=int)
    rank = breaks.groupby("shift", sort=False).cumcount().to_numpy()
    cols = [breaks["start_min"].to_numpy(dtype=int), breaks["end_min"].to_numpy(dtype=int),
            np.zeros(len(sh), dtype=int) if code is None else code]
    out = []
    for k in range(int(rank.max()) + 1 if len(rank) else 0):
        sel = rank == k
        has = np.zeros(n_shifts, dtype=bool)
        has[sh[sel]] = True
        per_shift = [np.zeros(n_shifts, dtype=int) for _ in cols]
        for arr, col in zip(per_shift, cols, strict=True):
            arr[sh[sel]] = col[sel]
        out.append((has, *per_shift))
    return out


def work_minutes(shifts: pd.DataFrame, breaks: pd.DataFrame,
                  grid: Grid) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(shift, interval, minutes worked) for every grid interval a shift works in."""
    step = grid.step_min
    s_min = _minute(shifts["start_utc"], grid)
    e_min = _minute(shifts["end_utc"], grid)
    t_lo = np.maximum(0, s_min // step)
    count = np.clip(np.minimum(grid.n, -(-e_min // step)) - t_lo, 0, None)
    i = np.repeat(np.arange(len(shifts)), count)
    t = t_lo[i] + np.arange(len(i)) - np.repeat(np.cumsum(count) - count, count)
    lo, hi = np.maximum(s_min[i], t * step), np.minimum(e_min[i], (t + 1) * step)
    mins = hi - lo
    for has, bs, be, _ in _by_rank(breaks, len(shifts)):
        mins -= np.where(has[i], np.clip(np.minimum(hi, be[i]) - np.maximum(lo, bs[i]), 0,
                                         None), 0)
    ok = mins > 0
    return i[ok], t[ok], mins[ok]


def allocate_queues(shifts: pd.DataFrame, breaks: pd.DataFrame, groups: SkillGroups,
                    alloc_tenths: np.ndarray, grid: Grid) -> dict[tuple[int, int], int]:
    """Queue per (shift, interval) for every interval the shift works on the grid.

    Interval by interval, each group's members (those that served a queue in the previous
    interval first, then by shift) take in turn the queue they served before while at
    least half their share of it is left, else the queue with the most left (lowest
    index on ties). The groups of one interval are independent, so the k-th members of
    all groups are dealt at once.
    """
    step = grid.step_min
    i, t, mins = work_minutes(shifts, breaks, grid)
    g = groups.of_agent[shifts["agent"].to_numpy()][i]
    width = max((len(s) for s in groups.skills), default=0)
    if width == 0 or len(i) == 0:
        return {}
    skill = np.full((groups.n, width), -1)  # queue per group x column, ascending; -1 pad
    col_of = np.full((groups.n, alloc_tenths.shape[1]), -1)  # column of queue in its group
    for k, sk in enumerate(groups.skills):
        skill[k, :len(sk)] = sorted(sk)
        col_of[k, sorted(sk)] = np.arange(len(sk))
    keep = skill[g, 0] >= 0
    i, t, g, p = i[keep], t[keep], g[keep], mins[keep] / step
    by_t = np.lexsort((i, t))
    i, t, g, p = i[by_t], t[by_t], g[by_t], p[by_t]
    bounds = np.searchsorted(t, np.arange(grid.n + 1))
    last_q = np.full(len(shifts), -1)  # queue served in the previous interval, per shift
    last_t = np.full(len(shifts), -2)
    queue = np.empty(len(i), dtype=int)
    for tt in np.unique(t).tolist():
        a, b = bounds[tt], bounds[tt + 1]
        queue[a:b] = _deal(i[a:b], g[a:b], p[a:b], tt, last_q, last_t, skill, col_of,
                           alloc_tenths)
        last_q[i[a:b]], last_t[i[a:b]] = queue[a:b], tt
    return dict(zip(zip(i.tolist(), t.tolist(), strict=True), queue.tolist(), strict=True))


def _deal(i: np.ndarray, g: np.ndarray, p: np.ndarray, t: int, last_q: np.ndarray,
          last_t: np.ndarray, skill: np.ndarray, col_of: np.ndarray,
          alloc_tenths: np.ndarray) -> np.ndarray:
    """Queues of one interval's working shifts ``i`` (groups ``g``, shares ``p``)."""
    prev = np.where(last_t[i] == t - 1, last_q[i], -1)
    order = np.lexsort((i, prev < 0, g))
    gs, first = np.unique(g[order], return_index=True)
    local = np.searchsorted(gs, g[order])
    rank = np.arange(len(order)) - first[local]
    left = np.where(skill[gs] >= 0, alloc_tenths[gs[:, None], np.maximum(skill[gs], 0), t]
                    / 10.0, -np.inf)
    pcol = np.where(prev[order] >= 0, col_of[g[order], np.maximum(prev[order], 0)], -1)
    share = p[order]
    col = np.empty(len(order), dtype=int)
    by_rank = np.argsort(rank, kind="stable")
    cuts = np.searchsorted(rank[by_rank], np.arange(int(rank.max()) + 2))
    for r in range(len(cuts) - 1):
        sel = by_rank[cuts[r]:cuts[r + 1]]
        rows, pc, ps = local[sel], pcol[sel], share[sel]
        stay = (pc >= 0) & (left[rows, np.maximum(pc, 0)] >= ps / 2)
        c = np.where(stay, pc, np.argmax(left[rows], axis=1))
        left[rows, c] -= ps
        col[sel] = c
    out = np.empty(len(order), dtype=int)
    out[order] = skill[g[order], col]
    return out


def activities_table(shifts: pd.DataFrame, breaks: pd.DataFrame, queue_of: dict,
                     agent_ids: pd.Series, queues: Queues, grid: Grid) -> pd.DataFrame:
    """Activity segments (``docs/contract.md``), adjacent equal segments merged.

    Each shift is cut at its ends, at the grid's interval starts and at its breaks' ends;
    a piece inside one of its breaks takes the break's name (the first such break in table
    order), a working piece takes its interval's queue from ``queue_of``; work outside the
    grid (a shift that starts before the plan or ends after it) continues on the nearest
    queue of its own shift, so every minute of work has a queue (channel and language stay
    empty only for a shift with no queue at all); equal neighbours are merged.
    """
    step = grid.step_min
    s_min = _minute(shifts["start_utc"], grid)
    e_min = _minute(shifts["end_utc"], grid)
    sid, lo, hi = _pieces(s_min, e_min, breaks, step)
    if len(sid) == 0:
        df = pd.DataFrame([], columns=["agent_id", "start_min", "end_min", "activity",
                                       "channel", "language"])
    else:
        names = ["work"] + sorted(set(breaks["name"]) - {"work"})
        code = {n: k for k, n in enumerate(names)}
        act = np.zeros(len(sid), dtype=int)
        done = np.zeros(len(sid), dtype=bool)
        name_code = np.array([code[n] for n in breaks["name"]], dtype=int)
        for has, bs, be, nm in _by_rank(breaks, len(shifts), name_code):
            inside = ~done & has[sid] & (bs[sid] <= lo) & (be[sid] >= hi)
            act[inside], done = nm[sid[inside]], done | inside
        q = _queue_outside_grid(np.where(act == 0, _lookup(queue_of, sid, lo // step), -1),
                                act, sid)
        new = np.ones(len(sid), dtype=bool)
        new[1:] = (sid[1:] != sid[:-1]) | (act[1:] != act[:-1]) | (q[1:] != q[:-1])
        start = np.flatnonzero(new)
        stop = np.append(start[1:], len(sid)) - 1
        s_q = q[start]
        ch = np.asarray(queues.channel + ("",), dtype=object)
        lang = np.asarray(queues.language + ("",), dtype=object)
        df = pd.DataFrame({
            "agent_id": agent_ids.to_numpy()[shifts["agent"].to_numpy()[sid[start]]],
            "start_min": lo[start], "end_min": hi[stop],
            "activity": np.asarray(names, dtype=object)[act[start]],
            "channel": ch[s_q], "language": lang[s_q]})
    for col in ("start", "end"):
        df[f"{col}_utc"] = grid.start + pd.to_timedelta(df[f"{col}_min"], unit="min")
    return df[["agent_id", "start_utc", "end_utc", "activity", "channel", "language"]]


def _queue_outside_grid(q: np.ndarray, act: np.ndarray, sid: np.ndarray) -> np.ndarray:
    """Work pieces without a queue (-1) take the next queue of their shift, else the last."""
    s = pd.Series(np.where((act == 0) & (q < 0), np.nan, q.astype(float)))
    s[act != 0] = np.nan  # breaks neither give nor take a queue
    filled = s.groupby(sid).transform(lambda g: g.bfill().ffill())
    out = np.where((act == 0) & (q < 0) & filled.notna(), filled.fillna(-1), q)
    return out.astype(int)


def _pieces(s_min: np.ndarray, e_min: np.ndarray, breaks: pd.DataFrame,
            step: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(shift, start, end) of every piece between consecutive cuts of every shift."""
    first = (s_min // step + 1) * step
    count = np.clip(-(-(e_min - first) // step), 0, None)
    sh = np.repeat(np.arange(len(s_min)), count)
    inner = first[sh] + step * (np.arange(len(sh)) - np.repeat(np.cumsum(count) - count, count))
    b_sh = breaks["shift"].to_numpy(dtype=int)
    b_cut = np.concatenate([breaks["start_min"].to_numpy(dtype=int),
                            breaks["end_min"].to_numpy(dtype=int)])
    b_sh = np.concatenate([b_sh, b_sh])
    ids = np.arange(len(s_min))
    sid = np.concatenate([ids, ids, sh, b_sh])
    cut = np.concatenate([s_min, e_min, inner, b_cut])
    ok = (s_min[sid] <= cut) & (cut <= e_min[sid])
    sid, cut = sid[ok], cut[ok]
    order = np.lexsort((cut, sid))
    sid, cut = sid[order], cut[order]
    uniq = np.ones(len(sid), dtype=bool)
    uniq[1:] = (sid[1:] != sid[:-1]) | (cut[1:] != cut[:-1])
    sid, cut = sid[uniq], cut[uniq]
    pair = sid[1:] == sid[:-1]
    return sid[:-1][pair], cut[:-1][pair], cut[1:][pair]


def _lookup(queue_of: dict, sid: np.ndarray, t: np.ndarray) -> np.ndarray:
    """``queue_of[(sid, t)]`` per piece, ``-1`` where absent."""
    if not queue_of:
        return np.full(len(sid), -1)
    keys = np.fromiter(itertools.chain.from_iterable(queue_of), dtype=int,
                       count=2 * len(queue_of)).reshape(-1, 2)
    at = pd.MultiIndex.from_arrays([keys[:, 0], keys[:, 1]]).get_indexer(
        pd.MultiIndex.from_arrays([sid, t]))
    value = np.fromiter(queue_of.values(), dtype=int, count=len(queue_of))
    return np.where(at >= 0, value[at], -1)


def staffed_from_activities(activities: pd.DataFrame, queues: Queues, grid: Grid) -> np.ndarray:
    """Heads working each queue per interval (queue x interval), recomputed from segments."""
    step = grid.step_min
    total = grid.n * step
    qidx = pd.MultiIndex.from_arrays([list(queues.channel), list(queues.language)])
    diff = np.zeros((len(queues.channel), total + 1))
    work = activities[activities["activity"] == "work"]
    s = np.clip(_minute(work["start_utc"], grid), 0, total)
    e = np.clip(_minute(work["end_utc"], grid), 0, total)
    q = qidx.get_indexer(pd.MultiIndex.from_arrays([work["channel"], work["language"]]))
    ok = (q >= 0) & (e > s)
    np.add.at(diff, (q[ok], s[ok]), 1.0)
    np.add.at(diff, (q[ok], e[ok]), -1.0)
    per_min = np.cumsum(diff[:, :total], axis=1)
    return per_min.reshape(len(queues.channel), grid.n, step).mean(axis=2)
