"""A generated support desk (agents + requirements) for tests and benchmarks.

Not the sample company (``data/sample``): a seeded, size-controlled stand-in with the same
table shapes, so the scheduler can be exercised at any scale.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

__all__ = ["LANGUAGE_ZONES", "make_agents", "make_requirements"]

LANGUAGE_ZONES = {
    "en": "Europe/London", "zh": "Asia/Shanghai", "ko": "Asia/Seoul", "ja": "Asia/Tokyo",
    "es": "America/Mexico_City", "tr": "Europe/Istanbul", "ru": "Europe/Moscow",
    "vi": "Asia/Ho_Chi_Minh",
}
CHANNELS = ("chat", "vip_chat", "email", "social")


def make_agents(n: int, languages: tuple[str, ...] = tuple(LANGUAGE_ZONES),
                seed: int = 0) -> pd.DataFrame:
    """``n`` agents: a home language (zone follows it), 30% also speak English, every agent
    does chat, about a third email, a third social, 12% are VIP-certified."""
    rng = np.random.default_rng(seed)
    weights = np.linspace(2.0, 1.0, len(languages))
    home = rng.choice(len(languages), size=n, p=weights / weights.sum())
    rows = []
    for i in range(n):
        lang = languages[home[i]]
        langs = (lang,) + (("en",) if lang != "en" and "en" in languages
                           and rng.random() < 0.3 else ())
        vip = bool(rng.random() < 0.12)
        chans = ("chat",) + (("vip_chat",) if vip else ()) \
            + (("email",) if rng.random() < 0.35 else ()) \
            + (("social",) if rng.random() < 0.35 else ())
        full = rng.random() < 0.8
        rows.append({
            "agent_id": f"A{i:04d}", "name": f"Agent {i}", "languages": langs,
            "channels": chans, "timezone": LANGUAGE_ZONES.get(lang, "UTC"),
            "min_hours_week": 32.0 if full else 16.0, "max_hours_week": 40.0 if full else 24.0,
            "unavailable": (), "vip": vip,
        })
    return pd.DataFrame(rows)


def make_requirements(agents: pd.DataFrame, start: dt.date, weeks: int = 1,
                      interval_min: int = 30, load: float = 0.9,
                      seed: int = 0) -> pd.DataFrame:
    """Requirements for every channel x language of ``agents``, about ``load`` times the
    heads their contracts can cover, peaking in each language's local daytime."""
    rng = np.random.default_rng(seed)
    times = pd.date_range(pd.Timestamp(start, tz="UTC"), periods=weeks * 7 * 1440 // interval_min,
                          freq=f"{interval_min}min")
    langs = sorted({lang for ls in agents["languages"] for lang in ls})
    share = {"chat": 0.55, "vip_chat": 0.1, "email": 0.2, "social": 0.15}
    frames = []
    for lang in langs:
        speakers = agents[agents["languages"].map(lambda ls, lang=lang: ls[0] == lang)]
        hours = speakers["max_hours_week"].sum() * 0.9 * weeks
        heads = load * hours * 60 / interval_min  # head-intervals to spread
        local = times.tz_convert(LANGUAGE_ZONES.get(lang, "UTC"))
        hour = np.asarray(local.hour + local.minute / 60, dtype=float)
        shape = 0.25 + np.exp(-0.5 * ((hour - 14) / 4.0) ** 2)
        shape = shape * (1 + 0.1 * rng.standard_normal(len(times))).clip(0.5)
        for ch in CHANNELS:
            curve = heads * share[ch] * shape / shape.sum()
            frames.append(pd.DataFrame({"interval_start": times, "channel": ch,
                                        "language": lang, "required_scheduled": curve}))
    return pd.concat(frames, ignore_index=True)
