"""The app's cached loaders and session state (with :mod:`optimize.ui.capacity_state`, the
capacity page's, the only modules of the UI that cache).

Heavy work (loading a scenario, forecasting, computing requirements, evaluating a
schedule) goes through ``st.cache_data`` keyed on its inputs, so a simple rerun repeats
none of it. Choices that must survive page switches live in ``st.session_state`` under
plain (non-widget) keys listed in :data:`DEFAULTS`; pages write them from their widgets.
"""

from __future__ import annotations

import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from optimize.scenario.config import ScenarioConfig
from optimize.scenario.horizon import forecast_window, plan_window
from optimize.ui.whatif import apply_deflection, config_whatif

__all__ = [
    "ROOT",
    "SAMPLE_DIR",
    "MAX_UPLOAD_MB",
    "DEFAULTS",
    "Plan",
    "init_state",
    "sample_dir",
    "store_path",
    "load_dir",
    "load_upload",
    "current_scenario",
    "scenario_key",
    "plan",
    "plan_config",
    "forecast_for",
    "backtest_metrics",
    "stored_metrics",
    "track_record",
    "forecast_key",
    "requirements",
    "coverage",
    "simulation",
    "scenario_identity",
    "stored_plan",
    "timezone_picker",
    "widget",
]

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_DIR = ROOT / "data" / "sample"
#: largest file an upload may hold (the sample company's contacts.csv.gz is a few MB)
MAX_UPLOAD_MB = 50

#: session keys (not widget keys, so they survive page switches) and their defaults
DEFAULTS: dict[str, Any] = {
    "source": "sample",          # "sample" or "upload"
    "upload": None,              # tuple of (file name, bytes) of a validated upload
    "tz": None,                  # display time zone; None -> scenario.toml's
    "market_scenario": "typical",
    "shock": None,               # (iso timestamp, move) or None
    "channels_whatif": {},       # {channel: {key: value}}
    "staffing_whatif": {},       # {"shrinkage": x, "max_occupancy": y}
    "quantile": "contacts",      # forecast column staffed to
    "deflection": {},            # {(channel, language): share}
    "schedule": None,            # {"key": ..., "result": ScheduleResult, "plan_id": ..., ...}
    "opened_published": False,   # the published plan was offered once this session
    "capacity_inputs": None,     # the Capacity page's last built what-ifs (a dict)
}


def init_state() -> None:
    """Put every default of :data:`DEFAULTS` into the session state (once per session)."""
    for key, value in DEFAULTS.items():
        if key not in st.session_state:
            st.session_state[key] = value.copy() if isinstance(value, dict) else value


def sample_dir() -> Path:
    """The embedded sample company: ``$STAFFCAST_DATA`` or ``data/sample``."""
    return Path(os.environ.get("STAFFCAST_DATA", SAMPLE_DIR))


def store_path() -> Path:
    """The forecast run store the app reads: ``$STAFFCAST_STORE`` or ``out/store.sqlite``."""
    return Path(os.environ.get("STAFFCAST_STORE", ROOT / "out" / "store.sqlite"))


def _stamp(path: Path) -> tuple:
    return tuple(sorted((p.name, p.stat().st_mtime_ns, p.stat().st_size)
                        for p in path.iterdir() if p.is_file()))


@st.cache_data(show_spinner="Loading the scenario...", max_entries=4)
def _load_dir(path: str, stamp: tuple) -> tuple[Any, str]:
    from forecast.refresh import data_hash
    from optimize.scenario.load import load_scenario_dir

    scenario = load_scenario_dir(Path(path))
    return scenario, data_hash(scenario.contacts, scenario.market, scenario.calendar)


def load_dir(path: Path) -> tuple[Any, str]:
    """``(Scenario, data hash)`` of a scenario directory, cached on its files' mtimes."""
    return _load_dir(str(path), _stamp(path))


