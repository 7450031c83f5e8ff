"""The app's pure functions: deflection, what-ifs, plan window, outlook, alerts, fairness,
upload checks, accuracy table and chart builders (no Streamlit runtime needed)."""

import dataclasses

import altair as alt
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecast.inputs.problems import Problem
from optimize.outputs.figures import below_target, plan_window_rows
from optimize.outputs.summary import queue_outlook
from optimize.scenario.config import LabourRules, load_config
from optimize.ui import charts
from optimize.ui.insights import (
    accuracy_table,
    fairness,
    response_outlook,
    roster_table,
    volatility_ratio,
)
from optimize.ui.uploads import problems_table, read_uploads
from optimize.ui.whatif import (
    apply_deflection,
    config_whatif,
    to_wall_time,
)

CONFIG = load_config(__import__("pathlib").Path(__file__).parents[3] / "optimize"
                     / "scenario" / "sample_scenario.toml")


def _forecast(n: int = 4) -> pd.DataFrame:
    t = pd.date_range("2026-11-23", periods=n, freq="30min", tz="UTC")
    rows = []
    for ch, lang in [("chat", "en"), ("chat", "ko"), ("email", "en")]:
        for i, ts in enumerate(t):
            c = 10.0 + i
            rows.append({"interval_start": ts, "channel": ch, "language": lang, "contacts": c,
                         "contacts_p10": 0.8 * c, "contacts_p50": c, "contacts_p90": 1.2 * c,
                         "aht_s": 300.0, "model": "m", "scenario": "typical"})
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- deflection


@settings(max_examples=40, deadline=None)
@given(chat=st.floats(0.0, 0.99), chat_ko=st.floats(0.0, 0.99))
def test_deflection_scales_contacts_and_queue_key_wins(chat, chat_ko):
    fc = _forecast()
    out = apply_deflection(fc, {"chat": chat, ("chat", "ko"): chat_ko})
    expect = np.select([(fc["channel"] == "chat") & (fc["language"] == "ko"), fc["channel"] == "chat"],
                       [1 - chat_ko, 1 - chat], 1.0)
    for col in ("contacts", "contacts_p10", "contacts_p50", "contacts_p90"):
        np.testing.assert_allclose(out[col], fc[col] * expect)
    pd.testing.assert_series_equal(out["aht_s"], fc["aht_s"])
    assert fc["contacts"].iloc[0] == 10.0  # input untouched


def test_deflection_of_nothing_is_identity():
    fc = _forecast()
    pd.testing.assert_frame_equal(apply_deflection(fc, {}), fc)


@pytest.mark.parametrize("mapping, message", [
    ({"chat": 1.0}, "deflection for 'chat' must be in [0, 1), got 1.0"),
    ({"chat": -0.1}, "must be in [0, 1)"),
    ({"voice": 0.1}, "deflection names channel 'voice'"),
    ({("chat", "fr"): 0.1}, "deflection names queue ('chat', 'fr')"),
])
def test_deflection_rejects_bad_shares(mapping, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")
                       .replace("[", r"\[")):
        apply_deflection(_forecast(), mapping)


# ----------------------------------------------------------------------------- what-ifs


def test_config_whatif_changes_only_what_is_asked():
    new = config_whatif(CONFIG, channels={"chat": {"service_level": 0.9, "concurrency": 2}},
                        staffing={"shrinkage": 0.2})
    assert new.channels["chat"].service_level == 0.9
    assert new.channels["chat"].concurrency == 2
    assert new.staffing.shrinkage == 0.2
    assert new.staffing.max_occupancy == CONFIG.staffing.max_occupancy
    assert new.channels["email"] == CONFIG.channels["email"]
    assert CONFIG.channels["chat"].service_level == 0.80  # frozen original unchanged
    assert dataclasses.replace(new, channels=CONFIG.channels, staffing=CONFIG.staffing) == CONFIG


def test_a_shrinkage_whatif_moves_the_calibrated_queues_with_their_channel():
    # the app's slider sets the configured shrinkage; a queue with an effective shrinkage
    # (a kept calibration) must move too, or the slider would not touch chat at all
    cal = dataclasses.replace(CONFIG, staffing=dataclasses.replace(
        CONFIG.staffing, effective_shrinkage=(("chat", "en", 0.35), ("email", "ko", 0.93))))
    new = config_whatif(cal, staffing={"shrinkage": 0.4})
    assert new.formula_shrinkage("chat", "en") == pytest.approx(0.45)
    assert new.formula_shrinkage("email", "ko") == 0.95  # at the top of the range
    assert new.formula_shrinkage("chat", "ko") == 0.4
    assert config_whatif(cal, channels={"chat": {"shrinkage": 0.2}}).formula_shrinkage(
        "chat", "en") == pytest.approx(0.25)


