"""The capacity plan: forecast, requirement, supply and hires, week by week.

:func:`capacity_plan` chains the stages, each in its own module:

1. weekly volume per queue under the volume scenario (:func:`forecast.longrange.forecast_weeks`);
2. hours on schedule needed per queue and week (:mod:`~optimize.capacity.demand`), times
   the scheduling efficiency (:mod:`~optimize.capacity.efficiency`) and the queue's
   factor from a check of a planned week (:mod:`~optimize.capacity.check`; 1 without
   one) = paid hours needed;
3. expected paid hours of today's agents per skill group (:mod:`~optimize.capacity.supply`),
   plus agents added by hand;
4. the hiring programme chooses the hires (:func:`~optimize.capacity.hiring.plan_hires`);
   the hours of today's desk, and of the desk with the hires, are then given to the
   queues week by week (:func:`~optimize.capacity.hiring.allocate_weeks`);
5. the expected service level per queue and week of both: each interval staffed at its
   requirement times the share of the week's needed hours the programme served, through
   the queueing engine (:func:`optimize.queueing.evaluate_staffing`).

FTE are paid hours / ``hours_per_fte``. ``available`` FTE of a queue are the paid hours
the programme gave it (each hour of a multi-skilled agent counted once, where it went);
hours nobody needed are ``spare`` of the group or profile they belong to.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from forecast.longrange import Choice, LongRange, VolumeScenario, forecast_weeks, week_pattern
from optimize.capacity.config import CapacityConfig, HireProfile, default_profiles
from optimize.capacity.demand import weekly_requirements
from optimize.capacity.hiring import Allocation, allocate_weeks, plan_hires
from optimize.capacity.supply import covers, hire_yield, supply_hours
from optimize.queueing.requirements import evaluate_staffing
from optimize.scenario.config import ScenarioConfig

__all__ = ["AddedAgents", "CapacityPlan", "capacity_plan"]


@dataclass(frozen=True)
class AddedAgents:
    """``count`` agents of hire profile ``profile`` added by hand, working from week
    ``from_week`` (0 = the first planned week), fully productive (a what-if)."""

    profile: str
    count: int
    from_week: int = 0


@dataclass(frozen=True, eq=False)
class CapacityPlan:
    """``capacity`` (per week and queue), ``hires`` (per week and hire profile, rows with
    hires only), ``groups`` (per week and supply group: paid, used and spare hours), the
    ``forecast`` it came from, the ``efficiency`` used, and the programme's ``cost`` today
    and with the plan."""

    capacity: pd.DataFrame
    hires: pd.DataFrame
    groups: pd.DataFrame
    forecast: LongRange
    efficiency: float
    profiles: tuple[HireProfile, ...]
    cost: dict[str, float] = field(default_factory=dict)
    efficiency_note: str = ""  # where the efficiency came from
    queue_factors: dict = field(default_factory=dict)  # (channel, language) -> factor


def _service(req: pd.DataFrame, ratio: pd.DataFrame, config: ScenarioConfig,
             interval_s: int) -> pd.Series:
    """Contact-weighted service level per (week, channel, language) at ``required_scheduled``
    x the served share of the week, each week on its own (a steady state: an email backlog
    of one short week is not carried into the next)."""
    keys = ["interval_start", "channel", "language"]
    week = _week_of(req["interval_start"])
    staffed = req[keys].assign(week_start=week).merge(
        ratio, on=["week_start", "channel", "language"], how="left")
    staffed["scheduled_agents"] = req["required_scheduled"].to_numpy() \
        * staffed["ratio"].fillna(1.0).to_numpy()
    parts = []
    for _, idx in staffed.groupby("week_start").groups.items():
        cov = evaluate_staffing(req.loc[idx, keys + ["contacts", "aht_s", "shrinkage"]],
                                staffed.loc[idx, keys + ["scheduled_agents"]], config,
                                interval_s=interval_s)
        parts.append(cov.merge(req.loc[idx, keys + ["contacts"]], on=keys))
    cov = pd.concat(parts, ignore_index=True)
    cov["week_start"] = _week_of(cov["interval_start"])
    cov["w"] = cov["contacts"] * cov["service_level"]
    g = cov.groupby(["week_start", "channel", "language"])
    return (g["w"].sum() / g["contacts"].sum()).rename("service_level")


def _week_of(starts: pd.Series) -> pd.Series:
    return (starts - pd.to_timedelta(starts.dt.day_of_week, unit="D")).dt.normalize()


def _hire_costs(profiles, n_w: int, capacity: CapacityConfig) -> np.ndarray:
    remaining = n_w - np.arange(n_w)
    return np.array([capacity.cost_per_hire + p.cost_per_hour * p.hours_week * remaining
                     for p in profiles]).reshape(len(profiles), n_w)


def _added(added, profiles, n_w: int) -> np.ndarray:
    """Paid hours per hire profile and week of the agents added by hand."""
    names = [p.name for p in profiles]
    out = np.zeros((len(profiles), n_w))
    for a in added:
        if a.profile not in names:
            raise ValueError(f"agents added by hand name unknown profile {a.profile!r}; "
                             f"known: {names}")
        if not 0 <= a.from_week < n_w or a.count < 1:
            raise ValueError(f"agents added by hand ({a.profile}): the count must be >= 1 and "
                             f"the week in 0-{n_w - 1}")
        i = names.index(a.profile)
        out[i, a.from_week:] += a.count * profiles[i].hours_week
    return out


def capacity_plan(contacts: pd.DataFrame, agents: pd.DataFrame, config: ScenarioConfig,
                  interval_s: int, weeks: int, *, capacity: CapacityConfig | None = None,
                  volume: VolumeScenario | None = None, efficiency: float,
                  market: pd.DataFrame | None = None, calendar: pd.DataFrame | None = None,
                  added: tuple[AddedAgents, ...] = (), choice: Choice | None = None,
                  efficiency_note: str = "", queue_factors: dict | None = None,
                  shrinkage: pd.DataFrame | None = None,
                  time_limit_s: float = 60.0) -> CapacityPlan:
    """A capacity plan of ``weeks`` weeks after the history (module docstring).

    ``efficiency`` is paid hours per required hour on schedule
    (:func:`optimize.capacity.efficiency.measure_efficiency`, or a what-if); ``choice`` a
    long-range backtest already run on this history; ``queue_factors`` maps
    ``(channel, language)`` to a multiplier of that queue's paid hours needed (the
    scheduler's check of a planned week, :func:`optimize.capacity.check.queue_factors`);
    ``shrinkage`` (``channel, language, shrinkage``) the shrinkage per queue at which the
    formulas give what a simulation of such a week delivered
    (:func:`optimize.capacity.check.simulated_shrinkage`), in place of the configured one.
    """
    capacity = capacity or CapacityConfig()
    languages = sorted(contacts["language"].unique())
    capacity.check_against(languages, list(config.channels), weeks)
    fc = forecast_weeks(contacts, interval_s, weeks, market=market, calendar=calendar,
                        scenario=volume, choice=choice)
    pattern = week_pattern(contacts, interval_s, calendar)
    need_wk, req = weekly_requirements(fc.table, pattern, config, interval_s,
                                       shrinkage=shrinkage)
    queues = need_wk[["channel", "language"]].drop_duplicates().sort_values(
        ["channel", "language"]).reset_index(drop=True)
    week_index = pd.DatetimeIndex(sorted(need_wk["week_start"].unique()))
    n_w = len(week_index)
    need = (need_wk.pivot_table(index=["channel", "language"], columns="week_start",
                                values="required_hours").reindex(
        pd.MultiIndex.from_frame(queues)).to_numpy() * efficiency)
    factors = np.array([(queue_factors or {}).get((c, lang), 1.0)
                        for c, lang in zip(queues["channel"], queues["language"], strict=True)])
    need = need * factors[:, None]
    priority = queues["channel"].map(lambda c: config.channels[c].priority).to_numpy(float)
    groups, supply = supply_hours(agents, week_index, capacity)
    g_cover = np.array([covers(r.languages, r.channels, r.vip, queues, config)
                        for r in groups.itertuples()]).reshape(len(groups), len(queues))
    profiles = capacity.profiles or default_profiles(
        languages, {c: ch.vip for c, ch in config.channels.items()})
    p_cover = np.array([covers(p.languages, p.channels, p.vip, queues, config)
                        for p in profiles]).reshape(len(profiles), len(queues))
    extra = _added(added, profiles, n_w)
    supply_all = np.vstack([supply, extra])
    cover_all = np.vstack([g_cover, p_cover])
    yields = [hire_yield(p, n_w, capacity) for p in profiles]
    kw = dict(short_hour_cost=capacity.short_hour_cost, lead_time_weeks=capacity.lead_time_weeks,
              max_hires_per_week=capacity.max_hires_per_week,
              min_class_size=capacity.min_class_size, time_limit_s=time_limit_s)
    costs = _hire_costs(profiles, n_w, capacity)
    hired = plan_hires(need, priority, supply_all, cover_all, yields, p_cover, costs, **kw)
    hours = np.array([hired.hires[p] @ yields[p] for p in range(len(profiles))]
                     ).reshape(len(profiles), n_w)
    today = allocate_weeks(need, priority, supply_all, cover_all,
                           short_hour_cost=capacity.short_hour_cost)
    planned = allocate_weeks(need, priority, np.vstack([supply_all, hours]),
                             np.vstack([cover_all, p_cover]),
                             short_hour_cost=capacity.short_hour_cost)
    table = _capacity_table(need_wk, fc, queues, week_index, need, today, planned, capacity)
    table = table.merge(queues.assign(queue_factor=factors), on=["channel", "language"])
    ratios = {}
    for name, alloc in (("today", today), ("plan", planned)):
        with np.errstate(invalid="ignore", divide="ignore"):
            r = np.where(need > 0, np.clip(alloc.served / need, 0.0, 1.0), 1.0)
        ratios[name] = _long(r, queues, week_index, "ratio")
    for name in ("today", "plan"):
        sl = _service(req, ratios[name], config, interval_s)
        table = table.merge(sl.rename(f"service_level_{name}").reset_index(),
                            on=["week_start", "channel", "language"], how="left")
    group_names = list(groups["profile"]) + [f"added {p.name}" for p in profiles]
    return CapacityPlan(
        capacity=table, hires=_hires_table(hired, profiles, week_index, capacity),
        groups=_groups_table(group_names + [f"hired {p.name}" for p in profiles],
                             np.vstack([supply_all, hours]), planned.used, week_index),
        forecast=fc, efficiency=float(efficiency), profiles=tuple(profiles),
        cost={"today": today.cost, "plan": planned.cost + float((hired.hires * costs).sum())},
        efficiency_note=efficiency_note, queue_factors=dict(queue_factors or {}))


def _long(values: np.ndarray, queues: pd.DataFrame, weeks: pd.DatetimeIndex, name: str
          ) -> pd.DataFrame:
    q, w = values.shape
    return pd.DataFrame({"week_start": np.tile(weeks, q),
                         "channel": np.repeat(queues["channel"].to_numpy(), w),
                         "language": np.repeat(queues["language"].to_numpy(), w),
                         name: values.ravel()})


def _capacity_table(need_wk, fc, queues, weeks, need, today: Allocation, planned: Allocation,
                    capacity: CapacityConfig) -> pd.DataFrame:
    fte = capacity.hours_per_fte
    out = _long(need / fte, queues, weeks, "required_fte")
    out["available_fte_today"] = today.served.ravel() / fte
    out["available_fte_plan"] = planned.served.ravel() / fte
    out["short_fte_today"] = today.short.ravel() / fte
    out["short_fte_plan"] = planned.short.ravel() / fte
    keys = ["week_start", "channel", "language"]
    base = fc.table[keys + ["contacts", "contacts_p10", "contacts_p90", "aht_s", "regime",
                            "model"]]
    base = base.merge(need_wk[keys + ["required_hours"]], on=keys)
    return base.merge(out, on=keys).sort_values(keys).reset_index(drop=True)


def _hires_table(planned: Allocation, profiles, weeks: pd.DatetimeIndex,
                 capacity: CapacityConfig) -> pd.DataFrame:
    rows = []
    for p, prof in enumerate(profiles):
        for s in np.flatnonzero(planned.hires[p] > 0):
            ready = weeks[0] + pd.Timedelta(weeks=int(s) + capacity.training_weeks
                                            + capacity.ramp_weeks)
            decide = weeks[s] - pd.Timedelta(weeks=capacity.lead_time_weeks)
            rows.append({"week_start": weeks[s], "profile": prof.name,
                         "languages": "+".join(prof.languages),
                         "channels": "+".join(prof.channels), "vip": prof.vip,
                         "hires": int(planned.hires[p, s]), "decide_by": decide,
                         "fully_productive_from": ready, "hours_week": prof.hours_week})
    cols = ["week_start", "profile", "languages", "channels", "vip", "hires", "decide_by",
            "fully_productive_from", "hours_week"]
    return pd.DataFrame(rows, columns=cols).sort_values(["week_start", "profile"],
                                                        ignore_index=True)


def _groups_table(names, paid: np.ndarray, used: np.ndarray, weeks) -> pd.DataFrame:
    n = len(names)
    out = pd.DataFrame({"week_start": np.tile(weeks, n), "group": np.repeat(names, len(weeks)),
                        "paid_hours": paid.ravel(), "used_hours": used.ravel()})
    out["spare_hours"] = (out["paid_hours"] - out["used_hours"]).clip(lower=0.0)
    return out[out["paid_hours"] > 1e-9].reset_index(drop=True)
