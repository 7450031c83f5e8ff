"""End-to-end forecasts of a synthetic desk (forecast_panel)."""

import numpy as np
import pandas as pd
import pytest
from test_forecast_data import START, make_contacts, make_market

from forecast import Shock, forecast_panel
from forecast.panel import prepare

COLUMNS = ["interval_start", "channel", "language", "contacts", "contacts_p10", "contacts_p50",
           "contacts_p90", "aht_s", "model", "scenario"]
ASOF = START + pd.Timedelta(days=63)


@pytest.fixture(scope="module")
def desk():
    market = make_market(80)
    return make_contacts(days=77, market=market), market


@pytest.fixture(scope="module")
def typical(desk):
    contacts, market = desk
    return forecast_panel(contacts, market, asof=ASOF, horizon_days=7)


def test_forecast_table_follows_the_contract(typical, desk):
    f = typical
    assert list(f.columns) == COLUMNS
    assert str(f["interval_start"].dtype) == "datetime64[ns, UTC]" or \
        f["interval_start"].dt.tz is not None
    queues = desk[0].groupby(["channel", "language"]).ngroups
    assert len(f) == queues * 7 * 48
    assert f["interval_start"].min() == ASOF
    num = f[["contacts", "contacts_p10", "contacts_p50", "contacts_p90"]]
    assert num.notna().all().all() and (num >= 0).all().all()
    assert (f["contacts_p10"] <= f["contacts_p50"]).all()
    assert (f["contacts_p50"] <= f["contacts_p90"]).all()
    assert (f["aht_s"] > 0).all()
    assert set(f["scenario"]) == {"typical"}


def test_only_history_before_asof_is_used(desk, typical):
    contacts, market = desk
    later = contacts["interval_start"] >= ASOF
    scrambled = contacts.copy()
    scrambled.loc[later, "contacts"] = 10_000
    mk = market.copy()
    mk.loc[mk["timestamp"] >= ASOF, "price"] *= 0.5
    again = forecast_panel(scrambled, mk, asof=ASOF, horizon_days=7)
    pd.testing.assert_frame_equal(again, typical)


def test_the_weekly_total_is_close_to_the_truth(desk, typical):
    contacts, _ = desk
    act = contacts[(contacts["interval_start"] >= ASOF)].groupby("interval_start")["contacts"].sum()
    fc = typical.groupby("interval_start")["contacts"].sum()
    assert abs(fc.sum() / act.loc[fc.index].sum() - 1) < 0.15


def test_without_market_everything_still_works(desk):
    contacts, _ = desk
    f = forecast_panel(contacts, None, asof=ASOF, horizon_days=2)
    assert set(f["scenario"]) == {"none"}
    assert not f["model"].str.contains("mkt").any()
    assert f["contacts"].notna().all()


def test_short_history_is_refused_with_a_clear_message(desk):
    contacts, market = desk
    with pytest.raises(ValueError, match=r"only 27.0 days of history .* need at least 28"):
        forecast_panel(contacts, market, asof=START + pd.Timedelta(days=27), horizon_days=1)


@pytest.mark.parametrize("bad, message", [
    (dict(horizon_days=0), "horizon_days must be an integer in"),
    (dict(scenario="panic"), "scenario must be one of"),
    (dict(asof=pd.Timestamp("2026-03-20")), "asof must be tz-aware"),
])
def test_bad_arguments_are_named(desk, bad, message):
    kwargs = dict(asof=ASOF, horizon_days=1) | bad
    with pytest.raises(ValueError, match=message):
        forecast_panel(desk[0], desk[1], **kwargs)


@pytest.mark.parametrize("freq", ["15min", "60min"])
def test_other_interval_lengths(freq):
    contacts = make_contacts(days=35, freq=freq, queues={("chat", "en"): 500.0})
    f = forecast_panel(contacts, None, asof=START + pd.Timedelta(days=35), horizon_days=1)
    assert len(f) == pd.Timedelta("1D") / pd.Timedelta(freq)
    assert abs(f["contacts"].sum() / 500.0 - 1.0) < 0.25


def test_closed_hours_stay_closed(typical):
    email = typical[typical["channel"] == "email"]
    night = email["interval_start"].dt.hour < 6
    assert (email.loc[night, "contacts"] == 0).all()
    assert (email.loc[night, "contacts_p90"] == 0).all()
    assert email.loc[~night, "contacts"].sum() > 0