@pytest.mark.parametrize("kwargs, message", [
    ({"channels": {"voice": {"service_level": 0.8}}}, "unknown channel 'voice'"),
    ({"channels": {"chat": {"kind": "deferred"}}}, r"cannot change \['kind'\] of channel 'chat'"),
    ({"channels": {"chat": {"service_level": 1.5}}}, r"service_level must be a number in \[0, 1\], got 1.5"),
    ({"staffing": {"max_occupancy": 0.0}}, r"max_occupancy must be a number in \[0.1, 1\]"),
    ({"staffing": {"breaks": 1}}, r"cannot change staffing \['breaks'\]"),
])
def test_config_whatif_rejects(kwargs, message):
    with pytest.raises(ValueError, match=message):
        config_whatif(CONFIG, **kwargs)


def test_wall_time_follows_daylight_saving():
    # Europe/Berlin leaves summer time on 2026-10-25 at 01:00 UTC (03:00 CEST -> 02:00 CET).
    t = pd.Series(pd.to_datetime(["2026-10-25T00:30Z", "2026-10-25T01:30Z"], utc=True))
    wall = to_wall_time(t, "Europe/Berlin")
    assert list(wall.dt.strftime("%H:%M")) == ["02:30", "02:30"]
    assert str(wall.dt.tz) == "UTC"


# ----------------------------------------------------------------------------- outlook


def _table() -> pd.DataFrame:
    t = pd.date_range("2026-11-23", periods=10, freq="30min", tz="UTC")
    chat = pd.DataFrame({"interval_start": t, "channel": "chat", "language": "en",
                         "contacts": [10.0] * 9 + [100.0], "service_level": [0.9] * 9 + [0.5],
                         "asa_s": [10.0] * 9 + [120.0], "abandon_rate": 0.01,
                         "backlog": np.nan, "oldest_age_h": np.nan})
    email = pd.DataFrame({"interval_start": t, "channel": "email", "language": "en",
                          "contacts": 5.0, "service_level": np.nan, "asa_s": np.nan,
                          "abandon_rate": np.nan, "backlog": 3.0,
                          "oldest_age_h": [1.0] * 9 + [30.0]})
    return pd.concat([chat, email], ignore_index=True)


def test_response_outlook_by_hand():
    out = response_outlook(_table(), CONFIG).set_index("channel")
    chat = out.loc["chat"]
    assert chat["contacts"] == 190.0
    assert chat["wait_offpeak_s"] == pytest.approx(10.0)
    assert chat["wait_peak_s"] == pytest.approx(120.0)  # the 100-contact interval is the peak
    assert chat["service_level"] == pytest.approx((90 * 0.9 + 100 * 0.5) / 190)
    assert chat["target"] == "80% in 60 s" and np.isnan(chat["reply_worst_h"])
    email = out.loc["email"]
    assert email["reply_typical_h"] == pytest.approx((9 * 1.0 + 30.0) / 10)
    assert email["reply_worst_h"] == 30.0 and email["target"] == "90% in 24 h"
    assert np.isnan(email["wait_peak_s"])
    assert list(out.index) == ["chat", "email"]  # realtime channels first


def test_peak_means_the_same_on_the_overview_and_in_summary_md():
    table = _table()
    t0 = table["interval_start"].min()
    fc = table[["interval_start", "channel", "language", "contacts"]]
    summary = queue_outlook(fc, table.drop(columns="contacts"), t0,
                            t0 + pd.Timedelta(days=1)).set_index("channel")
    overview = response_outlook(table, CONFIG).set_index("channel")
    assert summary.loc["chat", "peak_asa_s"] == overview.loc["chat", "wait_peak_s"] == 120.0
    assert summary.loc["chat", "worst_asa_s"] == 120.0
    quiet = table.assign(asa_s=np.where(table["contacts"] == 100.0, 2.0, 14.0))
    summary = queue_outlook(fc, quiet.drop(columns="contacts"), t0, t0 + pd.Timedelta(days=1))
    overview = response_outlook(quiet, CONFIG)
    # the busiest interval waits 2 s, the quiet ones 14 s: both say so, under one name
    assert summary.set_index("channel").loc["chat", "peak_asa_s"] == 2.0
    assert overview.set_index("channel").loc["chat", "wait_peak_s"] == 2.0
    assert summary.set_index("channel").loc["chat", "worst_asa_s"] == 14.0


