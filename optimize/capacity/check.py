"""Closing the loop: schedule a planned week with the desk the plan says there will be.

A capacity plan works on weekly hours; people work shifts in their own time zones under
night and rest rules, and a small 24/7 queue needs someone every night. The check takes
one week of the plan, builds its desk (today's agents less the plan's expected leavers,
plus the plan's hires so far as agents of their profile) and that week's interval
forecast, schedules it with :func:`optimize.scheduling.build_schedule` and measures, per
queue, the share of the required hours the schedule covered.

:func:`queue_factors` turns that into per-queue corrections of the paid hours needed
(``covered share`` below 1 -> the queue needs ``1 / share`` times the hours the
efficiency gave it), which :func:`optimize.capacity.plan.capacity_plan` takes as
``queue_factors``: a fixed-point calibration of the plan on the scheduler. A queue whose
promised service on the checked schedule meets its target is not corrected: an overflow
or a fallback to another queue, or spare heads moved to it, already answer what its
uncovered hours would have.

The desk: today's agents of each first language are kept in ``agents.csv`` order up to
the expected survivors; a hire who has finished training is an agent of its profile with
a 32-40 h contract in the time zone most of today's agents of its first language work
in, no leave (one still ramping up counts in full: the check is slightly optimistic
for hires of the last ``ramp_weeks``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecast.longrange import week_pattern
from optimize.capacity.config import CapacityConfig
from optimize.capacity.demand import interval_forecast
from optimize.capacity.plan import CapacityPlan
from optimize.capacity.supply import survival
from optimize.queueing.calibration import calibration_targets, effective_shrinkage, with_shrinkage
from optimize.queueing.requirements import compute_requirements, evaluate_staffing
from optimize.queueing.routing import route_hours
from optimize.scenario.config import ScenarioConfig

__all__ = ["MAX_FACTOR", "Calibration", "WeekCheck", "calibrate", "check_week", "desk_for_week",
           "queue_factors", "raised_only_where_missed", "simulated_shrinkage"]

log = logging.getLogger(__name__)
MAX_FACTOR = 2.0  # a queue's correction is capped: one check week is one sample


@dataclass(frozen=True, eq=False)
class WeekCheck:
    """A planned week scheduled: ``week_start``, the ``desk`` (agents), the interval
    ``forecast`` (routed by the hours of operation) and ``requirements``, the ``schedule``
    (ScheduleResult), and ``queues`` (``channel, language, required_hours, covered_hours,
    covered_share, service_level, meets_target``: the service the schedule promises), with
    the paid hours and the efficiency there (paid per covered required hour), and the
    schedule's ``outlook`` (:func:`optimize.outputs.summary.queue_outlook`)."""

    week_start: pd.Timestamp
    desk: pd.DataFrame
    forecast: pd.DataFrame
    requirements: pd.DataFrame
    schedule: object
    queues: pd.DataFrame
    paid_hours: float
    efficiency: float
    outlook: pd.DataFrame | None = None


@dataclass(frozen=True, eq=False)
class Calibration:
    """:func:`calibrate`'s result: the ``plan``, the ``checks`` table and the ``last`` check."""

    plan: CapacityPlan
    checks: pd.DataFrame
    last: WeekCheck


