"""Extra terms on the candidate shifts: a cost per candidate and sets to cover.

:func:`~optimize.scheduling.schedule.build_schedule` takes an optional ``shift_terms``
callable; it receives the candidate table (:func:`~optimize.scheduling.problem.shifts.candidate_shifts`)
and the checked agents, and returns a :class:`ShiftTerms` for those rows:

- ``cost``: cost units (>= 0) paid when the candidate is worked (e.g. deviating from a
  published roster, or an agent's preference);
- ``drop``: candidates removed from the model (treated like unavailable candidates);
- ``sets``: for one agent, at least one of ``rows`` must be worked (``miss_cost=None``,
  a hard rule) or ``miss_cost`` is paid when none is (a soft rule). Sets are meant to lie
  within one agent's local day, where at most one shift is worked, so "at least one"
  means "exactly one";
- ``start`` (optional): a legal week per agent (e.g. a published roster) that the greedy
  improves by coordinate descent instead of building weeks from nothing.

The greedy (:func:`~optimize.scheduling.search.primal.greedy_weeks`, per-agent solves of
:func:`~optimize.scheduling.explain.check_agent`) and the CP-SAT model
(:func:`~optimize.scheduling.solver.model.build_model`) both see the costs and the sets, the
reported objective includes them, and every paid term appears in the penalties with
``kind`` and a name. The Lagrangian bound charges the costs in each agent's weekly
programme (:func:`~optimize.scheduling.bound.lagrange.make_dual`) and ignores the sets: extra
constraints left out only weaken it, so it stays valid.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["ShiftSet", "ShiftTerms", "ShiftTermsFn", "check_terms", "paid_terms"]


@dataclass(frozen=True)
class ShiftSet:
    """At least one of ``rows`` (candidate rows of one agent) is worked, or pay ``miss_cost``."""

    rows: np.ndarray  # int candidate row indices
    miss_cost: float | None  # cost units; None = hard (must work one of rows)
    name: str  # the penalty term's name when missed (soft sets)


@dataclass(frozen=True)
class ShiftTerms:
    """Costs, removals and cover sets on the candidate rows (see the module docstring)."""

    cost: np.ndarray  # float >= 0 per candidate row, cost units
    drop: np.ndarray  # bool per candidate row
    sets: tuple[ShiftSet, ...] = ()
    kind: str = "change"  # penalty kind of the paid terms
    describe: Callable[[pd.DataFrame], list[str]] | None = field(default=None, compare=False)
    # names of the cost terms of worked candidate rows (given those rows); default generic
    start: np.ndarray | None = None  # bool per row: a legal week per agent to improve on


ShiftTermsFn = Callable[[pd.DataFrame, pd.DataFrame], ShiftTerms]


def check_terms(terms: ShiftTerms, agent_of_row: np.ndarray) -> ShiftTerms:
    """Validate ``terms`` against the candidates (``agent`` per row); ValueError naming the value."""
    n_cand = len(agent_of_row)
    cost = np.asarray(terms.cost, dtype=float)
    drop = np.asarray(terms.drop, dtype=bool)
    if cost.shape != (n_cand,) or drop.shape != (n_cand,):
        raise ValueError(f"shift_terms cost and drop must have one value per candidate "
                         f"({n_cand}), got shapes {cost.shape} and {drop.shape}")
    bad = ~np.isfinite(cost) | (cost < 0)
    if bad.any():
        raise ValueError("shift_terms cost must be finite and >= 0, got "
                         f"{float(cost[bad][0])!r}")
    for s in terms.sets:
        rows = np.asarray(s.rows)
        if rows.size and (rows.min() < 0 or rows.max() >= n_cand):
            raise ValueError(f"shift set {s.name!r} has a row outside 0..{n_cand - 1}")
        if rows.size and len(np.unique(agent_of_row[rows])) > 1:
            raise ValueError(f"shift set {s.name!r} mixes the candidates of several agents")
        if s.miss_cost is not None and not (np.isfinite(s.miss_cost) and s.miss_cost >= 0):
            raise ValueError(f"shift set {s.name!r}: miss_cost must be finite and >= 0, "
                             f"got {s.miss_cost!r}")
    start = None
    if terms.start is not None:
        start = np.asarray(terms.start, dtype=bool)
        if start.shape != (n_cand,):
            raise ValueError(f"shift_terms start must have one value per candidate ({n_cand}), "
                             f"got shape {start.shape}")
        if (start & drop).any():
            raise ValueError("shift_terms start works a dropped candidate (row "
                             f"{int(np.flatnonzero(start & drop)[0])})")
    return ShiftTerms(cost=cost, drop=drop, sets=terms.sets, kind=terms.kind,
                      describe=terms.describe, start=start)


def paid_terms(terms: ShiftTerms, cand: pd.DataFrame, worked: np.ndarray,
               agent_ids: pd.Series) -> list[tuple[str, str, float]]:
    """Named ``(name, kind, cost)`` terms paid by the worked rows ``worked`` (bool per row)."""
    rows = np.flatnonzero(worked & (terms.cost > 0))
    if terms.describe is not None:
        names = terms.describe(cand.iloc[rows])
    else:
        names = [f"{terms.kind}(agent {agent_ids.iloc[int(a)]}, {s[:16]} local)"
                 for a, s in zip(cand["agent"].to_numpy()[rows],
                                 cand["start_local"].to_numpy()[rows], strict=True)]
    out = [(n, terms.kind, float(terms.cost[i])) for n, i in zip(names, rows, strict=True)]
    out += [(s.name, terms.kind, float(s.miss_cost)) for s in terms.sets
            if s.miss_cost and not worked[np.asarray(s.rows, dtype=int)].any()]
    return out
