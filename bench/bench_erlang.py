"""Benchmark: optimize.queueing.erlang.agents_for_service_level vs pyworkforce's ErlangC loop.

Same 20,000 interval x queue rows, same run: checks that every agent count is identical,
prints both timings and the speed ratio (goal >= 30x), then times compute_requirements on
a sample-company-sized week (32 queues x 336 half-hours).

pyworkforce is needed only here; install it without touching the pinned packages:
    .venv/bin/pip install --no-deps pyworkforce==0.5.1 joblib cloudpickle
Run: .venv/bin/python bench/bench_erlang.py [--rows 20000] [--seed 7]
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
import pandas as pd

from optimize.queueing.erlang import agents_for_service_level
from optimize.queueing.requirements import compute_requirements
from optimize.scenario.config import load_config


def make_rows(rows: int, seed: int) -> pd.DataFrame:
    """Random but realistic interval x queue rows (30-min intervals), pyworkforce units."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "transactions": rng.uniform(1.0, 200.0, rows).round(2),
        "aht_min": rng.uniform(2.0, 8.0, rows).round(3),
        "asa_min": rng.choice([10, 20, 30, 60], rows) / 60.0,
        "service_level": rng.choice([0.7, 0.8, 0.9, 0.95], rows),
        "max_occupancy": rng.choice([0.85, 0.9, 1.0], rows),
    })


def staffcast_agents(df: pd.DataFrame, interval_min: int = 30) -> np.ndarray:
    load = df["transactions"].to_numpy() / interval_min * df["aht_min"].to_numpy()
    return agents_for_service_level(load, df["aht_min"].to_numpy() * 60.0,
                                    df["asa_min"].to_numpy() * 60.0,
                                    df["service_level"].to_numpy(), df["max_occupancy"].to_numpy())


def pyworkforce_agents(df: pd.DataFrame, interval_min: int = 30) -> np.ndarray:
    from pyworkforce.queuing import ErlangC

    out = np.empty(len(df), dtype=np.int64)
    for i, r in enumerate(df.itertuples(index=False)):
        erlang = ErlangC(transactions=r.transactions, aht=r.aht_min, asa=r.asa_min,
                         interval=interval_min, shrinkage=0.0)
        out[i] = erlang.required_positions(service_level=r.service_level,
                                           max_occupancy=r.max_occupancy)["raw_positions"]
    return out


def sample_week(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = pd.date_range("2026-12-07", periods=336, freq="30min", tz="UTC")
    parts = []
    for ch, base, aht in [("chat", 40, 420), ("vip_chat", 6, 480), ("email", 25, 600),
                          ("social", 8, 300)]:
        for lang in ["en", "zh", "ko", "ja", "es", "ru", "tr", "vi"]:
            lam = base * (1 + 0.6 * np.sin(np.arange(336) / 48 * 2 * np.pi)) * rng.uniform(0.3, 1.5)
            parts.append(pd.DataFrame({"interval_start": t, "channel": ch, "language": lang,
                                       "contacts": lam, "aht_s": aht, "contacts_p10": 0.8 * lam,
                                       "contacts_p50": lam, "contacts_p90": 1.25 * lam}))
    return pd.concat(parts, ignore_index=True)


def best_of(fn, repeats: int) -> tuple[float, object]:
    best, result = np.inf, None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cpus, "
          f"python {platform.python_version()}, numpy {np.__version__}")
    df = make_rows(args.rows, args.seed)
    t_sc, ours = best_of(lambda: staffcast_agents(df), 5)
    try:
        import pyworkforce  # noqa: F401
    except ImportError as exc:
        print(f"pyworkforce is not importable ({exc}); install it with\n"
              "    .venv/bin/pip install --no-deps pyworkforce==0.5.1 joblib cloudpickle")
        raise SystemExit(1) from None
    t_pw, theirs = best_of(lambda: pyworkforce_agents(df), 1)
    same = int(np.sum(ours == theirs))
    print(f"agents_for_service_level, {args.rows} rows: staffcast {t_sc * 1e3:.1f} ms (best of 5), "
          f"pyworkforce 0.5.1 loop {t_pw * 1e3:.0f} ms")
    print(f"identical agent counts: {same}/{args.rows}; speed ratio {t_pw / t_sc:.0f}x (goal >= 30x)")
    if same != args.rows:
        diff = df[ours != theirs].assign(staffcast=ours[ours != theirs],
                                         pyworkforce=theirs[ours != theirs])
        print(diff.head(10).to_string())
    cfg = load_config("optimize/scenario/sample_scenario.toml")
    week = sample_week(args.seed)
    t_req, req = best_of(lambda: compute_requirements(week, cfg), 3)
    t_q, _ = best_of(lambda: compute_requirements(week, cfg, quantile="contacts_p80"), 3)
    print(f"compute_requirements, {len(week)} rows (32 queues x 336 intervals): "
          f"{t_req * 1e3:.0f} ms; with quantile='contacts_p80': {t_q * 1e3:.0f} ms (best of 3)")
    print(req.groupby("channel")["required_agents"].sum().to_string())


if __name__ == "__main__":
    main()