@st.cache_data(show_spinner="Validating the upload...", max_entries=4)
def load_upload(files: tuple[tuple[str, bytes], ...]) -> tuple[Any, str]:
    """``(Scenario, data hash)`` of uploaded scenario files (name, bytes).

    Raises
    ------
    InputError
        With every problem found (exceptions are not cached, so a fixed upload is re-read).
    """
    from forecast.refresh import data_hash
    from optimize.scenario.load import load_scenario_dir

    with tempfile.TemporaryDirectory(prefix="staffcast-upload-") as tmp:
        for name, data in files:
            (Path(tmp) / Path(name).name).write_bytes(data)
        scenario = load_scenario_dir(Path(tmp))
    return scenario, data_hash(scenario.contacts, scenario.market, scenario.calendar)


def current_scenario() -> tuple[Any, str]:
    """The scenario in use (sample or validated upload) and its data hash."""
    init_state()
    if st.session_state["source"] == "upload" and st.session_state["upload"]:
        return load_upload(st.session_state["upload"])
    return load_dir(sample_dir())


def scenario_key() -> str:
    """A short label of the scenario in use, for captions."""
    return "uploaded scenario" if st.session_state.get("source") == "upload" else "sample company"


@st.cache_data(show_spinner="Forecasting every queue (runs once per choice)...", max_entries=8)
def _forecast(_scenario: Any, data_key: str, asof: pd.Timestamp, horizon_days: int,
              market_scenario: str, shock: tuple[str, float] | None,
              models: tuple[tuple[str, str, str], ...] = ()) -> pd.DataFrame:
    from forecast import Shock, forecast_panel

    sh = Shock(pd.Timestamp(shock[0]), float(shock[1])) if shock else None
    market = _scenario.market if market_scenario != "none" else None
    fixed = {(c, lang): m for c, lang, m in models} or None
    return forecast_panel(_scenario.contacts, market, asof=asof, horizon_days=horizon_days,
                          scenario=market_scenario, shock=sh, jobs=2, models=fixed,
                          calendar=_scenario.calendar)


@st.cache_data(show_spinner=False, max_entries=8, ttl=60)
def _stored_forecast(store: str, data_key: str, start: pd.Timestamp, end: pd.Timestamp,
                     market_scenario: str) -> tuple[pd.DataFrame, dict] | None:
    from forecast.store.runs import list_runs, load_forecast

    if not Path(store).is_file():
        return None
    for run in sorted(list_runs(store), key=lambda r: r.created_at, reverse=True):
        if run.data_hash != data_key or run.scenario != market_scenario:
            continue
        if run.asof > start or run.asof + pd.Timedelta(days=run.horizon_days) < end:
            continue
        fc = load_forecast(store, run.run_id)
        chosen = fc.groupby(["channel", "language"])["model"].agg(lambda m: m.mode().iloc[0])
        info = {"run_id": run.run_id, "created_at": run.created_at, "asof": run.asof,
                "horizon_days": run.horizon_days, "store": store,
                "models": tuple((c, lang, str(m)) for (c, lang), m in chosen.items())}
        return fc, info
    return None


@dataclass(frozen=True)
class Plan:
    """Everything a page needs about the plan in use."""

    scenario: Any
    data_key: str
    start: pd.Timestamp  # plan week(s), UTC
    end: pd.Timestamp
    data_end: pd.Timestamp
    forecast: pd.DataFrame  # the forecast in use (deflection not applied)
    forecast_source: dict  # run_id/created_at/store, or {"live": True}
    tz: str