def test_below_target_lists_exactly_the_misses():
    miss = below_target(_table(), CONFIG)
    assert len(miss) == 2
    assert set(miss["channel"]) == {"chat", "email"}
    assert miss.loc[miss["channel"] == "email", "reason"].item() == "oldest contact 30.0 h waiting"
    assert miss.loc[miss["channel"] == "chat", "reason"].item() == "service level 50.0% below target"


# ----------------------------------------------------------------------------- fairness


def test_fairness_counts_nights_and_weekends_in_local_time():
    roster = pd.DataFrame({
        "agent_id": ["A", "A", "B", "B"], "name": ["Ann", "Ann", "Bo", "Bo"],
        "timezone": ["Asia/Seoul", "Asia/Seoul", "America/New_York", "America/New_York"],
        # A: Sat 21:00-06:00 Seoul (night, weekend); Mon 09:00-18:00 Seoul (day).
        "start_utc": pd.to_datetime(["2026-11-28T12:00Z", "2026-11-30T00:00Z",
                                     # B: Sun 01:00-05:00 New York (night, weekend);
                                     # Mon 08:00-17:00 New York (day).
                                     "2026-11-29T06:00Z", "2026-11-30T13:00Z"], utc=True),
        "end_utc": pd.to_datetime(["2026-11-28T21:00Z", "2026-11-30T09:00Z",
                                   "2026-11-29T10:00Z", "2026-11-30T22:00Z"], utc=True),
        "paid_hours": [8.0, 8.0, 4.0, 8.0],
    })
    out = fairness(roster, LabourRules()).set_index("agent_id")
    assert out.loc["A", ["shifts", "nights", "weekend_shifts"]].tolist() == [2, 1, 1]
    assert out.loc["B", ["shifts", "nights", "weekend_shifts"]].tolist() == [2, 1, 1]
    assert out.loc["A", "paid_hours"] == 16.0 and out.loc["B", "paid_hours"] == 12.0


def test_fairness_day_only_night_window():
    roster = pd.DataFrame({"agent_id": ["A"], "name": ["Ann"], "timezone": ["UTC"],
                           "start_utc": [pd.Timestamp("2026-11-30T09:00Z")],
                           "end_utc": [pd.Timestamp("2026-11-30T13:00Z")], "paid_hours": [4.0]})
    late = LabourRules(night_start="12:00", night_end="14:00")  # not wrapping midnight
    assert fairness(roster, late)["nights"].item() == 1
    assert fairness(roster, LabourRules())["nights"].item() == 0


# ----------------------------------------------------------------------------- uploads


def test_read_uploads_accepts_a_complete_set():
    files = [("scenario.toml", b"x"), ("agents.csv", b"a"), ("contacts.csv.gz", b"c")]
    named, problems = read_uploads(files, max_mb=1)
    assert problems == []
    assert [n for n, _ in named] == ["agents.csv", "contacts.csv.gz", "scenario.toml"]


def test_read_uploads_lists_every_problem():
    files = [("notes.txt", b"x"), ("agents.csv", b""), ("contacts.csv", b"0" * 2_000_000)]
    _, problems = read_uploads(files, max_mb=1)
    text = [str(p) for p in problems]
    assert "notes.txt: unexpected file; expected names among ['agents.csv', 'calendar.csv', " \
           "'contacts.csv', 'contacts.csv.gz', 'market.csv', 'scenario.toml']" in text
    assert "agents.csv: file is empty" in text
    assert "contacts.csv: file is 1.9 MB; the limit is 1 MB per file" in text
    assert "scenario.toml: missing: this file is required" in text
    assert len(problems) == 4


def test_problems_table_is_readable():
    df = problems_table([Problem("agents.csv", "expected an IANA time zone", line=3,
                                 column="timezone", value="Mars/Base")])
    assert df.to_dict("records") == [{"file": "agents.csv", "line": 3, "column": "timezone",
                                      "value": "'Mars/Base'",
                                      "problem": "expected an IANA time zone"}]


# ----------------------------------------------------------------------------- accuracy


