"""The FIFO fluid backlog model of optimize.queueing.backlog (deferred channels)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optimize.queueing.backlog import integer_agents, required_capacity, simulate_backlog

H = 3600.0


def test_hand_worked_example():
    # 30-min intervals, 10 contacts in interval 0 only, capacity 4 per interval.
    a = np.array([[10.0, 0, 0, 0, 0]])
    c = np.full((1, 5), 4.0)
    r = simulate_backlog(a, c, 1800, 2 * H)
    assert r.backlog[0].tolist() == [6.0, 2.0, 0.0, 0.0, 0.0]
    assert r.served[0].tolist() == [4.0, 4.0, 2.0, 0.0, 0.0]
    # FIFO: at t=30 min the head is contact 4 of 10, arrived at 0.4 * 30 min = 12 min
    assert r.oldest_age_h[0, 0] == pytest.approx((1800 - 720) / H)
    # at t=60 min the head is contact 8, arrived at 24 min -> 36 min old
    assert r.oldest_age_h[0, 1] == pytest.approx(36 / 60)
    # every contact of interval 0 is answered by 1.5 h < 2 h window
    assert r.within_window[0, 0] == 1.0
    # middle contact (5th) arrives at 15 min, answered at 30 + 1/4 * 30 = 37.5 min
    assert r.mean_delay_s[0, 0] == pytest.approx(22.5 * 60)
    assert np.isnan(r.within_window[0, -1])  # deadline after the horizon


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 50), st.floats(0, 50)), min_size=1, max_size=40),
       st.floats(0, 30))
def test_closed_form_equals_lindley_loop(pairs, b0):
    a = np.array([[p[0] for p in pairs]])
    c = np.array([[p[1] for p in pairs]])
    r = simulate_backlog(a, c, 900, 4 * H, initial_backlog=b0)
    b, expected = b0, []
    for ai, ci in pairs:
        b = max(b + ai - ci, 0.0)
        expected.append(b)
    assert np.allclose(r.backlog[0], expected, atol=1e-9)
    assert np.allclose(r.served[0], a[0] - np.diff(np.r_[b0, expected]), atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), share=st.floats(0.5, 1.0),
       window_steps=st.integers(1, 48))
def test_required_capacity_meets_the_window_and_is_tight(seed, share, window_steps):
    rng = np.random.default_rng(seed)
    a = rng.poisson(rng.uniform(1, 30), size=(3, 96)).astype(float)
    window = window_steps * 1800.0
    cap = required_capacity(a, 1800, window, share)
    r = simulate_backlog(a, cap, 1800, window)
    assert np.nanmin(r.within_window) >= share - 1e-9
    # any uniform cut fails somewhere (the profile is not padded) unless nothing arrives
    cut = simulate_backlog(a, cap * 0.97, 1800, window)
    assert np.nanmin(cut.within_window) < share or a.sum() == 0


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), share=st.floats(0.5, 1.0), window_steps=st.integers(1, 48))
def test_integer_agents_keep_the_window(seed, share, window_steps):
    rng = np.random.default_rng(seed)
    a = rng.poisson(rng.uniform(0.2, 10), size=(2, 96)).astype(float)
    work = rng.uniform(200, 900, size=a.shape)
    cap = required_capacity(a, 1800, window_steps * 1800.0, share)
    n = integer_agents(a, cap, work, 1800)
    assert np.all(n == np.round(n)) and np.all(n >= 0)
    fluid = simulate_backlog(a, cap, 1800, window_steps * 1800.0)
    whole = simulate_backlog(a, n * 1800 / work, 1800, window_steps * 1800.0)
    assert np.all(np.cumsum(whole.served, 1) >= np.cumsum(fluid.served, 1) - 1e-6)
    assert np.nanmin(whole.within_window) >= share - 1e-9
    # carrying the rounding beats rounding every interval up
    assert np.all(n.sum(1) <= np.ceil(cap * work / 1800 - 1e-9).sum(1))


def test_vectorised_across_queues_equals_one_by_one():
    rng = np.random.default_rng(3)
    a = rng.poisson(12, size=(4, 100)).astype(float)
    cap = required_capacity(a, 1800, 8 * H, [0.9, 0.8, 1.0, 0.5])
    for q, share in enumerate([0.9, 0.8, 1.0, 0.5]):
        assert np.allclose(cap[q], required_capacity(a[q:q + 1], 1800, 8 * H, share)[0])


def test_level_profile_spreads_work():
    # a burst of 100 at the start with a 24 h window is spread, not done at once
    a = np.zeros((1, 96))
    a[0, 0] = 100.0
    cap = required_capacity(a, 1800, 24 * H, 1.0)
    assert cap.max() < 100 / 40 and cap[0, :48].sum() == pytest.approx(100.0)


@pytest.mark.parametrize("call,message", [
    (lambda: simulate_backlog([[1.0, -2.0]], [[1.0, 1.0]], 1800, H), "arrivals must be finite and >= 0"),
    (lambda: required_capacity([[1.0]], 1800, 600, 0.9), "window_s must be >= interval_s"),
    (lambda: required_capacity([[1.0]], 1800, H, 1.2), "share must be in"),
])
def test_invalid_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()