def plan() -> Plan:
    """The scenario, plan window and forecast in use (cached; from the store when a run of
    this data and market scenario covers the plan, else forecast now)."""
    init_state()
    from forecast.inputs.problems import InputError
    from forecast.refresh import data_window

    try:
        scenario, key = current_scenario()
    except InputError as exc:
        st.error(f"The {scenario_key()} cannot be read ({len(exc.problems)} problem(s)); see "
                 "the Data page.")
        st.stop()

    data_end = data_window(scenario.contacts)[1]
    start, end = plan_window(data_end, scenario.config.horizon)
    ms, shock = st.session_state["market_scenario"], st.session_state["shock"]
    try:
        fc, source = forecast_for(scenario, key, start, end, data_end, ms, shock)
    except ValueError as exc:  # e.g. too short a history for the models
        st.error(f"No forecast can be made for the {scenario_key()}: {exc}. Upload a scenario "
                 "with a longer history on the Data page.")
        st.stop()
    from optimize.queueing.routing import route_hours

    fc, _ = route_hours(fc, scenario.config.hours)  # closed queues' contacts go where routed
    tz = st.session_state["tz"] or scenario.config.horizon.display_timezone
    return Plan(scenario, key, start, end, data_end, fc, source, tz)


def forecast_for(scenario: Any, key: str, start: pd.Timestamp, end: pd.Timestamp,
                 data_end: pd.Timestamp, market_scenario: str,
                 shock: tuple[str, float] | None) -> tuple[pd.DataFrame, dict]:
    """The forecast covering plan ``[start, end)`` under a market scenario, and its source:
    the newest stored run of this data and scenario covering the plan (sample company, no
    shock); else, when a stored typical run covers the plan, the scenario computed now from
    that run's origin, horizon and models (so it differs from the run, its baseline, by the
    market alone; the source names the baseline); else a forecast computed now. Cached."""
    asof, horizon_days = forecast_window(start, end, data_end)
    if st.session_state.get("source", "sample") == "sample":
        if shock is None:
            stored = _stored_forecast(str(store_path()), key, start, end, market_scenario)
            if stored is not None:
                return stored
        base = _stored_forecast(str(store_path()), key, start, end, "typical")
        if base is not None:  # like for like: the stored run's origin, horizon and models
            info = base[1]
            fc = _forecast(scenario, key, info["asof"], info["horizon_days"], market_scenario,
                           shock, info["models"])
            return fc, {"live": True, "asof": info["asof"],
                        "horizon_days": info["horizon_days"], "baseline": info}
    fc = _forecast(scenario, key, asof, horizon_days, market_scenario, shock)
    return fc, {"live": True, "asof": asof, "horizon_days": horizon_days}


def plan_config(config: ScenarioConfig) -> ScenarioConfig:
    """``config`` with the what-ifs of the session applied."""
    return config_whatif(config, channels=st.session_state["channels_whatif"],
                         staffing=st.session_state["staffing_whatif"])


@st.cache_data(show_spinner="Computing required agents...", max_entries=16)
def _requirements(_forecast: pd.DataFrame, fc_key: tuple, _config: ScenarioConfig,
                  config_key: str, interval_s: int, quantile: str,
                  deflection: tuple) -> pd.DataFrame:
    from optimize.queueing.requirements import compute_requirements

    fc = apply_deflection(_forecast, dict(deflection)) if deflection else _forecast
    q = None if quantile == "contacts" else quantile
    return compute_requirements(fc, _config, interval_s=interval_s, quantile=q)


def forecast_key(p: Plan) -> tuple:
    """A hashable key naming the forecast in use."""
    return (p.data_key, st.session_state["market_scenario"], st.session_state["shock"],
            str(p.forecast_source.get("run_id", "live")), str(p.start), str(p.end))


def requirements(p: Plan, config: ScenarioConfig, *, quantile: str | None = None,
                 deflection: dict | None = None) -> pd.DataFrame:
    """Requirements of the plan window under ``config``, staffing to ``quantile`` after
    ``deflection`` (session values by default); computed over the whole (padded) forecast
    so that the email backlog entering the week is known."""
    quantile = st.session_state["quantile"] if quantile is None else quantile
    deflection = st.session_state["deflection"] if deflection is None else deflection
    defl = tuple(sorted((k, float(v)) for k, v in deflection.items() if v))
    req = _requirements(p.forecast, forecast_key(p), config, repr(config),
                        p.scenario.interval_s, quantile, defl)
    t = req["interval_start"]
    return req[(t >= p.start) & (t < p.end)].reset_index(drop=True)


