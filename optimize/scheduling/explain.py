"""Explanations: per-agent rule conflicts, unmet intervals and the bent soft rules.

Hard rules only ever involve one agent (coverage is soft and break caps are placed
afterwards), so the whole problem is infeasible exactly when some agent's own rules are.
:func:`check_agent` solves each agent's rules alone: a feasible answer doubles as a
starting hint for the main model; an infeasible one is re-solved with one assumption
literal per rule so that CP-SAT names a small set of rules that cannot hold together.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from ortools.sat.python import cp_model

from optimize.scenario.config import ScenarioConfig
from optimize.scheduling.problem.inputs import Queues
from optimize.scheduling.problem.penalty import cell_cost
from optimize.scheduling.problem.rules import Carry, RuleKey, add_agent_rules, weekly_minimum_h
from optimize.scheduling.solver.model import IDLE_COST

__all__ = ["AgentCheck", "check_agent", "unmet_table", "penalty_table"]


@dataclass(frozen=True)
class AgentCheck:
    """One agent's rules solved alone."""

    feasible: bool
    worked: np.ndarray  # bool per candidate row (a feasible week), empty when infeasible
    conflict: str  # "" when feasible, else "agent X (name): rule, rule, ..."


def _describe(key: RuleKey, agent: pd.Series, config: ScenarioConfig, week0: pd.Timestamp) -> str:
    if isinstance(key, tuple):
        rule, w = key
        week = f"week of {(week0 + pd.Timedelta(days=7 * w)).date().isoformat()}"
        detail = {
            "weekly_hours_min": f">= {weekly_minimum_h(agent, week0, w):g} h paid",
            "weekly_hours_max": f"<= {float(agent['max_hours_week']):g} h paid",
            "min_days_off_per_week": f">= {config.labour.min_days_off_per_week} days off",
            "max_nights_per_week": f"<= {config.labour.max_nights_per_week} night shifts",
        }[rule]
        return f"{rule} ({week}: {detail})"
    detail = {
        "unavailable": ", ".join(sorted(d.isoformat() for d in agent["unavailable"])),
        "one_shift_per_day": "at most one shift per local day",
        "min_rest": f">= {config.labour.min_rest_h:g} h between shifts",
        "max_consecutive_days": f"<= {config.labour.max_consecutive_days} days in a row",
        "must_work": "a fixed shift (or one of its allowed extensions) must be worked",
    }[key]
    return f"{key} ({detail})"


def check_agent(cand: pd.DataFrame, agent: pd.Series, config: ScenarioConfig, carry: Carry,
                n_days: int, week0: pd.Timestamp, seed: int = 0,
                value: np.ndarray | None = None,
                sets: Sequence[tuple[np.ndarray, int | None]] = ()) -> AgentCheck:
    """Solve one agent's hard rules alone; name the conflicting rules when infeasible.

    With ``value`` (an integer per candidate), the week found maximises the total value
    of the shifts worked (used to build a coverage-aware starting schedule). ``sets`` are
    (rows of ``cand``, integer value lost when none of them is worked, or None: one of
    them must be worked) (see :mod:`optimize.scheduling.problem.choices`).
    """
    model = cp_model.CpModel()
    x = [model.new_bool_var(f"x{i}") for i in range(len(cand))]
    add_agent_rules(model, cand, x, config, agent, carry, n_days, week0)
    lost = _add_sets(model, x, sets)
    if (value is not None and np.any(value)) or lost:
        gain = [int(v) for v in value] if value is not None else [0] * len(x)
        objective = cp_model.LinearExpr.weighted_sum(x, gain)
        if lost:
            objective -= sum(w * m for m, w in lost)
        model.maximize(objective)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = seed
    # a deterministic limit (repeatable schedules, optimize.scheduling.solver.clock); one agent's
    # week solves in milliseconds, the wall-clock limit is only a safety net
    solver.parameters.max_deterministic_time = 2.0
    solver.parameters.max_time_in_seconds = 30.0
    # one agent's week is small: presolve costs more than it saves (measured 3x faster
    # with the same optima on the sample company's agents)
    solver.parameters.cp_model_presolve = False
    status = solver.solve(model)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return AgentCheck(True, np.array([solver.boolean_value(v) for v in x], dtype=bool), "")

    model = cp_model.CpModel()
    x = [model.new_bool_var(f"x{i}") for i in range(len(cand))]
    keys: dict[RuleKey, cp_model.IntVar] = {}

    def lits(key: RuleKey) -> list:
        if key not in keys:
            keys[key] = model.new_bool_var(str(key))
        return [keys[key]]

    add_agent_rules(model, cand, x, config, agent, carry, n_days, week0, enforce=lits)
    if any(miss is None for _, miss in sets):
        _add_sets(model, x, [(r, m) for r, m in sets if m is None], lits("must_work"))
    core = _minimal_core(model, list(keys.values()), seed)
    names = [_describe(k, agent, config, week0) for k, v in keys.items() if v.index in core]
    if carry.last_end_utc is not None or carry.streak_days:
        names.append(f"carried over from the previous roster (last shift end "
                     f"{carry.last_end_utc}, {carry.streak_days} days in a row)")
    text = (f"agent {agent['agent_id']} ({agent['name']}): rules in conflict: "
            + "; ".join(names or ["(no smaller set found)"]))
    return AgentCheck(False, np.zeros(0, dtype=bool), text)


