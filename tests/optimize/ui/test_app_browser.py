"""End-to-end: the app served by ``streamlit run`` and driven in Debian's chromium.

The main flow runs on the embedded sample company (``data/sample``, 198 agents, 32
queues): the set-up does what ``make run`` does before serving, with short limits: it
publishes a forecast run of it to a temporary store (``staffcast refresh``) and a plan
(``staffcast plan --store --publish``), then starts the app as ``make run`` does
(``python -m optimize.ui.serve``, i.e. ``streamlit run app.py``) headless on a free port
and waits for ``/_stcore/health``. Then, in a real browser: the Overview shows the
published plan without a build; every page opens; a build with a long solver limit is
stopped after a few seconds (the best schedule found by then is kept, marked as stopped,
and saved as a draft); the draft is compared with the published plan and published; the
roster CSV is downloaded and checked against the app's figures and
``data/sample/agents.csv``; a reload opens on the plan just published; a display zone is
chosen and the roster table shows it; and a broken scenario is uploaded to see the
readable problem list. A screenshot of each step is saved under ``out/screenshots/`` as a
test artifact.

Chromium comes from Debian (``apt-get install chromium``, done here when it is missing);
Playwright only drives it (no browser download).
"""

import csv
import io
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pandas as pd
import pytest
from app_support import ROOT

