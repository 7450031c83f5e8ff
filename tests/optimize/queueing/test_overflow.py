"""Overflow after a wait in the requirements and the coverage (optimize.queueing.overflow).

Small hand-made desks: where the rules move work, what a closed option requires, and the
promise against the simulator (the only check overflow has: no exact formula exists).
"""

import math

import numpy as np
import pandas as pd
import pytest

from forecast.inputs.problems import InputError
from optimize.queueing.overflow import counted_rules
from optimize.queueing.requirements import compute_requirements, evaluate_staffing
from optimize.scenario.config import parse_config
from optimize.simulation.desk import desk_from_plan
from optimize.simulation.run import simulate_desk

STEP = 1800
START = pd.Timestamp("2026-11-30", tz="UTC")
KEYS = ["interval_start", "channel", "language"]
CHANNELS = {"vip_chat": {"vip": True, "model": "erlang_a", "service_level": 0.9,
                         "answer_time_s": 20, "patience_s": 120, "concurrency": 2},
            "chat": {"model": "erlang_a", "service_level": 0.8, "answer_time_s": 60,
                     "patience_s": 240, "concurrency": 3},
            "email": {"kind": "deferred"}}
RULES = {"vip_chat/ko": {"to": "vip_chat/en", "after_s": 10},
         "vip_chat/vi": {"to": "vip_chat/en", "after_s": 10, "aht_factor": 1.2},
         "chat/vi": {"to": "chat/en", "after_s": 30, "aht_factor": 1.2}}


def config(overflow=None, **channels):
    return parse_config({"staffing": {"shrinkage": 0.0, "max_occupancy": 0.85},
                         "channels": {**CHANNELS, **channels},
                         "shifts": {"templates": [{"name": "day", "length_h": 8}]},
                         **({"overflow": overflow} if overflow else {})})


def forecast(per: dict, days: int = 7) -> pd.DataFrame:
    """A day-shaped week: ``per[(channel, language)]`` contacts per interval at the mean."""
    n_t = days * 48
    t = START + pd.to_timedelta(np.arange(n_t) * STEP, unit="s")
    hour = (np.arange(n_t) % 48) / 2
    shape = 0.4 + np.sin(np.pi * np.clip(hour - 6, 0, 16) / 16) ** 2
    return pd.concat([pd.DataFrame({"interval_start": t, "channel": c, "language": lang,
                                    "contacts": v * shape,
                                    "aht_s": 420.0 if c == "vip_chat" else 480.0})
                      for (c, lang), v in per.items()], ignore_index=True)


DESK = {("vip_chat", "en"): 6, ("vip_chat", "ko"): 1.2, ("vip_chat", "vi"): 0.6,
        ("chat", "en"): 60, ("chat", "vi"): 5}


@pytest.fixture(scope="module")
def desk():
    fc = forecast(DESK)
    return fc, compute_requirements(fc, config(RULES), interval_s=STEP), \
        compute_requirements(fc, config(), interval_s=STEP)


def _by_queue(req: pd.DataFrame, column: str) -> pd.Series:
    return req.groupby(["channel", "language"])[column].sum()


def test_thin_queues_overflow_instead_of_staffing_around_the_clock(desk):
    fc, req, alone = desk
    need, before = _by_queue(req, "required_agents"), _by_queue(alone, "required_agents")
    # without overflow each thin VIP queue asks for a certified agent every interval
    assert before[("vip_chat", "ko")] >= 336 and before[("vip_chat", "vi")] >= 336
    # with it nobody, and English takes what is still waiting after 10 s
    assert need[("vip_chat", "ko")] == 0 and need[("vip_chat", "vi")] == 0
    planned, contacts = _by_queue(req, "planned_contacts"), _by_queue(req, "contacts")
    reach = math.exp(-10 / 120)
    moved = reach * (contacts[("vip_chat", "ko")] + contacts[("vip_chat", "vi")])
    assert planned[("vip_chat", "en")] == pytest.approx(contacts[("vip_chat", "en")] + moved)
    assert planned[("vip_chat", "ko")] == 0.0
    assert (req["contacts"].to_numpy() == fc.sort_values(KEYS)["contacts"].to_numpy()).all()
    # English answers 0.9 / reach of the moved chats within the 10 s left: more agents
    assert need[("vip_chat", "en")] > before[("vip_chat", "en")]
    assert need.sum() < before.sum()  # and fewer heads in all
    # the promise of the thin queues holds their target
    sl = req.assign(w=req["contacts"] * req["service_level"])
    got = _by_queue(sl, "w") / contacts
    assert got[("vip_chat", "ko")] >= 0.9 - 1e-9 and got[("vip_chat", "vi")] >= 0.9 - 1e-9


