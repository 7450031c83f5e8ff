"""staffcast planning: from a forecast to a published week of named agents.

The stages, in the order data flows (each package imports only those before it):

- :mod:`optimize.scenario`: the scenario directory (``scenario.toml``, ``agents.csv``,
  the planning horizon), read and checked at the boundary; the sample company generator;
- :mod:`optimize.queueing`: Erlang B/C/A, chat concurrency, the email/social backlog and
  VIP priority pooling turn volume into required agents, and staffing into coverage;
- :mod:`optimize.simulation`: seeded discrete-event simulations that check the formulas;
- :mod:`optimize.scheduling`: multilingual shift schedules for named agents (OR-Tools),
  and re-planning a published week during a surge;
- :mod:`optimize.outputs`: spreadsheet-safe CSV, iCalendar and ``summary.md``;
- :mod:`optimize.cli` and :mod:`optimize.ui`: the ``staffcast`` command line and the
  Streamlit app, which wire the stages and own no algorithm.

This package has no API of its own; import from the stage packages.
"""

__all__: list[str] = []
