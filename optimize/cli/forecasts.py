"""The forecasting sub-commands of ``staffcast``: ``forecast``, ``backtest``, ``refresh``, ``runs``.

Wiring only, like :mod:`optimize.cli.main` (which adds these parsers and handles exit status
and errors); the algorithms live in :mod:`forecast`.
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

from optimize.cli.common import (
    UsageError,
    forecast_or_stored,
    load_history,
    parse_shock,
    parse_ts,
    to_csv,
)
from optimize.outputs.export import write_outputs

__all__ = ["add_forecast_parsers", "cmd_forecast", "cmd_backtest", "cmd_refresh", "cmd_runs"]

log = logging.getLogger("staffcast")


def cmd_forecast(args: argparse.Namespace) -> int:
    """``staffcast forecast``: one forecast table from --asof."""
    history = load_history(args.data)
    asof = parse_ts(args.asof, "--asof")
    shock = parse_shock(args.shock) if args.shock else None
    fc, _ = forecast_or_stored(history, asof=asof, horizon_days=args.horizon_days,
                            scenario_name=args.scenario, shock=shock, jobs=args.jobs, store=None)
    out = Path(args.out)
    write_outputs(out.parent if str(out.parent) else Path("."), {out.name: to_csv(fc)})
    print(f"wrote {out} ({len(fc)} rows)")
    return 0


def cmd_backtest(args: argparse.Namespace) -> int:
    """``staffcast backtest``: rolling-origin metrics of every model and baseline."""
    from forecast.backtesting import backtest

    history = load_history(args.data)
    t0 = time.perf_counter()
    res = backtest(history.contacts, history.market, origins=args.origins,
                   horizon_days=args.horizon_days, jobs=args.jobs, calendar=history.calendar,
                   every_days=args.every)
    log.info("backtest done in %.1f s", time.perf_counter() - t0)
    write_outputs(args.out, {"metrics.csv": to_csv(res.metrics),
                             "summary.csv": to_csv(res.summary), "choice.csv": to_csv(res.choice)})
    print(res.summary.to_string(max_rows=40))
    return 0


def cmd_refresh(args: argparse.Namespace) -> int:
    """``staffcast refresh``: the scheduled job, one run published to the store."""
    from forecast.refresh import refresh

    history = load_history(args.data)
    asof = parse_ts(args.asof, "--asof") if args.asof else None
    res = refresh(history.contacts, history.market, args.store, horizon_days=args.horizon_days,
                  asof=asof, scenario=args.scenario, jobs=args.jobs,
                  backtest_origins=args.backtest_origins,
                  backtest_horizon_days=args.backtest_horizon_days, calendar=history.calendar)
    print(res.summary)
    return 0


def cmd_runs(args: argparse.Namespace) -> int:
    """``staffcast runs``: list (and prune) the runs of a store."""
    from forecast.store.runs import list_runs, prune_runs

    if not Path(args.store).exists():
        raise UsageError(f"--store {str(args.store)!r} does not exist; run `staffcast refresh` first")
    if args.keep is not None:
        pruned = prune_runs(args.store, keep=args.keep)
        print(f"pruned {len(pruned)} run(s), kept the newest {args.keep}")
    if args.accuracy:
        return _print_accuracy(args.store, by_queue=args.by_queue)
    if args.choices:
        return _print_choices(args.store, None if args.choices == "latest" else args.choices)
    runs = list_runs(args.store)
    if not runs:
        print("no runs")
    for r in runs:
        print(f"{r.run_id}  created {r.created_at:%Y-%m-%d %H:%M}Z  data {r.data_start:%Y-%m-%d}.."
              f"{r.data_end:%Y-%m-%d}  asof {r.asof:%Y-%m-%d %H:%M}Z  {r.horizon_days} d  "
              f"{r.scenario}  {r.n_rows} rows  hash {r.data_hash[:12]}")
    return 0


def _print_accuracy(store: Path, *, by_queue: bool) -> int:
    """``runs --accuracy``: the stored scores of the runs (all queues pooled, or per queue)."""
    import pandas as pd

    from forecast.store.track import load_scores, track_record

    scores = load_scores(store)
    if scores.empty:
        print("no scores yet: a run is scored by the first refresh after actuals for its "
              "horizon arrive")
        return 0
    table = (scores.drop(columns="scored_through") if by_queue else track_record(scores))
    with pd.option_context("display.width", 200, "display.max_rows", 500,
                           "display.float_format", "{:.3f}".format):
        print(table.to_string(index=False))
    print(f"scored through {scores['scored_through'].max()}; wape and bias relative to the "
          "actuals, coverage = share of intervals inside P10-P90")
    return 0


def _print_choices(store: Path, run_id: str | None) -> int:
    """``runs --choices``: each queue's model and the validation figures behind it."""
    import pandas as pd

    from forecast.store.runs import load_choices

    table = load_choices(store, run_id)  # an unknown run: ValueError, one line and exit 2
    if table.empty:
        print("no model choices stored with this run (a refresh with --backtest-origins 0, "
              "or a run from before they were recorded)")
        return 0
    with pd.option_context("display.width", 200, "display.max_rows", 500,
                           "display.float_format", "{:.3f}".format):
        print(table.to_string(index=False))
    print("reason: lowest = clearly better than the other candidates of its kind; pool = the "
          "mean of the winner and the candidates not clearly worse (paired t > -2 on daily "
          "errors); never a model worse than the best baseline; used = the model the run "
          "forecast with (a sparse language takes its pool's)")
    return 0