def test_accuracy_table_pools_over_origins():
    m = pd.DataFrame({"channel": ["chat"] * 4, "language": ["en"] * 4,
                      "candidate": ["ets", "ets", "snaive", "snaive"],
                      "origin": [1, 2, 1, 2], "actual": [100.0, 300.0, 100.0, 300.0],
                      "abs_error": [10.0, 10.0, 40.0, 20.0]})
    out = accuracy_table(m).set_index("channel")
    assert out.loc["chat", "ets"] == pytest.approx(20 / 400)
    assert out.loc["chat", "snaive"] == pytest.approx(60 / 400)
    assert out.loc["all queues", "snaive"] == pytest.approx(60 / 400)



def test_accuracy_table_reads_the_summary_a_forecast_run_stores():
    """A stored run keeps ``BacktestResult.summary`` (pooled ``wape`` and ``actual`` per
    queue x candidate, plus ``*`` rows), without ``abs_error``."""
    m = pd.DataFrame({"channel": ["chat", "chat", "email", "email", "*", "*"],
                      "language": ["en", "en", "en", "en", "*", "*"],
                      "candidate": ["ets", "snaive"] * 3,
                      "wape": [0.05, 0.15, 0.2, 0.1, 0.08, 0.14],
                      "actual": [400.0, 400.0, 100.0, 100.0, 500.0, 500.0]})
    out = accuracy_table(m).set_index("channel")
    assert out.loc["chat", "ets"] == pytest.approx(0.05)
    assert out.loc["email", "snaive"] == pytest.approx(0.1)
    assert out.loc["all queues", "ets"] == pytest.approx((20 + 20) / 500)
    assert "*" not in out.index


def test_plan_window_rows_drop_the_padding_around_the_plan():
    start, end = pd.Timestamp("2026-11-30", tz="UTC"), pd.Timestamp("2026-12-07", tz="UTC")
    t = pd.to_datetime(["2026-11-29T23:30Z", "2026-11-30T00:00Z", "2026-12-06T23:30Z",
                        "2026-12-07T00:00Z"], utc=True)
    unmet = pd.DataFrame({"channel": "chat", "language": "en", "interval_start": t,
                          "required_scheduled": 3.0, "scheduled_agents": [0.0, 2.0, 1.0, 0.0],
                          "shortfall": [3.0, 1.0, 2.0, 3.0]})
    pen = pd.DataFrame({"name": ["understaffed(chat/en, 2026-11-29T23:30Z)",
                                 "overstaffed(chat/ko, 2026-11-30T00:00Z)",
                                 "fairness(nights)", "understaffed(chat/en, 2026-12-07T00:00Z)"],
                        "kind": ["understaffed", "overstaffed", "fairness", "understaffed"],
                        "cost": [3.0, 0.1, 5.0, 3.0]})
    u, p = plan_window_rows(unmet, pen, start, end)
    assert list(u["interval_start"]) == [t[2], t[1]]  # in the week, largest shortfall first
    assert list(p["kind"]) == ["overstaffed", "fairness"]

# ----------------------------------------------------------------------------- charts


def test_charts_build_valid_specs_in_the_chosen_zone():
    fc = _forecast(6)
    seoul = charts.forecast_chart(fc[["interval_start", "contacts"]].head(2), fc, "Asia/Seoul")
    spec = seoul.to_dict()  # validates against the Vega-Lite schema
    first = spec["datasets"][next(iter(spec["datasets"]))][0]
    assert first["t"].startswith("2026-11-23T09:00:00")  # 00:00 UTC is 09:00 in Seoul
    req = fc.assign(required_agents=3, required_scheduled=4.2)
    for chart in (charts.requirements_heatmap(req, "UTC"),
                  charts.whatif_chart(fc, fc, "UTC", "contacts"),
                  charts.coverage_chart(req.assign(scheduled_agents=3.0), "UTC")):
        assert isinstance(chart, alt.TopLevelMixin) and chart.to_dict()
    market = pd.DataFrame({"timestamp": pd.date_range("2026-11-20", periods=30, freq="h", tz="UTC"),
                           "price": np.linspace(100, 90, 30)})
    spec = charts.market_chart(market, "UTC", above=seoul).to_dict()
    assert len(spec["vconcat"]) == 3 and spec["resolve"] == {"scale": {"x": "shared"}}
    alone = charts.market_chart(market, "Asia/Seoul", domain=(
        market["timestamp"].iloc[0], pd.Timestamp("2026-11-25", tz="UTC"))).to_dict()
    assert alone["vconcat"][0]["encoding"]["x"]["scale"]["domain"] == [
        "2026-11-20T09:00:00+00:00", "2026-11-25T09:00:00+00:00"]  # wall time in Seoul
    cov = fc.assign(required_agents=2.0, required_scheduled=3.0, scheduled_agents=2.5)
    spec = charts.coverage_chart(cov, "UTC", required="required_scheduled").to_dict()
    rows = [r for d in spec["datasets"].values() for r in d]
    assert {r["required_agents"] for r in rows} == {9.0}  # 3 queues x 3 heads, not 3 x 2
    assert spec["layer"][0]["encoding"]["color"]["scale"]["domain"][1] == "required"
    acts = pd.DataFrame({"agent_id": ["A", "A"], "start_utc": fc["interval_start"][:2],
                         "end_utc": fc["interval_start"][1:3].to_numpy(),
                         "activity": ["work", "break"], "channel": ["chat", None],
                         "language": ["en", None]})
    spec = charts.roster_gantt(acts, pd.DataFrame({"agent_id": ["A"], "name": ["Ann"]}),
                               "UTC").to_dict()
    rows = spec["datasets"][next(iter(spec["datasets"]))]
    assert [r["what"] for r in rows] == ["chat/en", "break"]
    assert [r["colour"] for r in rows] == ["chat", "break"]  # coloured by channel
    scale = spec["encoding"]["color"]["scale"]
    assert scale["domain"] == ["chat", "break", "meal", "work (no queue)"]
    assert len(set(scale["range"])) == len(scale["range"])


