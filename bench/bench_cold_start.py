"""Cold start of the app in a real browser: a freshly started server, Debian's chromium,
the sample company with a published plan in the store.

Issue 18's goal: the Overview's first figure within 2 s of opening the app on a freshly
started server, from a stored plan. The server is started as ``make run`` starts it
(``python -m optimize.ui.serve``: ``streamlit run app.py`` with the app's modules imported
before serving), or with ``--launcher streamlit`` as plain ``streamlit run app.py``. Each
round starts a new server (nothing cached, no session yet), opens the app once and
records, from the start of the navigation: the page loaded (``goto``), the Overview's
title, its first metric (the published plan's stored figures) and the response-time
outlook (the scenario loaded, the coverage computed). A second session on the same server
gives the warm figures. Every round serves the same address, so round 1 is a browser's
first visit and later rounds a returning browser (Streamlit's static files cached) on a
freshly restarted server.

The store is ``--store`` (default ``out/store.sqlite``, as ``make run`` leaves it); when it
has no published plan of the sample, a 16-day refresh and a short ``plan --publish``
(``--work-limit 5``) are stored in a temporary one first (not timed).
Usage: ``python bench/bench_cold_start.py [--store PATH] [--repeat N] [--launcher L]``.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
CHROMIUM = Path("/usr/bin/chromium")


def _has_published(store: Path) -> bool:
    from optimize.records import fingerprint_dir, published_plan

    return store.is_file() and published_plan(store, fingerprint=fingerprint_dir(SAMPLE)) is not None


def _prepare(store: Path) -> None:
    cli = [sys.executable, "-m", "optimize.cli"]
    subprocess.run([*cli, "refresh", "--data", str(SAMPLE), "--store", str(store),
                    "--horizon-days", "16"], cwd=ROOT, check=True, capture_output=True)
    subprocess.run([*cli, "plan", "--data", str(SAMPLE), "--store", str(store), "--publish",
                    "--out", str(store.parent / "plan"), "--work-limit", "5"], cwd=ROOT,
                   check=True, capture_output=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(store: Path, launcher: str, port: int) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "STAFFCAST_DATA": str(SAMPLE), "STAFFCAST_STORE": str(store)}
    start = (["-m", "optimize.ui.serve"] if launcher == "serve"
             else ["-m", "streamlit", "run", "app.py"])
    proc = subprocess.Popen([sys.executable, *start,
                             "--server.headless", "true", "--server.port", str(port),
                             "--server.address", "127.0.0.1", "--browser.gatherUsageStats",
                             "false", "--server.fileWatcherType", "none"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.read().strip() == b"ok":
                    return proc, url
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("streamlit did not become healthy")


def _open(browser, url: str) -> tuple[float, float, float, float]:
    pg = browser.new_page(viewport={"width": 1440, "height": 1100})
    try:
        t0 = time.monotonic()
        pg.goto(url)
        goto = time.monotonic() - t0
        pg.get_by_role("heading", name="Overview", exact=True).wait_for(timeout=120_000)
        title = time.monotonic() - t0
        pg.locator('[data-testid="stMetricValue"]').first.wait_for(timeout=120_000)
        metric = time.monotonic() - t0
        pg.get_by_text("Response-time outlook").wait_for(timeout=120_000)
        outlook = time.monotonic() - t0
        return goto, title, metric, outlook
    finally:
        pg.close()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--store", type=Path, default=ROOT / "out" / "store.sqlite")
    p.add_argument("--repeat", type=int, default=3, help="fresh servers to time")
    p.add_argument("--launcher", choices=("serve", "streamlit"), default="serve",
                   help="serve: python -m optimize.ui.serve, as make run starts the app "
                        "(default); streamlit: plain streamlit run app.py")
    args = p.parse_args()
    if not CHROMIUM.exists():
        print(f"skipped: no {CHROMIUM} (apt-get install chromium)")
        return
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="staffcast-bench-cold-") as tmp:
        store = args.store
        if not _has_published(store):
            store = Path(tmp) / "store.sqlite"
            print(f"no published plan of the sample in {args.store}: storing one in {store} "
                  "(not timed)", flush=True)
            _prepare(store)
        print("round  session  goto_s  title_s  first_metric_s  outlook_s  load_avg")
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                         args=["--no-sandbox", "--disable-gpu",
                                               "--disable-dev-shm-usage"])
            port = _free_port()  # one address: from round 2 on, the browser has the app's
            for i in range(args.repeat):  # static files cached, as a manager's browser does
                proc, url = _serve(store, args.launcher, port)
                try:
                    for session in ("cold", "warm"):
                        goto, title, metric, outlook = _open(browser, url)
                        print(f"{i + 1:5d}  {session:>7s}  {goto:6.2f}  {title:7.2f}  "
                              f"{metric:14.2f}  {outlook:9.2f}  {os.getloadavg()[0]:8.1f}",
                              flush=True)
                finally:
                    proc.terminate()
                    proc.wait(timeout=15)
            browser.close()


if __name__ == "__main__":
    main()
