"""The capacity plan's settings: supply, hiring rules and costs (``[capacity]`` in scenario.toml).

Every key is optional; docs/scenario.md lists them with units and defaults. Command-line
what-ifs replace single values (:meth:`CapacityConfig.replace`), and every value is
checked here, so a bad one is one clear line whether it came from the file or the
command line.

Hire profiles (``[[capacity.profiles]]``: ``name``, ``languages``, ``channels``, ``vip``,
``hours_week``, ``cost_per_hour``) are the kinds of agent the plan may hire. Without any,
every language of the desk gets two: ``LANG`` (the language, plus English when it is not
English, on every channel that needs no VIP certification) and ``LANG-vip`` (the same,
certified, on every channel). A paid hour costs 1.0, plus :data:`LANGUAGE_PREMIUM` for
a second language and :data:`VIP_PREMIUM` for the certification (replace them with the
desk's pay premiums). The language premium also settles what a premium of zero would
leave to chance: an hour of English work is as cheap from any bilingual hire, so the
plan split English shortfall between the languages at random (61 hires on the sample
either way, per language up to 8 apart between two solver tolerances); with it, English
work goes to English hires and a language's hires to its own queues, up to the solver's
0.1 % gap (on the sample, the same hires within one per profile at 0.01 %).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from forecast.inputs.problems import InputError, Problem

__all__ = ["LANGUAGE_PREMIUM", "VIP_PREMIUM", "CapacityConfig", "HireProfile", "capacity_config",
           "default_profiles"]

VIP_PREMIUM = 0.15
LANGUAGE_PREMIUM = 0.05


@dataclass(frozen=True)
class HireProfile:
    """A kind of agent the plan may hire: skills, weekly paid hours and cost per paid hour."""

    name: str
    languages: tuple[str, ...]
    channels: tuple[str, ...]
    vip: bool = False
    hours_week: float = 40.0
    cost_per_hour: float = 1.0

    def __post_init__(self) -> None:
        if not self.languages or not self.channels:
            raise ValueError(f"profile {self.name!r} needs at least one language and one channel")
        if not 0.0 < self.hours_week <= 60.0:
            raise ValueError(f"profile {self.name!r}: hours_week must be in (0, 60], "
                             f"got {self.hours_week!r}")
        if not self.cost_per_hour >= 0.0:
            raise ValueError(f"profile {self.name!r}: cost_per_hour must be >= 0, "
                             f"got {self.cost_per_hour!r}")


@dataclass(frozen=True)
class CapacityConfig:
    """Supply and hiring settings of a capacity plan (module docstring; docs/scenario.md).

    Costs are in paid hours of a standard agent: a paid hour of a hire costs its profile's
    ``cost_per_hour``, an hour of required work left short costs ``short_hour_cost`` x the
    queue's channel priority, a hire costs ``cost_per_hire`` once.
    """

    hours_per_fte: float = 40.0
    attrition_monthly: float = 0.02
    attrition_by_language: Mapping[str, float] = field(default_factory=dict)
    training_weeks: int = 4
    ramp_weeks: int = 4
    ramp_share: float = 0.5
    lead_time_weeks: int = 4
    max_hires_per_week: int = 10
    min_class_size: int = 1
    cost_per_hire: float = 0.0
    short_hour_cost: float = 10.0
    efficiency: float | None = None
    profiles: tuple[HireProfile, ...] = ()

    def __post_init__(self) -> None:
        rates = {"attrition_monthly": self.attrition_monthly,
                 **{f"attrition_by_language.{k}": v for k, v in self.attrition_by_language.items()}}
        for key, value in rates.items():
            if not 0.0 <= value < 1.0:
                raise ValueError(f"{key} must be a monthly share in [0, 1), got {value!r}")
        if not 0.0 < self.hours_per_fte <= 60.0:
            raise ValueError(f"hours_per_fte must be in (0, 60], got {self.hours_per_fte!r}")
        for key in ("training_weeks", "ramp_weeks", "lead_time_weeks"):
            if int(getattr(self, key)) != getattr(self, key) or getattr(self, key) < 0:
                raise ValueError(f"{key} must be a whole number of weeks >= 0, "
                                 f"got {getattr(self, key)!r}")
        if not 0.0 <= self.ramp_share <= 1.0:
            raise ValueError(f"ramp_share must be in [0, 1], got {self.ramp_share!r}")
        if self.max_hires_per_week < 0 or self.min_class_size < 1:
            raise ValueError("max_hires_per_week must be >= 0 and min_class_size >= 1, got "
                             f"{self.max_hires_per_week!r} and {self.min_class_size!r}")
        if self.min_class_size > max(self.max_hires_per_week, 1):
            raise ValueError(f"min_class_size {self.min_class_size} is above "
                             f"max_hires_per_week {self.max_hires_per_week}")
        if self.cost_per_hire < 0 or self.short_hour_cost <= 0:
            raise ValueError("cost_per_hire must be >= 0 and short_hour_cost > 0, got "
                             f"{self.cost_per_hire!r} and {self.short_hour_cost!r}")
        if self.efficiency is not None and not 1.0 <= self.efficiency <= 3.0:
            raise ValueError(f"efficiency must be in [1, 3] paid hours per required hour, "
                             f"got {self.efficiency!r}")
        names = [p.name for p in self.profiles]
        if len(set(names)) != len(names):
            raise ValueError(f"profile names must be unique, got {names}")

    def replace(self, **changes: Any) -> CapacityConfig:
        """A copy with ``changes`` (None values are ignored), checked again."""
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})

    def attrition_of(self, language: str) -> float:
        """Monthly attrition of agents whose first language is ``language``."""
        return float(self.attrition_by_language.get(language, self.attrition_monthly))

    def check_against(self, languages: Collection[str], channels: Collection[str],
                      horizon: int) -> None:
        """ValueError unless every profile uses known languages and channels and a hire can
        be productive within ``horizon`` weeks."""
        for p in self.profiles:
            bad = sorted(set(p.languages) - set(languages))
            if bad:
                raise ValueError(f"profile {p.name!r} names unknown language(s) {bad}; the "
                                 f"desk's languages are {sorted(languages)}")
            bad = sorted(set(p.channels) - set(channels))
            if bad:
                raise ValueError(f"profile {p.name!r} names unknown channel(s) {bad}; the "
                                 f"desk's channels are {sorted(channels)}")
        bad = sorted(set(self.attrition_by_language) - set(languages))
        if bad:
            raise ValueError(f"attrition_by_language names unknown language(s) {bad}")
        if self.lead_time_weeks + self.training_weeks >= horizon:
            raise ValueError(f"lead time ({self.lead_time_weeks} weeks) plus training period "
                             f"({self.training_weeks} weeks) is not shorter than the horizon "
                             f"({horizon} weeks): no hire could work in the plan")


def default_profiles(languages: Collection[str], channels: Mapping[str, bool]) -> tuple[HireProfile, ...]:
    """Two hire profiles per language (module docstring); ``channels`` maps a channel to
    whether it needs VIP certification."""
    plain = tuple(sorted(c for c, vip in channels.items() if not vip))
    every = tuple(sorted(channels))
    out = []
    for lang in sorted(languages):
        langs = (lang,) if lang == "en" else (lang, "en")
        cost = 1.0 + (LANGUAGE_PREMIUM if len(langs) > 1 else 0.0)
        if plain:
            out.append(HireProfile(lang, langs, plain, cost_per_hour=cost))
        if every != plain:
            out.append(HireProfile(f"{lang}-vip", langs, every, vip=True,
                                   cost_per_hour=cost + VIP_PREMIUM))
    return tuple(out)


_SCALARS = {f.name: f for f in dataclasses.fields(CapacityConfig)
            if f.name not in ("profiles", "attrition_by_language")}


def capacity_config(table: Any, file: str = "scenario.toml") -> CapacityConfig:
    """A :class:`CapacityConfig` from the ``[capacity]`` table (None: the defaults).

    Raises
    ------
    InputError
        One problem per bad key, naming ``capacity.KEY`` and the value.
    """
    if table is None:
        return CapacityConfig()
    problems: list[Problem] = []
    if not isinstance(table, dict):
        raise InputError([Problem(file, "expected a [capacity] table", column="capacity")])
    kwargs: dict[str, Any] = {}
    for key, value in table.items():
        where = f"capacity.{key}"
        if key == "profiles":
            profiles = []
            for i, raw in enumerate(value if isinstance(value, list) else [value]):
                try:
                    raw = dict(raw)
                    raw["languages"] = tuple(raw.get("languages", ()))
                    raw["channels"] = tuple(raw.get("channels", ()))
                    profiles.append(HireProfile(**raw))
                except (TypeError, ValueError) as exc:
                    problems.append(Problem(file, str(exc), column=f"{where}[{i}]", value=raw))
            kwargs[key] = tuple(profiles)
        elif key == "attrition_by_language":
            if not isinstance(value, dict) or not all(isinstance(v, int | float)
                                                      for v in value.values()):
                problems.append(Problem(file, "expected a table of language = monthly share",
                                        column=where, value=value))
            else:
                kwargs[key] = {str(k): float(v) for k, v in value.items()}
        elif key in _SCALARS:
            if isinstance(value, bool) or not isinstance(value, int | float):
                problems.append(Problem(file, "expected a number", column=where, value=value))
            else:
                kwargs[key] = value
        else:
            problems.append(Problem(file, f"unknown key; expected one of "
                                    f"{sorted([*_SCALARS, 'profiles', 'attrition_by_language'])}",
                                    column=where, value=value))
    if problems:
        raise InputError(problems)
    try:
        return CapacityConfig(**kwargs)
    except ValueError as exc:
        raise InputError([Problem(file, str(exc), column="capacity")]) from None
