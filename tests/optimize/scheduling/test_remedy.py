"""Why a queue is short and what would fix it: the three reasons, in numbers."""

from __future__ import annotations

import pandas as pd

from optimize.scenario.config import ChannelConfig, ScenarioConfig, ShiftRules
from optimize.scenario.overflow import Overflow
from optimize.scheduling.remedy import language_totals, shortfall_reasons

START = pd.Timestamp("2026-11-30", tz="UTC")
CONFIG = ScenarioConfig(channels={"chat": ChannelConfig(name="chat", priority=4),
                                  "vip_chat": ChannelConfig(name="vip_chat", vip=True)},
                        shifts=ShiftRules(templates=()))


def _tables():
    t = START + pd.to_timedelta(range(20), unit="h")  # 20 one-hour intervals
    req = pd.concat([pd.DataFrame({"interval_start": t, "channel": c, "language": lang,
                                   "required_scheduled": need})
                     for c, lang, need in (("chat", "ko", 2.0), ("chat", "en", 1.0),
                                           ("vip_chat", "ko", 1.0))])
    staffed = req.assign(scheduled_agents=req["channel"].map({"chat": 1.0, "vip_chat": 0.0}))
    staffed.loc[staffed["language"] == "en", "scheduled_agents"] = 0.75
    agents = pd.DataFrame({"agent_id": ["K1", "E1"], "languages": [("ko",), ("en",)],
                           "channels": [("chat",), ("chat",)], "vip": [False, False],
                           "max_hours_week": [40.0, 40.0]})
    roster = pd.DataFrame({"agent_id": ["K1", "E1"], "paid_hours": [40.0, 20.0]})
    return req, staffed, roster, agents


def test_each_reason_with_its_remedy():
    req, staffed, roster, agents = _tables()
    out = shortfall_reasons(req, staffed, roster, agents, CONFIG, weeks=1,
                            interval_s=3600).set_index(["channel", "language"])
    assert list(out.index) == [("chat", "ko"), ("vip_chat", "ko"), ("chat", "en")]
    ko = out.loc[("chat", "ko")]
    assert (ko["short_h"], ko["skilled_agents"], ko["unused_contract_h"]) == (20.0, 1, 0.0)
    assert ko["remedy"] == ("add 1 agent speaking ko with chat, or 20 h of overtime; "
                            "or open an overflow to chat/en after 30 s")
    vip = out.loc[("vip_chat", "ko")]
    assert vip["reason"] == "no agent may take this queue"
    assert vip["remedy"].startswith("certify or hire agents speaking ko with vip_chat")
    en = out.loc[("chat", "en")]
    assert (en["short_h"], en["unused_contract_h"]) == (5.0, 20.0)
    assert en["reason"].startswith("its 1 skilled agents have 20 h unused")
    assert "raise the priority of chat (now 4)" in en["remedy"]
    assert "overflow" not in en["remedy"]  # English is where the others would go


def test_a_kept_staffed_overflow_is_offered_as_relief():
    import dataclasses

    req, staffed, roster, agents = _tables()
    cfg = dataclasses.replace(CONFIG, overflow=(
        Overflow("chat", "ko", ("chat", "en"), 30.0, 1.2, keep_staffed=True),))
    out = shortfall_reasons(req, staffed, roster, agents, cfg, weeks=1,
                            interval_s=3600).set_index(["channel", "language"])
    assert out.loc[("chat", "ko"), "remedy"].endswith(
        "; or let it overflow to chat/en in its thin hours (keep_staffed = false)")
    # but a VIP queue is not offered to an uncertified team for good
    cfg = dataclasses.replace(CONFIG, overflow=(
        Overflow("vip_chat", "ko", ("chat", "ko"), 5.0, keep_staffed=True),))
    out = shortfall_reasons(req, staffed, roster, agents, cfg, weeks=1,
                            interval_s=3600).set_index(["channel", "language"])
    assert "overflow" not in out.loc[("vip_chat", "ko"), "remedy"]


def test_language_totals_add_the_queues_of_a_language():
    req, staffed, roster, agents = _tables()
    out = language_totals(req, staffed, roster, agents, weeks=1, interval_s=3600)
    ko = out.set_index("language").loc["ko"]
    assert (ko["short_h"], ko["agents"], ko["unused_contract_h"], ko["add_agents"]) == (
        40.0, 1, 0.0, 1)
    en = out.set_index("language").loc["en"]
    assert en["add_agents"] == 0  # 20 unused hours cover 5 short


def test_a_short_email_queue_is_offered_a_fallback():
    import dataclasses

    cfg = dataclasses.replace(CONFIG, channels={
        **CONFIG.channels, "email": ChannelConfig(name="email", kind="deferred",
                                                  response_window_h=24.0)})
    req, staffed, roster, agents = _tables()
    req = req.assign(channel=req["channel"].replace({"chat": "email"}))
    staffed = staffed.assign(channel=staffed["channel"].replace({"chat": "email"}))
    agents = agents.assign(channels=[("email",), ("email",)])
    out = shortfall_reasons(req, staffed, roster, agents, cfg, weeks=1,
                            interval_s=3600).set_index(["channel", "language"])
    assert out.loc[("email", "ko"), "remedy"] == (
        "add 1 agent speaking ko with email, or 20 h of overtime; or open a fallback to "
        "email/en after 12 h (answered through translation)")
    assert "fallback" not in out.loc[("email", "en"), "remedy"]
    with_rule = dataclasses.replace(cfg, overflow=(
        Overflow("email", "ko", ("email", "en"), 43200.0, 1.3),))
    again = shortfall_reasons(req, staffed, roster, agents, with_rule, weeks=1,
                              interval_s=3600).set_index(["channel", "language"])
    assert "fallback" not in again.loc[("email", "ko"), "remedy"]  # it has one already
