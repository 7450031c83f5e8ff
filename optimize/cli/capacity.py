"""``staffcast capacity``: how many agents of which skills to hire, and by when.

Reads a scenario directory (its ``[capacity]`` settings in ``scenario.toml`` are
optional), measures the scheduling efficiency on the history's last week unless
``--efficiency`` is given, builds the capacity plan (:mod:`optimize.capacity`) and writes
``capacity.csv``, ``hires.csv``, ``supply.csv`` and ``capacity.md`` into ``--out`` (and
``check.csv`` with ``--calibrate``: the plan's last week scheduled with its desk,
:mod:`optimize.capacity.check`). The what-if options replace single settings for this
run.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import time
import tomllib
from pathlib import Path

import pandas as pd

from optimize.cli.common import UsageError, add_data_arg, load_scenario

__all__ = ["add_capacity_parser", "capacity_settings", "cmd_capacity", "parse_pairs"]

log = logging.getLogger("staffcast")


def parse_pairs(values: list[str] | None, option: str) -> dict[str, float]:
    """``["chat=0.2", ...]`` -> ``{"chat": 0.2}``; UsageError naming ``option`` otherwise."""
    out = {}
    for value in values or []:
        key, sep, number = value.partition("=")
        try:
            out[key.strip()] = float(number)
        except ValueError:
            sep = ""
        if not sep or not key.strip():
            raise UsageError(f"{option} {value!r}: expected NAME=NUMBER, e.g. chat=0.2")
    return out


def _added(values: list[str] | None):
    from optimize.capacity.plan import AddedAgents

    out = []
    for value in values or []:
        head, _, week = value.partition("@")
        profile, sep, count = head.rpartition(":")
        try:
            out.append(AddedAgents(profile, int(count), int(week) if week else 0))
        except ValueError:
            sep = ""
        if not sep or not profile:
            raise UsageError(f"--add {value!r}: expected PROFILE:COUNT[@WEEK], e.g. ko:3@4")
    return tuple(out)


def _surge(values: list[str] | None) -> tuple[pd.Timestamp, ...]:
    weeks = []
    for value in values or []:
        start, _, count = value.partition(":")
        try:
            t0 = pd.Timestamp(start, tz="UTC").normalize()
            n = int(count) if count else 1
        except ValueError:
            raise UsageError(f"--surge {value!r}: expected DATE[:WEEKS], e.g. "
                             "2027-03-01:6") from None
        t0 = t0 - pd.Timedelta(days=t0.weekday())
        weeks += [t0 + pd.Timedelta(weeks=k) for k in range(max(n, 1))]
    return tuple(weeks)  # weeks outside the horizon match no forecast week


def _targets(config, targets: dict[str, float]):
    channels = dict(config.channels)
    for name, value in targets.items():
        if name not in channels:
            raise UsageError(f"--target names unknown channel {name!r}; the scenario's "
                             f"channels are {sorted(channels)}")
        if not 0.0 < value < 1.0:
            raise UsageError(f"--target {name}={value}: expected a share in (0, 1)")
        key = "response_share" if channels[name].kind == "deferred" else "service_level"
        channels[name] = dataclasses.replace(channels[name], **{key: value})
    return dataclasses.replace(config, channels=channels)


def _routing(config, rules: list[str] | None, removed: list[str] | None):
    """``config`` with ``--overflow QUEUE=TARGET@SECONDS[*FACTOR]`` rules added (replacing
    the queue's own) and ``--no-overflow QUEUE`` (or ``all``) rules removed; checked as
    ``[overflow]`` in scenario.toml is."""
    from optimize.scenario.overflow import parse_overflow
    from optimize.scenario.queue_tables import circle_problems

    gone = set(removed or [])
    known = {o.name for o in config.overflow}
    unknown = sorted(gone - known - {"all"})
    if unknown:
        raise UsageError(f"--no-overflow {unknown[0]!r}: no such rule; the scenario's are "
                         f"{sorted(known) or 'none'}")
    raw = {}
    for value in rules or []:
        queue, _, rest = value.partition("=")
        target, _, wait = rest.partition("@")
        after, _, factor = wait.partition("*")
        try:
            raw[queue.strip()] = {"to": target.strip(), "after_s": float(after),
                                  **({"aht_factor": float(factor)} if factor else {})}
        except ValueError:
            raise UsageError(f"--overflow {value!r}: expected QUEUE=TARGET@SECONDS[*FACTOR], "
                             "e.g. vip_chat/ko=vip_chat/en@30") from None
    added, problems = parse_overflow(raw, config.channels, "--overflow")
    kept = [o for o in config.overflow if "all" not in gone and o.name not in gone
            and o.name not in raw]
    problems += circle_problems({(o.channel, o.language): o.to for o in kept + list(added)},
                                "--overflow", "overflow", "to", "overflow routes")
    if problems:
        raise UsageError(str(problems[0]))
    return dataclasses.replace(config, overflow=tuple(kept) + tuple(added))


def capacity_settings(data: Path, args: argparse.Namespace):
    """The ``[capacity]`` settings of ``data/scenario.toml`` with the command line's what-ifs."""
    from optimize.capacity.config import capacity_config

    path = data / "scenario.toml"
    doc = tomllib.loads(path.read_text(encoding="utf-8-sig")) if path.is_file() else {}
    base = capacity_config(doc.get("capacity"), file="scenario.toml")
    by_lang = parse_pairs(args.attrition_language, "--attrition-language")
    return base.replace(
        attrition_monthly=args.attrition, training_weeks=args.training_weeks,
        ramp_weeks=args.ramp_weeks, lead_time_weeks=args.lead_time,
        max_hires_per_week=args.max_hires, min_class_size=args.min_class,
        cost_per_hire=args.cost_per_hire, efficiency=args.efficiency,
        attrition_by_language={**base.attrition_by_language, **by_lang} if by_lang else None)


def cmd_capacity(args: argparse.Namespace) -> int:
    """Run ``staffcast capacity``."""
    from forecast.longrange import VolumeScenario
    from optimize.capacity.check import calibrate
    from optimize.capacity.config import default_profiles
    from optimize.capacity.efficiency import measure_efficiency, recent_week
    from optimize.capacity.plan import capacity_plan
    from optimize.capacity.report import capacity_files
    from optimize.outputs.export import write_outputs

    if not 4 <= args.weeks <= 52:
        raise UsageError(f"--weeks {args.weeks}: a capacity plan looks 4 to 52 weeks ahead")
    if args.calibrate is not None and not 0 <= args.calibrate <= 5:
        raise UsageError(f"--calibrate {args.calibrate}: expected 0 (check only) to 5 rounds")
    if not 0 <= args.simulate <= 100:
        raise UsageError(f"--simulate {args.simulate}: expected 0 to 100 replications")
    if args.simulate and not args.calibrate:
        raise UsageError("--simulate needs --calibrate N with N >= 1 (a round to correct)")
    scenario = load_scenario(args.data)
    settings = capacity_settings(args.data, args)
    config = _routing(_targets(scenario.config, parse_pairs(args.target, "--target")),
                      args.overflow, args.no_overflow)
    languages = sorted(scenario.contacts["language"].unique())
    settings.check_against(languages, list(config.channels), args.weeks)  # before any work
    added = _added(args.add)
    known = [p.name for p in settings.profiles or default_profiles(
        languages, {c: ch.vip for c, ch in config.channels.items()})]
    unknown = sorted({a.profile for a in added} - set(known))
    if unknown:
        raise UsageError(f"--add names unknown profile(s) {unknown}; known: {known}")
    volume = VolumeScenario(regime=args.regime, growth=args.growth,
                            surge_weeks=_surge(args.surge),
                            deflection=parse_pairs(args.deflection, "--deflection"))
    unknown = sorted(set(volume.deflection) - set(config.channels))
    if unknown:
        raise UsageError(f"--deflection names unknown channel(s) {unknown}")
    t0 = time.perf_counter()
    if settings.efficiency is not None:
        efficiency, note = settings.efficiency, f"{settings.efficiency:.3f} (given)"
    else:
        measured = measure_efficiency(recent_week(scenario.contacts, config, scenario.interval_s),
                                      scenario.agents, config, work_limit_s=args.work_limit,
                                      time_limit_s=max(args.work_limit * 4, 60.0), seed=args.seed)
        efficiency, note = measured.factor, measured.describe()
    kw = dict(volume=volume, efficiency=efficiency, market=scenario.market,
              added=added, efficiency_note=note)
    checks = None
    if args.calibrate is None:
        plan = capacity_plan(scenario.contacts, scenario.agents, config, scenario.interval_s,
                             args.weeks, capacity=settings, calendar=scenario.calendar, **kw)
    else:
        cal = calibrate(scenario.contacts, scenario.agents, config,
                                 scenario.interval_s, args.weeks, rounds=args.calibrate,
                                 capacity=settings, calendar=scenario.calendar,
                                 work_limit_s=args.check_work_limit,
                                 simulate_reps=args.simulate, **kw)
        plan, checks = cal.plan, cal.checks
    written = write_outputs(args.out, capacity_files(plan, checks))
    hires = int(plan.hires["hires"].sum()) if len(plan.hires) else 0
    log.info("capacity plan: %d weeks, %d hires, in %.1f s", args.weeks, hires,
             time.perf_counter() - t0)
    for path in written:
        print(path)
    return 0


def add_capacity_parser(sub: argparse._SubParsersAction) -> None:
    """Add ``capacity`` to the ``staffcast`` parser."""
    sp = sub.add_parser("capacity", help="capacity plan: required vs available FTE per "
                                         "language and week, and the hires to close the gap")
    add_data_arg(sp)
    sp.add_argument("--weeks", type=int, default=26, help="weeks ahead, 4-52 (default 26)")
    sp.add_argument("--out", type=Path, required=True, help="output directory")
    sp.add_argument("--efficiency", type=float, metavar="X",
                    help="paid hours per required hour (default: measured by scheduling "
                         "the history's last week with today's agents)")
    sp.add_argument("--work-limit", type=float, default=20.0, metavar="S",
                    help="work seconds of that measuring schedule (default 20)")
    sp.add_argument("--seed", type=int, default=0, help="its solver seed (default 0)")
    sp.add_argument("--calibrate", type=int, metavar="N",
                    help="check the plan on the scheduler: schedule its last week with the "
                         "desk it plans (today's agents less leavers, plus the hires) and "
                         "write check.csv; with N > 0, correct the queues found short and "
                         "plan again, N times (each round schedules a week: a minute or two)")
    sp.add_argument("--simulate", type=int, default=0, metavar="REPS",
                    help="with --calibrate N > 0: also simulate each checked week (REPS "
                         "replications) and plan again with each queue's shrinkage fitted "
                         "to what the simulation delivered, as plan --calibrate does "
                         "(default 0: the scheduler's check only)")
    sp.add_argument("--check-work-limit", type=float, metavar="S",
                    help="work seconds of each check's schedule (default 0.12 s per agent of "
                         "the checked desk, 5-30 s)")
    w = sp.add_argument_group("what-ifs (each replaces one setting for this run)")
    w.add_argument("--regime", choices=("calm", "typical", "stressed"), default="typical",
                   help="market regime of every week (default typical)")
    w.add_argument("--surge", action="append", metavar="DATE[:WEEKS]",
                   help="weeks taken as stressed (a bull run or a crash), e.g. 2027-03-01:6")
    w.add_argument("--growth", type=float, default=0.0,
                   help="extra volume growth per year on top of the history's trend, e.g. 0.2")
    w.add_argument("--deflection", action="append", metavar="CHANNEL=SHARE",
                   help="share of a channel's contacts self-served (help centre, chatbot)")
    w.add_argument("--target", action="append", metavar="CHANNEL=SHARE",
                   help="service target: share answered in time (real-time) or replied "
                        "within the window (deferred)")
    w.add_argument("--overflow", action="append", metavar="QUEUE=TARGET@SECONDS[*FACTOR]",
                   help="an overflow or fallback rule added (or replacing the queue's), e.g. "
                        "vip_chat/ko=vip_chat/en@30 or social/ko=social/en@7200*1.3")
    w.add_argument("--no-overflow", action="append", metavar="QUEUE",
                   help="a scenario overflow rule removed (all: every rule)")
    w.add_argument("--attrition", type=float, metavar="M", help="monthly attrition, 0-1")
    w.add_argument("--attrition-language", action="append", metavar="LANG=M",
                   help="monthly attrition of one language's agents")
    w.add_argument("--training-weeks", type=int, help="weeks a hire trains before working")
    w.add_argument("--ramp-weeks", type=int, help="weeks at the ramp-up share after training")
    w.add_argument("--lead-time", type=int, help="weeks from the decision to a hire's start")
    w.add_argument("--max-hires", type=int, help="most hires starting in one week")
    w.add_argument("--min-class", type=int, help="fewest hires in a training class")
    w.add_argument("--cost-per-hire", type=float, help="one-off cost of a hire, paid hours")
    w.add_argument("--add", action="append", metavar="PROFILE:COUNT[@WEEK]",
                   help="agents of a hire profile added by hand from a week (0 = first)")
    sp.set_defaults(func=cmd_capacity)
