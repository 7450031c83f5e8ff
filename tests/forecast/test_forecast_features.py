"""Market features, scenarios, HAR forecast and shocks (forecast/features.py)."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecast.features import (
    Shock,
    grid_returns,
    har_forecast,
    scenario_returns,
    volatility_features,
)

T0 = pd.Timestamp("2026-03-02T00:00Z")


def test_grid_returns_puts_a_move_in_its_interval_and_zero_outside_quotes():
    market = pd.DataFrame({"timestamp": pd.date_range(T0, periods=4, freq="1h"),
                           "price": [100.0, 100.0, 50.0, 50.0]})
    grid = pd.date_range(T0 - pd.Timedelta("1h"), periods=10, freq="30min")
    r = grid_returns(market, grid, pd.Timedelta("30min"))
    # the halving is quoted at T0+2h, so it falls in the interval [T0+1h30, T0+2h)
    expected = np.zeros(10)
    expected[grid.get_loc(T0 + pd.Timedelta("90min"))] = np.log(0.5)
    np.testing.assert_allclose(r, expected)


def test_grid_returns_rejects_non_positive_prices():
    market = pd.DataFrame({"timestamp": [T0, T0 + pd.Timedelta("1h")], "price": [1.0, 0.0]})
    with pytest.raises(ValueError, match="price must be > 0, got 0.0"):
        grid_returns(market, pd.date_range(T0, periods=3, freq="1h"), pd.Timedelta("1h"))


def test_features_of_a_single_jump_follow_the_lag_buckets():
    r = np.zeros(200)
    r[10] = -0.10
    X = volatility_features(r, steps_per_hour=2, scale=0.01)  # 30-minute grid
    # bucket 0-1 h covers lags 0-1 (2 intervals), 1-3 h lags 2-5, ..., 24-48 h lags 48-95
    spans = [(0, 2), (2, 6), (6, 12), (12, 24), (24, 48), (48, 96)]
    for col, (lo, hi) in enumerate(spans):
        assert np.flatnonzero(X[:, col]).tolist() == list(range(10 + lo, 10 + hi))
        np.testing.assert_allclose(X[10 + lo, col], np.log1p(0.10 / (0.01 * (hi - lo))))
    assert np.flatnonzero(X[:, 6]).tolist() == list(range(10, 22))  # 6 h drop
    np.testing.assert_allclose(X[10:22, 6], 10.0)
    np.testing.assert_allclose(X[10:58, 7], 10.0)  # 24 h realised volatility, percent
    assert np.flatnonzero(X[:, 8]).tolist() == list(range(10, 18))  # |4 h return| > 5 %


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(-0.1, 0.1), min_size=100, max_size=160))
def test_lag_features_match_a_direct_computation(rets):
    r = np.asarray(rets)
    X = volatility_features(r, steps_per_hour=1, scale=0.02)
    i = len(r) - 1
    np.testing.assert_allclose(X[i, 2], np.log1p(np.abs(r[i - 5:i - 2]).sum() / 0.06),
                               rtol=1e-9, atol=1e-9)  # lags 3, 4, 5
    np.testing.assert_allclose(X[i, 7], 100 * np.sqrt(np.sum(r[i - 23:] ** 2)), rtol=1e-9,
                               atol=1e-9)


def test_har_recovers_the_conditional_mean_of_a_simulated_har_process():
    # log RV from the HAR recursion of Corsi (2009) with known coefficients
    rng = np.random.default_rng(0)
    b = (-0.5, 0.4, 0.3, 0.2)
    lr = list(np.full(22, -4.0))
    for _ in range(3000):
        h = np.asarray(lr)
        lr.append(b[0] + b[1] * h[-1] + b[2] * h[-5:].mean() + b[3] * h[-22:].mean()
                  + 0.3 * rng.standard_normal())
    lr = np.asarray(lr)
    days = pd.date_range("2010-01-01", periods=len(lr), freq="D", tz="UTC")
    fc = har_forecast(pd.Series(np.exp(lr), index=days), 1)[0]
    truth = b[0] + b[1] * lr[-1] + b[2] * lr[-5:].mean() + b[3] * lr[-22:].mean()
    assert abs(np.log(fc) - (truth + 0.045)) < 0.05  # + sigma^2 / 2 log-normal mean


def test_har_falls_back_to_the_recent_median_on_short_history():
    s = pd.Series([0.02] * 30, index=pd.date_range("2026-01-01", periods=30, tz="UTC"))
    np.testing.assert_allclose(har_forecast(s, 3), 0.02)


def _history(days=400, seed=3):
    rng = np.random.default_rng(seed)
    grid = pd.date_range(T0 - pd.Timedelta(days=days), periods=days * 48, freq="30min")
    vol = np.exp(rng.normal(-6.0, 0.6, days)).repeat(48)
    return rng.standard_normal(len(grid)) * vol, grid


def test_scenarios_are_ordered_by_volatility_and_deterministic():
    r, grid = _history()
    fut = pd.date_range(T0, periods=7 * 48, freq="30min")
    rv = {s: np.sqrt((scenario_returns(r, grid, fut, s) ** 2).sum(axis=1).mean())
          for s in ("calm", "typical", "stressed", "har")}
    assert rv["calm"] < rv["typical"] < rv["stressed"]
    # typical resamples days of the last year: its weekly variance is 7 mean daily variances
    drv = np.sqrt(pd.Series(r ** 2, index=grid.floor("D")).groupby(level=0).sum()).iloc[-365:]
    np.testing.assert_allclose(rv["typical"] ** 2 / 7, np.mean(drv ** 2), rtol=0.1)
    calm_days = drv[drv <= drv.quantile(0.2)]
    np.testing.assert_allclose(rv["calm"] ** 2 / 7, np.mean(calm_days ** 2), rtol=0.1)
    np.testing.assert_array_equal(scenario_returns(r, grid, fut, "typical"),
                                  scenario_returns(r, grid, fut, "typical"))
    with pytest.raises(ValueError, match="got 'panic'"):
        scenario_returns(r, grid, fut, "panic")


def test_shock_lands_in_its_interval_on_every_path():
    r, grid = _history()
    fut = pd.date_range(T0, periods=96, freq="30min")
    shock = Shock(T0 + pd.Timedelta("14h10min"), -0.15)
    base = scenario_returns(r, grid, fut, "calm")
    hit = scenario_returns(r, grid, fut, "calm", shock=shock)
    diff = hit - base
    pos = fut.get_loc(T0 + pd.Timedelta("14h"))
    np.testing.assert_allclose(diff[:, pos], np.log(0.85))
    assert np.count_nonzero(diff) == diff.shape[0]


def test_shock_validation_messages():
    with pytest.raises(ValueError, match="tz-aware"):
        Shock(pd.Timestamp("2026-12-03T14:00"), -0.15)
    with pytest.raises(ValueError, match=r"Shock.move must be in \(-1, 10\], got -1.5"):
        Shock(pd.Timestamp("2026-12-03T14:00Z"), -1.5)
    assert Shock(pd.Timestamp("2026-12-03T15:00+01:00"), 0.1).at == T0 + pd.Timedelta(
        days=276, hours=14)