def test_an_overflow_at_the_target_is_planned_and_promised_alike():
    # chat waits 60 s for its target and 60 s before it moves: English must answer the
    # moved chats at once, and the promise counts those it does
    fc = forecast({("chat", "en"): 40, ("chat", "vi"): 2}, days=1)
    cfg = config({"chat/vi": {"to": "chat/en", "after_s": 60}},
                 chat={**CHANNELS["chat"], "patience_s": 3600})
    req = compute_requirements(fc, cfg, interval_s=STEP)
    vi = req[req["language"] == "vi"]
    assert (vi["required_agents"] == 0).all()  # left to English
    assert _promised(req)[("chat", "vi")] >= 0.8 - 1e-9


def test_an_overflow_too_late_for_the_target_moves_nothing():
    # VIP chats must be answered within 20 s: overflowing after 30 s cannot serve them
    fc = forecast({("vip_chat", "en"): 6, ("vip_chat", "ko"): 1.2}, days=1)
    late = compute_requirements(fc, config({"vip_chat/ko": {"to": "vip_chat/en",
                                                            "after_s": 30}}), interval_s=STEP)
    plain = compute_requirements(fc, config(), interval_s=STEP)
    assert (late["required_agents"] == plain["required_agents"]).all()
    ko = late["language"] == "ko"
    # the residual overflow of the staffed Korean queue is planned on English
    assert (late.loc[~ko, "planned_contacts"] >= late.loc[~ko, "contacts"]).all()
    assert (late.loc[ko, "planned_contacts"] == late.loc[ko, "contacts"]).all()


def test_nobody_on_the_queue_means_the_moved_share_answered_there():
    fc = forecast({("vip_chat", "en"): 1, ("vip_chat", "ko"): 1}, days=1)
    cfg = config({"vip_chat/ko": {"to": "vip_chat/en", "after_s": 5}})
    staffed = fc[KEYS].assign(scheduled_agents=np.where(fc["language"] == "en", 30.0, 0.0))
    cov = evaluate_staffing(fc, staffed, cfg, interval_s=STEP).set_index("language")
    # 30 English agents answer at once: a Korean chat is served iff it waits the 5 s
    assert cov.loc["ko", "service_level"].to_numpy() == pytest.approx(math.exp(-5 / 120),
                                                                        abs=1e-6)
    assert cov.loc["ko", "abandon_rate"].to_numpy() == pytest.approx(1 - math.exp(-5 / 120),
                                                                      abs=1e-6)
    # without the rule nobody answers them
    plain = evaluate_staffing(fc, staffed, config(), interval_s=STEP).set_index("language")
    assert (plain.loc["ko", "service_level"] == 0.0).all()


def _promised(req: pd.DataFrame) -> pd.Series:
    w = req.assign(w=req["contacts"] * req["service_level"])
    return _by_queue(w, "w") / _by_queue(req, "contacts")


def test_chains_move_the_load_along_and_uncounted_rules_change_nothing():
    fc = forecast({("chat", "en"): 40, ("chat", "vi"): 1, ("chat", "th"): 1}, days=1)
    chain = {"chat/th": {"to": "chat/vi", "after_s": 10}, "chat/vi": {"to": "chat/en",
                                                                      "after_s": 10}}
    req = compute_requirements(fc, config(chain), interval_s=STEP)
    assert [o.name for o in counted_rules(config(chain))] == ["chat/th", "chat/vi"]
    planned = _by_queue(req, "planned_contacts")
    assert planned[("chat", "th")] == 0.0  # Thai is left to Vietnamese ...
    # ... which then keeps its agents (a contact's service counts one move) and holds
    # the Thai chats to the 50 s they have left
    assert planned[("chat", "vi")] > _by_queue(req, "contacts")[("chat", "vi")]
    assert (req.loc[(req["language"] == "vi") & (req["planned_contacts"] > 0),
                    "required_agents"] > 0).all()
    assert (req.loc[req["language"] == "vi", "planned_answer_s"] == 50.0).all()
    assert (_promised(req) >= 0.8 - 1e-9).all()  # every queue's own contacts at target
    # to or from a deferred channel: the simulator plays it, the requirements do not
    cfg = config({"chat/vi": {"to": "email/vi", "after_s": 60}})
    assert counted_rules(cfg) == ()
    plain = compute_requirements(fc, config(), interval_s=STEP)
    got = compute_requirements(fc, cfg, interval_s=STEP)
    assert "planned_contacts" not in got.columns
    pd.testing.assert_frame_equal(got, plain)


