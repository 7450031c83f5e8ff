"""A small sparse linear-program builder solved with MathOpt (GLOP), numpy in and out.

Variables and rows are added in blocks from numpy arrays (coordinate format), so models
with a million nonzeros are built without a Python loop per coefficient. The model is
handed to MathOpt as a ``ModelProto`` and solved with GLOP (the simplex solver that ships
with OR-Tools).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

import numpy as np
from ortools.math_opt import model_pb2
from ortools.math_opt.python import mathopt

__all__ = ["SparseLP", "LPSolution"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LPSolution:
    """An LP's status, values and bound (objective units of the LP)."""

    optimal: bool
    objective: float  # primal objective (nan when none)
    dual_bound: float  # a valid lower bound of the minimum (-inf when none)
    values: np.ndarray  # primal value per variable
    duals: np.ndarray  # dual value per row


@dataclass
class SparseLP:
    """Minimisation LP built block by block: ``min c x + offset``, ``lo <= A x <= hi``."""

    offset: float = 0.0
    _lb: list = field(default_factory=list)
    _ub: list = field(default_factory=list)
    _cost: list = field(default_factory=list)
    _rlo: list = field(default_factory=list)
    _rhi: list = field(default_factory=list)
    _rows: list = field(default_factory=list)
    _cols: list = field(default_factory=list)
    _coef: list = field(default_factory=list)
    n_vars: int = 0
    n_rows: int = 0

    def add_vars(self, n: int, lb: float | np.ndarray = 0.0, ub: float | np.ndarray = np.inf,
                 cost: float | np.ndarray = 0.0) -> np.ndarray:
        """Add ``n`` continuous variables; return their indices."""
        self._lb.append(np.broadcast_to(np.asarray(lb, dtype=float), (n,)))
        self._ub.append(np.broadcast_to(np.asarray(ub, dtype=float), (n,)))
        self._cost.append(np.broadcast_to(np.asarray(cost, dtype=float), (n,)))
        idx = np.arange(self.n_vars, self.n_vars + n)
        self.n_vars += n
        return idx

    def add_rows(self, n: int, rows: np.ndarray, cols: np.ndarray, coef: np.ndarray | float,
                 lo: float | np.ndarray = -np.inf, hi: float | np.ndarray = np.inf) -> np.ndarray:
        """Add ``n`` rows; ``rows`` (0..n-1 within the block), ``cols``, ``coef`` are COO."""
        rows = np.asarray(rows, dtype=np.int64)
        self._rows.append(rows + self.n_rows)
        self._cols.append(np.asarray(cols, dtype=np.int64))
        self._coef.append(np.broadcast_to(np.asarray(coef, dtype=float), rows.shape))
        self._rlo.append(np.broadcast_to(np.asarray(lo, dtype=float), (n,)))
        self._rhi.append(np.broadcast_to(np.asarray(hi, dtype=float), (n,)))
        idx = np.arange(self.n_rows, self.n_rows + n)
        self.n_rows += n
        return idx

    def to_proto(self) -> model_pb2.ModelProto:
        """The MathOpt model (rows in row-major order, duplicate entries summed)."""
        proto = model_pb2.ModelProto(name="staffcast_lp")
        ids = np.arange(self.n_vars)
        proto.variables.ids.extend(ids.tolist())
        proto.variables.lower_bounds.extend(_cat(self._lb).tolist())
        proto.variables.upper_bounds.extend(_cat(self._ub).tolist())
        proto.variables.integers.extend([False] * self.n_vars)
        cost = _cat(self._cost)
        nz = np.flatnonzero(cost)
        proto.objective.offset = float(self.offset)
        proto.objective.linear_coefficients.ids.extend(nz.tolist())
        proto.objective.linear_coefficients.values.extend(cost[nz].tolist())
        proto.linear_constraints.ids.extend(range(self.n_rows))
        proto.linear_constraints.lower_bounds.extend(_cat(self._rlo).tolist())
        proto.linear_constraints.upper_bounds.extend(_cat(self._rhi).tolist())
        r, c, v = _cat(self._rows, np.int64), _cat(self._cols, np.int64), _cat(self._coef)
        key = r * max(1, self.n_vars) + c
        uniq, inv = np.unique(key, return_inverse=True)
        vals = np.bincount(inv, weights=v, minlength=len(uniq))
        keep = vals != 0
        mat = proto.linear_constraint_matrix
        mat.row_ids.extend((uniq[keep] // max(1, self.n_vars)).tolist())
        mat.column_ids.extend((uniq[keep] % max(1, self.n_vars)).tolist())
        mat.coefficients.extend(vals[keep].tolist())
        return proto

    def solve(self, time_limit_s: float, solver: str = "GLOP",
              algorithm: str | None = "DUAL_SIMPLEX") -> LPSolution:
        """Solve with ``solver`` (a MathOpt solver type name) within ``time_limit_s``."""
        model = mathopt.Model.from_model_proto(self.to_proto())
        params = mathopt.SolveParameters(
            time_limit=_seconds(time_limit_s), threads=1,
            lp_algorithm=getattr(mathopt.LPAlgorithm, algorithm) if algorithm else None)
        result = mathopt.solve(model, getattr(mathopt.SolverType, solver), params=params)
        proto = result.to_proto()
        optimal = result.termination.reason == mathopt.TerminationReason.OPTIMAL
        values = np.full(self.n_vars, np.nan)
        duals = np.zeros(self.n_rows)
        objective = float("nan")
        for sol in proto.solutions:
            if sol.HasField("primal_solution") and np.isnan(objective):
                pv = sol.primal_solution.variable_values
                values = np.zeros(self.n_vars)
                values[np.asarray(pv.ids, dtype=np.int64)] = np.asarray(pv.values)
                objective = sol.primal_solution.objective_value
            if sol.HasField("dual_solution"):
                dv = sol.dual_solution.dual_values
                duals[np.asarray(dv.ids, dtype=np.int64)] = np.asarray(dv.values)
        bound = float(result.termination.objective_bounds.dual_bound)
        log.info("%s %s: %d vars, %d rows, objective %.4g, dual bound %.4g",
                 solver, result.termination.reason.name, self.n_vars, self.n_rows, objective, bound)
        return LPSolution(optimal, objective, bound if np.isfinite(bound) else -np.inf,
                          values, duals)


def _cat(parts: list, dtype: type = float) -> np.ndarray:
    return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype=dtype)


def _seconds(s: float) -> dt.timedelta:
    return dt.timedelta(seconds=float(s))
