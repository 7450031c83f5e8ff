"""The simulator against the queueing formulas where the answer is known, and its contract.

Stationary single queues (constant arrival rate and staffing all week, no shrinkage)
must reproduce Erlang C, Erlang A and the chat concurrency chain within one point of
service level; a deferred queue with constant staff must follow the fluid backlog model.
Every case is seeded, so the numbers are fixed; the tolerances are what a week of
contacts allows (about 0.5 point standard deviation per replication).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecast.inputs.problems import InputError
from optimize.queueing.backlog import simulate_backlog
from optimize.queueing.chat import chat_erlang_a
from optimize.queueing.erlang import erlang_a, service_level
from optimize.scenario.config import ChannelConfig, ScenarioConfig, ShiftRules, parse_config
from optimize.simulation import Desk, desk_from_plan, simulate_desk, simulate_once
from optimize.simulation.measures import interval_counts, promise_table, queue_table

STEP = 1800
START = pd.Timestamp("2026-11-30", tz="UTC")


def stationary(n: int, per_interval: float, aht: float, *, k: int = 1, slowdown: float = 0.0,
               patience: float = np.inf, target: float = 20.0, days: int = 7,
               deferred: bool = False, hours: tuple[float, float] = (0.0, 24.0)) -> Desk:
    """One queue, the same arrival rate every interval, ``n`` agents on it every day
    between ``hours`` (all day by default)."""
    n_t = days * 86400 // STEP
    day = np.arange(days) * 86400.0
    starts = np.repeat(day + hours[0] * 3600, n)
    ends = np.repeat(day + hours[1] * 3600, n)
    return Desk(queues=(("chat", "en"),), deferred=np.array([deferred]),
                concurrency=np.array([k]), slowdown=np.array([slowdown]),
                patience_s=np.array([patience]), target_s=np.array([target]),
                shrinkage=np.array([0.0]), start=START, interval_s=STEP,
                contacts=np.full((1, n_t), float(per_interval)),
                aht_s=np.full((1, n_t), float(aht)), agents=tuple(f"A{i}" for i in range(n)),
                seg_agent=np.tile(np.arange(n), days), seg_queue=np.zeros(n * days, int),
                seg_start_s=starts, seg_end_s=ends)


def week(desk: Desk, reps: int = 3, **kw) -> pd.Series:
    counts = [interval_counts(desk, simulate_once(desk, np.random.SeedSequence([11, r]),
                                                  shrinkage="none", **kw))
              for r in range(reps)]
    return queue_table(desk, counts).iloc[0]


def test_erlang_c_textbook_case():
    # 100 contacts per 30 min, 180 s handle time, 14 agents, 20 s target: the published
    # 0.888 (tests/optimize/queueing/test_erlang_published.py)
    sim = week(stationary(14, 100, 180), warmup=False)
    assert sim["service_level"] == pytest.approx(service_level(14, 10, 180, 20), abs=0.01)
    assert sim["abandon_rate"] == 0.0
    assert sim["occupancy"] == pytest.approx(10 / 14, abs=0.01)


def test_erlang_a_with_patience():
    f = erlang_a(12, 10, 180, 120, 20)
    sim = week(stationary(12, 100, 180, patience=120), warmup=False)
    assert sim["service_level"] == pytest.approx(f.service_level, abs=0.01)
    assert sim["abandon_rate"] == pytest.approx(f.p_abandon, abs=0.01)


@pytest.mark.parametrize("agents", [3, 5])
def test_chat_concurrency_chain(agents):
    # the sample company's chat/en: 17.9 chats per 30 min of 485 s, 3 at once, 25% slower each
    f = chat_erlang_a(agents, 17.9 * 485 / STEP, 485, 3, 0.25, 240, 60)
    sim = week(stationary(agents, 17.9, 485, k=3, slowdown=0.25, patience=240, target=60),
               warmup=False)
    assert sim["service_level"] == pytest.approx(f.service_level, abs=0.01)
    assert sim["abandon_rate"] == pytest.approx(f.p_abandon, abs=0.01)


def test_deferred_fifo_follows_the_backlog_model():
    # constant staff slightly short of the load: the backlog grows all week, and emails
    # stop being answered within the 4 h window about 40 h in
    desk = stationary(5, 5.5, 1800, deferred=True, target=4 * 3600)
    fluid = simulate_backlog(desk.contacts, np.full_like(desk.contacts, 5.0), STEP, 4 * 3600)
    within = fluid.within_window[0]
    known = np.isfinite(within)  # the last 4 h of the week have no deadline inside it
    share = float((within * desk.contacts[0])[known].sum() / desk.contacts[0][known].sum())
    counts = [interval_counts(desk, simulate_once(desk, np.random.SeedSequence([11, r]),
                                                  shrinkage="none", warmup=False))
              for r in range(4)]
    sim = sum(k["within"][0][known].sum() for k in counts) / sum(
        k["offered"][0][known].sum() for k in counts)
    assert 0.1 < share < 0.5  # a case where the window binds
    assert sim == pytest.approx(share, abs=0.03)
    end_backlog = np.mean([k["backlog"][0, -1] for k in counts])
    assert end_backlog == pytest.approx(fluid.backlog[0, -1], rel=0.25)


def test_same_seed_same_records_and_replications_differ():
    desk = stationary(4, 20, 300, patience=200, days=1)
    a = simulate_once(desk, 5).records
    b = simulate_once(desk, 5).records
    c = simulate_once(desk, 6).records
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


def test_shrinkage_intervals_removes_the_channel_share_of_staffed_time():
    desk = stationary(10, 50, 300, days=7)
    desk = Desk(**{**desk.__dict__, "shrinkage": np.array([0.3])})
    full = simulate_once(desk, 1, shrinkage="none", warmup=False)
    thin = simulate_once(desk, 1, shrinkage="intervals", warmup=False)
    ratio = thin.staffed_s.sum() / full.staffed_s.sum()
    assert ratio == pytest.approx(0.7, abs=0.03)
    with pytest.raises(ValueError, match="shrinkage must be one of"):
        simulate_once(desk, 1, shrinkage="smooth")


@settings(max_examples=6, deadline=None)
@given(n=st.integers(2, 6), per=st.floats(5, 40), patience=st.sampled_from([np.inf, 150.0]))
def test_more_agents_never_lower_the_service_level(n, per, patience):
    def sl(agents):
        desk = stationary(agents, per, 300, patience=patience, target=30, days=2)
        return simulate_desk(desk, reps=3, seed=2, shrinkage="none",
                             warmup=False).queues["service_level"].iloc[0]

    assert sl(n + 1) >= sl(n) - 0.01


def test_occupancy_and_backlog_stay_in_range():
    desk = stationary(3, 30, 400, patience=180, target=60, hours=(6.0, 20.0))
    res = simulate_desk(desk, reps=2, seed=0)
    occ = res.intervals["occupancy"].dropna()
    assert ((occ >= 0) & (occ <= 1 + 1e-6)).all()
    assert (res.intervals["backlog"] >= 0).all()
    assert {"service_level_lo", "service_level_hi"} <= set(res.intervals.columns)


def _config() -> ScenarioConfig:
    return ScenarioConfig(
        channels={"chat": ChannelConfig(name="chat", model="erlang_a", concurrency=2,
                                        patience_s=200, answer_time_s=30),
                  "email": ChannelConfig(name="email", kind="deferred", response_window_h=8)},
        shifts=ShiftRules(templates=()))


def test_desk_from_plan_reads_queues_segments_and_drops_unknown_work(caplog):
    fc = pd.DataFrame({"interval_start": np.repeat(START + pd.to_timedelta(
        np.arange(336) * STEP, unit="s"), 2), "channel": ["chat", "email"] * 336,
        "language": "en", "contacts": [10.0, 4.0] * 336, "aht_s": [300.0, np.nan] * 336})
    acts = pd.DataFrame({
        "agent_id": ["A1", "A1", "A2", "A2"],
        "start_utc": pd.to_datetime(["2026-11-29T22:00Z", "2026-11-30T09:00Z",
                                     "2026-11-30T08:00Z", "2026-11-30T12:00Z"]),
        "end_utc": pd.to_datetime(["2026-11-30T02:00Z", "2026-11-30T10:00Z",
                                   "2026-11-30T12:00Z", "2026-11-30T13:00Z"]),
        "activity": ["work", "break", "work", "work"],
        "channel": ["chat", "", "email", "social"], "language": ["en", "", "en", "en"]})
    with caplog.at_level(logging.WARNING):
        desk = desk_from_plan(acts, fc, _config(), start=START, weeks=1, interval_s=STEP)
    assert desk.queues == (("chat", "en"), ("email", "en"))
    assert desk.target_s.tolist() == [30.0, 8 * 3600.0]
    assert np.isinf(desk.patience_s[1]) and desk.patience_s[0] == 200.0
    assert desk.concurrency.tolist() == [2, 1]
    np.testing.assert_allclose(desk.seg_start_s, [0.0, 8 * 3600.0])  # clipped to the plan
    np.testing.assert_allclose(desk.seg_end_s, [2 * 3600.0, 12 * 3600.0])
    assert desk.aht_s[1, 0] == 300.0  # no handle time on any email: the 300 s default
    assert "1 work segment(s) (1.0 h) are on no forecast queue" in caplog.text
    agents = pd.DataFrame({"agent_id": ["A1", "A2"], "languages": [("en",), ("en", "ko")],
                           "channels": [("chat", "email"), ("email",)], "vip": [False, False]})
    skilled = desk_from_plan(acts, fc, _config(), start=START, weeks=1, interval_s=STEP,
                             agents=agents)
    assert skilled.skills.tolist() == [[True, True], [False, True]]
    assert desk.skill_order() == [[0], [1]]  # without agents.csv: the planned queues only


def test_promise_table_flags_over_promises():
    sim = pd.DataFrame({"channel": ["chat", "chat"], "language": ["en", "ko"],
                        "service_level": [0.85, 0.80]})
    promised = pd.DataFrame({"channel": ["chat", "chat"], "language": ["en", "ko"],
                             "service_level": [0.875, 0.81], "asa_s": [9.0, 12.0]})
    out = promise_table(sim, promised).set_index("language")
    assert out.loc["en", "difference"] == pytest.approx(0.025)
    assert bool(out.loc["en", "over_promise"]) and not bool(out.loc["ko", "over_promise"])


def two_queues(skilled: bool) -> Desk:
    """English chat overloaded on one agent; Korean chat quiet on two agents who, when
    ``skilled``, may also take English."""
    n_t = 7 * 86400 // STEP
    week_s = n_t * STEP * 1.0
    skills = np.array([[True, False], [skilled, True], [skilled, True]])
    return Desk(queues=(("chat", "en"), ("chat", "ko")), deferred=np.array([False, False]),
                concurrency=np.array([1, 1]), slowdown=np.zeros(2),
                patience_s=np.array([120.0, 120.0]), target_s=np.array([20.0, 20.0]),
                shrinkage=np.zeros(2), start=START, interval_s=STEP,
                contacts=np.array([np.full(n_t, 12.0), np.full(n_t, 3.0)]),
                aht_s=np.full((2, n_t), 300.0), agents=("A0", "A1", "A2"),
                seg_agent=np.array([0, 1, 2]), seg_queue=np.array([0, 1, 1]),
                seg_start_s=np.zeros(3), seg_end_s=np.full(3, week_s),
                priority=np.array([1.0, 1.0]), skills=skills)


def test_skills_routing_lets_idle_agents_take_another_queue():
    def sl(desk, routing):
        res = simulate_desk(desk, reps=2, seed=4, shrinkage="none", warmup=False,
                            routing=routing)
        return res.queues.set_index("language")["service_level"]

    planned, skilled = sl(two_queues(True), "planned"), sl(two_queues(True), "skills")
    assert skilled["en"] > planned["en"] + 0.2  # Korean agents answer English when idle
    assert skilled["ko"] < planned["ko"]  # ... and are sometimes busy when Korean arrives
    unskilled = sl(two_queues(False), "skills")  # nobody else may take English
    pd.testing.assert_series_equal(unskilled, sl(two_queues(False), "planned"))
    with pytest.raises(ValueError, match="routing must be one of"):
        simulate_once(two_queues(True), 0, routing="any")


def test_replay_arrives_exactly_the_counted_contacts():
    desk = stationary(3, 0.0, 300, patience=200, days=1)
    counts = np.random.default_rng(0).integers(0, 6, size=desk.contacts.shape).astype(float)
    desk = Desk(**{**desk.__dict__, "contacts": counts, "replay": True})
    rep = simulate_once(desk, 1, shrinkage="none")
    got = np.zeros_like(counts)
    np.add.at(got, (rep.records["queue"], rep.records["interval"]), 1.0)
    np.testing.assert_array_equal(got, counts)


def test_day_levels_widen_the_daily_totals_around_the_same_mean():
    desk = stationary(4, 20.0, 300, days=7)
    desk = Desk(**{**desk.__dict__, "level_sd": np.full(desk.contacts.shape, 6.0)})

    def daily(levels):
        totals = []
        for seed in range(6):
            r = simulate_once(desk, seed, shrinkage="none", warmup=False, day_levels=levels)
            totals += np.bincount(r.records["interval"] // 48, minlength=7).tolist()
        return np.array(totals)

    plain, drawn = daily(False), daily(True)
    assert plain.std() < 40 < drawn.std()  # Poisson: sd 31 a day; levels: sd ~290 a day
    assert drawn.mean() == pytest.approx(960, rel=0.1) and plain.mean() == pytest.approx(
        960, rel=0.02)


def test_level_sd_is_the_band_beyond_poisson():
    fc = pd.DataFrame({"interval_start": START + pd.to_timedelta([0, STEP], unit="s"),
                       "channel": "chat", "language": "en", "contacts": [16.0, 16.0],
                       "aht_s": 300.0, "contacts_p10": [10.0, 0.0],
                       "contacts_p90": [20.0, 41.0]})
    acts = pd.DataFrame({"agent_id": ["A1"], "start_utc": [START],
                         "end_utc": [START + pd.Timedelta(hours=1)], "activity": ["work"],
                         "channel": ["chat"], "language": ["en"]})
    desk = desk_from_plan(acts, fc, _config(), start=START, weeks=1, interval_s=STEP)
    # sigma 3.9 is below Poisson's 4: no level uncertainty; sigma 16.0: sqrt(256 - 16)
    np.testing.assert_allclose(desk.level_sd[0, :2], [0.0, np.sqrt((41 / 2.5631) ** 2 - 16)],
                               rtol=1e-4)


def test_shifts_mode_loses_whole_shifts():
    # one agent, 7 days of two 4 h blocks around a 1 h meal: a day is kept or lost whole
    day = np.arange(7) * 86400.0
    base = stationary(1, 5.0, 300, days=7)
    desk = Desk(**{**base.__dict__, "shrinkage": np.array([0.3]),
                   "seg_agent": np.zeros(14, int), "seg_queue": np.zeros(14, int),
                   "seg_start_s": np.sort(np.concatenate([day + 8 * 3600, day + 13 * 3600])),
                   "seg_end_s": np.sort(np.concatenate([day + 12 * 3600, day + 17 * 3600]))})
    kept = []
    for seed in range(40):
        staffed = simulate_once(desk, seed, shrinkage="shifts", warmup=False).staffed_s[0]
        per_day = staffed.reshape(7, 48)
        morning, afternoon = per_day[:, 16:24].sum(axis=1), per_day[:, 26:34].sum(axis=1)
        assert ((morning > 0) == (afternoon > 0)).all()  # both blocks or neither
        kept += (morning > 0).tolist()
    assert np.mean(kept) == pytest.approx(0.7, abs=0.07)


def test_overflow_after_a_wait_moves_contacts_to_the_other_queue():
    # Korean VIP chat has nobody; after 30 s its chats go to two idle English agents
    n_t = 7 * 86400 // STEP
    week_s = n_t * STEP * 1.0

    def desk(after: float) -> Desk:
        return Desk(queues=(("vip_chat", "en"), ("vip_chat", "ko")),
                    deferred=np.array([False, False]), concurrency=np.array([1, 1]),
                    slowdown=np.zeros(2), patience_s=np.array([300.0, 300.0]),
                    target_s=np.array([60.0, 60.0]), shrinkage=np.zeros(2), start=START,
                    interval_s=STEP, contacts=np.array([np.full(n_t, 1.0), np.full(n_t, 1.0)]),
                    aht_s=np.full((2, n_t), 400.0), agents=("A0", "A1"),
                    seg_agent=np.array([0, 1]), seg_queue=np.array([0, 0]),
                    seg_start_s=np.zeros(2), seg_end_s=np.full(2, week_s),
                    overflow_to=np.array([-1, 0]), overflow_after_s=np.array([np.inf, after]),
                    overflow_factor=np.array([1.0, 1.5]))

    def measures(d):
        return simulate_desk(d, reps=2, seed=3, shrinkage="none",
                             warmup=False).queues.set_index("language")

    never, after_30 = measures(desk(np.inf)), measures(desk(30.0))
    assert never.loc["ko", "service_level"] == 0.0 and never.loc["ko", "abandon_rate"] == 1.0
    assert after_30.loc["ko", "service_level"] > 0.8  # answered by English after 30-60 s
    assert after_30.loc["ko", "asa_s"] >= 30.0
    assert after_30.loc["en", "service_level"] < never.loc["en", "service_level"]
    occ = simulate_desk(desk(30.0), reps=1, seed=3, shrinkage="none", warmup=False).intervals
    assert (occ["occupancy"].dropna() <= 1 + 1e-6).all()


def test_overflow_rules_from_the_scenario():
    cfg = parse_config({"channels": {"vip_chat": {"vip": True}, "chat": {}},
                        "shifts": {"templates": [{"name": "day", "length_h": 8}]},
                        "overflow": {"vip_chat/ko": {"to": "vip_chat/en", "after_s": 30,
                                                     "aht_factor": 1.2}}})
    o = cfg.overflow[0]
    assert (o.name, o.to, o.after_s, o.aht_factor) == ("vip_chat/ko", ("vip_chat", "en"), 30.0,
                                                       1.2)
    with pytest.raises(InputError) as exc:
        parse_config({"channels": {"chat": {}},
                      "shifts": {"templates": [{"name": "day", "length_h": 8}]},
                      "overflow": {"chat/ko": {"to": "chat/en", "after_s": 60},
                                   "chat/en": {"to": "chat/ko", "after_s": -1},
                                   "chat/vi": {"to": "chat/vi", "after_s": 5}}})
    got = [str(p) for p in exc.value.problems]
    assert any("key 'overflow.chat/en.after_s', value -1: expected seconds >= 0" in g for g in got)
    assert any("key 'overflow.chat/vi.to', value 'chat/vi': a queue cannot overflow to itself"
               in g for g in got)
    with pytest.raises(InputError, match="overflow routes in a circle: chat/ko -> chat/en"):
        parse_config({"channels": {"chat": {}},
                      "shifts": {"templates": [{"name": "day", "length_h": 8}]},
                      "overflow": {"chat/ko": {"to": "chat/en", "after_s": 60},
                                   "chat/en": {"to": "chat/ko", "after_s": 60}}})


def test_pool_with_certified_agents_take_the_partner_queue_after_vip():
    # one certified agent on vip_chat all week, nobody on chat: with pool_with the agent
    # answers chat in its free slot (VIP first); without, chat is never answered
    def config(pooled: bool) -> ScenarioConfig:
        vip = {"vip": True, "model": "erlang_a", "concurrency": 1, "patience_s": 300,
               "answer_time_s": 60, **({"pool_with": "chat"} if pooled else {})}
        return parse_config({"channels": {"vip_chat": vip,
                                          "chat": {"model": "erlang_a", "concurrency": 2,
                                                   "patience_s": 300, "answer_time_s": 60}},
                             "shifts": {"templates": [{"name": "day", "length_h": 8}]}})

    t = START + pd.to_timedelta(np.arange(336) * STEP, unit="s")
    fc = pd.DataFrame({"interval_start": np.repeat(t, 2), "channel": ["chat", "vip_chat"] * 336,
                       "language": "en", "contacts": [1.5, 0.5] * 336, "aht_s": 400.0})
    acts = pd.DataFrame({"agent_id": ["A1"], "start_utc": [START],
                         "end_utc": [START + pd.Timedelta(days=7)], "activity": ["work"],
                         "channel": ["vip_chat"], "language": ["en"]})
    out = {}
    for pooled in (False, True):
        desk = desk_from_plan(acts, fc, config(pooled), start=START, weeks=1, interval_s=STEP)
        out[pooled] = simulate_desk(desk, reps=2, seed=5, shrinkage="none",
                                    warmup=False).queues.set_index("channel")
    pooled = desk_from_plan(acts, fc, config(True), start=START, weeks=1, interval_s=STEP)
    assert pooled.pool_partner.tolist() == [-1, 0]  # vip_chat/en takes chat/en
    assert pooled.pool_regular.tolist() == [0, 1]  # in 2 - 1 slots
    assert out[False].loc["chat", "service_level"] == 0.0
    assert out[True].loc["chat", "service_level"] > 0.3
    assert out[True].loc["vip_chat", "service_level"] > out[True].loc["chat", "service_level"]
    # the agent's regular chats cost the VIP chats some service, never all of it
    assert 0.5 < out[True].loc["vip_chat", "service_level"] <= out[False].loc["vip_chat",
                                                                               "service_level"]


def test_a_pooled_agent_keeps_each_queue_within_its_slots():
    # a certified agent on vip_chat (1 VIP slot, 3 chat slots: 2 for regular chat) under
    # skills routing may also take email, whose concurrency is 1; it never holds more than
    # the slots each queue allows, whatever arrives
    n_t = 7 * 86400 // STEP
    week_s = n_t * STEP * 1.0
    desk = Desk(queues=(("chat", "en"), ("email", "en"), ("vip_chat", "en")),
                deferred=np.array([False, True, False]), concurrency=np.array([3, 1, 1]),
                slowdown=np.zeros(3), patience_s=np.array([300.0, np.inf, 300.0]),
                target_s=np.array([60.0, 4 * 3600.0, 60.0]), shrinkage=np.zeros(3),
                start=START, interval_s=STEP, contacts=np.full((3, n_t), 4.0),
                aht_s=np.full((3, n_t), 600.0), agents=("A0",), seg_agent=np.array([0]),
                seg_queue=np.array([2]), seg_start_s=np.zeros(1), seg_end_s=np.full(1, week_s),
                pool_partner=np.array([-1, -1, 0]), pool_regular=np.array([0, 0, 2]),
                skills=np.array([[True, True, True]]), priority=np.array([4.0, 1.0, 5.0]))
    from optimize.simulation import engine

    seen = []
    begin = engine._Run.begin

    def spy(self, i, a, q):
        begin(self, i, a, q)
        took = self.took[self.active[a]]
        seen.append(((took == 2).sum(), (took == 0).sum(), (took == 1).sum(), len(took)))

    engine._Run.begin = spy
    try:
        simulate_once(desk, 1, shrinkage="none", warmup=False, routing="skills")
    finally:
        engine._Run.begin = begin
    held = np.array(seen)
    assert held[:, 0].max() == 1 and held[:, 1].max() == 2  # VIP and regular slots full
    # email: one at a time, and taken at all when the agent is idle; 3 contacts in all
    assert held[:, 2].max() == 1 and held[:, 3].max() <= 3
