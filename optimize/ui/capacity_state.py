"""The capacity page's cached work: its settings, the measured efficiency, the plan.

Beside :mod:`optimize.ui.state` (whose scenario loaders it uses), so that module stays
readable in one sitting; like it, the only place the capacity page caches.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from optimize.scenario.config import ScenarioConfig
from optimize.ui import state

__all__ = ["capacity", "capacity_settings", "efficiency", "fingerprint"]


def capacity_settings() -> Any:
    """``[capacity]`` of the scenario in use (sample or upload) as a ``CapacityConfig``;
    InputError on a bad table."""
    import tomllib

    from optimize.capacity.config import capacity_config

    upload = st.session_state.get("upload") if st.session_state.get("source") == "upload" else None
    raw = next((b for n, b in upload if Path(n).name == "scenario.toml"), b"") if upload \
        else (state.sample_dir() / "scenario.toml").read_bytes()
    doc = tomllib.loads(raw.decode("utf-8-sig")) if raw else {}
    return capacity_config(doc.get("capacity"))


def fingerprint(scenario: Any) -> str:
    """A key of what the capacity plan reads beside the data hash: the agents and the
    scenario's settings (an upload that changes only agents.csv is another plan)."""
    import hashlib

    h = hashlib.sha1(scenario.agents.to_csv(index=False).encode("utf-8"))
    h.update(repr(scenario.config).encode("utf-8"))
    return h.hexdigest()


@st.cache_data(show_spinner="Measuring the scheduling efficiency: scheduling the history's "
                            "last week with today's agents (once per scenario)...", max_entries=2)
def efficiency(_scenario: Any, data_key: str, scenario_key: str, _config: ScenarioConfig) -> Any:
    """The measured :class:`optimize.capacity.Efficiency` of the scenario (cached on the
    data and :func:`fingerprint`)."""
    from optimize.capacity.efficiency import measure_efficiency, recent_week

    req = recent_week(_scenario.contacts, _config, _scenario.interval_s)
    return measure_efficiency(req, _scenario.agents, _config, work_limit_s=20.0)


@st.cache_data(show_spinner="Backtesting the long-range models (once per scenario)...",
               max_entries=4)
def _longrange_choice(_scenario: Any, data_key: str, weeks: int) -> Any:
    from forecast.longrange import backtest_weeks, weekly_history

    weekly = weekly_history(_scenario.contacts, _scenario.interval_s, _scenario.calendar)
    return backtest_weeks(weekly, weeks)


@st.cache_data(show_spinner="Building the capacity plan (a check on the scheduler adds a "
                            "minute or two a round)...", max_entries=8)
def capacity(_scenario: Any, data_key: str, scenario_key: str, weeks: int,
             _config: ScenarioConfig, _settings: Any, _volume: Any, _added: tuple,
             efficiency: float, note: str, whatif_key: str,
             rounds: int | None = None) -> tuple[Any, Any]:
    """The :class:`optimize.capacity.CapacityPlan` of the scenario (keyed on its data hash
    and :func:`fingerprint`) under the page's what-ifs (``whatif_key`` is their repr: the
    cache key of the unhashed arguments), and
    with ``rounds`` not None, checked and corrected on the scheduler that many times
    (:func:`optimize.capacity.check.calibrate`): ``(plan, checks)``, checks None without."""
    from optimize.capacity.check import calibrate
    from optimize.capacity.plan import capacity_plan

    kw = dict(capacity=_settings, volume=_volume, efficiency=efficiency,
              market=_scenario.market, calendar=_scenario.calendar, added=_added,
              choice=_longrange_choice(_scenario, data_key, min(weeks, 26)),
              efficiency_note=note)
    if rounds is None:
        return capacity_plan(_scenario.contacts, _scenario.agents, _config,
                             _scenario.interval_s, weeks, **kw), None
    cal = calibrate(_scenario.contacts, _scenario.agents, _config, _scenario.interval_s, weeks,
                    rounds=rounds, **kw)
    return cal.plan, cal.checks
