"""Finding a good roster: the search strategy and its heuristics.

- :mod:`~optimize.scheduling.search.strategy`: greedy weeks, CP-SAT on small models,
  exact allocation and the proven bound, each stage on its work budget;
- :mod:`~optimize.scheduling.search.primal`: the marginal-cost greedy with block
  coordinate descent over agents;
- :mod:`~optimize.scheduling.search.relax`: the exact queue allocation for fixed shifts (LP);
- :mod:`~optimize.scheduling.search.lns`: large-neighbourhood steps solved exactly.
"""

from optimize.scheduling.search.lns import Incumbent, improve_lns
from optimize.scheduling.search.primal import fairness_terms, greedy_weeks
from optimize.scheduling.search.relax import Allocation, allocate
from optimize.scheduling.search.strategy import search

__all__ = [
    "Allocation",
    "Incumbent",
    "allocate",
    "fairness_terms",
    "greedy_weeks",
    "improve_lns",
    "search",
]
