"""Who is there to do the work: today's agents, their skill profiles, and who stays.

An agent's *profile* is their set of languages, set of channels and VIP certification
(``key`` such as ``es+en|chat+email|-``); a profile *covers* a queue when it holds the
queue's language and channel, and the VIP certification when the channel needs it.

Expected paid hours per profile and week (the plan works with expected values, not
whole people):

* an agent gives ``max_hours_week`` (the contract's most) in a week, less the share of
  it on planned leave (``unavailable`` dates in that week, a day counting 1/5 of the
  week, at most the whole week);
* an agent stays through week ``w`` (1 = the first planned week) with probability
  ``(1 - m) ** (12 w / 52)``, ``m`` the monthly attrition of the agent's first language;
* a hire starting in week ``s`` gives nothing during ``training_weeks``, then
  ``ramp_share`` of the profile's hours for ``ramp_weeks``, then all of them, and leaves
  at the same rate as the desk's agents of the profile's first language.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimize.capacity.config import CapacityConfig, HireProfile
from optimize.scenario.config import ScenarioConfig

__all__ = ["agent_profiles", "covers", "hire_yield", "profile_key", "supply_hours", "survival"]


def profile_key(languages, channels, vip: bool) -> str:
    """``es+en|chat+email|vip`` (languages in the agent's order, channels sorted)."""
    return f"{'+'.join(languages)}|{'+'.join(sorted(channels))}|{'vip' if vip else '-'}"


def agent_profiles(agents: pd.DataFrame) -> pd.DataFrame:
    """``agent_id, profile, languages, channels, vip, hours_week`` per agent."""
    langs = agents["languages"].map(tuple)
    chans = agents["channels"].map(lambda c: tuple(sorted(c)))
    vip = agents["vip"].astype(bool) if "vip" in agents.columns else pd.Series(False, agents.index)
    return pd.DataFrame({
        "agent_id": agents["agent_id"].to_numpy(),
        "profile": [profile_key(lg, ch, v) for lg, ch, v in zip(langs, chans, vip, strict=True)],
        "languages": langs.to_numpy(), "channels": chans.to_numpy(), "vip": vip.to_numpy(),
        "hours_week": agents["max_hours_week"].astype(float).to_numpy()})


def covers(languages, channels, vip: bool, queues: pd.DataFrame,
           config: ScenarioConfig) -> np.ndarray:
    """Boolean per queue (``channel, language`` rows): can this profile work it."""
    need_vip = queues["channel"].map(lambda c: config.channels[c].vip).to_numpy(dtype=bool)
    return (queues["language"].isin(set(languages)).to_numpy()
            & queues["channel"].isin(set(channels)).to_numpy() & (vip | ~need_vip))


def survival(monthly: float, weeks: np.ndarray) -> np.ndarray:
    """Share still employed ``weeks`` weeks on at a monthly attrition ``monthly``."""
    return (1.0 - monthly) ** (12.0 * np.asarray(weeks, dtype=float) / 52.0)


def _leave_share(unavailable, weeks: pd.DatetimeIndex) -> np.ndarray:
    out = np.zeros(len(weeks))
    if not unavailable:
        return out
    days = pd.to_datetime(pd.Series(list(unavailable))).dt.tz_localize("UTC")
    idx = np.floor((days - weeks[0]) / pd.Timedelta(days=7)).to_numpy()
    idx = idx[(idx >= 0) & (idx < len(weeks))].astype(int)
    np.add.at(out, idx, 1.0 / 5.0)
    return np.minimum(out, 1.0)


def supply_hours(agents: pd.DataFrame, weeks: pd.DatetimeIndex, capacity: CapacityConfig
                 ) -> tuple[pd.DataFrame, np.ndarray]:
    """Expected paid hours per existing profile and week.

    Returns
    -------
    (DataFrame, ndarray)
        The profiles (``profile, languages, channels, vip, agents``, one row each, sorted)
        and ``hours[p, w]``.
    """
    prof = agent_profiles(agents)
    steps = np.arange(1, len(weeks) + 1)
    unavailable = agents["unavailable"] if "unavailable" in agents.columns \
        else pd.Series([()] * len(agents))
    per_agent = np.vstack([
        h * survival(capacity.attrition_of(langs[0]), steps) * (1.0 - _leave_share(u, weeks))
        for h, langs, u in zip(prof["hours_week"], prof["languages"], unavailable, strict=True)
    ]) if len(prof) else np.zeros((0, len(weeks)))
    table = (prof.groupby("profile", sort=True)
             .agg(languages=("languages", "first"), channels=("channels", "first"),
                  vip=("vip", "first"), agents=("agent_id", "size")).reset_index())
    code = pd.Index(table["profile"]).get_indexer(prof["profile"])
    hours = np.zeros((len(table), len(weeks)))
    np.add.at(hours, code, per_agent)
    return table, hours


def hire_yield(profile: HireProfile, n_weeks: int, capacity: CapacityConfig) -> np.ndarray:
    """``y[s, w]``: expected paid hours in week ``w`` of one hire of ``profile`` starting in
    week ``s`` (both 0-based), training, ramp-up and attrition included."""
    s = np.arange(n_weeks)[:, None]
    w = np.arange(n_weeks)[None, :]
    k = w - s  # weeks since the start
    share = np.where(k < capacity.training_weeks, 0.0,
                     np.where(k < capacity.training_weeks + capacity.ramp_weeks,
                              capacity.ramp_share, 1.0))
    stay = survival(capacity.attrition_of(profile.languages[0]), np.maximum(k + 1, 0))
    return np.where(k >= 0, profile.hours_week * share * stay, 0.0)
