"""Time ``staffcast refresh`` on the sample company and on a 4x larger generated company.

For each company the script runs the refresh job (fresh store under /tmp, default options:
42-day horizon, 4 backtest origins of 42 days, ``--jobs 2``) as a child process and reports
wall time, the peak memory of the whole process tree (the job and its workers, polled
from ``/proc/PID/smaps_rollup`` every 0.1 s, no extra dependency: the sum of PSS, which
splits pages shared by forked workers between them, and the sum of RSS, which counts them
once per process) and the largest single-process peak RSS (``getrusage``). It then compares the time per unit of ``queues x history days``
between the two companies: growth is no worse than linear when the ratio is <= 1.

The larger company is generated with ``optimize.scenario.sample.write_sample`` under /tmp
(never committed): all 12 languages the generator knows (48 queues instead of 32) and 277
weeks of history instead of 104, i.e. 48 x 277 / (32 x 104) = 4.0x queues x history.

Usage: ``python bench/bench_refresh.py [--jobs 2] [--tmp DIR] [--skip-large]``.
Figures are recorded in ``bench/README.md`` ("## Forecasting").
"""

from __future__ import annotations

import argparse
import gzip
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LARGE_LANGUAGES = ("en", "zh", "ko", "vi", "ru", "es", "tr", "ja", "de", "fr", "pt", "id")
LARGE_WEEKS = 277


def _children(pid: int) -> list[int]:
    out = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as fh:
                out += [int(c) for c in fh.read().split()]
    except OSError:
        pass
    return out


def _mem_kib(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of one process in KiB (0, 0 once it has gone)."""
    rss = pss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Rss:"):
                    rss = int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss = int(line.split()[1])
    except OSError:
        pass
    return rss, pss


def tree_mem_kib(pid: int) -> tuple[int, int]:
    """Memory (KiB) of ``pid`` and all its descendants, now: the sum of RSS (counts pages
    shared by forked workers once per process, an upper bound) and the sum of PSS (shared
    pages split between their users: the tree's actual footprint)."""
    rss = pss = 0
    todo = [pid]
    while todo:
        p = todo.pop()
        r, q = _mem_kib(p)
        rss, pss = rss + r, pss + q
        todo += _children(p)
    return rss, pss


def run_refresh(data: Path, store: Path, jobs: int) -> tuple[float, float, float, str]:
    """Run ``staffcast refresh``; return (wall seconds, peak tree RSS and PSS in MiB, its
    summary line)."""
    exe = Path(sys.executable).with_name("staffcast")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-c",
                                           "import sys; from optimize.cli import main; "
                                           "sys.exit(main())"]
    cmd += ["refresh", "--data", str(data), "--store", str(store), "--jobs", str(jobs)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    peak_rss = peak_pss = 0
    while proc.poll() is None:
        rss, pss = tree_mem_kib(proc.pid)
        peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
        time.sleep(0.1)
    wall = time.perf_counter() - t0
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"refresh on {data} failed ({proc.returncode}): {err.strip()[-2000:]}")
    summary = out.strip().splitlines()[-1] if out.strip() else ""
    return wall, peak_rss / 1024.0, peak_pss / 1024.0, summary


def size_of(data: Path) -> tuple[int, float]:
    """(queues, history days) of a scenario directory, read from its contacts file."""
    import pandas as pd

    path = next(data.glob("contacts.csv*"))
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt") as fh:
        df = pd.read_csv(fh, usecols=["interval_start", "channel", "language"])
    ts = pd.to_datetime(df["interval_start"], utc=True)
    return df.groupby(["channel", "language"]).ngroups, (ts.max() - ts.min()).total_seconds() / 86400


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT / "data" / "sample")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--tmp", type=Path, default=None, help="work directory (default: a new "
                    "temporary directory under /tmp, removed afterwards)")
    ap.add_argument("--skip-large", action="store_true")
    args = ap.parse_args()
    work = args.tmp or Path(tempfile.mkdtemp(prefix="staffcast-bench-refresh-", dir="/tmp"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        companies = [("sample", args.data)]
        if not args.skip_large:
            from optimize.scenario.sample import write_sample

            large = work / "large"
            if not (large / "market.csv").exists():
                t0 = time.perf_counter()
                write_sample(large, seed=11, weeks=LARGE_WEEKS, languages=LARGE_LANGUAGES,
                             n_agents=600)
                print(f"generated the 4x company in {time.perf_counter() - t0:.0f} s: {large}")
            companies.append(("4x", large))
        rows = []
        for name, data in companies:
            q, days = size_of(data)
            store = work / f"{name}.sqlite"
            store.unlink(missing_ok=True)
            wall, rss, pss, summary = run_refresh(data, store, args.jobs)
            rows.append((name, q, days, wall, pss))
            print(f"{name}: {q} queues x {days:.0f} days: refresh {wall:.1f} s wall; peak memory "
                  f"of the process tree: PSS {pss:.0f} MiB (sum of RSS {rss:.0f} MiB)", flush=True)
            print(f"  {summary}")
        kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
        print(f"largest single process (getrusage, children): {kids:.0f} MiB")
        if len(rows) == 2:
            (_, q0, d0, w0, _), (_, q1, d1, w1, _) = rows
            size = (q1 * d1) / (q0 * d0)
            print(f"queues x history: {size:.2f}x; time: {w1 / w0:.2f}x; time per unit of "
                  f"size: {w1 / w0 / size:.2f} ({'no worse than' if w1 / w0 <= size else 'worse than'}"
                  f" linear)")
    finally:
        if args.tmp is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
