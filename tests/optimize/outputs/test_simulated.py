"""VIP beside regular chat in the simulation report (optimize.outputs.simulated)."""

from __future__ import annotations

import dataclasses

import pandas as pd

from optimize.outputs.simulated import simulation_markdown, vip_table
from optimize.scenario.config import load_config

CFG = load_config("optimize/scenario/sample_scenario.toml")


def comparison(rows) -> pd.DataFrame:
    """A promise_table-shaped frame: (channel, language, simulated, lo, hi, abandoned)."""
    df = pd.DataFrame(rows, columns=["channel", "language", "service_level",
                                     "service_level_lo", "service_level_hi", "abandon_rate"])
    kind = {"chat": "realtime", "vip_chat": "realtime", "email": "deferred"}
    return df.assign(kind=df["channel"].map(kind), contacts=100.0,
                     promised_service_level=df["service_level"], difference=0.0,
                     over_promise=False)


ROWS = [("chat", "en", 0.97, 0.96, 0.98, 0.02), ("vip_chat", "en", 0.995, 0.99, 1.0, 0.003),
        ("chat", "tr", 0.994, 0.993, 0.995, 0.005), ("vip_chat", "tr", 0.992, 0.987, 0.998, 0.006),
        ("chat", "ko", 0.99, 0.985, 0.995, 0.01), ("vip_chat", "ko", 0.95, 0.94, 0.96, 0.04),
        ("email", "en", 1.0, 1.0, 1.0, 0.0), ("vip_chat", "vi", 0.99, 0.98, 1.0, 0.01)]


def test_each_language_vip_beside_its_regular_chat():
    t = vip_table(comparison(ROWS), CFG).set_index("language")
    assert list(t.index) == ["en", "ko", "tr"]  # vi has no regular chat row
    assert t.loc["en", "VIP"] == "vip_chat (20 s)" and t.loc["en", "regular"] == "chat (60 s)"
    assert (t.loc["en", "service level"], t.loc["en", "its service level"]) == ("99.5%", "97.0%")
    assert t.loc["en", "VIP at or above"] == "yes"
    assert t.loc["tr", "VIP at or above"] == "within the 95% intervals"  # 99.2 vs 99.4
    assert t.loc["ko", "VIP at or above"] == "no"  # 94-96 % against 98.5-99.5 %
    md = simulation_markdown(comparison(ROWS), reps=2, seed=0, shrinkage="none", config=CFG)
    assert "### VIP beside regular chat" in md and "| ko | vip_chat (20 s) | 95.0%" in md
    assert "VIP beside" not in simulation_markdown(comparison(ROWS), reps=2, seed=0,
                                                   shrinkage="none")


def test_no_table_without_a_single_regular_partner():
    two = dataclasses.replace(CFG, channels={**CFG.channels, "video": dataclasses.replace(
        CFG.channels["chat"], name="video")})
    assert vip_table(comparison(ROWS), two).empty
    pooled = dataclasses.replace(two, channels={**two.channels, "vip_chat": dataclasses.replace(
        two.channels["vip_chat"], pool_with="chat")})
    assert len(vip_table(comparison(ROWS), pooled)) == 3  # pool_with names the partner