def test_sparse_languages_are_pooled_and_split(desk, typical):
    prep = prepare(desk[0], desk[1], asof=ASOF, horizon_days=1)
    pooled = [p for p in prep.pools if len(p.targets) > 1]
    assert [(p.channel, p.targets) for p in pooled] == [("chat", ("ko", "tr"))]
    np.testing.assert_allclose(pooled[0].shares.sum(axis=0), 1.0)
    ko = typical[(typical["language"] == "ko")]
    tr = typical[(typical["language"] == "tr")]
    assert ko["model"].iloc[0] == tr["model"].iloc[0]
    assert 1.0 < ko["contacts"].sum() / tr["contacts"].sum() < 2.5  # generated 12 vs 8 a day


def test_scenarios_and_shock_move_the_forecast_the_right_way(desk):
    contacts, market = desk
    tot = {s: forecast_panel(contacts, market, asof=ASOF, horizon_days=2, scenario=s)
           for s in ("calm", "stressed")}
    assert tot["stressed"]["contacts"].sum() > tot["calm"]["contacts"].sum()
    at = ASOF + pd.Timedelta("20h")
    shocked = forecast_panel(contacts, market, asof=ASOF, horizon_days=2, scenario="calm",
                             shock=Shock(at, -0.15))
    after = (shocked["interval_start"] >= at) & (shocked["interval_start"] < at + pd.Timedelta(
        "6h"))
    before = shocked["interval_start"] < at
    assert shocked.loc[after, "contacts"].sum() > 1.3 * tot["calm"].loc[after, "contacts"].sum()
    np.testing.assert_allclose(shocked.loc[before, "contacts"], tot["calm"].loc[before, "contacts"])


def test_intraday_update_follows_a_busy_morning_when_days_move_together():
    # with day-level shifts in the history, mornings predict afternoons: weight near 1
    contacts = make_contacts(days=63, day_sd=0.3, queues={("chat", "en"): 900.0}, seed=4)
    day = START + pd.Timedelta(days=56)
    asof = day + pd.Timedelta("12h")
    busy = contacts.copy()
    today = (busy["interval_start"] >= day) & (busy["interval_start"] < asof)
    base = forecast_panel(contacts, None, asof=asof, horizon_days=1)
    busy.loc[today, "contacts"] = 2 * busy.loc[today, "contacts"]
    upd = forecast_panel(busy, None, asof=asof, horizon_days=1)
    assert base["interval_start"].min() == asof
    rest = upd["interval_start"] < day + pd.Timedelta("1D")
    ratio = upd.loc[rest, "contacts"].sum() / base.loc[rest, "contacts"].sum()
    assert 1.5 < ratio < 2.1
    np.testing.assert_allclose(upd.loc[~rest, "contacts"], base.loc[~rest, "contacts"])


def test_process_pool_and_fixed_models(desk, typical):
    contacts, market = desk
    two = forecast_panel(contacts, market, asof=ASOF, horizon_days=7, jobs=2)
    pd.testing.assert_frame_equal(two, typical)
    fixed = forecast_panel(contacts, market, asof=ASOF, horizon_days=7,
                           models={("chat", "en"): "snaive"})
    en = fixed[(fixed["channel"] == "chat") & (fixed["language"] == "en")]
    assert set(en["model"]) == {"snaive"}
    hist = contacts[(contacts["channel"] == "chat") & (contacts["language"] == "en")
                    & (contacts["interval_start"] >= ASOF - pd.Timedelta("7D"))
                    & (contacts["interval_start"] < ASOF)]
    np.testing.assert_allclose(en["contacts"].to_numpy(), hist["contacts"].to_numpy())


def test_typical_scenario_is_close_to_the_no_market_level(desk, typical):
    # "typical" resamples the last year's market days, so on average it neither adds nor
    # removes volume relative to a forecast that ignores the market
    contacts, _ = desk
    none = forecast_panel(contacts, None, asof=ASOF, horizon_days=7)
    assert abs(typical["contacts"].sum() / none["contacts"].sum() - 1) < 0.08


def test_observed_scenario_needs_market_data_over_the_horizon(desk):
    contacts, market = desk
    short = market[market["timestamp"] < ASOF + pd.Timedelta("1D")]
    with pytest.raises(ValueError, match="scenario 'observed' needs market data"):
        forecast_panel(contacts, short, asof=ASOF, horizon_days=7, scenario="observed")
    har = forecast_panel(contacts, market, asof=ASOF, horizon_days=2, scenario="har")
    assert set(har["scenario"]) == {"har"} and har["contacts"].notna().all()
