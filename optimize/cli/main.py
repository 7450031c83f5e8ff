"""The ``staffcast`` command line: wires the stages, owns no algorithm.

Every sub-command reads its inputs through the validation layer, calls the package
functions, and writes its outputs atomically (all files are computed into a temporary
directory first, then moved into place), so a failed run never overwrites a previous
good output. Bad input exits with status 2 and a one-line-per-problem message, never a
traceback.
"""

from __future__ import annotations

import argparse
import logging
import sys

from forecast.inputs.problems import InputError
from optimize.cli.capacity import add_capacity_parser
from optimize.cli.common import EXIT_BAD_INPUT, EXIT_BUSY, UsageError
from optimize.cli.forecasts import add_forecast_parsers
from optimize.cli.plan import add_plan_parser, add_schedule_parser
from optimize.cli.records import add_records_parsers
from optimize.cli.replan import add_replan_parser
from optimize.cli.scenario import add_scenario_parsers
from optimize.cli.simulate import add_simulate_parser

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The ``staffcast`` argument parser, every sub-command in the order of ``--help``."""
    p = argparse.ArgumentParser(
        prog="staffcast",
        description="Workforce management for a multilingual support desk: forecast inquiry volume, "
                    "turn it into required agents, and build shift schedules.")
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging on stderr")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_plan_parser(sub)
    add_forecast_parsers(sub)
    add_schedule_parser(sub)
    add_replan_parser(sub)
    add_records_parsers(sub)
    add_simulate_parser(sub)
    add_capacity_parser(sub)
    add_scenario_parsers(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``staffcast`` console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    try:
        if getattr(args, "publish", False) and getattr(args, "store", None) is None:
            raise UsageError("--publish needs --store (the store to keep the plan in)")
        return args.func(args) or 0
    except InputError as exc:
        print(f"staffcast: bad input ({len(exc.problems)} problem(s)):", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (UsageError, ValueError, OSError) as exc:
        # ValueError: a package function refused a value (e.g. too short a history);
        # OSError: an unreadable input or unwritable output. Both are the user's to fix.
        print(f"staffcast: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception as exc:
        if type(exc).__name__ == "StoreLocked":
            print(f"staffcast: busy: {exc}", file=sys.stderr)
            return EXIT_BUSY
        raise
