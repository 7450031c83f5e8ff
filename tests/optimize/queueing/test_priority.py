"""Priority pooling (optimize.queueing.priority, optimize.queueing.pooling): formulas and simulation.

Published formulas pinned with their source, then the reserved-capacity requirement
checked against the seeded simulation of optimize.simulation.priority_pool. Tolerance of a simulated
service level: 3 binomial standard errors (plus 0.005 for the interpolation).
"""

import dataclasses

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecast.inputs.problems import InputError
from optimize.queueing.chat import agents_for_chat, chat_erlang_a
from optimize.queueing.erlang import asa, erlang_a, erlang_c
from optimize.queueing.priority import (
    pool_credit,
    priority_mean_waits,
    priority_wait_tail,
    reserved_vip_metrics,
    vip_agents_reserved,
)
from optimize.queueing.requirements import compute_requirements, evaluate_staffing
from optimize.scenario.config import load_config, parse_config
from optimize.simulation.priority_pool import simulate_pool

# the per-queue models: the template's routing (hours, overflow) has its own tests
CFG = dataclasses.replace(load_config("optimize/scenario/sample_scenario.toml"), hours=(),
                          overflow=())
VIP, CHAT = CFG.channels["vip_chat"], CFG.channels["chat"]
POOLED = dataclasses.replace(CFG, channels={**CFG.channels, "vip_chat": dataclasses.replace(
    VIP, pool_with="chat")})

# load points from the sample plan week (contacts per 30 min, aht_s): VIP, chat
POINTS = {"en": (2.35, 833.0, 23.7, 490.0),  # en evening peak
          "zh": (2.08, 755.0, 9.5, 500.0),   # VIP-heavy pool
          "ja": (0.53, 897.0, 3.9, 571.0)}   # small language


def _sim_tol(stats) -> float:
    return 3.0 * stats.std_error + 0.005


def _rep_tol(values: np.ndarray) -> float:
    """3 standard errors of the mean over seeded runs (their own spread), plus 0.005."""
    return 3.0 * float(np.std(values, ddof=1)) / np.sqrt(len(values)) + 0.005


# --------------------------------------------------------------------------- published formulas

def test_mm1_priority_mean_waits_cobham():
    # M/M/1, two non-preemptive classes, equal rates (Cobham 1954; Kleinrock, Queueing
    # Systems vol. 2, eq. 3.31): W0 = rho * aht, W1 = W0 / (1 - s1), W2 = W0 / ((1 - s1)(1 - s)).
    w1, w2 = priority_mean_waits(1, 0.8, 0.2, 1.0)
    assert w1 == pytest.approx(0.8 / 0.8)
    assert w2 == pytest.approx(0.8 / (0.8 * 0.2))


@settings(max_examples=60, deadline=None)
@given(c=st.integers(1, 40), rho=st.floats(0.05, 0.97), share=st.floats(0.0, 1.0))
def test_priority_conserves_work_kleinrock(c, rho, share):
    # Kleinrock's conservation law: with equal service rates the load-weighted mean wait
    # of the classes equals the FCFS M/M/c mean wait C aht / (c - A).
    a = rho * c
    a1 = share * a
    w1, w2 = priority_mean_waits(c, a, a1, 60.0)
    assert (a1 * w1 + (a - a1) * w2) / a == pytest.approx(asa(c, a, 60.0), rel=1e-9)


def test_class1_tail_reduces_to_erlang_c_without_priority_traffic():
    # with A1 -> 0 the class-1 tail is the M/M/c FCFS tail C exp(-(c - A) t / aht) at A = A1
    assert priority_wait_tail(7, 4.0, 4.0, 180.0, 20.0) == pytest.approx(
        erlang_c(7, 4.0) * np.exp(-(7 - 4.0) * 20.0 / 180.0))
    assert priority_wait_tail(3, 3.0, 1.0, 180.0, 20.0) == 1.0
    with pytest.raises(ValueError, match="vip_load must be <= load"):
        priority_wait_tail(3, 1.0, 2.0, 180.0, 20.0)


def test_priority_formulas_match_simulation():
    # Gross, Shortle, Thompson & Harris, Fundamentals of Queueing Theory (4th ed.),
    # sec. 3.4.2: P(W1 > t) = C(c, A) exp(-(c mu - lambda1) t); means: Cobham 1954.
    # Four seeded runs of 800 h: one run's mean regular wait spreads 177-227 s (seeds 0-4)
    c, aht, vip_h, reg_h, t = 5, 300.0, 12.0, 36.0, 20.0  # A1 = 1, A = 4 Erlangs
    runs = [simulate_pool(certified=c, regular=0, vip_per_h=vip_h, regular_per_h=reg_h,
                          vip_aht_s=aht, regular_aht_s=aht, concurrency=1, reserve=0,
                          vip_target_s=t, regular_target_s=t, policy="shared", hours=800,
                          seed=11 + k) for k in range(4)]
    tail = priority_wait_tail(c, 4.0, 1.0, aht, t)
    sl = np.array([r.vip.service_level for r in runs])
    assert abs((1.0 - sl.mean()) - tail) < _rep_tol(sl)
    w1, w2 = priority_mean_waits(c, 4.0, 1.0, aht)
    assert np.mean([r.vip.mean_wait_s for r in runs]) == pytest.approx(w1, rel=0.08)
    assert np.mean([r.regular.mean_wait_s for r in runs]) == pytest.approx(w2, rel=0.08)
    # priority helps VIP: its tail (0.424) is below the FCFS tail of the pool (0.518)
    assert tail < erlang_c(c, 4.0) * np.exp(-(c - 4.0) * t / aht) - 0.05