def desk_for_week(plan: CapacityPlan, agents: pd.DataFrame, week: int,
                  capacity: CapacityConfig) -> pd.DataFrame:
    """The agents of week ``week`` (0-based) of ``plan`` (module docstring)."""
    first = agents["languages"].map(lambda x: x[0])
    keep = []
    for lang, g in agents.groupby(first, sort=False):
        stay = float(survival(capacity.attrition_of(lang), np.array([week + 1]))[0])
        keep.append(g.iloc[:int(round(len(g) * stay))])
    desk = pd.concat(keep).sort_index() if keep else agents.iloc[:0]
    zone = agents.assign(first=first).groupby("first")["timezone"].agg(lambda z: z.mode()[0])
    fallback = agents["timezone"].mode()[0]
    week_start = plan.capacity["week_start"].min() + pd.Timedelta(weeks=week)
    rows = []
    trained = week_start - pd.Timedelta(weeks=capacity.training_weeks)
    for h in plan.hires[plan.hires["week_start"] <= trained].itertuples():  # past training
        prof = next(p for p in plan.profiles if p.name == h.profile)
        for k in range(int(h.hires)):
            rows.append({"agent_id": f"H-{h.profile}-{h.week_start:%Y%m%d}-{k + 1}",
                         "name": f"Hire {h.profile} {h.week_start:%Y-%m-%d} #{k + 1}",
                         "languages": prof.languages, "channels": prof.channels,
                         "timezone": zone.get(prof.languages[0], fallback),
                         "min_hours_week": min(32.0, prof.hours_week),
                         "max_hours_week": prof.hours_week, "unavailable": (), "vip": prof.vip,
                         "preferred_start": None, "preferred_days_off": ()})
    if not rows:
        return desk.reset_index(drop=True)
    return pd.concat([desk, pd.DataFrame(rows)], ignore_index=True)


def check_week(plan: CapacityPlan, contacts: pd.DataFrame, agents: pd.DataFrame,
               config: ScenarioConfig, interval_s: int, capacity: CapacityConfig, *,
               week: int = -1, calendar: pd.DataFrame | None = None,
               work_limit_s: float | None = None, seed: int = 0,
               shrinkage: pd.DataFrame | None = None) -> WeekCheck:
    """Schedule week ``week`` of ``plan`` (default the last) with its desk, for
    ``work_limit_s`` work seconds (default: 0.12 s per agent, 5-30 s); ``shrinkage``
    (``channel, language, shrinkage``) as the plan was made with it."""
    from optimize.scheduling.schedule import build_schedule

    weeks = sorted(plan.capacity["week_start"].unique())
    week = week % len(weeks)
    start = pd.Timestamp(weeks[week])
    desk = desk_for_week(plan, agents, week, capacity)
    table = plan.forecast.table[plan.forecast.table["week_start"] == start]
    fc = interval_forecast(table, week_pattern(contacts, interval_s, calendar), interval_s)
    if shrinkage is not None:
        fc = with_shrinkage(fc, shrinkage, config)
    fc, _ = route_hours(fc, config.hours)  # closed queues' contacts where they go
    req = compute_requirements(fc, config, interval_s=interval_s)
    if work_limit_s is None:
        work_limit_s = float(np.clip(0.12 * len(desk), 5.0, 30.0))
    res = build_schedule(req, desk, config, start=start.date(), weeks=1,
                         time_limit_s=max(4 * work_limit_s, 60.0), work_limit_s=work_limit_s,
                         seed=seed)
    hours = interval_s / 3600.0
    keys = ["interval_start", "channel", "language"]
    m = req[keys + ["required_scheduled"]].merge(res.staffed, on=keys, how="left")
    m["scheduled_agents"] = m["scheduled_agents"].fillna(0.0)
    m["covered"] = np.minimum(m["scheduled_agents"], m["required_scheduled"])
    q = m.groupby(["channel", "language"], as_index=False).agg(
        required_hours=("required_scheduled", "sum"), covered_hours=("covered", "sum"))
    q[["required_hours", "covered_hours"]] *= hours
    q["covered_share"] = np.where(q["required_hours"] > 0,
                                  q["covered_hours"] / q["required_hours"].where(
                                      q["required_hours"] > 0, 1.0), 1.0)
    outlook = _outlook(fc, res, config, interval_s, start)
    q = q.merge(_meets_target(outlook, config), on=["channel", "language"], how="left")
    paid = float(res.roster["paid_hours"].sum()) if len(res.roster) else 0.0
    eff = paid / max(float(q["covered_hours"].sum()), 1e-9)
    log.info("check week %s: %d agents, %.0f paid h, %.1f%% of required hours covered",
             start.date(), len(desk), paid,
             100 * q["covered_hours"].sum() / max(q["required_hours"].sum(), 1e-9))
    return WeekCheck(start, desk, fc, req, res, q, paid, eff, outlook)


