"""What a plan hands to people: CSV and iCalendar exports, and ``summary.md``.

- :mod:`~optimize.outputs.export`: spreadsheet-safe CSV of the roster, activities and
  coverage, the roster as iCalendar, and the atomic write of a set of output files;
- :mod:`~optimize.outputs.summary`: the short summary a support manager reads first;
- :mod:`~optimize.outputs.simulated`: promised beside simulated (``simulation.md``, the
  app's simulation tab), VIP beside regular chat, and the calibrated shrinkage.
"""

from optimize.outputs.export import (
    activities_to_csv,
    coverage_to_csv,
    roster_to_csv,
    roster_to_ics,
    table_to_csv,
    write_outputs,
)
from optimize.outputs.summary import queue_outlook, repeatability, summary_markdown

__all__ = [
    "activities_to_csv",
    "coverage_to_csv",
    "queue_outlook",
    "repeatability",
    "roster_to_csv",
    "roster_to_ics",
    "summary_markdown",
    "table_to_csv",
    "write_outputs",
]