SAMPLE = ROOT / "data" / "sample"
#: days of forecast the set-up stores: the plan week (Mon 30 Nov) plus a day of padding
HORIZON_DAYS = 16
#: solver limit of the build; the test clicks Stop long before it, so the schedule kept is
#: the best one found by then (at least the first complete greedy week)
SOLVER_LIMIT_S = 600
STOP_AFTER_MS = 8000
CHROMIUM = Path("/usr/bin/chromium")
PUBLISHED = "sample-2026-11-30-v1"  # the plan the set-up publishes, as `make run` does
DRAFT = "sample-2026-11-30-v2"  # the build in the app, then published
PUBLISHED_BADGE = re.compile(r"^Published \d\d \w{3} \d\d:\d\d UTC$")
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
    from forecast.refresh import refresh
    from optimize.cli import main
    from optimize.scenario.load import load_scenario_dir

    scenario = load_scenario_dir(SAMPLE)
    root = tmp_path_factory.mktemp("browser")
    store = root / "store.sqlite"
    refresh(scenario.contacts, scenario.market, store, horizon_days=HORIZON_DAYS, jobs=2,
            backtest_origins=0)
    assert main(["plan", "--data", str(SAMPLE), "--out", str(root / "plan"), "--store",
                 str(store), "--publish", "--time-limit", "120", "--work-limit", "5"]) == 0
    port = free_port()
    env = {**os.environ, "STAFFCAST_DATA": str(SAMPLE), "STAFFCAST_STORE": str(store)}
    log = (tmp_path_factory.getbasetemp() / "streamlit.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "optimize.ui.serve", "--server.headless", "true",
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


def metric(pg, label: str) -> str:
    return pg.locator('[data-testid="stMetric"]', has_text=label).first.locator(
        '[data-testid="stMetricValue"]').inner_text()


def number(text: str) -> float:
    return float(text.replace(",", "").replace("h", "").strip())


def check_roster(rows: list[list[str]], agents: pd.DataFrame) -> pd.DataFrame:
    """The downloaded roster against ``agents.csv``: known agents in their own time zone,
    ISO 8601 times with offsets, shifts of positive length, paid hours within contract."""
    assert rows[0] == ROSTER_HEADER
    roster = pd.DataFrame(rows[1:], columns=rows[0])
    known = agents.set_index("agent_id")
    assert roster["agent_id"].isin(known.index).all(), \
        sorted(set(roster["agent_id"]) - set(known.index))
    assert (roster["name"] == known.loc[roster["agent_id"], "name"].to_numpy()).all()
    assert (roster["timezone"] == known.loc[roster["agent_id"], "timezone"].to_numpy()).all()
    times = {}
    for col in ("start_utc", "end_utc", "start_local", "end_local"):
        # every cell is ISO 8601 with an explicit offset ("+00:00", "-06:00", ...)
        assert roster[col].str.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d").all(), \
            roster[col].head()
        times[col] = roster[col].map(pd.Timestamp)
    assert (roster["start_utc"].str.endswith("+00:00")).all()
    for utc, loc in (("start_utc", "start_local"), ("end_utc", "end_local")):
        assert (times[utc] == times[loc]).all()  # the same instant
        # ... written in the agent's own zone
        own = [t.tz_convert(z).utcoffset() == lt.utcoffset()
               for t, lt, z in zip(times[utc], times[loc], roster["timezone"], strict=True)]
        assert all(own)
    hours = roster["paid_hours"].astype(float)
    length = (times["end_utc"] - times["start_utc"]).dt.total_seconds() / 3600
    assert (hours > 0).all() and (hours <= length + 1e-9).all()
    per_agent = hours.groupby(roster["agent_id"]).sum()
    cap = known.loc[per_agent.index, "max_hours_week"].astype(float)
    assert (per_agent <= cap + 1e-6).all(), per_agent[per_agent > cap + 1e-6]
    return roster.assign(paid_hours=hours)


def test_sample_company_pages_schedule_and_roster(page):
    pg = page
    agents = pd.read_csv(SAMPLE / "agents.csv", dtype=str, keep_default_na=False)
    pg.get_by_role("heading", name="Overview", exact=True).wait_for()
    pg.get_by_text("Response-time outlook").wait_for()
    idle(pg)
    no_exception(pg)
    assert "forecast computed in the app" not in pg.locator(
        '[data-testid="stCaptionContainer"]').first.inner_text()  # the stored run is used
    assert number(metric(pg, "Agents")) == len(agents)
    # the plan `staffcast plan --publish` stored, without building anything
    pg.get_by_text(f"Figures from plan {PUBLISHED}").wait_for()
    published_paid = number(metric(pg, "Scheduled paid hours"))
    assert published_paid > 0
    shoot(pg, "1_overview")

    open_page(pg, "Data")
    pg.get_by_text("Now planning the sample company").wait_for()
    pg.get_by_text("50MB per file").wait_for()  # the widget states the limit the note gives
    assert number(metric(pg, "Agents")) == len(agents)
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
    pg.get_by_text(PUBLISHED_BADGE).wait_for()  # the published plan is the one in use
    assert number(metric(pg, "Shifts")) > len(agents)
    shoot(pg, "5_schedule_published")
    limit = pg.get_by_role("spinbutton", name="Solver time limit (s)")
    limit.fill(str(SOLVER_LIMIT_S))
    limit.press("Enter")
    idle(pg)
    pg.get_by_role("button", name="Build schedule").click()
    stop = pg.locator(".st-key-stop_build button:visible").first  # not the toolbar's Stop
    stop.wait_for()
    pg.wait_for_timeout(STOP_AFTER_MS)
    shoot(pg, "5_schedule_building")
    stop.click()  # keeps the best schedule found so far
    pg.get_by_text("This build was stopped").wait_for(timeout=300_000)
    pg.get_by_text("Gap to bound").wait_for()
    pg.get_by_text("Not repeatable: the build was stopped during the").wait_for()
    idle(pg)
    no_exception(pg)
    assert metric(pg, "Status") in ("optimal", "feasible")
    shifts = int(number(metric(pg, "Shifts")))
    assert shifts > len(agents)  # every agent works several shifts
    pg.locator('[data-testid="stVegaLiteChart"]').first.wait_for()
    pages = -(-len(agents) // 40)  # every agent can be reached, 40 a page
    pg.get_by_text(f"page 1 of {pages} drawn").wait_for()
    shoot(pg, "5_schedule")
    for tab, name in (("Coverage", "5_schedule_coverage"), ("Unmet and bent rules",
                                                              "5_schedule_unmet"),
                      ("Fairness", "5_schedule_fairness")):
        pg.get_by_role("tab", name=tab).click()
        pg.wait_for_timeout(1000)
        no_exception(pg)
        shoot(pg, name)
    # the build is a draft: compare it with the published plan, then publish it
    pg.get_by_role("tab", name="Compare with published").click()
    pg.get_by_text(f"This plan against the published {PUBLISHED}").wait_for()
    pg.get_by_text("agents whose shifts change").wait_for()
    idle(pg)
    no_exception(pg)
    shoot(pg, "5_schedule_compare")
    pg.get_by_role("button", name="Publish this plan").click()
    pg.get_by_text(PUBLISHED_BADGE).wait_for()
    idle(pg)
    no_exception(pg)
    pg.get_by_role("tab", name="Simulated").click()
    pg.get_by_role("button", name="Simulate this schedule").click()
    pg.get_by_text("over-promise by more than 2 points").wait_for(timeout=120_000)
    idle(pg)
    no_exception(pg)
    shoot(pg, "5_schedule_simulated")

    open_page(pg, "Export")
    no_exception(pg)
    shoot(pg, "6_export")
    with pg.expect_download() as info:
        pg.get_by_role("button", name="Roster CSV").click()
    assert info.value.suggested_filename == "roster_2026-11-30.csv"
    data = Path(info.value.path()).read_bytes()
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
    roster = check_roster(rows, agents)
    assert len(roster) == shifts
    paid = roster["paid_hours"].sum()
    summary = pg.get_by_text("paid hours.").first.inner_text()
    assert f"{shifts} shifts for {roster['agent_id'].nunique()} agents" in summary
    assert f"{paid:,.0f} paid hours" in summary

    open_page(pg, "Capacity")  # how many to hire: the plan and its files
    eff = pg.get_by_role("spinbutton", name="efficiency (0 = measure)")
    eff.fill("1.343")  # the sample's measured figure (bench/README.md), not measured again here
    eff.press("Enter")
    pg.get_by_role("button", name="Build capacity plan").click()
    pg.get_by_text("Hiring plan").wait_for(timeout=300_000)
    pg.locator('[data-testid="stVegaLiteChart"]').first.wait_for()
    idle(pg)
    no_exception(pg)
    shoot(pg, "7_capacity")
    with pg.expect_download() as info:
        pg.get_by_role("button", name="Download capacity.csv").click()
    cap = pd.read_csv(info.value.path())
    assert cap["week_start"].nunique() == 26 and len(cap) == 26 * 32
    gap = cap["available_fte_plan"] + cap["short_fte_plan"] - cap["required_fte"]
    assert gap.abs().max() < 1e-4
    assert number(metric(pg, "Hires in the plan")) > 0  # the sample is 100 FTE short today

    open_page(pg, "Overview")  # the schedule survived the page switches and feeds the overview
    pg.get_by_text(f"Figures from plan {DRAFT}").wait_for()
    assert number(metric(pg, "Scheduled paid hours")) == pytest.approx(paid, abs=0.5)
    no_exception(pg)
    shoot(pg, "1_overview_with_schedule")

    pg.reload()  # a new session: it opens on the plan just published
    pg.get_by_role("heading", name="Overview", exact=True).wait_for()
    pg.get_by_text(f"Figures from plan {DRAFT}").wait_for()
    idle(pg)
    assert number(metric(pg, "Scheduled paid hours")) == pytest.approx(paid, abs=0.5)
    shoot(pg, "1_overview_after_reload")

    # a display zone: the roster table shows every shift in it
    pg.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first.click()
    pg.get_by_role("listbox").wait_for()
    pg.keyboard.type("Manila")
    pg.get_by_role("option", name="Asia/Manila").click()
    idle(pg)
    open_page(pg, "Schedule")
    pg.get_by_text("times in Asia/Manila").first.wait_for()
    pg.get_by_role("tab", name="Roster").click()  # the page keeps the last tab chosen
    idle(pg)
    table = pg.locator('[data-testid="stDataFrame"]:visible').first
    table.wait_for()
    header = " | ".join(table.locator('[role="columnheader"]').all_inner_texts())
    assert "start (Asia/Manila, UTC+08:00)" in header, header
    no_exception(pg)
    shoot(pg, "5_schedule_in_manila")


def test_broken_upload_shows_the_problem_list(page):
    """Four files of a scenario whose agents.csv has a wrong time zone and a word for a
    number: the app lists each problem (file, line, column, value) and keeps the sample."""
    pg = page
    open_page(pg, "Data")
    agents = (SAMPLE / "agents.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    assert ",Europe/London," in agents[2] and ",40," in agents[3]
    agents[2] = agents[2].replace(",Europe/London,", ",Mars/Olympus,")
    agents[3] = agents[3].replace(",40,", ",forty,", 1)
    files = [{"name": "agents.csv", "mimeType": "text/csv", "buffer": "".join(agents).encode()}]
    files += [{"name": f, "mimeType": "application/octet-stream",
               "buffer": (SAMPLE / f).read_bytes()}
              for f in ("contacts.csv.gz", "market.csv", "scenario.toml")]
    pg.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(files)
    button = pg.get_by_role("button", name="Validate and use")
    pg.wait_for_function("() => [...document.querySelectorAll('button')].some(b => "
                         "b.innerText.includes('Validate and use') && !b.disabled)")
    idle(pg)
    button.click()
    pg.get_by_text("The upload has").wait_for(timeout=120_000)
    idle(pg)
    no_exception(pg)
    text = pg.get_by_text("The upload has").inner_text()
    assert "nothing was changed" in text
    table = pg.locator('[data-testid="stDataFrame"]').first
    table.wait_for()
    shoot(pg, "2_data_upload_problems")
    # the grid is drawn on a canvas; its accessible table mirrors the cells
    cells = table.locator('[role="gridcell"]').all_inner_texts()
    joined = " | ".join(cells)
    assert "agents.csv" in joined and "Mars/Olympus" in joined and "forty" in joined, joined
    assert "timezone" in joined and "max_hours_week" in joined, joined
    pg.get_by_text("Now planning the sample company").wait_for()