def _outlook(fc: pd.DataFrame, res, config: ScenarioConfig, interval_s: int,
             start: pd.Timestamp) -> pd.DataFrame:
    """Per queue, what the checked schedule promises over its week (the plan's coverage,
    email and social on the roster)."""
    from optimize.outputs.summary import queue_outlook

    window = (start, start + pd.Timedelta(weeks=1))
    cov = evaluate_staffing(fc, res.staffed, config, interval_s=interval_s, window=window,
                            roster=res.activities)
    return queue_outlook(fc, cov, *window)


def _meets_target(outlook: pd.DataFrame, config: ScenarioConfig) -> pd.DataFrame:
    """``channel, language, service_level`` of ``outlook`` and whether it meets the
    channel's target."""
    out = outlook[["channel", "language", "service_level"]]
    target = out["channel"].map(lambda c: config.channels[c].service_level
                                if config.channels[c].kind == "realtime"
                                else config.channels[c].response_share)
    return out.assign(meets_target=(out["service_level"].fillna(1.0) >= target - 1e-9))


def queue_factors(check: WeekCheck, previous: dict | None = None) -> dict[tuple[str, str], float]:
    """Per-queue corrections after a check: ``previous`` times ``1 / covered_share``
    (capped at :data:`MAX_FACTOR`). A queue covered in full keeps its factor, and so does
    one whose promised service on the checked schedule meets its target (``meets_target``:
    an overflow or a fallback, or spare heads moved to it, answer what its own required
    hours left uncovered would have)."""
    out = dict(previous or {})
    meets = check.queues["meets_target"] if "meets_target" in check.queues.columns else \
        pd.Series(False, index=check.queues.index)
    for r, met in zip(check.queues.itertuples(), meets, strict=True):
        if met:
            continue
        share = max(float(r.covered_share), 1.0 / MAX_FACTOR)
        out[(r.channel, r.language)] = min(out.get((r.channel, r.language), 1.0) / share,
                                           MAX_FACTOR)
    return out


def simulated_shrinkage(check: WeekCheck, config: ScenarioConfig, interval_s: int, *,
                        reps: int = 5, seed: int = 0, jobs: int = 2) -> pd.DataFrame:
    """Per queue, the shrinkage at which the formulas give what a simulation of the
    check's schedule delivers (real-time queues; email and social: their roster promise),
    as ``plan --calibrate`` fits a plan (:mod:`optimize.queueing.calibration`); email and
    social are raised only where they miss their target (:func:`raised_only_where_missed`).

    It is a level, found from the shrinkage the check was planned with (the forecast's
    ``shrinkage`` column), not a factor on it: a queue the simulation already serves as
    the formulas say keeps its shrinkage, so rounds do not compound.

    Returns
    -------
    DataFrame
        :func:`~optimize.queueing.calibration.effective_shrinkage`'s table.
    """
    from optimize.simulation import simulate_plan

    start = check.week_start
    window = (start, start + pd.Timedelta(weeks=1))
    res, fc = check.schedule, check.forecast
    _, table = simulate_plan(res.activities, fc, config, start=start, weeks=1,
                             interval_s=interval_s, promised=check.outlook, reps=reps,
                             seed=seed, jobs=jobs)
    fit = effective_shrinkage(fc, res.staffed, config, calibration_targets(table, config),
                              interval_s=interval_s, window=window,
                              kinds=("realtime", "deferred"))
    return raised_only_where_missed(fit, config)