def _add_sets(model: cp_model.CpModel, x: list, sets: Sequence[tuple[np.ndarray, int | None]],
              enforce: list | None = None) -> list:
    """Add cover sets; return (missed Boolean, weight) of the soft ones."""
    lost = []
    for rows, miss in sets:
        cover = sum(x[int(i)] for i in rows)
        if miss is None:
            ct = model.add(cover >= 1) if len(rows) else model.add_bool_or([])
            if enforce:
                ct.only_enforce_if(enforce)
        elif miss > 0 and len(rows):
            m = model.new_bool_var("missed")
            model.add(cover + m >= 1)
            lost.append((m, int(miss)))
    return lost


def _infeasible_with(model: cp_model.CpModel, lits: list, seed: int) -> tuple[bool, list]:
    model.clear_assumptions()
    model.add_assumptions(lits)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = seed
    solver.parameters.max_time_in_seconds = 5.0
    status = solver.solve(model)
    return status == cp_model.INFEASIBLE, list(solver.sufficient_assumptions_for_infeasibility())


def _minimal_core(model: cp_model.CpModel, lits: list, seed: int) -> set[int]:
    """Indices of a set of rule literals that cannot all hold, shrunk by deletion."""
    infeasible, core = _infeasible_with(model, lits, seed)
    if not infeasible:
        return set()
    by_index = {v.index: v for v in lits}
    keep = [by_index[i] for i in core if i in by_index] or list(lits)
    for v in list(keep):
        trial = [u for u in keep if u is not v]
        if trial and _infeasible_with(model, trial, seed)[0]:
            keep = trial
    return {v.index for v in keep}


def unmet_table(staffed: np.ndarray, queues: Queues, times: pd.DatetimeIndex) -> pd.DataFrame:
    """Queue x interval rows where scheduled heads fall short of ``required_scheduled``."""
    short = queues.required - staffed
    q, t = np.nonzero(short > 1e-9)
    return pd.DataFrame({
        "channel": np.asarray(queues.channel, dtype=object)[q],
        "language": np.asarray(queues.language, dtype=object)[q],
        "interval_start": times[t],
        "required_scheduled": queues.required[q, t],
        "scheduled_agents": staffed[q, t],
        "shortfall": short[q, t],
    })


def penalty_table(staffed: np.ndarray, idle: np.ndarray, queues: Queues,
                  times: pd.DatetimeIndex, extra: list[tuple[str, str, float]]) -> pd.DataFrame:
    """Every nonzero penalty of the final schedule: ``name``, ``kind``, ``cost``.

    ``idle`` is heads on duty beyond the requirement per queue x interval; ``extra`` are
    other named terms (fairness, break caps) already costed.
    """
    stamp = times.strftime("%Y-%m-%dT%H:%MZ")
    n_q, n_t = queues.required.shape
    cost = cell_cost(queues, queues.required - staffed, np.arange(n_q)[:, None],
                     np.arange(n_t)[None, :])
    rows = []
    for kind, mat in (("understaffed", cost), ("overstaffed", IDLE_COST * idle)):
        q, t = np.nonzero(mat > 1e-9)
        rows.append(pd.DataFrame({
            "name": [f"{kind}({queues.label(i)}, {stamp[j]})" for i, j in zip(q, t, strict=True)],
            "kind": kind, "cost": mat[q, t]}))
    rows.append(pd.DataFrame(extra, columns=["name", "kind", "cost"]))
    out = pd.concat([r for r in rows if not r.empty] or [rows[-1]], ignore_index=True)
    return out[out["cost"] > 1e-9].sort_values("cost", ascending=False,
                                               kind="stable").reset_index(drop=True)
