"""What keeps the refresh small on long histories: trimmed queue tasks, no filtered copies of
the contacts table, a data hash computed in chunks. Each change must leave results exactly
as they were."""

import numpy as np
import pandas as pd
import pytest
from test_forecast_data import START, make_contacts, make_market

import forecast.refresh as refresh_mod
from forecast.panel import TASK_WEEKS, prepare
from forecast.queue import QueueInput, forecast_queue
from forecast.refresh import _known_at, data_hash

SPD = 48
P = 7 * SPD


def _queue(weeks: int, seen: int, seed: int = 0) -> QueueInput:
    rng = np.random.default_rng(seed)
    n = weeks * P + seen
    t = np.arange(n)
    lam = 20.0 * (1.2 + np.sin(2 * np.pi * t / SPD)) * (1.0 + 0.1 * (t // SPD % 7 < 5))
    mh = np.exp(0.3 * rng.gamma(0.3, 1.0, n))
    y = rng.poisson(lam * mh).astype(float)
    aht = np.where(y > 0, rng.lognormal(np.log(300.0), 0.2, n), np.nan)
    return QueueInput("chat", "en", y, aht, SPD, 3 * SPD, seen, mh, np.ones(3 * SPD))


@pytest.mark.parametrize("seen", [0, 20])
def test_a_task_trimmed_to_task_weeks_forecasts_exactly_as_the_whole_history(seen):
    full = _queue(TASK_WEEKS + 14, seen)
    k = TASK_WEEKS * P + seen
    trimmed = QueueInput(full.channel, full.language, full.contacts[-k:], full.aht_s[-k:], SPD,
                         full.n_future, seen, full.mult_hist[-k:], full.mult_future)
    a = forecast_queue(full, keep_all=True)
    b = forecast_queue(trimmed, keep_all=True)
    assert a.model == b.model and a.phi == b.phi
    assert a.validation_wape == b.validation_wape
    for name, (mean, phi) in a.candidates.items():
        np.testing.assert_array_equal(b.candidates[name][0], mean)
        assert b.candidates[name][1] == phi
    np.testing.assert_array_equal(a.aht_s, b.aht_s)


def test_prepare_hands_each_queue_at_most_task_weeks_of_history():
    market = make_market(TASK_WEEKS * 7 + 30)
    contacts = make_contacts(days=TASK_WEEKS * 7 + 21, market=market)
    asof = START + pd.Timedelta(days=TASK_WEEKS * 7 + 14, hours=9)
    prep = prepare(contacts, market, asof=asof, horizon_days=2)
    seen = 9 * 2
    assert {len(t.contacts) for t in prep.tasks} == {TASK_WEEKS * P + seen}
    assert {len(t.mult_hist) for t in prep.tasks} == {TASK_WEEKS * P + seen}
    for t in prep.tasks:  # the last values are the ones just before asof
        if t.language == "en" and t.channel == "chat":
            hist = contacts[(contacts["channel"] == "chat") & (contacts["language"] == "en")
                            & (contacts["interval_start"] < asof)]["contacts"].to_numpy()
            np.testing.assert_array_equal(t.contacts, hist[-len(t.contacts):])


def test_prepare_ignores_rows_after_asof_and_queues_that_start_later():
    market = make_market(60)
    contacts = make_contacts(days=49, market=market)
    asof = START + pd.Timedelta(days=42)
    late = make_contacts(days=49, queues={("social", "vi"): 300.0})
    late = late[late["interval_start"] >= asof]  # a queue opened at asof
    both = pd.concat([contacts, late], ignore_index=True)
    a = prepare(contacts, market, asof=asof, horizon_days=1)
    b = prepare(both, market, asof=asof, horizon_days=1)
    assert [(p.channel, p.targets) for p in a.pools] == [(p.channel, p.targets) for p in b.pools]
    for ta, tb in zip(a.tasks, b.tasks, strict=True):
        np.testing.assert_array_equal(ta.contacts, tb.contacts)


def test_known_at_hands_back_the_tables_themselves_when_nothing_is_later():
    market = make_market(40)
    contacts = make_contacts(days=35)
    end = contacts["interval_start"].max() + pd.Timedelta("30min")
    c, m = _known_at(contacts, market[market["timestamp"] <= end], end)
    assert c is contacts
    c2, m2 = _known_at(contacts, market, end - pd.Timedelta(days=1))
    assert len(c2) == len(contacts) - 5 * SPD and m2["timestamp"].max() <= end
    assert c2["interval_start"].max() < end - pd.Timedelta(days=1)


def test_data_hash_in_chunks_equals_the_hash_of_one_piece(monkeypatch):
    contacts = make_contacts(days=29)
    whole = data_hash(contacts, None)
    monkeypatch.setattr(refresh_mod, "_HASH_CHUNK", 7)
    assert data_hash(contacts, None) == whole
    assert data_hash(contacts.iloc[::-1], None) == whole
