"""The stages after the search give exactly what plain loops give.

:mod:`optimize.scheduling.activities.assign` places breaks, deals queues and cuts activities with
vectorised numpy. Here the same rules are written as plain per-shift, per-interval,
per-segment loops (the straightforward version the module replaced), and both are run on
generated desks: a small one solved by ``build_schedule`` (its search output captured) and
a medium one whose shifts, allocation and idle capacity are drawn at random (shifts that
overhang the grid, agents with two shifts a day, groups with no queue). Every table must
be equal, value for value and dtype for dtype.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import optimize.scheduling.schedule as schedule_module
from optimize.scenario.config import load_config
from optimize.scheduling.activities.assign import (
    BREAK_CAP_COST,
    activities_table,
    allocate_queues,
    place_breaks,
    staffed_from_activities,
)
from optimize.scheduling.activities.catchup import catch_up
from optimize.scheduling.problem.inputs import check_agents, make_grid, make_queues, skill_groups
from optimize.scheduling.problem.shifts import BREAK_STEP_MIN, candidate_shifts
from optimize.scheduling.synthetic import make_agents, make_requirements

ROOT = Path(__file__).resolve().parents[3]
START = dt.date(2026, 11, 30)
_PAD = 2 * 1440


def _minute(ts: pd.Series, grid) -> np.ndarray:
    return np.rint((pd.DatetimeIndex(ts) - grid.start) / pd.Timedelta(minutes=1)).astype(int)


def ref_place_breaks(shifts, group_of_agent, idle_tenths, config, grid):
    """Break placement, one shift, one break and one window position at a time."""
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
    order = np.lexsort((shifts["agent"].to_numpy(), s_min))
    for i in order:
        g, s = grp[i], s_min[i]
        earliest = s
        for b in config.shifts.templates[int(shifts["template"].iloc[i])].breaks:
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


def _spans(breaks):
    out: dict[int, list] = {}
    for i, name, bs, be in breaks[["shift", "name", "start_min", "end_min"]].itertuples(
            index=False):
        out.setdefault(int(i), []).append((name, int(bs), int(be)))
    return out


def ref_allocate_queues(shifts, breaks, groups, alloc_tenths, grid):
    """Queue dealing, one (group, interval) and one member at a time."""
    step = grid.step_min
    s_min = _minute(shifts["start_utc"], grid)
    e_min = _minute(shifts["end_utc"], grid)
    spans = _spans(breaks)
    work = {}
    for i, (s, e) in enumerate(zip(s_min, e_min, strict=True)):
        for t in range(max(0, s // step), min(grid.n, -(-e // step))):
            lo, hi = max(s, t * step), min(e, (t + 1) * step)
            mins = hi - lo - sum(max(0, min(hi, be) - max(lo, bs))
                                 for _, bs, be in spans.get(i, []))
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


def ref_activities_table(shifts, breaks, queue_of, agent_ids, queues, grid):
    """Activity segments, one shift and one segment at a time."""
    step = grid.step_min
    s_min = _minute(shifts["start_utc"], grid)
    e_min = _minute(shifts["end_utc"], grid)
    spans = _spans(breaks)
    rows = []
    for i, (s, e) in enumerate(zip(s_min, e_min, strict=True)):
        mine = spans.get(i, [])
        cuts = {s, e} | set(range((s // step + 1) * step, e, step))
        cuts |= {bs for _, bs, _ in mine} | {be for _, _, be in mine}
        cuts = sorted(c for c in cuts if s <= c <= e)
        pieces = []
        for lo, hi in zip(cuts[:-1], cuts[1:], strict=True):
            inside = [name for name, bs, be in mine if bs <= lo and be >= hi]
            act = inside[0] if inside else "work"
            pieces.append([lo, hi, act, queue_of.get((i, lo // step)) if act == "work" else None])
        # work outside the grid continues on the next queue of its shift, else the last
        known = [k for k, pc in enumerate(pieces) if pc[3] is not None]
        for k, pc in enumerate(pieces):
            if pc[2] == "work" and pc[3] is None and known:
                later = [j for j in known if j > k]
                pc[3] = pieces[later[0] if later else known[-1]][3]
        segs = []
        for lo, hi, act, q in pieces:
            ch, lang = ("", "") if q is None else (queues.channel[q], queues.language[q])
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


def ref_staffed(activities, queues, grid):
    """Heads per queue x interval, one work segment at a time."""
    step = grid.step_min
    total = grid.n * step
    qidx = {(c, lang): q for q, (c, lang) in enumerate(zip(queues.channel, queues.language,
                                                            strict=True))}
    per_min = np.zeros((len(queues.channel), total))
    for act, ch, lang, s, e in zip(activities["activity"], activities["channel"],
                                   activities["language"], _minute(activities["start_utc"], grid),
                                   _minute(activities["end_utc"], grid), strict=True):
        q = qidx.get((ch, lang), -1)
        if act == "work" and q >= 0:
            per_min[q, max(0, min(s, total)):max(0, min(e, total))] += 1.0
    return per_min.reshape(len(queues.channel), grid.n, step).mean(axis=2)


def _same_stages(shifts, agents, groups, queues, grid, config, alloc, idle) -> None:
    """Every post-search stage equals its loop version on these inputs."""
    breaks, bent = place_breaks(shifts, groups.of_agent, idle, config, grid)
    ref_breaks, ref_bent = ref_place_breaks(shifts, groups.of_agent, idle, config, grid)
    pd.testing.assert_frame_equal(breaks, ref_breaks, check_exact=True)
    assert bent == ref_bent
    queue_of = allocate_queues(shifts, breaks, groups, alloc, grid)
    assert queue_of == ref_allocate_queues(shifts, breaks, groups, alloc, grid)
    acts = activities_table(shifts, breaks, queue_of, agents["agent_id"], queues, grid)
    ref = ref_activities_table(shifts, breaks, queue_of, agents["agent_id"], queues, grid)
    pd.testing.assert_frame_equal(acts, ref, check_exact=True)
    assert not acts.empty and set(acts["activity"]) >= {"work", "break"}
    # plus rows of no known queue (as a replan's published activities may hold)
    odd = acts.head(3).assign(channel=["", "fax", None], language=["", "en", None])
    acts = pd.concat([acts, odd], ignore_index=True)
    assert np.array_equal(staffed_from_activities(acts, queues, grid),
                          ref_staffed(acts, queues, grid))


def _desk(n_agents: int, weeks: int, seed: int):
    config = load_config(ROOT / "optimize" / "scenario" / "sample_scenario.toml")
    agents = check_agents(make_agents(n_agents, seed=seed))
    req = make_requirements(agents, START, weeks=weeks, seed=seed)
    grid = make_grid(req)
    queues = make_queues(req, config, grid)
    return config, agents, req, grid, queues, skill_groups(agents, queues, config)


@pytest.mark.parametrize(("n_agents", "weeks", "seed"), [(40, 1, 1), (150, 2, 2)])
def test_random_shifts_match_loops(n_agents, weeks, seed):
    config, agents, _, grid, queues, groups = _desk(n_agents, weeks, seed)
    cand = candidate_shifts(agents, config, grid, START, weeks)
    rng = np.random.default_rng(seed)
    # about five shifts per agent-week, drawn with replacement: some agents get two shifts
    # a day, and the last and first days' shifts overhang the grid
    shifts = cand.iloc[np.sort(rng.choice(len(cand), size=5 * weeks * n_agents))]
    shifts = shifts.reset_index(drop=True)
    assert (shifts["end_utc"] > grid.start + pd.Timedelta(minutes=grid.n * grid.step_min)).any()
    alloc = rng.integers(0, 40, size=(groups.n, len(queues.channel), grid.n))
    idle = rng.integers(0, 30, size=(groups.n, grid.n))
    _same_stages(shifts, agents, groups, queues, grid, config, alloc, idle)


def test_no_queue_group_and_tight_caps():
    """Agents with no skill get no queue; a tight break cap bends (reported as break_cap)."""
    config, agents, _, grid, queues, _ = _desk(30, 1, 3)
    cand = candidate_shifts(agents, config, grid, START, 1)
    groups = skill_groups(agents, queues, config)
    skills = list(groups.skills)
    skills[int(groups.of_agent[0])] = ()  # agent 0's whole group serves nothing
    groups = type(groups)(of_agent=groups.of_agent, skills=tuple(skills))
    rng = np.random.default_rng(3)
    shifts = cand.iloc[np.sort(rng.choice(len(cand), size=400))].reset_index(drop=True)
    alloc = rng.integers(0, 5, size=(groups.n, len(queues.channel), grid.n))
    idle = np.zeros((groups.n, grid.n), dtype=int)
    _same_stages(shifts, agents, groups, queues, grid, config, alloc, idle)
    assert place_breaks(shifts, groups.of_agent, idle, config, grid)[1]  # some bent


def test_build_schedule_tables_match_loops(monkeypatch):
    """A solved desk: the result's tables equal the loop stages run on its search output."""
    config, agents, req, grid, queues, groups = _desk(40, 1, 4)
    captured = {}
    search = schedule_module.search

    def spy(*args, **kwargs):
        captured["out"] = search(*args, **kwargs)
        captured["queues"] = args[3]
        return captured["out"]

    monkeypatch.setattr(schedule_module, "search", spy)
    res = schedule_module.build_schedule(req, make_agents(40, seed=4), config, start=START,
                                         weeks=1, time_limit_s=6.0, seed=0, workers=1)
    solved, model_cand, _ = captured["out"]
    queues = captured["queues"]  # with the penalty curves
    shifts = model_cand[solved.worked].reset_index(drop=True)
    breaks, _ = ref_place_breaks(shifts, groups.of_agent, solved.idle, config, grid)
    queue_of, _ = catch_up(ref_allocate_queues(shifts, breaks, groups, solved.alloc, grid),
                           shifts, breaks, groups, queues, config, grid)
    acts = ref_activities_table(shifts, breaks, queue_of, agents["agent_id"], queues, grid)
    pd.testing.assert_frame_equal(res.activities, acts, check_exact=True)
    staffed = staffed_from_activities(acts, queues, grid)
    assert np.array_equal(res.staffed["scheduled_agents"].to_numpy(), staffed.ravel())
    assert len(res.roster) == len(shifts)
