"""The scenario directory, read and checked as one: the first stage of planning.

- :mod:`~optimize.scenario.config`: ``scenario.toml`` as frozen dataclasses (targets,
  shrinkage, shift templates, labour rules, horizon);
- :mod:`~optimize.scenario.agents`: ``agents.csv`` (skills, time zones, contracts);
- :mod:`~optimize.scenario.horizon`: which week is planned and which forecast covers it;
- :mod:`~optimize.scenario.load`: the whole directory, every problem listed at once;
- :mod:`~optimize.scenario.sample`: the generated sample company (``staffcast sample``),
  with its ``sample_scenario.toml``.

Contacts and market history are checked by :mod:`forecast.inputs`, which this package
uses; nothing here imports a later stage.
"""

from optimize.scenario.agents import check_agents, load_agents
from optimize.scenario.config import (
    ChannelConfig,
    ScenarioConfig,
    ShiftTemplate,
    load_config,
    parse_config,
)
from optimize.scenario.horizon import forecast_window, plan_window
from optimize.scenario.load import Scenario, load_scenario_dir

__all__ = [
    "ChannelConfig",
    "Scenario",
    "ScenarioConfig",
    "ShiftTemplate",
    "check_agents",
    "forecast_window",
    "load_agents",
    "load_config",
    "load_scenario_dir",
    "parse_config",
    "plan_window",
]