@st.cache_data(show_spinner="Backtesting every queue (runs once per scenario)...", max_entries=2)
def backtest_metrics(_scenario: Any, data_key: str, origins: int, horizon_days: int) -> pd.DataFrame:
    """Per queue x candidate x origin backtest metrics computed now (cached on the data)."""
    from forecast.backtesting import backtest

    return backtest(_scenario.contacts, _scenario.market, origins=origins,
                    horizon_days=horizon_days, jobs=2).metrics


@st.cache_data(show_spinner=False, max_entries=4, ttl=60)
def stored_metrics(store: str, run_id: str) -> pd.DataFrame:
    """The backtest metrics stored with forecast run ``run_id`` (empty when none)."""
    from forecast.store.runs import load_metrics

    return load_metrics(store, run_id)


@st.cache_data(show_spinner=False, max_entries=8)
def stored_choices(store: str, run_id: str) -> pd.DataFrame:
    """Each queue's model choice stored with forecast run ``run_id`` (empty when none)."""
    from forecast.store.runs import load_choices

    return load_choices(store, run_id)


@st.cache_data(show_spinner=False, max_entries=4, ttl=60)
def track_record(store: str) -> pd.DataFrame:
    """The stored forecast runs' scores on later actuals, pooled per run and horizon
    (:func:`forecast.store.track.track_record`; empty without a store or scores)."""
    from forecast.store.track import load_scores
    from forecast.store.track import track_record as pooled

    if not Path(store).is_file():
        return pooled(pd.DataFrame())
    return pooled(load_scores(store))


@st.cache_data(show_spinner="Evaluating the schedule...", max_entries=4)
def coverage(_forecast: pd.DataFrame, _staffed: pd.DataFrame, _config: ScenarioConfig,
             key: tuple, interval_s: int, window: tuple[pd.Timestamp, pd.Timestamp],
             _activities: pd.DataFrame | None = None) -> pd.DataFrame:
    """Coverage of a built schedule over the plan ``window`` (``key`` names the schedule
    and its inputs, activities included; email and social on the ``_activities``)."""
    from optimize.queueing.requirements import evaluate_staffing

    return evaluate_staffing(_forecast, _staffed, _config, interval_s=interval_s, window=window,
                             roster=_activities)


@st.cache_data(show_spinner="Simulating the week contact by contact...", max_entries=4)
def simulation(_activities: pd.DataFrame, _forecast: pd.DataFrame, _coverage: pd.DataFrame,
               _config: ScenarioConfig, key: tuple, interval_s: int,
               window: tuple[pd.Timestamp, pd.Timestamp], reps: int, seed: int) -> pd.DataFrame:
    """Promised beside simulated per queue for a built schedule (``key`` names the schedule
    and its inputs); :func:`optimize.simulation.simulate_plan` with the promise of
    ``summary.md`` (:func:`optimize.outputs.summary.queue_outlook`)."""
    from optimize.outputs.summary import queue_outlook
    from optimize.simulation import simulate_plan

    start, end = window
    weeks = int(round((end - start) / pd.Timedelta(days=7)))
    _, comparison = simulate_plan(_activities, _forecast, _config, start=start, weeks=weeks,
                                  interval_s=interval_s,
                                  promised=queue_outlook(_forecast, _coverage, start, end),
                                  reps=reps, seed=seed, jobs=2)
    return comparison


@st.cache_data(show_spinner=False, max_entries=8)
def _dir_identity(path: str, stamp: tuple) -> tuple[str, str]:
    from optimize.records import fingerprint_dir, scenario_label

    return scenario_label(path), fingerprint_dir(path)


def scenario_identity() -> tuple[str, str]:
    """``(label, fingerprint)`` filing the plans of the scenario in use: its directory name
    and the hash of its raw files (no parsing: cheap enough for every page's first run)."""
    init_state()
    if st.session_state["source"] == "upload" and st.session_state["upload"]:
        from optimize.records import fingerprint_files

        fp = fingerprint_files(st.session_state["upload"])
        return f"upload-{fp[:8]}", fp
    path = sample_dir()
    return _dir_identity(str(path), _stamp(path))


