"""Solve a purely linear CP-SAT model as a MIP with SCIP (shipped with OR-Tools).

The scheduling pieces are written once, with the CP-SAT API (the hard rules of
:mod:`~optimize.scheduling.problem.rules`, the coverage rows of the model). A small piece whose
integer part is only the shift choice and whose rest is a flow (the queue allocation) is
solved far better by an LP-based branch and bound than by CP-SAT (measured on the sample
company's neighbourhoods: SCIP proves them optimal in 2-5 s where CP-SAT does not move
from the hint in 5 s; bench/README.md "Large-neighbourhood search"). This module copies
such a model into an ``MPModelProto``: the variables flagged ``integer`` stay integer
(the Booleans), the others become continuous, which keeps the optimum when the rest of
the model is totally unimodular for integer values of the first (the allocation flow).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from ortools.linear_solver import linear_solver_pb2, pywraplp
from ortools.sat.python import cp_model

__all__ = ["MipResult", "solve_as_mip"]

log = logging.getLogger(__name__)

_INT64_EDGE = 2 ** 62
_STATUS = {
    linear_solver_pb2.MPSOLVER_OPTIMAL: "optimal",
    linear_solver_pb2.MPSOLVER_FEASIBLE: "feasible",
    linear_solver_pb2.MPSOLVER_INFEASIBLE: "infeasible",
}


@dataclass(frozen=True)
class MipResult:
    """The MIP's answer in the CP-SAT model's variable order."""

    status: str  # "optimal" | "feasible" | "infeasible" | "unknown"
    objective: float  # in the CP-SAT model's objective units
    bound: float  # the solver's proven lower bound, same units
    values: np.ndarray  # one value per CP-SAT variable (empty without a solution)
    # the time limit ended the solve (not optimality or infeasibility): a rerun may differ
    timed_out: bool = False


def _bound(v: int) -> float:
    if v <= -_INT64_EDGE:
        return -np.inf
    return np.inf if v >= _INT64_EDGE else float(v)


def solve_as_mip(model: cp_model.CpModel, integer: np.ndarray, time_limit_s: float,
                 seed: int = 0, objective: np.ndarray | None = None,
                 offset: float = 0.0) -> MipResult:
    """Solve ``model`` (linear constraints only, no enforcement) with SCIP.

    ``integer`` flags the variables that stay integer (bool per CP-SAT variable). The
    model's solution hint, if any, is passed as SCIP's start solution. ``objective``
    (float per CP-SAT variable) and ``offset`` replace the model's own objective, for
    costs CP-SAT's integer coefficients cannot hold (e.g. Lagrangian prices).
    """
    cp = model.proto
    mp = linear_solver_pb2.MPModelProto()
    if objective is None:
        obj = np.zeros(len(cp.variables))
        np.add.at(obj, np.asarray(cp.objective.vars, dtype=int),
                  np.asarray(cp.objective.coeffs, dtype=float))
        offset = float(cp.objective.offset)
    else:
        obj = np.asarray(objective, dtype=float)
    for i, v in enumerate(cp.variables):
        dom = list(v.domain)
        mp.variable.add(lower_bound=_bound(dom[0]), upper_bound=_bound(dom[-1]),
                        is_integer=bool(integer[i]), objective_coefficient=float(obj[i]))
    mp.objective_offset = float(offset)
    for c in cp.constraints:
        if not c.has_linear() or len(c.enforcement_literal):
            raise ValueError("solve_as_mip takes linear constraints without enforcement only")
        lin = c.linear
        refs = np.asarray(lin.vars, dtype=int)
        coef = np.asarray(lin.coeffs, dtype=float)
        neg = refs < 0  # a negated Boolean: (1 - v)
        shift = float(coef[neg].sum())
        refs = np.where(neg, -refs - 1, refs)
        coef = np.where(neg, -coef, coef)
        dom = list(lin.domain)
        mp.constraint.add(var_index=refs.tolist(), coefficient=coef.tolist(),
                          lower_bound=_bound(dom[0]) - shift, upper_bound=_bound(dom[-1]) - shift)
    hint = cp.solution_hint
    if len(hint.vars):
        mp.solution_hint.var_index.extend(list(hint.vars))
        mp.solution_hint.var_value.extend([float(v) for v in hint.values])
    request = linear_solver_pb2.MPModelRequest(
        model=mp, solver_type=linear_solver_pb2.MPModelRequest.SCIP_MIXED_INTEGER_PROGRAMMING,
        solver_time_limit_seconds=float(time_limit_s),
        solver_specific_parameters=f"randomization/randomseedshift = {int(seed) % 2**31}\n")
    response = linear_solver_pb2.MPSolutionResponse()
    pywraplp.Solver.SolveWithProto(request, response)
    status = _STATUS.get(response.status, "unknown")
    timed_out = status not in ("optimal", "infeasible")
    if status not in ("optimal", "feasible"):
        return MipResult(status, float("nan"), float("nan"), np.zeros(0), timed_out)
    return MipResult(status, float(response.objective_value), float(response.best_objective_bound),
                     np.asarray(response.variable_value, dtype=float), timed_out)
