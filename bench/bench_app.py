"""App benchmark: how long the Overview takes to open on the sample company.

The issue's goal: opening the app on the sample company shows the Overview within a few
seconds when a forecast run exists in the store. This times the first (cold: nothing
cached, modules not yet imported by the script) and a second (warm) run of ``app.py``
with Streamlit's ``AppTest`` in a fresh process, reading the run store given by
``--store`` (default ``out/store.sqlite``, as ``make run`` leaves it); when that store
does not exist, a short refresh (16 days, what the browser test stores) is published to a
temporary one first (not timed). Usage: ``python bench/bench_app.py [--store PATH]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"

_PROBE = """
import sys, time
t0 = time.perf_counter()
from streamlit.testing.v1 import AppTest
at = AppTest.from_file(sys.argv[1], default_timeout=300)
t1 = time.perf_counter()
at.run()
t2 = time.perf_counter()
assert not at.exception, [e.value for e in at.exception]
assert at.title[0].value == "Overview"
source = " ".join(c.value for c in at.caption)
at.run()
t3 = time.perf_counter()
print(f"{t1 - t0:.2f} {t2 - t1:.2f} {t3 - t2:.2f} {int('forecast run' in source)}")
"""


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--store", type=Path, default=ROOT / "out" / "store.sqlite")
    p.add_argument("--repeat", type=int, default=3, help="fresh processes to time")
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="staffcast-bench-app-") as tmp:
        store = args.store
        if not store.exists():
            store = Path(tmp) / "store.sqlite"
            print(f"no store at {args.store}: publishing a 16-day run to {store} (not timed)",
                  flush=True)
            subprocess.run([sys.executable, "-m", "optimize.cli", "refresh", "--data",
                            str(SAMPLE), "--store", str(store), "--horizon-days", "16"],
                           cwd=ROOT, check=True, capture_output=True)
        env = {**os.environ, "STAFFCAST_DATA": str(SAMPLE), "STAFFCAST_STORE": str(store)}
        print("run  import_streamlit_s  overview_cold_s  overview_warm_s  from_store  load_avg")
        for i in range(args.repeat):
            out = subprocess.run([sys.executable, "-c", _PROBE, str(ROOT / "app.py")], env=env,
                                 cwd=ROOT, check=True, capture_output=True, text=True)
            imp, cold, warm, stored = out.stdout.split()
            load = os.getloadavg()[0]
            print(f"{i + 1:3d}  {float(imp):18.2f}  {float(cold):15.2f}  {float(warm):15.2f}  "
                  f"{'yes' if stored == '1' else 'no':>10s}  {load:8.1f}", flush=True)
            time.sleep(1)


if __name__ == "__main__":
    main()
