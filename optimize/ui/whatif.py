"""What-ifs a support manager plays with in the app, as pure functions (no Streamlit here).

* :func:`apply_deflection` scales the forecast by the share of inquiries that the help
  centre or a chatbot resolves before they reach an agent;
* :func:`config_whatif` returns a copy of the scenario configuration with changed service
  targets, concurrency, shrinkage or occupancy cap.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from optimize.scenario.config import ScenarioConfig

__all__ = [
    "CONTACT_COLUMNS",
    "apply_deflection",
    "config_whatif",
    "to_wall_time",
]

#: forecast columns that count inquiries (scaled by deflection); ``aht_s`` is not.
CONTACT_COLUMNS = ("contacts", "contacts_p10", "contacts_p50", "contacts_p90")

_CHANNEL_KEYS = ("service_level", "answer_time_s", "concurrency", "response_window_h",
                 "response_share", "shrinkage", "patience_s")
_STAFFING_KEYS = ("shrinkage", "max_occupancy")


def apply_deflection(forecast: pd.DataFrame,
                     deflection: Mapping[tuple[str, str], float] | Mapping[str, float]) -> pd.DataFrame:
    """Remove the deflected share of inquiries from a forecast table.

    Parameters
    ----------
    forecast : DataFrame
        A forecast (or history) table with ``channel``, ``language`` and some of
        :data:`CONTACT_COLUMNS`.
    deflection : mapping
        Share in ``[0, 1)`` resolved before reaching an agent, keyed by
        ``(channel, language)`` or by ``channel`` (applies to all its languages); a
        ``(channel, language)`` key wins over its channel key. Queues not named keep all
        their contacts.

    Returns
    -------
    DataFrame
        A copy with every contact column multiplied by ``1 - share``; handle times and
        all other columns unchanged.

    Raises
    ------
    ValueError
        When a share is outside ``[0, 1)`` or a key names no queue of the forecast.
    """
    for col in ("channel", "language"):
        if col not in forecast.columns:
            raise ValueError(f"forecast has no {col!r} column")
    channels = set(forecast["channel"].unique())
    queues = set(zip(forecast["channel"], forecast["language"], strict=True))
    per_channel: dict[str, float] = {}
    per_queue: dict[tuple[str, str], float] = {}
    for key, share in deflection.items():
        share = float(share)
        if not (0.0 <= share < 1.0) or math.isnan(share):
            raise ValueError(f"deflection for {key!r} must be in [0, 1), got {share!r}")
        if isinstance(key, str):
            if key not in channels:
                raise ValueError(f"deflection names channel {key!r}, not in the forecast "
                                 f"{sorted(channels)}")
            per_channel[key] = share
        else:
            key = (str(key[0]), str(key[1]))
            if key not in queues:
                raise ValueError(f"deflection names queue {key!r}, not in the forecast")
            per_queue[key] = share
    out = forecast.copy()
    if not per_channel and not per_queue:
        return out
    ch = out["channel"].astype(str)
    share = ch.map(per_channel).astype("float64").fillna(0.0).to_numpy()
    if per_queue:
        q_index = pd.MultiIndex.from_tuples(list(per_queue), names=["channel", "language"])
        q_share = pd.Series(list(per_queue.values()), index=q_index, dtype="float64")
        rows = pd.MultiIndex.from_arrays([ch, out["language"].astype(str)])
        own = q_share.reindex(rows).to_numpy()
        share = np.where(np.isnan(own), share, own)
    keep = 1.0 - share
    for col in CONTACT_COLUMNS:
        if col in out.columns:
            out[col] = out[col].to_numpy(dtype="float64") * keep
    return out


def config_whatif(config: ScenarioConfig, *,
                  channels: Mapping[str, Mapping[str, Any]] | None = None,
                  staffing: Mapping[str, Any] | None = None) -> ScenarioConfig:
    """A copy of ``config`` with some channel and staffing values changed.

    Parameters
    ----------
    config : ScenarioConfig
        The scenario's configuration (left unchanged).
    channels : mapping, optional
        ``{channel: {key: value}}`` with keys among service targets, concurrency,
        response window and share, per-channel shrinkage, patience.
    staffing : mapping, optional
        ``{"shrinkage": x, "max_occupancy": y}``. A queue's effective shrinkage
        (``[staffing.effective_shrinkage]``) moves by as much as its channel's shrinkage.

    Raises
    ------
    ValueError
        On an unknown channel or key, or a value outside the range ``scenario.toml`` allows.
    """
    from optimize.scenario.config import RANGES  # the one table of allowed ranges

    def check(key: str, value: Any) -> Any:
        if value is None and key == "shrinkage":
            return None
        lo, hi = RANGES[key]
        if isinstance(value, bool) or not isinstance(value, int | float) or not lo <= value <= hi:
            raise ValueError(f"{key} must be a number in [{lo:g}, {hi:g}], got {value!r}")
        return int(value) if key == "concurrency" else float(value)

    new_channels = dict(config.channels)
    for name, changes in (channels or {}).items():
        if name not in new_channels:
            raise ValueError(f"unknown channel {name!r}; expected one of {sorted(new_channels)}")
        bad = set(changes) - set(_CHANNEL_KEYS)
        if bad:
            raise ValueError(f"cannot change {sorted(bad)} of channel {name!r}; expected keys "
                             f"among {list(_CHANNEL_KEYS)}")
        new_channels[name] = dataclasses.replace(
            new_channels[name], **{k: check(k, v) for k, v in changes.items()})
    new_staffing = config.staffing
    if staffing:
        bad = set(staffing) - set(_STAFFING_KEYS)
        if bad:
            raise ValueError(f"cannot change staffing {sorted(bad)}; expected keys among "
                             f"{list(_STAFFING_KEYS)}")
        new_staffing = dataclasses.replace(
            config.staffing, **{k: check(k, v) for k, v in staffing.items()})
    out = dataclasses.replace(config, channels=new_channels, staffing=new_staffing)
    if config.staffing.effective_shrinkage:  # a calibrated queue moves with its channel
        lo, hi = RANGES["shrinkage"]
        moved = tuple((c, lang, min(max(v + out.shrinkage_for(c) - config.shrinkage_for(c),
                                        lo), hi))
                      for c, lang, v in config.staffing.effective_shrinkage)
        out = dataclasses.replace(out, staffing=dataclasses.replace(
            out.staffing, effective_shrinkage=moved))
    return out


def to_wall_time(times: pd.Series, tz: str) -> pd.Series:
    """UTC instants as the wall-clock times of ``tz``, labelled UTC.

    Charts draw these on a UTC scale, so every browser shows the wall time of ``tz``
    whatever its own time zone (a daylight-saving change shows as a 23 or 25 hour day).
    """
    local = pd.to_datetime(times, utc=True).dt.tz_convert(tz)
    return local.dt.tz_localize(None).dt.tz_localize("UTC")