def one_agent_per_head(req: pd.DataFrame) -> pd.DataFrame:
    """One agent per required head, queue and interval (nobody absent)."""
    r = req.loc[req["required_agents"] > 0]
    rep = r.loc[r.index.repeat(r["required_agents"])]
    k = rep.groupby(level=0).cumcount().astype(str)
    return pd.DataFrame({"agent_id": rep["channel"] + "-" + rep["language"] + "-" + k,
                         "start_utc": rep["interval_start"],
                         "end_utc": rep["interval_start"] + pd.Timedelta(seconds=STEP),
                         "activity": "work", "channel": rep["channel"],
                         "language": rep["language"]}).reset_index(drop=True)


def promised_on(req: pd.DataFrame, fc: pd.DataFrame, cfg) -> pd.Series:
    """Per queue, the coverage's service level with the required heads scheduled."""
    staffed = req[KEYS].assign(scheduled_agents=req["required_agents"])
    cov = evaluate_staffing(fc, staffed, cfg, interval_s=STEP).merge(fc, on=KEYS)
    return (cov.assign(w=cov["service_level"] * cov["contacts"])
            .groupby(["channel", "language"])["w"].sum() / _by_queue(cov, "contacts"))


def simulated_on(req: pd.DataFrame, fc: pd.DataFrame, cfg, seed: int) -> pd.DataFrame:
    """Per queue, the simulator's measures of the required heads, nobody absent."""
    return simulate_desk(desk_from_plan(one_agent_per_head(req), fc, cfg, start=START,
                                        weeks=1, interval_s=STEP),
                         reps=4, seed=seed, shrinkage="none").queues.set_index(
        ["channel", "language"])


def test_the_promise_holds_in_the_simulator(desk):
    # the required heads on a roster, every head present: promised within 2 points of
    # simulated on every queue (thin VIP queues with nobody of their own included)
    fc, req, _ = desk
    cfg = config(RULES)
    sim = simulated_on(req, fc, cfg, seed=1)
    gap = (promised_on(req, fc, cfg) - sim["service_level"]).abs()
    assert (gap < 0.02).all(), gap
    assert sim.loc[("vip_chat", "ko"), "service_level"] > 0.87  # was 0.0 with nobody on it


def test_keep_staffed_only_takes_what_is_still_waiting(desk):
    fc, req, alone = desk
    kept = {k: {**v, "keep_staffed": True} for k, v in RULES.items()}
    got = compute_requirements(fc, config(kept), interval_s=STEP)
    need, before = _by_queue(got, "required_agents"), _by_queue(alone, "required_agents")
    for queue in [("vip_chat", "ko"), ("vip_chat", "vi"), ("chat", "vi")]:
        assert need[queue] == before[queue]  # staffed on its own as without the rule
    planned = _by_queue(got, "planned_contacts")
    assert planned[("vip_chat", "ko")] == pytest.approx(_by_queue(got, "contacts")[
        ("vip_chat", "ko")])
    assert planned[("vip_chat", "en")] > _by_queue(got, "contacts")[("vip_chat", "en")]


def test_keep_staffed_must_be_a_boolean():
    with pytest.raises(InputError, match="overflow.chat/vi.keep_staffed"):
        config({"chat/vi": {"to": "chat/en", "after_s": 30, "keep_staffed": "yes"}})


