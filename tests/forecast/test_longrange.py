"""Long-range weekly forecasts (issue 17, part 1): weeks folded right, models that recover
what they were given, a backtest that picks the better one, and the scenario applied."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecast.longrange import (
    VolumeScenario,
    backtest_weeks,
    forecast_weeks,
    week_pattern,
    weekly_history,
)
from forecast.longrange.models import predict


def _contacts(weeks: int, level: float = 20.0, growth: float = 0.0, seed: int = 0,
              queues=(("chat", "en"),), start: str = "2024-01-01") -> pd.DataFrame:
    """Hourly intervals from a Monday: a day shape, ``growth`` per year (log), Poisson."""
    rng = np.random.default_rng(seed)
    t = pd.date_range(start, periods=weeks * 7 * 24, freq="1h", tz="UTC")
    shape = np.where((t.hour >= 8) & (t.hour < 20), 1.5, 0.5)
    years = np.arange(len(t)) / (24 * 365.25)
    frames = []
    for ch, lang in queues:
        lam = level * shape * np.exp(growth * years)
        frames.append(pd.DataFrame({"interval_start": t, "channel": ch, "language": lang,
                                    "contacts": rng.poisson(lam), "aht_s": 300.0}))
    return pd.concat(frames, ignore_index=True)


def test_weeks_are_whole_mondays_and_sum_the_contacts():
    df = _contacts(10, start="2024-01-03")  # a Wednesday: the first partial week is dropped
    w = weekly_history(df, 3600)
    assert w.weeks[0] == pd.Timestamp("2024-01-08", tz="UTC")
    assert all(d.weekday() == 0 for d in w.weeks)
    inside = df[(df["interval_start"] >= w.weeks[0])
                & (df["interval_start"] < w.weeks[-1] + pd.Timedelta(days=7))]
    assert w.contacts.sum() == pytest.approx(inside["contacts"].sum())
    assert w.aht_s[0, 0] == pytest.approx(300.0)
    late = _contacts(10).iloc[10:]  # a Monday from 10:00: that week is not whole
    assert weekly_history(late, 3600).weeks[0] == pd.Timestamp("2024-01-08", tz="UTC")


def test_a_closed_day_is_filled_not_read_as_a_drop_in_demand():
    df = _contacts(8)
    day = pd.Timestamp("2024-02-07", tz="UTC")  # a Wednesday of week 6
    gone = (df["interval_start"] >= day) & (df["interval_start"] < day + pd.Timedelta(days=1))
    closed = df.assign(contacts=np.where(gone, 0, df["contacts"]))
    w_full, w_closed = weekly_history(df, 3600), weekly_history(closed, 3600)
    k = 5
    assert w_closed.closed_days[0, k] == 1
    # the filled week is within 3% of the true one; left as zeros it would be 1/7 low
    assert w_closed.contacts[0, k] == pytest.approx(w_full.contacts[0, k], rel=0.03)


def test_holiday_rows_of_the_calendar_are_counted_per_week():
    df = _contacts(4)
    cal = pd.DataFrame({"date": ["2024-01-10", "2024-01-11", "2024-01-24"], "scope": "all",
                        "kind": "holiday", "multiplier": np.nan, "note": "x"})
    w = weekly_history(df, 3600, cal)
    assert w.holiday_days[0].tolist() == [0.0, 2.0, 0.0, 1.0]


def test_the_typical_week_sums_to_one_and_keeps_the_day_shape():
    p = week_pattern(_contacts(8), 3600)
    assert len(p) == 168
    assert p["share"].sum() == pytest.approx(1.0)
    day, night = p.loc[p["slot"] % 24 == 12, "share"].mean(), p.loc[p["slot"] % 24 == 3, "share"].mean()
    assert day / night == pytest.approx(3.0, rel=0.15)


def test_trend_season_recovers_a_known_growth_rate():
    t = np.arange(130)
    y = 1000.0 * np.exp(0.3 * t / 52.18)  # +35 % a year, no noise
    f = predict("trend_season", y, np.zeros(130 + 26), 26)
    truth = 1000.0 * np.exp(0.3 * np.arange(130, 156) / 52.18)
    np.testing.assert_allclose(f, truth, rtol=0.01)


def test_baselines_are_what_they_say():
    y = np.arange(1.0, 61.0)
    assert predict("mean_8w", y, np.zeros(64), 4).tolist() == [56.5] * 4
    assert predict("last_year", y, np.zeros(64), 3).tolist() == [9.0, 10.0, 11.0]
    with pytest.raises(ValueError, match="52 weeks"):
        predict("last_year", y[:40], np.zeros(44), 4)


def test_the_backtest_prefers_the_trend_model_on_a_growing_desk():
    w = weekly_history(_contacts(110, level=30.0, growth=0.6), 3600)
    choice = backtest_weeks(w, 13)
    scores = choice.scores.set_index("model")["wape"]
    assert choice.chosen["chat"] in ("trend_season", "damped_trend")
    assert scores[choice.chosen["chat"]] < scores["mean_8w"]
    assert len(choice.origins) >= 5


def test_a_short_history_falls_back_to_the_8_week_mean():
    choice = backtest_weeks(weekly_history(_contacts(20), 3600), 13)
    assert choice.chosen == {"chat": "mean_8w"} and choice.origins == ()


def test_the_scenario_scales_the_forecast_and_the_band_holds_it():
    df = _contacts(60, queues=(("chat", "en"), ("email", "en")))
    base = forecast_weeks(df, 3600, 8)
    what = forecast_weeks(df, 3600, 8, choice=base.choice,
                          scenario=VolumeScenario(growth=0.5, deflection={"email": 0.25}))
    b, w = base.table, what.table
    ratio = (w["contacts"] / b["contacts"]).to_numpy()
    steps = np.tile(np.arange(1, 9), 2)
    defl = np.where(w["channel"] == "email", 0.75, 1.0)
    np.testing.assert_allclose(ratio, 1.5 ** (steps / 52.0) * defl, rtol=1e-9)
    assert (b["contacts_p10"] < b["contacts"]).all() and (b["contacts"] < b["contacts_p90"]).all()


@pytest.mark.parametrize("kw, message", [
    ({"regime": "boom"}, "regime"), ({"growth": -1.5}, "growth"),
    ({"deflection": {"chat": 1.2}}, "deflection"),
])
def test_a_bad_scenario_is_refused(kw, message):
    with pytest.raises(ValueError, match=message):
        VolumeScenario(**kw)


def test_stressed_weeks_are_busier_on_the_sample_company(sample_dir):
    from forecast.inputs import load_history_dir

    h = load_history_dir(sample_dir)
    lr = forecast_weeks(h.contacts, h.interval_s, 4, market=h.market, calendar=h.calendar)
    f = lr.regimes.set_index(["channel", "regime"])["factor"]
    for ch in ("chat", "social", "vip_chat"):
        assert f[(ch, "calm")] < 1.0 < f[(ch, "stressed")]
    stressed = forecast_weeks(h.contacts, h.interval_s, 4, market=h.market, choice=lr.choice,
                              calendar=h.calendar, scenario=VolumeScenario(regime="stressed"))
    assert stressed.table["contacts"].sum() > 1.1 * lr.table["contacts"].sum()


def test_stressed_weeks_are_the_volatile_ones_and_carry_their_volume():
    """Weeks whose market moved most (top 20 % of hourly-return sd) had 1.5x the contacts:
    their factor says so, calm weeks' stays near 1."""
    from forecast.longrange import regime_factors
    from forecast.longrange.regimes import weekly_stress

    weeks = 60
    rng = np.random.default_rng(5)
    hours = pd.date_range("2024-01-01", periods=weeks * 168, freq="1h", tz="UTC")
    wild = np.zeros(weeks, dtype=bool)
    wild[rng.choice(weeks, 12, replace=False)] = True
    sd = np.where(np.repeat(wild, 168), 0.03, 0.005)
    market = pd.DataFrame({"timestamp": hours,
                           "price": 100 * np.exp(np.cumsum(rng.normal(0, sd)))})
    df = _contacts(weeks, level=20.0)
    boost = np.repeat(wild, 168)[np.searchsorted(hours, df["interval_start"])]
    df["contacts"] = np.where(boost, np.round(df["contacts"] * 1.5), df["contacts"])
    w = weekly_history(df, 3600)
    stress = weekly_stress(market, w.weeks)
    assert (stress[wild] > stress[~wild].max()).all()
    f = regime_factors(w, market).set_index("regime")["factor"]
    assert 1.25 < f["stressed"] < 1.6
    assert 0.85 < f["calm"] < 1.05 and f["typical"] == 1.0
    flat = regime_factors(w, None).set_index("regime")["factor"]
    assert (flat == 1.0).all()  # no market, no regimes
