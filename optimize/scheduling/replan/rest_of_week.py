"""Re-planning during a surge: keep what has started, re-optimise the rest (issue 5).

``replan(roster, activities, requirements, agents, config, start=..., weeks=..., asof=...)``
re-runs :func:`~optimize.scheduling.schedule.build_schedule` on the published week with
:mod:`optimize.scheduling.problem.choices` terms, starting its search from the published roster:

- a shift that started before ``asof`` (with ``keep_today``, also every shift published
  for the agent's local day of ``asof``) is fixed: it must be worked, with the same start
  and either its template or a longer one (an *extension*) whose first breaks are the
  template's breaks and whose added breaks all lie after ``asof``; a shift that has
  already ended is not extended;
- every other candidate starting before ``asof`` is dropped (the past cannot change; with
  ``keep_today`` nobody is called in for the rest of that local day);
- other published shifts may move (``costs.moved``) or be cancelled
  (``costs.cancelled``), and an agent may be called in on a published day off
  (``costs.called_in``), all within the labour rules and contract hours over the whole
  week: the fixed shifts count towards weekly hours, rest and consecutive days.

The costs are in the scheduler's cost units (one head short for one interval on a
priority-1 queue), small next to a surge's shortfall on priority queues but large enough
that the roster does not churn for nothing. Activities before ``asof`` are the published
ones (history). A break that began before ``asof`` stays; every other break, of a started
shift or of one still to start, is placed again within its template window where the
queues can best spare the agent, within the cap on breaks at once, seeing the started
shifts' breaks (:mod:`optimize.scheduling.replan.breaks`). The ``break_cap`` rows of the
result's ``penalties`` are recounted from these final activities over the whole week
(:func:`~optimize.scheduling.replan.breaks.break_cap_terms`, one row per break over the
cap with its minutes over): before ``asof`` they are the published breaks (history, as
published), after it the re-placed ones; ``build_schedule``'s own rows, counted on breaks
that were then replaced, are dropped. With ``previous_roster`` (the last days of the week
before), minimum rest and consecutive days carry over into the re-planned week, as in
``build_schedule``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimize.scenario.config import ScenarioConfig
from optimize.scheduling.activities.assign import staffed_from_activities
from optimize.scheduling.explain import penalty_table, unmet_table
from optimize.scheduling.problem.choices import ShiftSet, ShiftTerms
from optimize.scheduling.problem.inputs import (
    Queues,
    check_agents,
    make_grid,
    make_queues,
    skill_groups,
)
from optimize.scheduling.problem.penalty import with_penalty
from optimize.scheduling.replan.activities import keep_history
from optimize.scheduling.replan.breaks import break_cap_terms, move_open_breaks
from optimize.scheduling.replan.carry import carry_conflicts, check_previous_roster
from optimize.scheduling.schedule import ScheduleResult, build_schedule, surplus
from optimize.scheduling.solver.solve import ProgressInfo

__all__ = ["CHANGE_COLUMNS", "ReplanCosts", "ReplanResult", "replan"]

log = logging.getLogger(__name__)

_PENALTY = "service_level"  # build_schedule's shortfall curves (optimize.scheduling.problem.penalty)

CHANGE_COLUMNS = ("agent_id", "name", "shift_date", "kind", "before_start_utc",
                  "before_end_utc", "before_start_local", "before_end_local",
                  "after_start_utc", "after_end_utc", "after_start_local", "after_end_local",
                  "cost")
_NO_COST, _EXTEND, _MOVE, _CALL_IN = 0, 1, 2, 3


@dataclass(frozen=True)
class ReplanCosts:
    """Cost units of each kind of change (one head short for one priority-1 interval = 1)."""

    extended: float = 3.0
    moved: float = 8.0
    cancelled: float = 12.0
    called_in: float = 16.0

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if isinstance(v, bool) or not isinstance(v, int | float) or not 0 <= v < np.inf:
                raise ValueError(f"ReplanCosts.{f.name} must be a finite number >= 0, got {v!r}")


@dataclass(frozen=True)
class ReplanResult:
    """The re-planned week, what changed per agent, and the shortfall before and after."""

    schedule: ScheduleResult  # the whole week; activities before asof are the published ones
    changes: pd.DataFrame  # CHANGE_COLUMNS, one row per changed shift (kept shifts omitted)
    asof: pd.Timestamp
    unmet_before: float  # head-intervals short at or after asof, published activities
    unmet_after: float  # the same for the re-planned activities

    @property
    def summary(self) -> str:
        """One line: agents changed by kind, and the shortfall after ``asof``."""
        counts = self.changes["kind"].value_counts()
        kinds = ", ".join(f"{int(counts[k])} {k}" for k in
                          ("extended", "called in", "moved", "cancelled") if k in counts)
        return (f"replan from {self.asof:%Y-%m-%dT%H:%MZ}: "
                f"{self.changes['agent_id'].nunique()} agents changed ({kinds or 'none'}), "
                f"unmet head-intervals after asof {self.unmet_before:.1f} -> "
                f"{self.unmet_after:.1f}")


def _ns(values: object) -> np.ndarray:
    return pd.DatetimeIndex(pd.to_datetime(values, utc=True)).as_unit("ns").asi8


def _published(roster: pd.DataFrame, agents: pd.DataFrame, config: ScenarioConfig,
               start: dt.date, n_days: int) -> pd.DataFrame:
    """The published shifts as (agent, day, template, s_ns, e_ns) rows, checked."""
    need = ["agent_id", "shift_date", "start_utc", "end_utc", "template"]
    missing = [c for c in need if c not in roster.columns]
    if missing:
        raise ValueError(f"roster is missing columns {missing}")
    index = pd.Series(np.arange(len(agents)), index=agents["agent_id"].astype(str))
    ids = roster["agent_id"].astype(str)
    unknown = ~ids.isin(index.index)
    if unknown.any():
        raise ValueError(f"roster agent_id {ids[unknown].iloc[0]!r} is not in agents")
    names = [t.name for t in config.shifts.templates]
    bad = ~roster["template"].isin(names)
    if bad.any():
        raise ValueError(f"roster template {roster['template'][bad].iloc[0]!r} is not a shift "
                         f"template of the scenario ({', '.join(names)})")
    day = (pd.to_datetime(roster["shift_date"].astype(str).str[:10])
           - pd.Timestamp(start)).dt.days.to_numpy()
    out = (day < 0) | (day >= n_days)
    if out.any():
        raise ValueError(f"roster shift_date {roster['shift_date'][out].iloc[0]!r} is outside "
                         f"the planned weeks from {start}")
    return pd.DataFrame({
        "agent": index[ids].to_numpy(), "day": day,
        "template": [names.index(t) for t in roster["template"]],
        "s_ns": _ns(roster["start_utc"]), "e_ns": _ns(roster["end_utc"]),
        "start_local": roster["start_local"].astype(str).to_numpy(),
        "end_local": roster["end_local"].astype(str).to_numpy(),
    }).reset_index(drop=True)


def _extensions(config: ScenarioConfig, k: int, s_ns: int, e_ns: int, asof_ns: int) -> list[int]:
    """Templates a fixed shift of template ``k`` may become (``k`` first)."""
    tpls = config.shifts.templates
    out = [k]
    if e_ns < asof_ns:  # already over: nothing to extend
        return out
    done_min = (asof_ns - s_ns) / 60e9
    base = tpls[k].breaks
    for j, tpl in enumerate(tpls):
        if tpl.length_h <= tpls[k].length_h or tuple(tpl.breaks[:len(base)]) != tuple(base):
            continue
        if all(b.window_start_min >= done_min for b in tpl.breaks[len(base):]):
            out.append(j)
    return out


def _hhmm(local: str) -> str:
    return str(local)[11:16]


def _terms_fn(pub: pd.DataFrame, config: ScenarioConfig, asof: pd.Timestamp,
              today: np.ndarray, keep_today: bool, n_days: int, costs: ReplanCosts,
              warm: bool = True) -> Callable[[pd.DataFrame, pd.DataFrame], ShiftTerms]:
    """The :class:`ShiftTerms` builder of a re-plan (see the module docstring).

    ``warm``: start the search from the published roster (it must be a legal week).
    """
    asof_ns = int(asof.as_unit("ns").value)

    def terms(cand: pd.DataFrame, agents: pd.DataFrame) -> ShiftTerms:
        a = cand["agent"].to_numpy()
        day = cand["day"].to_numpy()
        tpl = cand["template"].to_numpy()
        s_ns = _ns(cand["start_utc"])
        cost = np.full(len(cand), costs.called_in)
        code = np.full(len(cand), _CALL_IN)
        drop = s_ns < asof_ns
        start = np.zeros(len(cand), dtype=bool)
        if keep_today:
            drop |= day == today[a]
        rows_of = pd.Series(np.arange(len(cand))).groupby(a * n_days + day).indices
        sets, ids = [], agents["agent_id"]
        for p in pub.itertuples(index=False):
            rows = rows_of.get(p.agent * n_days + p.day, np.zeros(0, dtype=int))
            same = rows[s_ns[rows] == p.s_ns]
            exact = same[tpl[same] == p.template]
            if len(exact) != 1:
                raise ValueError(f"published shift of agent {ids.iloc[p.agent]!r} at "
                                 f"{p.start_local} ({config.shifts.templates[p.template].name}) "
                                 "is not a candidate shift under the scenario's templates")
            label = f"agent {ids.iloc[p.agent]}, {p.start_local[:10]}"
            cost[rows], code[rows] = costs.moved, _MOVE
            if p.fixed:
                ok = same[np.isin(tpl[same], _extensions(config, p.template, p.s_ns, p.e_ns,
                                                         asof_ns))]
                drop[rows] = True
                drop[ok] = False
                cost[ok], code[ok] = costs.extended, _EXTEND
                sets.append(ShiftSet(ok, None, f"fixed({label})"))
            else:
                sets.append(ShiftSet(rows[~drop[rows]], costs.cancelled,
                                     f"change({label}: cancelled {_hhmm(p.start_local)}-"
                                     f"{_hhmm(p.end_local)} local)"))
            cost[exact], code[exact], start[exact] = 0.0, _NO_COST, True
        by_ad = {(p.agent, p.day): p for p in pub.itertuples(index=False)}

        def describe(rows: pd.DataFrame) -> list[str]:
            out = []
            for i, r in zip(rows.index, rows.itertuples(index=False), strict=True):
                label = f"agent {ids.iloc[r.agent]}, {r.start_local[:10]}"
                p = by_ad.get((r.agent, r.day))
                new = f"{_hhmm(r.start_local)}-{_hhmm(r.end_local)}"
                if code[i] == _EXTEND:
                    what = f"extended {_hhmm(p.start_local)}-{_hhmm(p.end_local)} -> {new}"
                elif code[i] == _MOVE:
                    what = f"moved {_hhmm(p.start_local)}-{_hhmm(p.end_local)} -> {new}"
                else:
                    what = f"called in {new}"
                out.append(f"change({label}: {what} local)")
            return out

        return ShiftTerms(cost=cost, drop=drop, sets=tuple(sets), kind="change",
                          describe=describe, start=start if warm else None)

    return terms


def _changes(pub_roster: pd.DataFrame, new_roster: pd.DataFrame, costs: ReplanCosts,
             fixed: set[tuple[str, int]], names: dict) -> pd.DataFrame:
    """One row per changed shift: agent x local day, before and after.

    ``fixed`` holds (agent_id, start in ns) of the fixed published shifts: a longer shift
    with their start is an extension, any other difference a move.
    """
    keys = ["agent_id", "shift_date"]
    cols = ["start_utc", "end_utc", "start_local", "end_local", "template", "name"]
    before = pub_roster.assign(shift_date=pub_roster["shift_date"].astype(str).str[:10])
    after = new_roster.assign(shift_date=new_roster["shift_date"].astype(str).str[:10])
    both = before[keys + cols].merge(after[keys + cols], on=keys, how="outer",
                                     suffixes=("_b", "_a"), indicator="side")
    rows = []
    for r in both.itertuples(index=False):
        if r.side == "left_only":
            kind, cost = "cancelled", costs.cancelled
        elif r.side == "right_only":
            kind, cost = "called in", costs.called_in
        elif r.start_utc_b == r.start_utc_a and r.template_b == r.template_a:
            continue
        elif (str(r.agent_id), int(_ns([r.start_utc_b])[0])) in fixed:
            kind, cost = "extended", costs.extended
        else:
            kind, cost = "moved", costs.moved
        rows.append({
            "agent_id": r.agent_id, "name": names.get(r.agent_id, ""),
            "shift_date": r.shift_date, "kind": kind,
            "before_start_utc": r.start_utc_b, "before_end_utc": r.end_utc_b,
            "before_start_local": r.start_local_b, "before_end_local": r.end_local_b,
            "after_start_utc": r.start_utc_a, "after_end_utc": r.end_utc_a,
            "after_start_local": r.start_local_a, "after_end_local": r.end_local_a,
            "cost": cost})
    out = pd.DataFrame(rows, columns=list(CHANGE_COLUMNS))
    for c in ("before_start_utc", "before_end_utc", "after_start_utc", "after_end_utc"):
        out[c] = pd.to_datetime(out[c], utc=True)
    for c in ("before_start_local", "before_end_local", "after_start_local", "after_end_local"):
        out[c] = out[c].astype(object).where(out[c].notna(), "").astype(str)
    return out.sort_values(keys, kind="stable").reset_index(drop=True)


def _final_penalties(result: ScheduleResult, staffed: np.ndarray, queues: Queues,
                     config: ScenarioConfig, times: pd.DatetimeIndex,
                     bent: list[tuple[str, str, float]]) -> pd.DataFrame:
    """The penalties of the final activities: staffing and ``break_cap`` rows recounted
    (``queues`` carry the schedule's shortfall curves), the others as ``build_schedule``
    costed them."""
    stale = result.penalties["kind"].isin(["understaffed", "overstaffed", "break_cap"])
    kept = list(result.penalties[~stale].itertuples(index=False, name=None))
    return penalty_table(staffed, surplus(staffed, queues, config), queues, times,
                         kept + bent)


def replan(roster: pd.DataFrame, activities: pd.DataFrame, requirements: pd.DataFrame,
           agents: pd.DataFrame, config: ScenarioConfig, *, start: dt.date, weeks: int,
           asof: pd.Timestamp, keep_today: bool = False, costs: ReplanCosts = ReplanCosts(),
           previous_roster: pd.DataFrame | None = None, time_limit_s: float = 60.0,
           seed: int = 0, workers: int = 2,
           progress: Callable[[ProgressInfo], None] | None = None,
           work_limit_s: float | None = None) -> ReplanResult:
    """Re-plan a published week from ``asof`` against new ``requirements``.

    Parameters
    ----------
    roster, activities : pandas.DataFrame
        The published ``roster.csv`` and ``activities.csv`` (``docs/contract.md``), with
        tz-aware UTC ``start_utc``/``end_utc``.
    requirements : pandas.DataFrame
        The new requirements over the planned weeks (as for ``build_schedule``).
    start, weeks :
        The published plan's first local date and number of weeks.
    asof : pandas.Timestamp
        Tz-aware; must lie inside the planned weeks (UTC).
    keep_today : bool
        Also fix every shift published for the agent's local day of ``asof``, and call
        nobody in for the rest of that day.
    costs : ReplanCosts
        Cost units of each kind of change.
    previous_roster : pandas.DataFrame, optional
        The last days of the roster before ``start`` (``agent_id, shift_date, end_utc``,
        as ``roster.csv``): minimum rest and consecutive days carry over into the week
        (see :mod:`optimize.scheduling.replan.carry`). Rows of agents not in ``agents``
        are ignored; a ``shift_date`` on or after ``start`` is refused.

    Returns
    -------
    ReplanResult
        ``schedule.status`` says whether a schedule was found (the published roster is
        always feasible, so only a broken input makes it ``infeasible``). Where a fixed
        shift breaks the rules carried from ``previous_roster``, the breach is history:
        the previous roster is ignored for that agent, with a warning.
    """
    asof = pd.Timestamp(asof)
    if asof.tzinfo is None:
        raise ValueError(f"asof {asof} has no time zone; give it in UTC")
    asof = asof.tz_convert("UTC")
    t0 = pd.Timestamp(start, tz="UTC")
    t1 = t0 + pd.Timedelta(weeks=weeks)
    if not t0 <= asof < t1:
        raise ValueError(f"asof {asof:%Y-%m-%dT%H:%MZ} is outside the roster's weeks "
                         f"[{t0:%Y-%m-%d}, {t1:%Y-%m-%d}) UTC")
    agents = check_agents(agents)
    roster = roster.assign(agent_id=roster["agent_id"].astype(str))
    activities = activities.assign(agent_id=activities["agent_id"].astype(str))
    n_days = 7 * weeks
    pub = _published(roster, agents, config, start, n_days)
    today = np.array([(asof.tz_convert(tz).date() - start).days for tz in agents["timezone"]])
    pub["fixed"] = (pub["s_ns"] < asof.as_unit("ns").value) | (
        keep_today & (pub["day"].to_numpy() == today[pub["agent"].to_numpy()]))
    previous_roster = check_previous_roster(previous_roster, agents, start)
    broken = carry_conflicts(pub, previous_roster, agents, config, start)
    past = [a for a, in_past in broken.items() if in_past]
    if past:
        log.warning("shifts that have started break the rest or consecutive days carried "
                    "from the previous roster for %d agents (%s): the previous roster is "
                    "ignored for them", len(past), ", ".join(past[:5]))
        previous_roster = previous_roster[~previous_roster["agent_id"].astype(str).isin(past)]
    future = [a for a, in_past in broken.items() if not in_past]
    if future:
        log.warning("the published roster breaks the rest or consecutive days carried from "
                    "the previous roster for %d agents (%s); searching without it as a start",
                    len(future), ", ".join(future[:5]))
    fn = _terms_fn(pub, config, asof, today, keep_today, n_days, costs, warm=not future)
    result = build_schedule(requirements, agents, config, start=start, weeks=weeks,
                            time_limit_s=time_limit_s, seed=seed, workers=workers,
                            progress=progress, shift_terms=fn, previous_roster=previous_roster,
                            penalty=_PENALTY, work_limit_s=work_limit_s)
    grid = make_grid(requirements)
    queues = make_queues(requirements, config, grid)
    after = grid.times >= asof
    published = staffed_from_activities(activities, queues, grid)
    short_before = float(np.clip(queues.required - published, 0, None)[:, after].sum())
    if result.status not in ("optimal", "feasible"):
        return ReplanResult(result, pd.DataFrame(columns=list(CHANGE_COLUMNS)), asof,
                            short_before, float("nan"))
    acts = keep_history(result.activities, result.roster, activities, roster, asof)
    groups = skill_groups(agents, queues, config)
    group_of = dict(zip(agents["agent_id"].astype(str), groups.of_agent.tolist(), strict=True))
    acts, _ = move_open_breaks(acts, result.roster, asof, config, queues, grid, group_of)
    bent = break_cap_terms(acts, result.roster, grid, group_of,
                           config.shifts.max_on_break_share)
    staffed = staffed_from_activities(acts, queues, grid)
    penalties = _final_penalties(result, staffed, with_penalty(
        queues, requirements, config, grid, _PENALTY), config, grid.times, bent)
    nq, nt = staffed.shape
    frame = pd.DataFrame({
        "interval_start": np.tile(grid.times, nq),
        "channel": np.repeat(np.asarray(queues.channel, dtype=object), nt),
        "language": np.repeat(np.asarray(queues.language, dtype=object), nt),
        "scheduled_agents": staffed.ravel()})
    schedule = dataclasses.replace(result, activities=acts, staffed=frame,
                                   unmet=unmet_table(staffed, queues, grid.times),
                                   penalties=penalties)
    ids = agents["agent_id"].astype(str).to_numpy()
    fixed = set(zip(ids[pub["agent"][pub["fixed"]]], pub["s_ns"][pub["fixed"]], strict=True))
    changes = _changes(roster, result.roster.assign(agent_id=result.roster["agent_id"]
                                                    .astype(str)), costs, fixed,
                       dict(zip(ids, agents["name"], strict=True)))
    short_after = float(np.clip(queues.required - staffed, 0, None)[:, after].sum())
    out = ReplanResult(schedule, changes, asof, short_before, short_after)
    log.info("%s", out.summary)
    return out