@st.cache_data(show_spinner="Opening the stored plan...", max_entries=6)
def stored_plan(store: str, plan_id: str) -> tuple[Any, Any, dict[str, bytes]]:
    """``(PlanInfo, ScheduleResult, files)`` of a stored plan (a plan never changes once
    stored, except its status: read :func:`optimize.records.find_plan` for that)."""
    from optimize.records import find_plan, load_plan_files, stored_schedule

    info = find_plan(store, plan_id)
    files = load_plan_files(store, plan_id)
    return info, stored_schedule(info, files), files


#: time zones offered in the sidebar (plus the scenario's and its agents' own)
ZONES = ("UTC", "Asia/Seoul", "Asia/Tokyo", "Asia/Shanghai", "Asia/Singapore",
         "Asia/Ho_Chi_Minh", "Asia/Kolkata", "Europe/Istanbul", "Europe/Berlin",
         "Europe/London", "America/Sao_Paulo", "America/New_York", "America/Los_Angeles")


def _keep(widget_key: str, state_key: str) -> None:
    st.session_state[state_key] = st.session_state[widget_key]


@st.cache_data(show_spinner=False, max_entries=8)
def _zones_of(files: tuple[tuple[str, bytes], ...]) -> tuple[str, tuple[str, ...]]:
    """The display zone of ``scenario.toml`` and the agents' zones, from the raw files."""
    import csv
    import io
    import tomllib

    named = dict(files)
    try:
        toml = tomllib.loads(named.get("scenario.toml", b"").decode("utf-8"))
        display = str(toml.get("horizon", {}).get("display_timezone", "UTC"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        display = "UTC"
    try:
        rows = csv.DictReader(io.StringIO(named.get("agents.csv", b"").decode("utf-8-sig")))
        agents = tuple(sorted({r["timezone"] for r in rows if r.get("timezone")}))
    except (UnicodeDecodeError, csv.Error, KeyError):
        agents = ()
    return display, agents


def timezone_picker() -> None:
    """Sidebar select box of the display time zone (kept under the ``tz`` session key).

    Reads only ``scenario.toml`` and ``agents.csv`` (not the contacts), so the sidebar does
    not hold up the page on a cold start; a zone that is not valid is reported on the Data
    page by the scenario's own checks."""
    init_state()
    if st.session_state["source"] == "upload" and st.session_state["upload"]:
        files = tuple(f for f in st.session_state["upload"]
                      if Path(f[0]).name in ("scenario.toml", "agents.csv"))
    else:
        d = sample_dir()
        files = tuple((n, (d / n).read_bytes()) for n in ("scenario.toml", "agents.csv")
                      if (d / n).is_file())
    display, agent_zones = _zones_of(files)
    from zoneinfo import available_timezones

    valid = available_timezones()
    zones = list(ZONES) + sorted({z for z in (display, *agent_zones) if z in valid} - set(ZONES))
    default = st.session_state["tz"] or (display if display in valid else "UTC")
    st.session_state["w:tz"] = default
    st.selectbox("Times shown in", zones, key="w:tz", on_change=_keep, args=("w:tz", "tz"),
                 help="Every time in the app is shown in this time zone; data stays in UTC.")


def widget(factory: Any, label: str, state_key: str, *, key: str | None = None,
           value: Any = None, **kwargs: Any) -> Any:
    """Create a widget whose value persists across page switches under ``state_key``.

    The widget's own key (``w:<state_key>``) is dropped by Streamlit when the page is left;
    the value is kept under the plain session key and written back on return.
    """
    wkey = key or f"w:{state_key}"
    if wkey not in st.session_state:
        current = st.session_state.get(state_key)
        st.session_state[wkey] = value if current is None else current
    out = factory(label, key=wkey, **kwargs)
    st.session_state[state_key] = out
    return out
