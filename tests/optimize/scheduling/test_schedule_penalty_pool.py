"""The service-level penalty of pooled channels (``pool_with``): priced by the pool's model.

With ``[channels.vip_chat] pool_with = "chat"`` the requirement rows of vip_chat and chat
come from the reserved-capacity model (optimize.queueing.pooling); the penalty curves of
those rows must use the same model, so that their breakpoints are the service levels the
requirement and the coverage report. Without pooling the curves are unchanged (pinned
below to the output of the function before pooled rows were priced by their model).

Frame: the en evening peak and a quiet en interval of the sample plan week (as in
tests/optimize/queueing/test_priority.py): vip_chat 2.35 / 0.53 chats per 30 min of 833 / 897 s, chat
23.7 / 9.5 of 490 / 500 s.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from optimize.queueing.chat import chat_erlang_a
from optimize.queueing.erlang import erlang_a
from optimize.queueing.pooling import pooled_service_level
from optimize.queueing.priority import reserved_vip_metrics
from optimize.queueing.requirements import compute_requirements
from optimize.scenario.config import load_config
from optimize.scheduling.problem.inputs import make_grid, make_queues
from optimize.scheduling.problem.penalty import segment_cost, with_penalty

CFG = load_config("optimize/scenario/sample_scenario.toml")
POOLED = dataclasses.replace(CFG, channels={**CFG.channels, "vip_chat": dataclasses.replace(
    CFG.channels["vip_chat"], pool_with="chat")})
# the sample's rules before its VIP English safety valve (vip_chat/en -> chat/en), which
# puts VIP chats on the English chat rows too: the pins below predate it
NO_VALVE = dataclasses.replace(CFG, overflow=tuple(o for o in CFG.overflow
                                                   if o.name != "vip_chat/en"))
FULL = 1.0 * 0.15 + 2.0 * 0.20 + 4.0 * 0.65  # "requirement" cost of a full shortfall / head


def _requirements(config) -> pd.DataFrame:
    t = pd.date_range("2026-12-07", periods=2, freq="30min", tz="UTC")
    fc = pd.DataFrame({"interval_start": np.tile(t, 2),
                       "channel": np.repeat(["vip_chat", "chat"], 2), "language": "en",
                       "contacts": [2.35, 0.53, 23.7, 9.5],
                       "aht_s": [833.0, 897.0, 490.0, 500.0]})
    return compute_requirements(fc, config, interval_s=1800)


def _curves(req: pd.DataFrame, config):
    grid = make_grid(req)
    queues = with_penalty(make_queues(req, config, grid), req, config, grid, "service_level")
    return queues


def _row(req, channel, t):
    return req[req["channel"] == channel].iloc[t]


def test_pooled_vip_curve_is_the_reserved_slot_model():
    req = _requirements(POOLED)
    queues = _curves(req, POOLED)
    q = queues.channel.index("vip_chat")
    rows = [_row(req, "vip_chat", t) for t in (0, 1)]
    assert [r.required_agents for r in rows] == [2, 1]  # certified agents m

    def sl(m, r):  # Erlang A on m x 2 reserved slots, chats stretched to 3 at once (x 1.5)
        load = r.contacts * r.aht_s / 1800.0
        return float(erlang_a(2 * m, 1.5 * load, 1.5 * r.aht_s, 120.0, 20.0).service_level)

    # the reserved model at 1 and 2 certified agents (the standalone chat model with
    # concurrency 2, which the curve used before, gives 0.7219 and 0.9709)
    assert sl(1, rows[0]) == pytest.approx(0.643490, abs=1e-6)
    assert sl(2, rows[0]) == pytest.approx(0.937464, abs=1e-6)
    assert sl(1, rows[1]) == pytest.approx(0.946687, abs=1e-6)
    assert sl(2, rows[0]) == pytest.approx(rows[0].service_level, abs=1e-12)  # the requirement's
    assert float(reserved_vip_metrics(2, 2.35 * 833 / 1800, 833.0, 2, 3, 0.25, 120.0, 20.0)
                 .service_level) == pytest.approx(sl(2, rows[0]), abs=1e-12)
    # missed contacts per cost unit: both cells' full shortfall costs FULL x required heads
    norm = (2.35 * sl(2, rows[0]) + 0.53 * sl(1, rows[1])) / (
        FULL * (rows[0].required_scheduled + rows[1].required_scheduled))
    b, s = queues.breaks[q, 0], queues.slopes[q, 0]
    per_agent = rows[0].required_scheduled / 2  # heads on schedule per productive agent
    assert segment_cost(0.0, b, s) == 0.0  # no cost at the requirement
    assert (np.diff(queues.slopes, axis=-1) >= 0).all() and (queues.slopes > 0).all()  # convex
    for n in (1, 0):  # missed(n) - missed(2), missed = contacts (1 - SL)
        missed = 2.35 * (sl(2, rows[0]) - sl(n, rows[0]))
        assert segment_cost(per_agent * (2 - n), b, s) * norm / 8.0 == pytest.approx(
            missed, rel=1e-9)
    assert 2.35 * (sl(2, rows[0]) - sl(1, rows[0])) == pytest.approx(0.690838, abs=1e-6)
    # the quiet interval: one certified agent, a straight line to 0.53 x 0.9467 missed
    b, s = queues.breaks[q, 1], queues.slopes[q, 1]
    assert segment_cost(rows[1].required_scheduled, b, s) * norm / 8.0 == pytest.approx(
        0.53 * 0.946687, abs=1e-6)


def test_pooled_chat_curve_counts_the_certified_agents_credit():
    # chat rows are sized as the chat requirement minus the credit m (3 - 2) / 3 of the
    # certified agents, and measured with the chat model at n + credit: the curve too
    req = _requirements(POOLED)
    queues = _curves(req, POOLED)
    q = queues.channel.index("chat")
    rows = [_row(req, "chat", t) for t in (0, 1)]
    assert [r.required_agents for r in rows] == [3, 2]
    credit = (2 / 3, 1 / 3)  # 2 and 1 certified agents required

    def sl(x, r):  # the chat model at fractional agents, linear between whole ones
        def at(k):
            return float(chat_erlang_a(k, r.contacts * r.aht_s / 1800.0, r.aht_s, 3, 0.25,
                                       240.0, 60.0).service_level)
        w = x - np.floor(x)
        return (1 - w) * at(np.floor(x)) + w * at(np.ceil(x))

    assert sl(2 + credit[1], rows[1]) == pytest.approx(rows[1].service_level, abs=1e-12)
    assert [sl(n + credit[1], rows[1]) for n in (2, 1, 0)] == pytest.approx(
        [0.934104, 0.613872, 0.156339], abs=1e-6)  # standalone at 2, 1, 0: 0.904, 0.469, 0
    assert sl(3 + credit[0], rows[0]) == pytest.approx(0.818866, abs=1e-6)  # standalone 0.658
    norm = sum(r.contacts * (sl(r.required_agents + c, r) - sl(c, r))
               for r, c in zip(rows, credit, strict=True)) / (
        FULL * (rows[0].required_scheduled + rows[1].required_scheduled))
    b, s = queues.breaks[q, 1], queues.slopes[q, 1]
    per_agent = rows[1].required_scheduled / 2
    for n in (1, 0):
        missed = 9.5 * (sl(2 + credit[1], rows[1]) - sl(n + credit[1], rows[1]))
        assert segment_cost(per_agent * (2 - n), b, s) * norm / 4.0 == pytest.approx(
            missed, rel=1e-9)


def test_pooled_service_level_at_the_requirement_is_the_requirements():
    req = _requirements(POOLED)
    for ch in ("vip_chat", "chat"):
        rows = np.flatnonzero(req["channel"].to_numpy() == ch)
        sub = req.iloc[rows]
        r = sub["required_agents"].to_numpy(dtype=float)
        got = pooled_service_level(req, POOLED, rows, np.c_[r, r - 1],
                                   (sub["contacts"] * sub["aht_s"] / 1800).to_numpy(),
                                   sub["aht_s"].to_numpy())
        assert got[:, 0] == pytest.approx(sub["service_level"].to_numpy(), abs=1e-12)
        assert (got[:, 1] < got[:, 0]).all()
    alone = _requirements(CFG)
    rows = np.flatnonzero(alone["channel"].to_numpy() == "vip_chat")
    assert pooled_service_level(alone, CFG, rows, np.ones((2, 1)), np.ones(2),
                                np.ones(2)) is None
    with pytest.raises(ValueError, match="rows must all be of one channel"):
        pooled_service_level(req, POOLED, np.arange(len(req)), np.ones((len(req), 1)),
                             np.ones(len(req)), np.ones(len(req)))


def test_unpooled_curves_are_unchanged():
    # the output of service_level_curve before pooled rows were priced by their model
    # (rows: chat/en, vip_chat/en; 2 intervals; 5 segments), to rounding
    queues = _curves(_requirements(NO_VALVE), NO_VALVE)
    assert queues.channel == ("chat", "vip_chat")
    h, r = 1.4285714285714286, 2.857142857142857
    breaks = np.array([[[0.0, 5.714285714285714, 5.714285714285714, 5.714285714285714,
                         5.714285714285714], [0.0, h, r, r, r]],
                       [[0.0, h, r, r, r], [0.0, h, h, h, h]]])
    slopes = np.array([[[13.472799942902329] * 5,
                        [10.440522066579542] + [11.26827816181114] * 4],
                       [[15.834160364775894] + [45.90147529781551] * 4,
                        [13.864364337408597] * 5]])
    np.testing.assert_allclose(queues.breaks, breaks, rtol=1e-12, atol=0)
    np.testing.assert_allclose(queues.slopes, slopes, rtol=1e-12, atol=0)
