"""The solver layer: the CP-SAT model, its solve, LP and MIP helpers, the work clock.

- :mod:`~optimize.scheduling.solver.model`: shift choice per agent, queue allocation per
  skill group, named penalty terms;
- :mod:`~optimize.scheduling.solver.solve`: CP-SAT parameters, progress, the solution read back;
- :mod:`~optimize.scheduling.solver.lp` (GLOP through MathOpt) and
  :mod:`~optimize.scheduling.solver.mip` (SCIP) for the exact sub-problems;
- :mod:`~optimize.scheduling.solver.clock`: the deterministic work budget.
"""

from optimize.scheduling.solver.clock import WorkClock
from optimize.scheduling.solver.lp import LPSolution, SparseLP
from optimize.scheduling.solver.mip import MipResult, solve_as_mip
from optimize.scheduling.solver.model import Built, build_model
from optimize.scheduling.solver.solve import ProgressInfo, Solved, solve_built

__all__ = [
    "Built",
    "LPSolution",
    "MipResult",
    "ProgressInfo",
    "Solved",
    "SparseLP",
    "WorkClock",
    "build_model",
    "solve_as_mip",
    "solve_built",
]