def test_simulator_reproduces_the_chat_model():
    # no VIP: the simulated pool is optimize.queueing.chat's state-dependent model; four
    # seeded runs of 1500 h (one run spreads about 0.7 point: waits are correlated, so
    # the binomial error of one run understates it three-fold)
    n, per_30, aht = 2, 12.2, 480.0
    runs = [simulate_pool(certified=0, regular=n, vip_per_h=0.0, regular_per_h=2 * per_30,
                          vip_aht_s=1.0, regular_aht_s=aht, concurrency=3, reserve=0,
                          vip_target_s=20, regular_target_s=60, regular_slowdown=0.25,
                          regular_patience_s=240, hours=1500, seed=3 + k) for k in range(4)]
    model = chat_erlang_a(n, per_30 * aht / 1800, aht, 3, 0.25, 240.0, 60.0)
    sl = np.array([r.regular.service_level for r in runs])
    assert abs(sl.mean() - model.service_level) < _rep_tol(sl)
    abandoned = np.mean([r.regular.abandoned / r.regular.arrivals for r in runs])
    assert abandoned == pytest.approx(model.p_abandon, abs=0.01)


# --------------------------------------------------------------------------- reserved model

def test_reserved_vip_metrics_is_erlang_a_on_reserved_slots():
    r = reserved_vip_metrics(2, 0.5, 800.0, 2, 3, 0.25, 120.0, 20.0)
    ref = erlang_a(4, 0.5 * 1.5, 800.0 * 1.5, 120.0, 20.0)
    assert r.service_level == pytest.approx(ref.service_level)
    assert pool_credit(2, 2, 3) == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="reserve must be in"):
        pool_credit(1, 4, 3)


def test_vip_agents_reserved_is_minimal():
    load = np.array([0.0, 0.05, 0.3, 1.1, 4.0])
    m = vip_agents_reserved(load, 800.0, 2, 3, 0.25, 120.0, 20.0, 0.9)
    sl = lambda k: np.asarray(reserved_vip_metrics(k, load, 800.0, 2, 3, 0.25, 120.0, 20.0)  # noqa: E731
                              .service_level)
    assert m[0] == 0 and (m[1:] >= 1).all()
    assert (sl(m) >= 0.9).all()
    assert (sl(np.maximum(m - 1, 0))[1:] < 0.9).all()


def _forecast() -> pd.DataFrame:
    t = pd.date_range("2026-12-07", periods=2, freq="30min", tz="UTC")
    rows = []
    for lang, (cv, av, cc, ac) in POINTS.items():
        for ch, c, a in (("vip_chat", cv, av), ("chat", cc, ac)):
            rows.append(pd.DataFrame({"interval_start": t, "channel": ch, "language": lang,
                                      "contacts": c, "aht_s": a}))
    return pd.concat(rows, ignore_index=True)


@pytest.fixture(scope="module")
def pooled_req():
    return compute_requirements(_forecast(), POOLED, interval_s=1800)


def test_pooled_requirements_rows(pooled_req):
    alone = compute_requirements(_forecast(), CFG, interval_s=1800)
    vip = pooled_req[pooled_req["channel"] == "vip_chat"].reset_index(drop=True)
    chat = pooled_req[pooled_req["channel"] == "chat"].reset_index(drop=True)
    chat_alone = alone[alone["channel"] == "chat"].reset_index(drop=True)
    load = vip["contacts"] * vip["aht_s"] / 1800
    assert (vip["required_agents"] == vip_agents_reserved(load, vip["aht_s"], 2, 3, 0.25, 120.0,
                                                          20.0, 0.9)).all()
    credit = vip["required_agents"] * (3 - 2) / 3
    assert np.allclose(chat["required_agents_exact"],
                       np.maximum(chat_alone["required_agents_exact"] - credit, 0.0))
    assert (chat["required_agents"] == np.ceil(chat["required_agents_exact"] - 1e-9)).all()
    assert (chat["service_level"] >= CHAT.service_level - 1e-9).all()
    assert (vip["service_level"] >= VIP.service_level).all()
    assert np.allclose(pooled_req["required_scheduled"], pooled_req["required_agents"] / 0.7)
    # the reverse calculation at the required staffing gives the same service levels
    staffed = pooled_req[["interval_start", "channel", "language"]].assign(
        scheduled_agents=pooled_req["required_scheduled"])
    cov = evaluate_staffing(_forecast(), staffed, POOLED, interval_s=1800)
    assert np.allclose(cov["service_level"], pooled_req["service_level"])


