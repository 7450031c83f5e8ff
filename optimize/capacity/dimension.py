"""Sizing a desk the way a planner would: each language team from the hours it must cover.

The sample company's default desk (``staffcast sample`` without ``--agents``) is sized
here rather than by head count. A planner takes the hours the queues require (the
queueing engine on the history's last whole week, with the scenario's targets, hours of
operation, overflow and effective shrinkage per queue, if it has one:
:func:`optimize.capacity.efficiency.recent_week`), sums them per
language (VIP chat in English included, since the other languages overflow to it),
allows for what schedules cost beyond the required hours (shifts of fixed length,
breaks, nights, days off: ``PAID_PER_REQUIRED`` paid hours per required hour covered,
the scheduling efficiency as :mod:`optimize.capacity.efficiency` defines it) and divides
by the hours an agent works in a week. VIP certification is sized the same way from the
VIP chat hours alone.

``PAID_PER_REQUIRED`` is measured, not assumed: ``staffcast capacity`` measured 1.343 on
the old 150-agent sample desk (bench/README.md); a desk sized with 1.35 (the routing
before social closed at night) and planned (``staffcast plan --seed 0 --work-limit 30``,
2026-12-07) paid 6,088 h to cover 4,331 of
its 4,701 required hours: 1.41 paid per covered hour (1.30 per required hour), and 1.41
is the value used.
"""

from __future__ import annotations

import math

import pandas as pd

from optimize.capacity.efficiency import recent_week
from optimize.scenario.config import ScenarioConfig

__all__ = ["PAID_PER_REQUIRED", "desk_size"]

#: paid hours per required hour covered (scheduling efficiency measured on the sample)
PAID_PER_REQUIRED = 1.41


def desk_size(contacts: pd.DataFrame, config: ScenarioConfig, interval_s: int, *,
              hours_per_agent: float, paid_per_required: float = PAID_PER_REQUIRED,
              ) -> tuple[dict[str, int], int]:
    """Natives per language and VIP-certified agents a planner would hire.

    Parameters
    ----------
    contacts : DataFrame
        The history (``interval_start, channel, language, contacts, aht_s``).
    config : ScenarioConfig
        Targets, shrinkage and routing the desk is sized for.
    interval_s : int
    hours_per_agent : float
        Paid hours an agent works in a week on average (contracts, leave).
    paid_per_required : float
        Scheduling allowance (module docstring).

    Returns
    -------
    tuple
        ``({language: natives}, vip_certified)``; every language at least 1.
    """
    if hours_per_agent <= 0 or paid_per_required <= 0:
        raise ValueError("hours_per_agent and paid_per_required must be > 0")
    req = recent_week(contacts, config, interval_s)
    hours = req["required_scheduled"] * interval_s / 3600.0
    per_language = hours.groupby(req["language"]).sum()
    vip = float(hours[req["channel"].map(lambda c: config.channels[c].vip)].sum())

    def heads(h: float) -> int:
        return max(1, math.ceil(h * paid_per_required / hours_per_agent))

    languages = [str(x) for x in pd.unique(contacts["language"])]
    return ({lang: heads(float(per_language.get(lang, 0.0))) for lang in languages},
            heads(vip) if vip > 0 else 0)