# ---------------------------------------------------------------- move_when_unstaffed
AT_ONCE = {"vip_chat/ko": {"to": "vip_chat/en", "after_s": 5, "move_when_unstaffed": True}}


def test_an_empty_queue_moves_its_contacts_at_once():
    fc = forecast({("vip_chat", "en"): 1, ("vip_chat", "ko"): 1}, days=1)
    staffed = fc[KEYS].assign(scheduled_agents=np.where(fc["language"] == "en", 30.0, 0.0))
    cov = evaluate_staffing(fc, staffed, config(AT_ONCE), interval_s=STEP).set_index("language")
    # nobody Korean on duty: no 5 s in an empty queue (exp(-5/120) above), 30 English
    # agents answer every Korean chat at once
    assert cov.loc["ko", "service_level"].to_numpy() == pytest.approx(1.0, abs=1e-6)
    assert cov.loc["ko", "abandon_rate"].to_numpy() == pytest.approx(0.0, abs=1e-6)
    # half an agent on average (shrinkage, or half the interval): half the weight each way
    half = fc[KEYS].assign(scheduled_agents=np.where(fc["language"] == "en", 30.0, 0.5))
    waits = evaluate_staffing(fc, half, config({"vip_chat/ko": {**AT_ONCE["vip_chat/ko"],
                                                                "move_when_unstaffed": False}}),
                              interval_s=STEP).set_index("language")
    moves = evaluate_staffing(fc, half, config(AT_ONCE), interval_s=STEP).set_index("language")
    gain = moves.loc["ko", "service_level"] - waits.loc["ko", "service_level"]
    # the "0 agents" half no longer waits 5 s (English answers every chat it gets)
    assert gain.to_numpy() == pytest.approx(0.5 * (1 - math.exp(-5 / 120)), abs=1e-6)


def test_left_to_an_overflow_that_moves_at_once_the_target_takes_every_contact():
    fc = forecast({("vip_chat", "en"): 6, ("vip_chat", "ko"): 1.2}, days=1)
    waits = compute_requirements(fc, config({"vip_chat/ko": {"to": "vip_chat/en",
                                                             "after_s": 5}}), interval_s=STEP)
    now = compute_requirements(fc, config(AT_ONCE), interval_s=STEP)
    contacts, planned = _by_queue(now, "contacts"), _by_queue(now, "planned_contacts")
    assert planned[("vip_chat", "ko")] == 0.0
    assert planned[("vip_chat", "en")] == pytest.approx(contacts.sum())  # none lost waiting
    # English holds them to their whole 20 s at the plain 90 %, not 15 s at 90 % / reach
    assert (now.loc[now["language"] == "en", "planned_answer_s"] == 20.0).all()
    assert _by_queue(now, "required_agents")[("vip_chat", "en")] <= \
        _by_queue(waits, "required_agents")[("vip_chat", "en")]
    assert (_promised(now) >= 0.9 - 1e-9).all()


def test_a_chain_is_promised_as_the_simulator_plays_it():
    # VIP Korean left to one certified English agent, who passes what it cannot take in
    # 10 s to the English chat team ahead of its line: the promise follows both moves
    rules = {**AT_ONCE, "vip_chat/en": {"to": "chat/en", "after_s": 10, "keep_staffed": True,
                                        "move_when_unstaffed": True}}
    cfg = config(rules)
    fc = forecast({("vip_chat", "en"): 2, ("vip_chat", "ko"): 1.5, ("chat", "en"): 30})
    req = compute_requirements(fc, cfg, interval_s=STEP)
    assert _by_queue(req, "required_agents")[("vip_chat", "ko")] == 0
    sim = simulated_on(req, fc, cfg, seed=2)
    promised = promised_on(req, fc, cfg)
    gap = (promised - sim["service_level"]).abs()
    assert (gap < 0.02).all(), gap
    # counting one move only would promise the VIP English queue's own model
    p1 = promised_on(req, fc, config(AT_ONCE))
    assert promised[("vip_chat", "ko")] > p1[("vip_chat", "ko")] + 0.02
    assert sim.loc[("vip_chat", "ko"), "service_level"] > p1[("vip_chat", "ko")] + 0.02


