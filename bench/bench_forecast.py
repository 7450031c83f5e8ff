"""Forecasting benchmark on a scenario directory (default: the sample company).

Prints: time and peak memory of one ``forecast_panel`` (all queues, model choice
included) and of a rolling-origin ``backtest``; overall WAPE/MASE/bias/coverage per
candidate; the chosen (``auto``) model against both baselines; and, on surge days (top 5 %
of days by market volatility), market-aware against the same models without market.

Usage: ``python bench/bench_forecast.py [--data DIR] [--origins 8] [--horizon-days 7]
[--jobs 2] [--surge-weeks 16] [--skip-nomarket]``. Figures are recorded in ``bench/README.md``.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from forecast import backtest, forecast_panel, surge_days, surge_summary  # noqa: E402
from forecast.inputs.history import load_contacts, load_market  # noqa: E402


def _peak_mib() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) / 1024.0


def _timed(label: str, fn):
    t0 = time.perf_counter()
    out = fn()
    print(f"{label}: {time.perf_counter() - t0:.1f} s, peak RSS so far {_peak_mib():.0f} MiB")
    return out


def intraday_gain(contacts: pd.DataFrame, market: pd.DataFrame | None, last_day: pd.Timestamp,
                  n_days: int, jobs: int) -> None:
    """WAPE over 12:00-24:00 UTC of the forecast made at midnight vs the one made at noon."""
    err = {"midnight": 0.0, "noon (intraday update)": 0.0}
    total = 0.0
    for k in range(n_days):
        day = last_day - pd.Timedelta(days=k)
        noon, end = day + pd.Timedelta("12h"), day + pd.Timedelta("1D")
        act = contacts[(contacts["interval_start"] >= noon) & (contacts["interval_start"] < end)]
        act = act.set_index(["interval_start", "channel", "language"])["contacts"]
        for label, asof in (("midnight", day), ("noon (intraday update)", noon)):
            f = forecast_panel(contacts, market, asof=asof, horizon_days=1, jobs=jobs)
            f = f.set_index(["interval_start", "channel", "language"])["contacts"]
            err[label] += float((f.reindex(act.index) - act).abs().sum())
        total += float(act.sum())
    for label, e in err.items():
        print(f"intraday, {n_days} days, 12:00-24:00 UTC, forecast at {label}: WAPE {e / total:.4f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT / "data" / "sample")
    ap.add_argument("--origins", type=int, default=8)
    ap.add_argument("--horizon-days", type=int, default=7)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--surge-weeks", type=int, default=16,
                    help="at most this many weeks holding surge days are backtested")
    ap.add_argument("--intraday-days", type=int, default=14)
    ap.add_argument("--skip-nomarket", action="store_true")
    args = ap.parse_args()
    pd.set_option("display.width", 160)
    pd.set_option("display.precision", 3)

    contacts = load_contacts(next(args.data.glob("contacts.csv*")))
    market_file = args.data / "market.csv"
    market = load_market(market_file) if market_file.exists() else None
    n_q = contacts.groupby(["channel", "language"]).ngroups
    span = contacts["interval_start"].max() - contacts["interval_start"].min()
    print(f"data: {args.data} - {n_q} queues, {span.days} days, {len(contacts)} rows")
    asof = (contacts["interval_start"].max() + pd.Timedelta("30min")).floor("D")

    fc = _timed(f"forecast_panel (jobs={args.jobs}, {args.horizon_days} days, model choice)",
                lambda: forecast_panel(contacts, market, asof=asof,
                                       horizon_days=args.horizon_days, jobs=args.jobs))
    print("models chosen:", fc.groupby("model")[["channel", "language"]].apply(
        lambda g: len(g.drop_duplicates())).to_dict())
    res = _timed(f"backtest ({args.origins} origins x {args.horizon_days} days, jobs={args.jobs})",
                 lambda: backtest(contacts, market, origins=args.origins,
                                  horizon_days=args.horizon_days, jobs=args.jobs))
    overall = res.summary[res.summary["channel"] == "*"].set_index("candidate")
    print("\noverall, all queues pooled:")
    print(overall[["wape", "mase", "bias", "coverage"]].sort_values("wape").to_string())
    a = overall.loc["auto", "wape"]
    for b in ("snaive", "mean4w"):
        b_wape = overall.loc[b, "wape"]
        print(f"auto vs {b}: WAPE {a:.4f} vs {b_wape:.4f} ({100 * (1 - a / b_wape):+.1f} %)")

    last_day = (contacts["interval_start"].max()).floor("D") - pd.Timedelta("1D")
    _timed("intraday update check", lambda: intraday_gain(contacts, market, last_day,
                                                           args.intraday_days, args.jobs))
    if market is None:
        return
    ex_ante = _timed("backtest, market-aware candidates ex ante (scenario typical)",
                     lambda: backtest(contacts, market, origins=args.origins,
                                      horizon_days=args.horizon_days, jobs=args.jobs,
                                      scenario="typical"))
    o = ex_ante.summary[ex_ante.summary["channel"] == "*"].set_index("candidate")
    print(o[["wape", "mase", "bias", "coverage"]].sort_values("wape").to_string())
    days = surge_days(market)
    # the weekly origins (same grid as above) of the weeks that contain a surge day
    last = res.metrics["origin"].max()
    first_ok = contacts["interval_start"].min() + pd.Timedelta(days=28)
    weeks = sorted({last - pd.Timedelta(days=7) * ((last - d).days // 7 + ((last - d).days % 7 > 0))
                    for d in days})
    weeks = [w for w in weeks if w >= first_ok][-args.surge_weeks:]
    print(f"\n{len(days)} surge days (top 5 % by realised volatility); backtesting the "
          f"{len(weeks)} weekly origins whose week holds one")
    sres = _timed("surge backtest", lambda: backtest(contacts, market, origins=weeks,
                                                     horizon_days=7, jobs=args.jobs))
    s = surge_summary(sres, days).set_index("candidate")
    print(f"surge days inside those weeks: {int(s['days'].iloc[0])}")
    print(s[["wape", "bias", "coverage"]].sort_values("wape").to_string())
    for base in ("ets_profile", "ar_profile", "mean8w", "mean4w", "snaive"):
        w0, w1 = s.loc[base, "wape"], s.loc[base + "+mkt", "wape"]
        print(f"surge days {base + '+mkt'} vs {base}: WAPE {w1:.4f} vs {w0:.4f} "
              f"({100 * (1 - w1 / w0):+.1f} %), coverage {s.loc[base + '+mkt', 'coverage']:.3f}")
    if not args.skip_nomarket:
        res0 = _timed("surge backtest without market (same origins)",
                      lambda: backtest(contacts, None, origins=weeks, horizon_days=7,
                                       jobs=args.jobs))
        s0 = surge_summary(res0, days).set_index("candidate")
        w0, w1 = s0.loc["auto", "wape"], s.loc["auto", "wape"]
        print(f"surge days auto (market) vs auto (no market): WAPE {w1:.4f} vs {w0:.4f} "
              f"({100 * (1 - w1 / w0):+.1f} %), coverage {s.loc['auto', 'coverage']:.3f} vs "
              f"{s0.loc['auto', 'coverage']:.3f}")
    print(f"\npeak RSS (process or any worker): {_peak_mib():.0f} MiB")


if __name__ == "__main__":
    main()
