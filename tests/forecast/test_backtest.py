"""Rolling-origin backtest (forecast/backtesting.py) on a synthetic desk with market surges."""

import numpy as np
import pandas as pd
import pytest
from test_forecast_data import START, make_contacts, make_market

from forecast import backtest, forecast_panel, surge_days, surge_summary

DAYS = 84


@pytest.fixture(scope="module")
def desk():
    market = make_market(DAYS + 2, seed=5)
    return make_contacts(days=DAYS, market=market, beta=0.15), market


@pytest.fixture(scope="module")
def result(desk):
    return backtest(desk[0], desk[1], origins=4, horizon_days=7, jobs=2)


def test_tables_have_one_row_per_queue_candidate_origin(result, desk):
    m = result.metrics
    queues = desk[0].groupby(["channel", "language"]).ngroups
    assert m["origin"].nunique() == 4
    assert m.groupby(["channel", "language", "candidate"]).size().eq(4).all()
    assert m[["channel", "language"]].drop_duplicates().shape[0] == queues
    assert {"snaive", "mean4w", "auto", "ets_profile+mkt"} <= set(m["candidate"])
    assert list(result.choice.columns) == [
        "channel", "language", "model", "reason", "validation_wape", "best", "best_wape",
        "baseline", "baseline_wape", "t_closest", "validation_days"]
    assert len(result.choice) == queues
    assert not result.choice["model"].eq("auto").any()
    assert set(result.choice["reason"]) <= {"lowest", "pool"}
    overall = result.summary[result.summary["channel"] == "*"]
    assert set(overall["candidate"]) == set(m["candidate"])
    # the last origin leaves exactly one horizon of data after it
    last = m["origin"].max()
    assert last + pd.Timedelta("7D") == START + pd.Timedelta(days=DAYS)


def test_auto_metrics_equal_a_direct_forecast_at_that_origin(result, desk):
    contacts, market = desk
    origin = result.metrics["origin"].min()
    f = forecast_panel(contacts, market, asof=origin, horizon_days=7, scenario="observed")
    act = contacts[contacts["interval_start"] >= origin]
    mg = f.merge(act, on=["interval_start", "channel", "language"], suffixes=("", "_act"))
    for (ch, lang), g in mg.groupby(["channel", "language"]):
        wape = np.abs(g["contacts"] - g["contacts_act"]).sum() / g["contacts_act"].sum()
        cover = ((g["contacts_p10"] <= g["contacts_act"]) & (g["contacts_act"]
                                                             <= g["contacts_p90"])).mean()
        m = result.metrics
        row = m[(m["channel"] == ch) & (m["language"] == lang) & (m["candidate"] == "auto")
                & (m["origin"] == origin)].iloc[0]
        assert row["wape"] == pytest.approx(wape)
        assert row["coverage"] == pytest.approx(cover)


def test_market_aware_and_chosen_models_beat_the_baselines(result):
    s = result.summary[result.summary["channel"] == "*"].set_index("candidate")
    assert s.loc["auto", "wape"] < s.loc["snaive", "wape"]
    assert s.loc["auto", "wape"] < s.loc["mean4w", "wape"]
    assert s.loc["ets_profile+mkt", "wape"] < s.loc["ets_profile", "wape"]
    assert 0.7 <= s.loc["auto", "coverage"] <= 0.95
    assert (s["mase"] > 0).all()


def test_surge_days_are_the_most_volatile_days(desk, result):
    _, market = desk
    days = surge_days(market, top=0.1)
    assert len(days) == pytest.approx(0.1 * (DAYS + 3), abs=2)
    out = surge_summary(result, days).set_index("candidate")
    assert set(out.index) == set(result.metrics["candidate"])
    assert out["days"].iloc[0] >= 1  # the seed puts crashes inside the backtest weeks
    assert out.loc["ets_profile+mkt", "wape"] < 0.9 * out.loc["ets_profile", "wape"]


def test_too_many_origins_for_the_history_are_refused(desk):
    with pytest.raises(ValueError, match="10 origins with a 7-day horizon need data"):
        backtest(desk[0], None, origins=10, horizon_days=7)
    with pytest.raises(ValueError, match="leaves less than 7 days of data"):
        backtest(desk[0], None, origins=[START + pd.Timedelta(days=DAYS - 3)], horizon_days=7)


def test_explicit_origins(desk):
    at = [START + pd.Timedelta(days=40, hours=5)]
    res = backtest(desk[0], None, origins=at, horizon_days=2)
    assert set(res.metrics["origin"]) == {START + pd.Timedelta(days=40)}
    assert res.daily["day"].nunique() == 2


def test_the_backtest_scores_the_forecast_with_the_calendar_applied(desk):
    # an event at half volume two days after the origin: the backtest scores what
    # forecast_panel publishes, the event's multiplier included (it once scored the
    # forecast without it)
    contacts, _ = desk
    origin = START + pd.Timedelta(days=60)
    calendar = pd.DataFrame({"date": [origin + pd.Timedelta(days=2)], "scope": ["all"],
                             "kind": ["event"], "multiplier": [0.5], "note": ["promo"]})
    res = backtest(contacts, None, origins=[origin], horizon_days=7, calendar=calendar)
    f = forecast_panel(contacts, None, asof=origin, horizon_days=7, calendar=calendar)
    d = res.daily[res.daily["candidate"] == "auto"]
    for (ch, lang), g in f.groupby(["channel", "language"]):
        by_day = g.groupby(g["interval_start"].dt.floor("D"))["contacts"].sum().to_numpy()
        got = d[(d["channel"] == ch) & (d["language"] == lang)]["forecast"].to_numpy()
        np.testing.assert_allclose(got, by_day)
        assert got[2] < 0.6 * got[1]  # the event day at half a usual day's volume