def test_a_chain_reads_abandonment_and_wait_past_the_middle_queue():
    # nobody certified on duty at all: Korean VIP moves to English VIP, which has nobody
    # either and moves at once to 30 English chat agents who answer at once
    rules = {**AT_ONCE, "vip_chat/en": {"to": "chat/en", "after_s": 5,
                                        "move_when_unstaffed": True}}
    fc = forecast({("vip_chat", "en"): 1, ("vip_chat", "ko"): 1, ("chat", "en"): 5}, days=1)
    staffed = fc[KEYS].assign(scheduled_agents=np.where(fc["channel"] == "chat", 30.0, 0.0))
    cov = evaluate_staffing(fc, staffed, config(rules), interval_s=STEP)
    ko = cov[cov["language"] == "ko"]
    assert ko["service_level"].to_numpy() == pytest.approx(1.0, abs=1e-6)
    assert ko["abandon_rate"].to_numpy() == pytest.approx(0.0, abs=1e-6)  # was 1.0
    assert ko["asa_s"].to_numpy() == pytest.approx(0.0, abs=1e-6)  # was the patience


def _moved_vip_waits(vip_priority: float) -> pd.DataFrame:
    """English chat run hot (long waits); VIP English has nobody and moves at once."""
    cfg = config({"vip_chat/en": {"to": "chat/en", "after_s": 10,
                                  "move_when_unstaffed": True}},
                 chat={**CHANNELS["chat"], "patience_s": 3600},
                 vip_chat={**CHANNELS["vip_chat"], "patience_s": 3600,
                           "priority": vip_priority})
    fc = forecast({("vip_chat", "en"): 3, ("chat", "en"): 60}, days=1)
    req = compute_requirements(fc, cfg, interval_s=STEP)
    # a chat agent's three chats run at 1 / 1.5 speed: two chats' work; 93 % busy
    heads = req.assign(required_agents=np.where(
        req["channel"] == "chat", np.ceil(req["workload_erlangs"] / 2 / 0.93), 0).astype(int))
    return simulate_desk(desk_from_plan(one_agent_per_head(heads), fc, cfg, start=START,
                                        weeks=1, interval_s=STEP),
                         reps=3, seed=3, shrinkage="none").queues.set_index("channel")


def test_a_moved_vip_chat_goes_ahead_of_the_regular_line():
    ahead, same = _moved_vip_waits(8.0), _moved_vip_waits(1.0)
    assert ahead.loc["chat", "asa_s"] > 30  # the regular line waits ...
    assert ahead.loc["vip_chat", "asa_s"] < ahead.loc["chat", "asa_s"] / 2  # VIP goes first
    # ... unless its channel is no higher: then it joins the back of the line
    assert same.loc["vip_chat", "asa_s"] > same.loc["chat", "asa_s"] * 0.7


def test_the_summary_counts_moves_out_not_the_chats_a_queue_takes_in():
    from optimize.outputs.summary import overflow_markdown

    rules = {**AT_ONCE, "vip_chat/en": {"to": "chat/en", "after_s": 10, "keep_staffed": True}}
    fc = forecast({("vip_chat", "en"): 2, ("vip_chat", "ko"): 1.5, ("chat", "en"): 30},
                  days=1)
    req = compute_requirements(fc, config(rules), interval_s=STEP)
    cells = [[c.strip() for c in line.strip("|").split("|")]
             for line in overflow_markdown(req, config(rules), STEP).splitlines()
             if line.startswith("| vip_chat")]
    rows = {c[0]: c for c in cells}
    ko = _by_queue(req, "contacts")[("vip_chat", "ko")]
    assert rows["vip_chat/ko"][5] == f"{ko:,.0f} (100%)"  # left to English all day
    assert rows["vip_chat/en"][5] == "0 (0%)"  # staffed for its own and Korean's chats
    assert rows["vip_chat/en"][6] == "0.0"


def test_move_when_unstaffed_is_a_boolean_of_a_real_time_queue():
    with pytest.raises(InputError, match="overflow.chat/vi.move_when_unstaffed"):
        config({"chat/vi": {"to": "chat/en", "after_s": 30, "move_when_unstaffed": 1}})
    with pytest.raises(InputError, match="only a real-time queue"):
        config({"email/vi": {"to": "email/en", "after_s": 3600, "move_when_unstaffed": True}})