def test_coverage_credits_certified_agents_to_chat(pooled_req):
    # one more certified agent on vip_chat adds (k - v) / k = 1/3 agent to chat's coverage:
    # chat's service level is the chat model at n + (m + 1) / 3 agents (linear in between)
    base = pooled_req[["interval_start", "channel", "language"]].assign(
        scheduled_agents=pooled_req["required_scheduled"])
    more = base.assign(scheduled_agents=base["scheduled_agents"]
                       + np.where(base["channel"] == "vip_chat", 1.0 / 0.7, 0.0))
    cov = evaluate_staffing(_forecast(), more, POOLED, interval_s=1800)
    chat = pooled_req[pooled_req["channel"] == "chat"].reset_index(drop=True)
    vip = pooled_req[pooled_req["channel"] == "vip_chat"].reset_index(drop=True)
    x = chat["required_agents"].to_numpy() + (vip["required_agents"].to_numpy() + 1) / 3
    load = (chat["contacts"] * chat["aht_s"] / 1800).to_numpy()
    sl = [np.asarray(chat_erlang_a(np.floor(x) + i, load, chat["aht_s"].to_numpy(), 3, 0.25,
                                   240.0, 60.0).service_level) for i in (0, 1)]
    w = x - np.floor(x)
    got = cov.loc[cov["channel"] == "chat", "service_level"].to_numpy()
    assert np.allclose(got, (1 - w) * sl[0] + w * sl[1])
    assert (got > chat["service_level"].to_numpy()).all()


@pytest.mark.parametrize("lang", sorted(POINTS))
def test_pooled_staffing_meets_both_targets_in_simulation(pooled_req, lang):
    cv, av, cc, ac = POINTS[lang]
    row = pooled_req[pooled_req["language"] == lang].drop_duplicates("channel").set_index("channel")
    m, n = int(row.loc["vip_chat", "required_agents"]), int(row.loc["chat", "required_agents"])
    r = simulate_pool(certified=m, regular=n, vip_per_h=2 * cv, regular_per_h=2 * cc,
                      vip_aht_s=av, regular_aht_s=ac, concurrency=CHAT.concurrency,
                      reserve=VIP.concurrency, vip_target_s=VIP.answer_time_s,
                      regular_target_s=CHAT.answer_time_s, vip_slowdown=0.25,
                      regular_slowdown=0.25, vip_patience_s=VIP.patience_s,
                      regular_patience_s=CHAT.patience_s, hours=500, seed=7)
    assert r.vip.service_level >= VIP.service_level - _sim_tol(r.vip)
    assert r.regular.service_level >= CHAT.service_level - _sim_tol(r.regular)
    # both models are pessimistic (module docstring): simulation at or above them
    assert r.vip.service_level >= row.loc["vip_chat", "service_level"] - _sim_tol(r.vip)
    assert r.regular.service_level >= row.loc["chat", "service_level"] - _sim_tol(r.regular)


def test_default_unchanged_without_pool_with():
    # without the key, vip_chat is its own chat-model queue and chat keeps its requirement
    fc = _forecast()
    a = compute_requirements(fc, CFG, interval_s=1800)
    vip = a[a["channel"] == "vip_chat"]
    load = vip["contacts"] * vip["aht_s"] / 1800
    assert (vip["required_agents"] == agents_for_chat(load, vip["aht_s"], 2, 0.25, 120.0, 20.0,
                                                      0.9, 0.85)).all()
    chat = a[a["channel"] == "chat"]
    load = chat["contacts"] * chat["aht_s"] / 1800
    assert (chat["required_agents"] == agents_for_chat(load, chat["aht_s"], 3, 0.25, 240.0, 60.0,
                                                       0.8, 0.85)).all()


# --------------------------------------------------------------------------- config

def _doc(**vip):
    import tomllib

    with open("optimize/scenario/sample_scenario.toml", "rb") as f:
        doc = tomllib.load(f)
    doc["channels"]["vip_chat"].update(vip)
    return doc


def test_pool_with_loads():
    assert parse_config(_doc(pool_with="chat")).channels["vip_chat"].pool_with == "chat"


@pytest.mark.parametrize("value, message", [
    ("chatt", "value 'chatt': expected another realtime channel without pool_with, one of ['chat']"),
    ("vip_chat", "value 'vip_chat': expected another realtime channel without pool_with"),
    ("email", "value 'email': expected another realtime channel without pool_with"),
    (3, "value 3: expected a string"),
])
def test_pool_with_bad_values(value, message):
    with pytest.raises(InputError) as exc:
        parse_config(_doc(pool_with=value))
    assert str(exc.value).count("\n") == 0
    assert f"scenario.toml, key 'channels.vip_chat.pool_with', {message}" in str(exc.value)


def test_pool_with_on_deferred_channel_is_an_error():
    doc = _doc(pool_with="chat")
    doc["channels"]["email"]["pool_with"] = "chat"
    with pytest.raises(InputError, match="channels.email.pool_with', value 'chat': only a "
                                         "realtime channel can be pooled"):
        parse_config(doc)
