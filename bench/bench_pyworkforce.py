"""Scheduler vs pyworkforce on one queue: identical requirements and shift templates.

One queue (chat/en), one week from Monday 2026-11-30 on a UTC grid (30-min intervals by
default), a seeded integer requirement curve (intraday peaks, quieter weekend) and one
shift template both tools can express: 8 h on duty, no breaks, starting on any hour of
the week (crossing midnight allowed; a shift starting late on Sunday is cut at the week's
end by both). pyworkforce 0.5.1 gets the week as one "day" of ``7 * periods_per_day``
periods so that its shifts may cross midnight exactly like staffcast's; staffcast gets
named single-skill agents in UTC with a 0-56 h contract and its labour rules relaxed
(no minimum rest beyond not overlapping, no consecutive-day, days-off or night limits),
so that only its own "one shift per agent per local day" remains.

Every tool's coverage is recomputed here from its output (pyworkforce: head counts per
shift x the 0/1 coverage vectors; staffcast: its ``activities`` work segments), never
taken from its objective. pyworkforce is a bench-only dependency (``make bench``):
``.venv/bin/pip install --no-deps pyworkforce==0.5.1 joblib cloudpickle``.

Usage: ``python bench/bench_pyworkforce.py [--time-limit 60] [--workers 2] [--seed 0]
[--interval-min 30] [--peak 30] [--agents N] [--with-labour-rules]``.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["CoverageError", "ToolRun", "requirement_curve", "coverage_matrix",
           "coverage_from_counts", "coverage_from_segments", "coverage_error", "staff_cost",
           "run_pyworkforce", "run_staffcast"]

ROOT = Path(__file__).resolve().parents[1]
START = dt.date(2026, 11, 30)
CHANNEL, LANGUAGE = "chat", "en"
SHIFT_H = 8.0
STEP_MIN = 60  # shifts start on the hour


@dataclass(frozen=True)
class CoverageError:
    """Coverage of one schedule against one requirement, in head-intervals and hours."""

    abs_error: float  # sum over intervals of |scheduled - required|
    under: float  # sum of max(required - scheduled, 0)
    over: float  # sum of max(scheduled - required, 0)
    short_intervals: int  # intervals with scheduled < required
    scheduled_head_hours: float
    required_head_hours: float


@dataclass(frozen=True)
class ToolRun:
    """One tool's answer, with coverage recomputed from its shifts."""

    tool: str
    status: str
    wall_s: float  # the whole call, model building included
    scheduled: np.ndarray  # heads per interval, recomputed
    shifts: int
    max_shifts_day: int  # most shifts starting on one day
    agents_used: int | None  # named agents with a shift (staffcast only)
    reported: float  # the tool's own objective (its units)
    bound: float  # the tool's own proven lower bound of that objective
    note: str = ""


def requirement_curve(interval_min: int = 30, peak: float = 30.0, seed: int = 0) -> np.ndarray:
    """Integer heads per interval for one week: a night trough, late-morning and afternoon
    peaks and an evening shoulder; Monday busiest, weekend at about 70%; 8% seeded noise."""
    if 1440 % interval_min:
        raise ValueError(f"interval_min must divide a day, got {interval_min!r}")
    rng = np.random.default_rng(seed)
    per_day = 1440 // interval_min
    hour = (np.arange(7 * per_day) % per_day) * interval_min / 60.0 + interval_min / 120.0
    bump = lambda mu, sd: np.exp(-0.5 * ((hour - mu) / sd) ** 2)  # noqa: E731
    shape = 0.18 + 0.55 * bump(10.5, 2.5) + 0.8 * bump(15.5, 3.0) + 0.35 * bump(20.5, 2.0)
    shape /= shape.max()
    day = np.repeat(np.array([1.0, 0.95, 0.93, 0.92, 0.9, 0.72, 0.68]), per_day)
    noise = 1.0 + 0.08 * rng.standard_normal(shape.size)
    return np.maximum(1, np.rint(peak * shape * day * noise)).astype(int)