def _history_arg(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("--data", type=Path, required=True,
                    help="data directory with contacts.csv[.gz] and, optionally, market.csv "
                         "(a scenario directory will do; agents.csv and scenario.toml are "
                         "not needed to forecast)")


def add_forecast_parsers(sub: argparse._SubParsersAction) -> None:
    """Add ``forecast``, ``backtest``, ``refresh`` and ``runs`` to the ``staffcast`` parser."""
    sp = sub.add_parser("forecast", help="forecast every queue from --asof")
    _history_arg(sp)
    sp.add_argument("--asof", required=True, help="forecast origin (ISO 8601 with offset); only "
                                                   "data strictly before it is used")
    sp.add_argument("--horizon-days", type=int, required=True, help="days to forecast (1-42)")
    sp.add_argument("--scenario", default="typical", help="market scenario (default typical)")
    sp.add_argument("--shock", help="market shock TIME@MOVE, e.g. 2026-12-03T14:00Z@-0.15")
    sp.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    sp.add_argument("--out", required=True, help="output CSV file")
    sp.set_defaults(func=cmd_forecast)

    sp = sub.add_parser("backtest", help="rolling-origin evaluation of every model and baseline")
    _history_arg(sp)
    sp.add_argument("--origins", type=int, default=8, help="forecast origins (default 8)")
    sp.add_argument("--every", type=int, default=7, metavar="DAYS",
                    help="days between origins (default 7; 1 for day-ahead origins)")
    sp.add_argument("--horizon-days", type=int, default=7, help="horizon per origin (default 7)")
    sp.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    sp.add_argument("--out", type=Path, required=True, help="output directory")
    sp.set_defaults(func=cmd_backtest)

    sp = sub.add_parser("refresh", help="scheduled job: fit every queue and publish a run to the store")
    _history_arg(sp)
    sp.add_argument("--store", type=Path, required=True, help="SQLite run store (created if missing)")
    sp.add_argument("--asof", help="forecast origin (default: the end of the data)")
    sp.add_argument("--horizon-days", type=int, default=42, help="days to forecast (default 42)")
    sp.add_argument("--scenario", default="typical", help="market scenario (default typical)")
    sp.add_argument("--backtest-origins", type=int, default=4,
                    help="backtest origins (default 4; for a day-ahead job, --horizon-days 1, "
                         "give about 28: its origins are a day apart)")
    sp.add_argument("--backtest-horizon-days", type=int,
                    help="horizon of each backtest origin used to choose models "
                         "(default: --horizon-days); origins are that many days apart, at "
                         "most 7, so a day-ahead refresh chooses on daily origins")
    sp.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    sp.set_defaults(func=cmd_refresh)

    sp = sub.add_parser("runs", help="list the forecast runs in a store (and prune old ones)")
    sp.add_argument("--store", type=Path, required=True, help="SQLite run store")
    sp.add_argument("--keep", type=int, help="first delete all but the newest KEEP runs "
                                              "(a nightly refresh adds ~9 MB a run)")
    sp.add_argument("--accuracy", action="store_true",
                    help="the track record: each run scored on the actuals that arrived "
                         "after it (by every refresh), per horizon, all queues pooled")
    sp.add_argument("--by-queue", action="store_true", help="with --accuracy: per queue")
    sp.add_argument("--choices", nargs="?", const="latest", metavar="RUN",
                    help="each queue's model in run RUN (default the latest) and the "
                         "validation figures it was chosen on")
    sp.set_defaults(func=cmd_runs)