def raised_only_where_missed(fit: pd.DataFrame, config: ScenarioConfig) -> pd.DataFrame:
    """``fit`` (:func:`~optimize.queueing.calibration.effective_shrinkage`'s table) with an
    email or social queue that meets its target share on the checked roster kept at its
    configured shrinkage where the fit would raise it: the fluid formulas promise it more
    than the roster delivers, but it holds, and a higher shrinkage would only hire for it
    (``fitted`` is then the ``promised`` level)."""
    ch = fit["channel"].map(config.channels)
    deferred = ch.map(lambda c: c.kind == "deferred").to_numpy(dtype=bool)
    share = ch.map(lambda c: c.response_share).to_numpy(dtype=float)
    met = deferred & (fit["delivered"].to_numpy(dtype=float) >= share)
    keep = met & (fit["shrinkage"] > fit["configured_shrinkage"]).to_numpy()
    out = fit.copy()
    out.loc[keep, "shrinkage"] = out.loc[keep, "configured_shrinkage"]
    out.loc[keep, "fitted"] = out.loc[keep, "promised"]
    return out


def calibrate(contacts: pd.DataFrame, agents: pd.DataFrame, config: ScenarioConfig,
              interval_s: int, weeks: int, *, rounds: int, capacity: CapacityConfig,
              calendar: pd.DataFrame | None = None, work_limit_s: float | None = None,
              simulate_reps: int = 0, **plan_kw) -> Calibration:
    """A capacity plan checked on the scheduler, and corrected ``rounds`` times.

    Each round schedules the plan's last week with its desk (:func:`check_week`) and,
    but for the last, plans again with the queues' corrections (:func:`queue_factors`)
    and, with ``simulate_reps``, the shrinkage per queue fitted to a simulation of that
    schedule (:func:`simulated_shrinkage`, ``simulate_reps`` replications).
    ``plan_kw`` goes to :func:`optimize.capacity.plan.capacity_plan`.

    Returns
    -------
    Calibration
        The last plan, every check (``checks``: ``round, week_start, agents, paid_hours,
        efficiency, channel, language, required_hours, covered_hours, covered_share,
        queue_factor``, the factor the checked plan was made with, and ``shrinkage``, the
        shrinkage it was made with) and the last check.
    """
    from optimize.capacity.plan import capacity_plan

    if rounds < 0:
        raise ValueError(f"rounds must be >= 0, got {rounds!r}")
    factors: dict = {}
    fit: pd.DataFrame | None = None
    plan = capacity_plan(contacts, agents, config, interval_s, weeks, capacity=capacity,
                         calendar=calendar, **plan_kw)
    rows = []
    for r in range(rounds + 1):
        chk = check_week(plan, contacts, agents, config, interval_s, capacity,
                         calendar=calendar, work_limit_s=work_limit_s, shrinkage=fit)
        pairs = list(zip(chk.queues["channel"], chk.queues["language"], strict=True))
        used = [factors.get(q, 1.0) for q in pairs]
        shrink = chk.forecast.groupby(["channel", "language"])["shrinkage"].mean() \
            if "shrinkage" in chk.forecast.columns else pd.Series(dtype=float)
        rows.append(chk.queues.assign(
            round=r, week_start=chk.week_start, agents=len(chk.desk),
            paid_hours=chk.paid_hours, efficiency=chk.efficiency, queue_factor=used,
            shrinkage=[float(shrink.get(q, config.formula_shrinkage(*q))) for q in pairs]))
        if r == rounds:
            break
        factors = queue_factors(chk, factors)
        if simulate_reps > 0:
            fit = simulated_shrinkage(chk, config, interval_s, reps=simulate_reps)
            log.info("round %d: shrinkage fitted to the simulation of the check week, "
                     "%.3f-%.3f", r, fit["shrinkage"].min(), fit["shrinkage"].max())
        plan_kw["choice"] = plan.forecast.choice  # the same history: one backtest
        plan = capacity_plan(contacts, agents, config, interval_s, weeks, capacity=capacity,
                             calendar=calendar, queue_factors=factors, shrinkage=fit,
                             **plan_kw)
    cols = ["round", "week_start", "agents", "paid_hours", "efficiency", "channel", "language",
            "required_hours", "covered_hours", "covered_share", "service_level",
            "meets_target", "queue_factor", "shrinkage"]
    return Calibration(plan, pd.concat(rows, ignore_index=True)[cols], chk)