def coverage_matrix(n_periods: int, interval_min: int, length_h: float = SHIFT_H,
                    step_min: int = STEP_MIN) -> np.ndarray:
    """0/1 matrix (start, period): shift ``s`` starts at period ``s * step_min /
    interval_min`` and covers ``length_h`` hours, cut at the end of the horizon."""
    if step_min % interval_min:
        raise ValueError(f"step_min {step_min!r} must be a multiple of interval_min {interval_min!r}")
    starts = np.arange(0, n_periods, step_min // interval_min)
    length = int(round(length_h * 60 / interval_min))
    p = np.arange(n_periods)
    return ((p >= starts[:, None]) & (p < starts[:, None] + length)).astype(np.int8)


def coverage_from_counts(counts: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Heads per period of ``counts[s]`` heads on each shift ``s`` of ``matrix``."""
    return np.asarray(counts, dtype=float) @ matrix


def coverage_from_segments(start_min: np.ndarray, end_min: np.ndarray, n_periods: int,
                           interval_min: int) -> np.ndarray:
    """Mean heads per period of work segments given in minutes from the horizon start
    (clipped to the horizon; a segment covering half an interval counts half a head)."""
    total = n_periods * interval_min
    s = np.clip(np.asarray(start_min, dtype=int), 0, total)
    e = np.clip(np.asarray(end_min, dtype=int), 0, total)
    diff = np.zeros(total + 1)
    np.add.at(diff, s, 1.0)
    np.add.at(diff, e, -1.0)
    return np.cumsum(diff)[:total].reshape(n_periods, interval_min).mean(axis=1)


def coverage_error(scheduled: np.ndarray, required: np.ndarray,
                   interval_min: int) -> CoverageError:
    """Absolute, under and over error of ``scheduled`` against ``required`` heads."""
    diff = np.asarray(scheduled, dtype=float) - np.asarray(required, dtype=float)
    h = interval_min / 60.0
    return CoverageError(
        abs_error=float(np.abs(diff).sum()), under=float(np.clip(-diff, 0, None).sum()),
        over=float(np.clip(diff, 0, None).sum()), short_intervals=int((diff < -1e-9).sum()),
        scheduled_head_hours=float(np.sum(scheduled) * h),
        required_head_hours=float(np.sum(required) * h))


def staff_cost(scheduled: np.ndarray, required: np.ndarray, priority: float) -> float:
    """staffcast's coverage cost of a schedule (convex shortfall penalty x priority plus
    ``IDLE_COST`` per surplus head-interval; fairness terms excluded)."""
    from optimize.scheduling.solver.model import IDLE_COST, shortfall_cost

    req = np.asarray(required, dtype=float)
    sched = np.asarray(scheduled, dtype=float)
    short = shortfall_cost(np.clip(req - sched, 0, None), req, np.float64(priority))
    return float(short.sum() + IDLE_COST * np.clip(sched - req, 0, None).sum())


def run_pyworkforce(kind: str, required: np.ndarray, matrix: np.ndarray, *,
                    periods_per_day: int, step_periods: int, time_limit_s: float,
                    workers: int, seed: int) -> ToolRun:
    """Solve with pyworkforce's ``MinAbsDifference`` or ``MinRequiredResources``.

    The week is one pyworkforce "day" (``num_days=1``) so shifts may cross midnight.
    pyworkforce sets ``solver.num_search_workers`` as a plain attribute, which never reaches
    CP-SAT; the worker count and seed are set on ``solver.parameters`` here instead.
    """
    from pyworkforce.scheduling import MinAbsDifference, MinRequiredResources

    cls = {"MinAbsDifference": MinAbsDifference, "MinRequiredResources": MinRequiredResources}[kind]
    names = [f"s{i:03d}" for i in range(len(matrix))]
    cap = int(4 * required.max() + 10)
    t0 = time.perf_counter()
    sched = cls(num_days=1, periods=int(matrix.shape[1]),
                shifts_coverage={n: row.tolist() for n, row in zip(names, matrix, strict=True)},
                required_resources=[required.astype(int).tolist()],
                max_period_concurrency=cap, max_shift_concurrency=cap,
                max_search_time=float(time_limit_s), num_search_workers=workers)
    sched.solver.parameters.num_workers = workers
    sched.solver.parameters.random_seed = seed
    sol = sched.solve()
    wall = time.perf_counter() - t0
    counts = np.zeros(len(names))
    pos = {n: i for i, n in enumerate(names)}
    for row in sol["resources_shifts"]:
        if row["shift"] in pos:
            counts[pos[row["shift"]]] = row["resources"]
    day = np.arange(len(names)) * step_periods // periods_per_day
    per_day = np.bincount(day, weights=counts, minlength=7)
    return ToolRun(tool=f"pyworkforce {kind}", status=sol["status"], wall_s=wall,
                   scheduled=coverage_from_counts(counts, matrix), shifts=int(counts.sum()),
                   max_shifts_day=int(per_day.max()), agents_used=None,
                   reported=float(sol["cost"]),
                   bound=float(sched.solver.best_objective_bound))


def run_reference(required: np.ndarray, matrix: np.ndarray, priority: float, *,
                  periods_per_day: int, step_periods: int, time_limit_s: float, workers: int,
                  seed: int) -> ToolRun:
    """The optimum of :func:`staff_cost` over anonymous head counts per shift (CP-SAT in
    hundredths of a head; the convex penalty as three capped segments). No named agents,
    no rules: a lower bound of staffcast's objective on this instance, fairness aside."""
    from ortools.sat.python import cp_model

    from optimize.scheduling.solver.model import IDLE_COST, SEGMENT_BREAKS, SEGMENT_SLOPES

    t0 = time.perf_counter()
    m = cp_model.CpModel()
    cap = int(4 * required.max() + 10)
    counts = [m.new_int_var(0, cap, f"n{s}") for s in range(len(matrix))]
    w_short = [round(1000 * priority * slope) for slope in SEGMENT_SLOPES]
    objective = []
    for p, r in enumerate(required.astype(int)):
        on = [counts[s] for s in np.flatnonzero(matrix[:, p])]
        widths = [round(100 * (hi - lo) * r) for lo, hi in
                  zip(SEGMENT_BREAKS, SEGMENT_BREAKS[1:] + (None,), strict=True) if hi] + [100 * r]
        seg = [m.new_int_var(0, w, f"short{p}_{k}") for k, w in enumerate(widths)]
        over = m.new_int_var(0, 100 * cap, f"over{p}")
        m.add(100 * sum(on) + sum(seg) - over == 100 * int(r))
        objective += [w * v for w, v in zip(w_short, seg, strict=True)]
        objective.append(round(1000 * IDLE_COST) * over)
    m.minimize(sum(objective))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit_s
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    status = solver.solve(m)
    wall = time.perf_counter() - t0
    n = np.array([solver.value(c) for c in counts], dtype=float)
    per_day = np.bincount(np.arange(len(n)) * step_periods // periods_per_day, weights=n,
                          minlength=7)
    return ToolRun(tool="reference: optimum of staffcast's cost, anonymous heads",
                   status=solver.status_name(status), wall_s=wall,
                   scheduled=coverage_from_counts(n, matrix), shifts=int(n.sum()),
                   max_shifts_day=int(per_day.max()), agents_used=None,
                   reported=solver.objective_value / 100_000,
                   bound=solver.best_objective_bound / 100_000)


def _agents(n: int, min_h: float, max_h: float) -> pd.DataFrame:
    return pd.DataFrame({
        "agent_id": [f"E{i:03d}" for i in range(n)], "name": [f"Agent {i}" for i in range(n)],
        "languages": [(LANGUAGE,)] * n, "channels": [(CHANNEL,)] * n, "timezone": "UTC",
        "min_hours_week": min_h, "max_hours_week": max_h, "unavailable": [()] * n,
        "vip": False})


def _config(labour_rules: bool):
    from optimize.scenario.config import LabourRules, ShiftRules, ShiftTemplate, load_config

    base = load_config(ROOT / "optimize" / "scenario" / "sample_scenario.toml")
    shifts = ShiftRules(templates=(ShiftTemplate(name="flat_8h", length_h=SHIFT_H),),
                        start_step_min=STEP_MIN, max_on_break_share=1.0)
    labour = base.labour if labour_rules else LabourRules(
        min_rest_h=0.0, max_consecutive_days=7, min_days_off_per_week=0, max_nights_per_week=7)
    return dataclasses.replace(base, shifts=shifts, labour=labour)


def run_staffcast(required: np.ndarray, interval_min: int, agents: pd.DataFrame, *,
                  labour_rules: bool, time_limit_s: float, workers: int, seed: int) -> ToolRun:
    """Solve with ``optimize.scheduling.build_schedule``; coverage recomputed from the
    ``work`` rows of its activities (cross-checked against its roster)."""
    from optimize.scheduling import build_schedule

    times = pd.date_range(pd.Timestamp(START, tz="UTC"), periods=len(required),
                          freq=f"{interval_min}min")
    req = pd.DataFrame({"interval_start": times, "channel": CHANNEL, "language": LANGUAGE,
                        "required_scheduled": required.astype(float)})
    t0 = time.perf_counter()
    res = build_schedule(req, agents, _config(labour_rules), start=START, weeks=1,
                         time_limit_s=time_limit_s, seed=seed, workers=workers)
    wall = time.perf_counter() - t0
    origin = times[0]

    def minutes(col: pd.Series) -> np.ndarray:
        return np.rint((pd.DatetimeIndex(col) - origin) / pd.Timedelta(minutes=1)).astype(int)

    work = res.activities[res.activities["activity"] == "work"]
    scheduled = coverage_from_segments(minutes(work["start_utc"]), minutes(work["end_utc"]),
                                       len(required), interval_min)
    from_roster = coverage_from_segments(minutes(res.roster["start_utc"]),
                                         minutes(res.roster["end_utc"]), len(required),
                                         interval_min)
    if not np.allclose(scheduled, from_roster):
        raise AssertionError("staffcast: activities and roster disagree on coverage")
    per_day = res.roster.groupby(["agent_id", "shift_date"]).size()
    if (per_day > 1).any():
        raise AssertionError("staffcast: an agent works two shifts on one day")
    days = pd.DatetimeIndex(res.roster["start_utc"]).normalize()
    return ToolRun(tool="staffcast build_schedule" + (" + labour rules" if labour_rules else ""),
                   status=res.status, wall_s=wall, scheduled=scheduled, shifts=len(res.roster),
                   max_shifts_day=int(pd.Series(days).value_counts().max()) if len(days) else 0,
                   agents_used=int(res.roster["agent_id"].nunique()), reported=res.objective,
                   bound=res.best_bound, note="objective parts " + ", ".join(
                       f"{k} {v:,.1f}" for k, v in res.penalties.groupby("kind")["cost"].sum().items())
                   + f"; gap {res.gap:.1%}; build_schedule wall_time_s {res.wall_time_s:.1f}")


def _row(run: ToolRun, required: np.ndarray, interval_min: int, priority: float) -> str:
    err = coverage_error(run.scheduled, required, interval_min)
    used = "-" if run.agents_used is None else str(run.agents_used)
    return (f"| {run.tool} | {run.status} | {err.abs_error:,.0f} | {err.under:,.0f} | "
            f"{err.over:,.0f} | {err.short_intervals} | {err.scheduled_head_hours:,.0f} | "
            f"{run.shifts} | {run.max_shifts_day} | {used} | "
            f"{staff_cost(run.scheduled, required, priority):,.1f} | {run.reported:,.1f} | "
            f"{run.bound:,.1f} | {run.wall_s:.1f} |")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--time-limit", type=float, default=60.0)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--interval-min", type=int, default=30, choices=(15, 30, 60))
    p.add_argument("--peak", type=float, default=30.0, help="peak heads of the curve")
    p.add_argument("--agents", type=int, default=0,
                   help="staffcast agents (default: 1.5 x the busiest day's 8-h shifts)")
    p.add_argument("--with-labour-rules", action="store_true",
                   help="also run staffcast with the sample's labour rules and 32-40 h contracts")
    args = p.parse_args()
    im = args.interval_min
    required = requirement_curve(im, args.peak, args.seed)
    per_day = 1440 // im
    matrix = coverage_matrix(len(required), im)
    day_hours = required.reshape(7, per_day).sum(axis=1) * im / 60
    n_agents = args.agents or math.ceil(1.5 * day_hours.max() / SHIFT_H)
    priority = _config(False).channels[CHANNEL].priority
    print(f"instance: {CHANNEL}/{LANGUAGE}, {len(required)} x {im}-min intervals from {START}, "
          f"required min/mean/max {required.min()}/{required.mean():.1f}/{required.max()} heads, "
          f"{required.sum() * im / 60:,.0f} head-hours; {len(matrix)} shift starts (8 h, hourly, "
          f"no breaks); staffcast: {n_agents} agents, priority {priority:g}; "
          f"time limit {args.time_limit:g} s, {args.workers} workers, seed {args.seed}", flush=True)
    common = dict(time_limit_s=args.time_limit, workers=args.workers, seed=args.seed)
    runs = [run_pyworkforce(kind, required, matrix, periods_per_day=per_day,
                            step_periods=STEP_MIN // im, **common)
            for kind in ("MinAbsDifference", "MinRequiredResources")]
    runs.append(run_staffcast(required, im, _agents(n_agents, 0.0, 56.0), labour_rules=False,
                              **common))
    runs.append(run_reference(required, matrix, priority, periods_per_day=per_day,
                              step_periods=STEP_MIN // im, **common))
    if args.with_labour_rules:
        n_rules = math.ceil(required.sum() * im / 60 / 36.0)
        print(f"labour-rules run: {n_rules} agents, 32-40 h, sample labour rules", flush=True)
        runs.append(run_staffcast(required, im, _agents(n_rules, 32.0, 40.0), labour_rules=True,
                                  **common))
    print("| tool | status | abs error | under | over | short intervals | head-hours | "
          "shifts | max shifts/day | agents used | staffcast cost | own objective | own bound | "
          "wall s |")
    print("|---" * 14 + "|")
    for run in runs:
        print(_row(run, required, im, priority), flush=True)
    for run in runs:
        if run.note:
            print(f"{run.tool}: {run.note}")


if __name__ == "__main__":
    main()
