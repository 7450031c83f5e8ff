"""A scenario directory, read and checked as one: contacts, market, agents and config.

:func:`load_scenario_dir` reads all four files, collects the problems of every file (it
does not stop at the first bad one), runs the cross-file checks (contacts and agents may
only use channels configured in ``scenario.toml``; an agent's languages must appear in
contacts; VIP-only channels need VIP agents) and raises one
:class:`~forecast.inputs.problems.InputError` listing them all.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from forecast.inputs.directory import queues_of, read_calendar_file, read_history_files
from forecast.inputs.problems import InputError, Problem, raise_if_any
from optimize.scenario.agents import check_agents
from optimize.scenario.config import ScenarioConfig, load_config

__all__ = ["Scenario", "load_scenario_dir"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class Scenario:
    """Everything in a scenario directory, checked and in the contract's in-memory types.

    Attributes
    ----------
    contacts : DataFrame
        ``interval_start, channel, language, contacts, aht_s`` (see docs/contract.md).
    market : DataFrame or None
        ``timestamp, price[, volume]``; ``None`` when there is no ``market.csv``.
    agents : DataFrame
        One row per agent (see :func:`optimize.scenario.agents.load_agents`).
    config : ScenarioConfig
        ``scenario.toml``.
    interval_s : int
        Interval length of the contacts history, seconds (900, 1800 or 3600).
    directory : Path
        Where it was read from.
    calendar : DataFrame or None
        ``calendar.csv`` (special days, :mod:`forecast.inputs.calendar`), when present.
    """

    contacts: pd.DataFrame
    market: pd.DataFrame | None
    agents: pd.DataFrame
    config: ScenarioConfig
    interval_s: int
    directory: Path
    calendar: pd.DataFrame | None = None

    @property
    def queues(self) -> pd.DataFrame:
        """Distinct ``channel, language`` pairs of the contacts history, sorted."""
        return queues_of(self.contacts)

    @property
    def channels(self) -> tuple[str, ...]:
        """Channels in the contacts history, sorted."""
        return tuple(sorted(self.contacts["channel"].unique()))

    @property
    def languages(self) -> tuple[str, ...]:
        """Languages in the contacts history, sorted."""
        return tuple(sorted(self.contacts["language"].unique()))

    @property
    def history_start(self) -> pd.Timestamp:
        """Start of the first interval of the history (UTC)."""
        return self.contacts["interval_start"].min()

    @property
    def history_end(self) -> pd.Timestamp:
        """End of the last interval of the history (UTC, exclusive)."""
        return self.contacts["interval_start"].max() + pd.Timedelta(seconds=self.interval_s)


def load_scenario_dir(directory: str | Path) -> Scenario:
    """Read and check a scenario directory.

    Parameters
    ----------
    directory : str or Path
        Holds ``contacts.csv`` (or ``.csv.gz``), ``agents.csv``, ``scenario.toml`` and,
        optionally, ``market.csv``.

    Returns
    -------
    Scenario

    Raises
    ------
    InputError
        With every problem of every file and every cross-file problem, one per line.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise InputError([Problem(str(directory), "scenario directory not found")])
    problems: list[Problem] = []

    config: ScenarioConfig | None = None
    try:
        config = load_config(directory / "scenario.toml")
    except InputError as exc:
        problems += exc.problems
    channel_names = None if config is None else tuple(config.channels)
    vip_channels = () if config is None else tuple(
        name for name, ch in config.channels.items() if ch.vip)

    contacts, market, found = read_history_files(directory, channels=channel_names)
    problems += found
    calendar, found = read_calendar_file(directory, contacts)
    problems += found

    agents = check_agents(directory / "agents.csv", channels=channel_names,
                          languages=contacts.languages or None, vip_channels=vip_channels)
    problems += agents.problems
    if config is not None and agents.frame is not None:
        queues = None if contacts.frame is None else set(map(tuple, contacts.frame[
            ["channel", "language"]].drop_duplicates().astype(str).to_numpy().tolist()))
        problems += _unserved_targets(config, agents.frame, queues)
    raise_if_any(problems)

    scenario = Scenario(contacts=contacts.frame, market=None if market is None else market.frame,
                        agents=agents.frame, config=config, interval_s=contacts.interval_s,
                        directory=directory, calendar=calendar)
    _log_coverage(scenario)
    return scenario


def _unserved_targets(config: ScenarioConfig, agents: pd.DataFrame,
                      queues: set[tuple[str, str]] | None) -> list[Problem]:
    """Hours or overflow rules that send contacts to a queue no agent may take (a rule of
    a queue absent from ``queues``, the contacts' queues, sends nothing)."""
    out = []
    rules = [(h.name, "hours", "closed_to", h.closed_to, (h.channel, h.language))
             for h in config.hours]
    rules += [(o.name, "overflow", "to", o.to, (o.channel, o.language)) for o in config.overflow]
    for name, section, key, target, source in rules:
        if target is None or (queues is not None and source not in queues):
            continue
        chan, lang = target
        vip = config.channels[chan].vip
        ok = agents["channels"].map(lambda c, chan=chan: chan in c) & agents["languages"].map(
            lambda x, lang=lang: lang in x) & (agents["vip"] | (not vip))
        if not ok.any():
            out.append(Problem("scenario.toml", f"no agent in agents.csv may take {chan}/{lang}, "
                                                f"where {name} sends contacts",
                               column=f"{section}.{name}.{key}", value=f"{chan}/{lang}"))
    return out


def _log_coverage(scenario: Scenario) -> None:
    """Warn about what is legal but probably unintended (nothing here is an error)."""
    unused = sorted(set(scenario.config.channels) - set(scenario.channels))
    if unused:
        log.warning("channels configured but absent from contacts: %s", unused)
    spoken = {lang for langs in scenario.agents["languages"] for lang in langs}
    unserved = sorted(set(scenario.languages) - spoken)
    if unserved:
        log.warning("languages in contacts that no agent speaks: %s", unserved)
