"""``staffcast validate`` and ``staffcast sample``: check or generate a scenario directory."""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

from optimize.cli.common import UsageError, add_data_arg, load_scenario

__all__ = ["add_scenario_parsers", "cmd_sample", "cmd_validate"]

log = logging.getLogger("staffcast")


def cmd_validate(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.data)
    print(f"{args.data}: OK ({len(scenario.contacts)} contact rows, {len(scenario.queues)} queues, "
          f"{len(scenario.agents)} agents, interval {scenario.interval_s // 60} min)")
    return 0


def cmd_sample(args: argparse.Namespace) -> int:
    import tomllib

    from optimize.capacity.dimension import desk_size
    from optimize.scenario.config import parse_config
    from optimize.scenario.sample import HOURS_PER_AGENT, sample_scenario_text, write_sample

    t0 = time.perf_counter()
    extra = ""
    if args.calibration is not None:
        extra = _calibration(args.calibration)
    size = None
    if args.agents is None:  # sized by the planner's rule for the template's targets
        text = sample_scenario_text(extra)
        config = parse_config(tomllib.loads(text), "sample_scenario.toml")

        def size(contacts):
            return desk_size(contacts, config, 1800, hours_per_agent=HOURS_PER_AGENT)

    heads = {} if args.agents is None else {"n_agents": args.agents}
    paths = write_sample(args.out, seed=args.seed, weeks=args.weeks, size=size, **heads,
                         volume_scale=args.volume_scale, closures=args.closures,
                         outages=args.outages, declared=args.declared,
                         level_shift=args.level_shift, outliers=args.outliers,
                         scenario_extra=extra)
    log.info("wrote sample company to %s in %.1f s", args.out, time.perf_counter() - t0)
    for p in paths.values():
        print(p)
    return 0


def _calibration(path: Path) -> str:
    """The ``[staffing.effective_shrinkage]`` table of ``path``, checked, as TOML text."""
    import json
    import tomllib

    from optimize.scenario.config import parse_config
    from optimize.scenario.sample import sample_scenario_text

    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"--calibration {path}: {exc}") from None
    staffing = doc.get("staffing")
    if set(doc) != {"staffing"} or not isinstance(staffing, dict) \
            or set(staffing) != {"effective_shrinkage"}:
        raise UsageError(f"--calibration {path}: expected only a [staffing.effective_shrinkage] "
                         "table (the one plan --calibrate prints in summary.md)")
    template = tomllib.loads(sample_scenario_text())
    template.setdefault("staffing", {})["effective_shrinkage"] = staffing["effective_shrinkage"]
    parse_config(template, path.name)  # a bad key or value: one line each, exit 2
    lines = [f"{json.dumps(k)} = {float(v)!r}"
             for k, v in staffing["effective_shrinkage"].items()]
    return "\n".join([f"# from {path.name} (staffcast sample --calibration)",
                      "[staffing.effective_shrinkage]", *lines])


def add_scenario_parsers(sub: argparse._SubParsersAction) -> None:
    """Add ``validate`` and ``sample`` to the ``staffcast`` parser."""
    sp = sub.add_parser("validate", help="check a scenario directory and list every problem")
    add_data_arg(sp)
    sp.set_defaults(func=cmd_validate)

    sp = sub.add_parser("sample", help="generate a synthetic scenario directory (the sample company)")
    sp.add_argument("--out", type=Path, required=True, help="output directory")
    sp.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    sp.add_argument("--weeks", type=int, default=104, help="weeks of history (default 104)")
    sp.add_argument("--agents", type=int, default=None,
                    help="number of agents, shared by the languages in proportion to their "
                         "workload (default: each language team sized by a planner's rule "
                         "from the hours its queues require, optimize/capacity/dimension.py)")
    sp.add_argument("--calibration", type=Path, metavar="FILE",
                    help="a TOML file with the [staffing.effective_shrinkage] table that "
                         "plan --calibrate printed for this desk: added to scenario.toml "
                         "(and, without --agents, the desk sized with it)")
    sp.add_argument("--volume-scale", type=float, default=1.0, help="multiply volumes (default 1)")
    sp.add_argument("--closures", type=int, default=0,
                    help="weekdays of the last 8 weeks with no contacts at all (default 0)")
    sp.add_argument("--outages", type=int, default=0,
                    help="weekdays of the last 8 weeks with no contacts in the busiest "
                         "channel (default 0)")
    sp.add_argument("--declared", type=int, default=0,
                    help="how many of those to list in calendar.csv (the rest must be "
                         "found; default 0)")
    sp.add_argument("--level-shift", type=float, default=1.0, metavar="X",
                    help="every queue's volume times X from 3 weeks before the end on "
                         "(default 1: none)")
    sp.add_argument("--outliers", type=int, default=0,
                    help="weekdays of the last 8 weeks with 4 times the busiest channel's "
                         "volume (default 0)")
    sp.set_defaults(func=cmd_sample)
