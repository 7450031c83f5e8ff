"""End-to-end: the app served by ``streamlit run`` and driven in Debian's chromium.

Starts ``streamlit run app.py`` headless on a free port (on the small generated company
of ``app_support`` with a stored forecast run), waits for ``/_stcore/health``, then in a
real browser: opens every page, builds the schedule, downloads the roster CSV and checks
its rows against the schedule. A screenshot of each page is saved under
``out/screenshots/`` as a test artifact.

Chromium comes from Debian (``apt-get install chromium``, done here when it is missing);
Playwright only drives it (no browser download).
"""

import csv
import io
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from app_support import ROOT, make_company

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = ROOT / "out" / "screenshots"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        "--disable-dev-shm-usage"]
ROSTER_HEADER = ["agent_id", "name", "timezone", "shift_date", "start_utc", "end_utc",
                 "start_local", "end_local", "paid_hours", "template"]


def ensure_chromium() -> Path:
    """Debian's chromium, installed with apt when missing (the test runs as root in CI)."""
    if not CHROMIUM.exists():
        apt = shutil.which("apt-get")
        if apt is None or os.geteuid() != 0:
            pytest.fail("chromium is missing and cannot be installed here: run "
                        "`apt-get install -y chromium` as root")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run([apt, "update", "-qq"], check=True, env=env, timeout=600)
        subprocess.run([apt, "install", "-y", "-qq", "chromium"], check=True, env=env,
                       timeout=900)
    return CHROMIUM


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    company = make_company(tmp_path_factory.mktemp("browser"))
    port = free_port()
    env = {**os.environ, "STAFFCAST_DATA": str(company["data"]),
           "STAFFCAST_STORE": str(company["store"])}
    log = (tmp_path_factory.getbasetemp() / "streamlit.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.read().strip() == b"ok":
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"streamlit did not become healthy; see {log.name}")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def page(server):
    from playwright.sync_api import sync_playwright

    exe = ensure_chromium()
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(exe), args=ARGS, headless=True)
        context = browser.new_context(viewport={"width": 1440, "height": 1100},
                                      accept_downloads=True, timezone_id="UTC")
        pg = context.new_page()
        pg.set_default_timeout(60_000)
        pg.goto(server)
        yield pg
        context.close()
        browser.close()


def idle(pg) -> None:
    """Wait until the app has finished its current run (no 'Running...' indicator)."""
    pg.wait_for_timeout(300)
    pg.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=120_000)
    pg.wait_for_timeout(500)


def open_page(pg, title: str) -> None:
    pg.locator('[data-testid="stSidebarNavLink"]', has_text=title).first.click()
    pg.get_by_role("heading", name=title, exact=True).wait_for()
    idle(pg)


def shoot(pg, name: str) -> Path:
    path = SHOTS / f"{name}.png"
    # The app scrolls inside its main container, so grow the window to the content first.
    height = pg.evaluate("() => Math.max(...[...document.querySelectorAll("
                         "'[data-testid=\"stMain\"], [data-testid=\"stMainBlockContainer\"]')]"
                         ".map(e => e.scrollHeight), 900)")
    pg.set_viewport_size({"width": 1440, "height": min(int(height) + 120, 7000)})
    pg.wait_for_timeout(800)
    pg.screenshot(path=str(path), full_page=True)
    pg.set_viewport_size({"width": 1440, "height": 1100})
    assert path.stat().st_size > 10_000
    return path


def no_exception(pg) -> None:
    assert pg.locator('[data-testid="stException"]').count() == 0, \
        pg.locator('[data-testid="stException"]').first.inner_text()


def test_pages_schedule_and_roster_download(page):
    pg = page
    pg.get_by_role("heading", name="Overview", exact=True).wait_for()
    pg.get_by_text("Response-time outlook").wait_for()
    idle(pg)
    no_exception(pg)
    shoot(pg, "1_overview")

    open_page(pg, "Data")
    pg.get_by_text("Now planning the sample company").wait_for()
    no_exception(pg)
    shoot(pg, "2_data")

    open_page(pg, "Forecast")
    pg.locator('[data-testid="stVegaLiteChart"]').first.wait_for()
    no_exception(pg)
    shoot(pg, "3_forecast")

    open_page(pg, "Staffing")
    pg.locator('[data-testid="stVegaLiteChart"]').first.wait_for()
    no_exception(pg)
    shoot(pg, "4_staffing")

    open_page(pg, "Schedule")
    limit = pg.get_by_role("spinbutton", name="Solver time limit (s)")
    limit.fill("10")
    limit.press("Enter")
    idle(pg)
    pg.get_by_role("button", name="Build schedule").click()
    pg.get_by_text("Scheduled vs required", exact=False).or_(
        pg.get_by_text("Gap to bound")).first.wait_for(timeout=150_000)
    idle(pg)
    no_exception(pg)
    status = pg.locator('[data-testid="stMetric"]', has_text="Status").locator(
        '[data-testid="stMetricValue"]').inner_text()
    assert status in ("optimal", "feasible")
    shifts = int(pg.locator('[data-testid="stMetric"]', has_text="Shifts").locator(
        '[data-testid="stMetricValue"]').inner_text())
    assert shifts > 0
    pg.locator('[data-testid="stVegaLiteChart"]').first.wait_for()
    shoot(pg, "5_schedule")

    open_page(pg, "Export")
    no_exception(pg)
    shoot(pg, "6_export")
    with pg.expect_download() as info:
        pg.get_by_role("button", name="Roster CSV").click()
    data = Path(info.value.path()).read_bytes()
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
    assert rows[0] == ROSTER_HEADER
    assert len(rows) - 1 == shifts
    assert all(r[4].endswith("+00:00") for r in rows[1:])  # ISO 8601 with offset

    open_page(pg, "Overview")  # the schedule survived the page switches
    scheduled = pg.locator('[data-testid="stMetric"]', has_text="Scheduled paid hours").locator(
        '[data-testid="stMetricValue"]').inner_text()
    paid = sum(float(r[8]) for r in rows[1:])
    assert float(scheduled.replace(",", "").replace("h", "")) == pytest.approx(paid, abs=0.5)
    shoot(pg, "1_overview_with_schedule")