def test_volatility_ratio_sees_a_calm_then_wild_market():
    rng = np.random.default_rng(1)
    t = pd.date_range("2026-08-01", periods=24 * 100, freq="h", tz="UTC")
    steps = rng.normal(0.0, 0.002, len(t))
    steps[-24:] *= 5.0  # the last day is five times as volatile
    market = pd.DataFrame({"timestamp": t, "price": 100 * np.exp(np.cumsum(steps))})
    ratio, recent, usual = volatility_ratio(market)
    assert 3.5 < ratio < 7.0
    assert usual == pytest.approx(0.2, rel=0.15)  # 0.002 log-return sd is 0.2 % per hour
    assert np.isnan(volatility_ratio(market.head(10))[0])


def test_local_times_carry_utc_offsets_not_ambiguous_abbreviations():
    from optimize.ui.views import local

    t = pd.Timestamp("2026-11-30T00:30Z")
    assert local(t, "Asia/Manila") == "Mon 30 Nov 2026 08:30 UTC+08:00"  # not "PST"
    assert local(t, "America/St_Johns") == "Sun 29 Nov 2026 21:00 UTC-03:30"
    assert local(t, "UTC") == "Mon 30 Nov 2026 00:30 UTC"


def test_roster_table_shows_shifts_in_the_chosen_zone_beside_the_agents_own_hours():
    roster = pd.DataFrame({
        "agent_id": ["A1", "A2"], "name": ["Ana", "Bo"],
        "timezone": ["America/Chicago", "Asia/Seoul"], "shift_date": ["2026-11-30", "2026-12-01"],
        "start_utc": pd.to_datetime(["2026-11-30T14:00Z", "2026-11-30T23:00Z"]),
        "end_utc": pd.to_datetime(["2026-11-30T23:00Z", "2026-12-01T08:00Z"]),
        "start_local": ["2026-11-30T08:00:00-06:00", "2026-12-01T08:00:00+09:00"],
        "end_local": ["2026-11-30T17:00:00-06:00", "2026-12-01T17:00:00+09:00"],
        "paid_hours": [8.0, 8.0], "template": ["full_9h", "full_9h"]})
    manila = roster_table(roster, "Asia/Manila")  # UTC+8 all year: the offset in the header
    assert list(manila["start (Asia/Manila, UTC+08:00)"]) == ["Mon 30 Nov 22:00", "Tue 01 Dec 07:00"]
    assert list(manila["agent's hours"]) == ["08:00-17:00", "08:00-17:00"]
    assert list(manila["agent"]) == ["A1 Ana", "A2 Bo"]
    assert "start (UTC)" in roster_table(roster, "UTC")
    # a week across a DST change carries the offset in every cell instead
    spring = roster.assign(start_utc=pd.to_datetime(["2026-03-28T12:00Z", "2026-03-29T12:00Z"]),
                           end_utc=pd.to_datetime(["2026-03-28T20:00Z", "2026-03-29T20:00Z"]))
    berlin = roster_table(spring, "Europe/Berlin")
    assert list(berlin["start (Europe/Berlin)"]) == ["Sat 28 Mar 13:00 (UTC+01:00)",
                                                     "Sun 29 Mar 14:00 (UTC+02:00)"]
