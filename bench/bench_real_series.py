"""Day-ahead accuracy on a public real intraday series, with issue 14's protocol.

The series: half-hourly electricity demand of England and Wales, Mon 5 June to Sun 27
August 2000 (12 weeks, 4,032 half-hours; Taylor (2003), "Short-term electricity demand
forecasting using double seasonal exponential smoothing", JORS 54), as shipped in the
``pmdarima`` wheel (MIT). It is not a contact centre's series (those are held out), but it
is real, intraday, weekly and daily seasonal, and public. The data is not committed: the
wheel is downloaded with ``pip download --no-deps`` into a temporary directory at bench
time and the array is read from its ``pmdarima/datasets/taylor.py`` without importing
pmdarima.

Protocol (issue 14): 40 rolling day-ahead origins (the last 40 midnights, each with all
the history before it), MAPE over the next day's half-hours, for

* ``staffcast`` (``forecast_panel``, automatic model choice, no market),
* the same weekday's mean over the last 5 weeks (what a spreadsheet does),
* seasonal naive (the same weekday last week),

and an intraday check: at 08:00, 12:00 and 16:00 UTC of each origin day (10:00, 13:00 and
16:00 with ``--office``), the next
half-hour forecast by ``forecast_panel`` from that time (with the morning's update)
against the 5-week mean scaled by the day's actual-to-mean ratio so far.
With ``--closures K`` the series gets the faults of a real desk: K weekdays inside the
evaluated period (every 9th day from the first origin, Saturdays and Sundays skipped) lose
all their volume, as a closure or an outage leaves them in a contacts file. Closed days are
then left out of the scores (nobody staffs them), the baselines average the last 5 *open*
same weekdays and take the last open one, and staffcast gets no calendar: it must find the
closures itself. ``--catch-up X`` multiplies the day after each closure by X (the
catch-up a real desk sees). ``--office`` keeps the demand's shape only inside opening
hours (Monday-Friday 08:00-18:00, as the held-out centre's queue), ``--day-noise CV``
draws each day's level from a gamma (noisy days), ``--refresh-origins K`` also scores the
day-ahead refresh's choice (a backtest of the K daily origins before each origin chooses
the model). Usage: ``python bench/bench_real_series.py [--origins 40] [--closures 4]
[--catch-up 1.4] [--counts 40] [--office] [--day-noise 0.05] [--refresh-origins 14]``.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from forecast.backtesting import backtest  # noqa: E402
from forecast.panel import forecast_panel  # noqa: E402

WHEEL = "pmdarima==2.1.1"
SPD = 48
HOURS = {False: (8, 12, 16), True: (10, 13, 16)}
REFRESH = "staffcast, day-ahead refresh choice"  # intraday checks (UTC), --office: open hours


def taylor_series() -> np.ndarray:
    """The 4,032 half-hourly demands (MW) of the Taylor (2003) series (kept in the system's
    temporary directory after the first download)."""
    cache = Path(tempfile.gettempdir()) / "staffcast-bench-taylor-2003.npy"
    if cache.exists():
        return np.load(cache)
    y = _download_taylor()
    np.save(cache, y)
    return y


def _download_taylor() -> np.ndarray:
    with tempfile.TemporaryDirectory(prefix="staffcast-bench-real-") as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
                        WHEEL, "-d", tmp], check=True)
        wheel = next(Path(tmp).glob("pmdarima-*.whl"))
        src = zipfile.ZipFile(wheel).read("pmdarima/datasets/taylor.py").decode("utf-8")
    body = src[src.index("rslt = np.array(["):src.index("])", src.index("rslt = np.array(["))]
    y = np.array([float(v) for v in re.findall(r"\d+", body.split("[", 1)[1])])
    if len(y) != 84 * SPD:
        raise RuntimeError(f"expected 4032 half-hours, read {len(y)}")
    return y


def mape(actual: np.ndarray, fc: np.ndarray) -> float:
    """Mean absolute percentage error over the slots with a non-zero actual."""
    ok = actual > 0
    return float(np.mean(np.abs(fc[ok] - actual[ok]) / actual[ok]))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--origins", type=int, default=40)
    p.add_argument("--closures", type=int, default=0, help="weekdays to close (see above)")
    p.add_argument("--catch-up", type=float, default=1.0, metavar="X",
                   help="with --closures: the open day after each closed day carries X times "
                        "its volume (customers come back)")
    p.add_argument("--counts", type=float, default=0.0, metavar="MEAN",
                   help="turn the demand into Poisson counts averaging MEAN per half-hour "
                        "(seeded): the noise of a contact queue on a real pattern")
    p.add_argument("--office", action="store_true",
                   help="a queue with opening hours: open Monday-Friday 08:00-18:00 UTC, no "
                        "contacts outside them (as the held-out centre of issue 14)")
    p.add_argument("--refresh-origins", type=int, default=0, metavar="K",
                   help="also score the day-ahead refresh's choice: at each origin, the "
                        "model chosen on a backtest of the K days before it (daily "
                        "day-ahead origins), then fixed")
    p.add_argument("--day-noise", type=float, default=0.0, metavar="CV",
                   help="with --counts: each day's level is drawn from a gamma with this "
                        "coefficient of variation (noisy days beyond Poisson)")
    args = p.parse_args()
    y = taylor_series()
    if args.office:
        slot = np.arange(len(y))
        open_ = ((slot // SPD) % 7 < 5) & (slot % SPD >= 16) & (slot % SPD < 36)
        y = np.where(open_, y, 0.0)
    if args.counts > 0:
        rng = np.random.default_rng(7)
        lam = y / y[y > 0].mean() * args.counts
        if args.day_noise > 0:
            k = 1.0 / args.day_noise ** 2
            lam *= np.repeat(rng.gamma(k, 1.0 / k, len(y) // SPD), SPD)
        y = rng.poisson(lam).astype(float)
    n_days = len(y) // SPD
    busy = [d for d in range(n_days) if y[d * SPD:(d + 1) * SPD].sum() > 0]
    first = busy[-args.origins]  # the last ORIGINS days with contacts
    shut = [d for d in range(first, n_days, 9) if d % 7 < 5][:args.closures]
    for d in shut:
        y[d * SPD:(d + 1) * SPD] = 0.0
        if d + 1 < n_days and d + 1 not in shut:
            y[(d + 1) * SPD:(d + 2) * SPD] *= args.catch_up
    t = pd.date_range("2000-06-05", periods=len(y), freq="30min", tz="UTC")
    contacts = pd.DataFrame({"interval_start": t, "channel": "chat", "language": "en",
                             "contacts": y, "aht_s": 300.0})
    origins = [d for d in busy if d >= first and d not in shut]
    errs: dict[str, list[float]] = {"staffcast": [], "mean of the last 5 weeks": [],
                                    "seasonal naive": []}
    models: dict[str, int] = {}
    refresh_models: dict[str, int] = {}
    intraday: dict[str, list[float]] = {"staffcast, from that time": [],
                                        "5-week mean x day's ratio so far": []}
    t0 = time.perf_counter()
    for d in origins:
        day = slice(d * SPD, (d + 1) * SPD)
        act = y[day]
        hist = contacts.iloc[:d * SPD]
        fc = forecast_panel(hist, None, asof=t[d * SPD], horizon_days=1)
        models[fc["model"].iloc[0]] = models.get(fc["model"].iloc[0], 0) + 1
        errs["staffcast"].append(mape(act, fc["contacts"].to_numpy()))
        if args.refresh_origins:
            bt = backtest(hist, None, origins=args.refresh_origins, horizon_days=1,
                          every_days=1)
            chosen = dict(zip(zip(bt.choice["channel"], bt.choice["language"], strict=True),
                              bt.choice["model"], strict=True))
            fr = forecast_panel(hist, None, asof=t[d * SPD], horizon_days=1, models=chosen)
            errs.setdefault(REFRESH, []).append(mape(act, fr["contacts"].to_numpy()))
            picked = fr["model"].iloc[0]
            refresh_models[picked] = refresh_models.get(picked, 0) + 1
        same = [d - 7 * k for k in range(1, 12) if d - 7 * k not in shut][:5]  # open weekdays
        weeks = np.stack([y[e * SPD:(e + 1) * SPD] for e in same])
        mean5 = weeks.mean(axis=0)
        errs["mean of the last 5 weeks"].append(mape(act, mean5))
        errs["seasonal naive"].append(mape(act, weeks[0]))
        for hour in HOURS[args.office]:
            s = hour * 2
            part = contacts.iloc[:d * SPD + s]
            nxt = forecast_panel(part, None, asof=t[d * SPD + s], horizon_days=1)
            if act[s] <= 0:
                continue
            intraday["staffcast, from that time"].append(
                abs(nxt["contacts"].iloc[0] - act[s]) / act[s])
            ratio = act[:s].sum() / mean5[:s].sum()
            intraday["5-week mean x day's ratio so far"].append(
                abs(mean5[s] * ratio - act[s]) / act[s])
    elapsed = time.perf_counter() - t0
    what = (f"as Poisson counts, mean {args.counts:g} per half-hour" if args.counts > 0
            else "in MW")
    print(f"Taylor (2003) half-hourly demand {what}, {len(origins)} day-ahead origins "
          f"({t[origins[0] * SPD]:%Y-%m-%d} .. {t[origins[-1] * SPD]:%Y-%m-%d}), "
          f"{elapsed:.0f} s; closed days: "
          + (", ".join(f"{t[d * SPD]:%a %Y-%m-%d}" for d in shut) or "none"))
    print("method                              day-ahead MAPE")
    for name, e in errs.items():
        print(f"{name:34s}  {100 * np.mean(e):6.2f}%")
    print("models chosen by staffcast:", ", ".join(f"{m} x{n}" for m, n in sorted(models.items())))
    if refresh_models:
        print("models chosen by the day-ahead refresh:",
              ", ".join(f"{m} x{n}" for m, n in sorted(refresh_models.items())))
    hours = "/".join(f"{h:02d}:00" for h in HOURS[args.office])
    print(f"intraday, next half-hour at {hours} UTC   MAPE")
    for name, e in intraday.items():
        print(f"{name:34s}  {100 * np.mean(e):6.2f}%")


if __name__ == "__main__":
    main()
