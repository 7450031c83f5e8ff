"""The ``staffcast`` command line: one module per command group, wiring only.

:mod:`~optimize.cli.main` builds the parser and maps errors to exit codes (0 success,
2 bad input, 3 store busy); :mod:`~optimize.cli.common` holds what every command shares;
:mod:`~optimize.cli.plan` (``plan``, ``schedule``), :mod:`~optimize.cli.forecasts`
(``forecast``, ``backtest``, ``refresh``, ``runs``), :mod:`~optimize.cli.replan` and
:mod:`~optimize.cli.scenario` (``validate``, ``sample``) add their sub-commands;
:mod:`~optimize.cli.readers` reads back the tables earlier commands wrote.
"""

from optimize.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
