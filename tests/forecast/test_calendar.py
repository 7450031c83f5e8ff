"""calendar.csv (issue 14, part 1): checked like every input, and applied by the forecast:
closed days left out and forecast as zero, holidays scaled by a multiplier or by what the
same holiday did before."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecast import forecast_panel
from forecast.inputs.calendar import check_calendar

START = pd.Timestamp("2026-08-03", tz="UTC")  # a Monday


def _contacts(weeks: int = 14, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = pd.date_range(START, periods=weeks * 7 * 48, freq="30min")
    slot = (t.hour * 2 + t.minute // 30).to_numpy()
    rate = np.where((slot >= 16) & (slot < 36), 12.0, 1.0)
    rows = []
    for lang, scale in (("en", 1.0), ("ko", 0.6)):
        rows.append(pd.DataFrame({"interval_start": t, "channel": "chat", "language": lang,
                                  "contacts": rng.poisson(rate * scale).astype(float),
                                  "aht_s": 300.0}))
    return pd.concat(rows, ignore_index=True)


def _calendar(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["date", "scope", "kind", "multiplier", "note"]).assign(
        date=lambda d: pd.to_datetime(d["date"], utc=True),
        multiplier=lambda d: d["multiplier"].astype(float))


def _day(fc: pd.DataFrame, date: str, lang: str = "en") -> float:
    day = pd.Timestamp(date, tz="UTC")
    sel = (fc["interval_start"] >= day) & (fc["interval_start"] < day + pd.Timedelta(days=1))
    return float(fc.loc[sel & (fc["language"] == lang), "contacts"].sum())


def test_a_malformed_calendar_names_line_column_value(tmp_path):
    path = tmp_path / "calendar.csv"
    path.write_text("date,scope,kind,multiplier,note\n"
                    "2026-12-25,all,holiday,0.4,Christmas\n"
                    "25/12/2026,all,holiday,,\n"
                    "2026-12-26,chat/xx,closed,,\n"
                    "2026-12-27,chat,party,,\n"
                    "2026-12-28,ko,event,-1,\n", encoding="utf-8")
    checked = check_calendar(path, channels={"chat", "email"}, languages={"en", "ko"})
    got = {(p.line, p.column, p.value) for p in checked.problems}
    assert got == {(3, "date", "25/12/2026"), (4, "scope", "chat/xx"), (5, "kind", "party"),
                   (6, "multiplier", "-1")}
    assert all("calendar.csv" in str(p) for p in checked.problems)
    path.write_text("date,scope,kind\n2026-12-25,ko,closed\n", encoding="utf-8")
    ok = check_calendar(path, channels={"chat"}, languages={"en", "ko"})
    assert ok.problems == () and ok.frame["kind"].tolist() == ["closed"]


def test_closed_days_ahead_are_zero_and_past_ones_left_out():
    contacts = _contacts()
    asof = contacts["interval_start"].max() + pd.Timedelta("30min")  # Mon 9 Nov
    past = asof - pd.Timedelta(days=5)  # Wed 4 Nov: an outage with a trickle of contacts
    outage = (contacts["interval_start"] >= past) & (contacts["interval_start"] < past + pd.Timedelta(days=1))
    trickle = contacts.copy()
    trickle.loc[outage, "contacts"] = np.minimum(trickle.loc[outage, "contacts"], 1.0)
    cal = _calendar([("2026-11-04", "all", "outage", np.nan, "chat tool down"),
                     ("2026-11-12", "chat", "closed", np.nan, "team day")])
    plain = forecast_panel(contacts, None, asof=asof, horizon_days=7, models={
        ("chat", "en"): "mean4w", ("chat", "ko"): "mean4w"})
    hit = forecast_panel(trickle, None, asof=asof, horizon_days=7, models={
        ("chat", "en"): "mean4w", ("chat", "ko"): "mean4w"})
    fixed = forecast_panel(trickle, None, asof=asof, horizon_days=7, calendar=cal, models={
        ("chat", "en"): "mean4w", ("chat", "ko"): "mean4w"})
    assert _day(hit, "2026-11-11") < 0.85 * _day(plain, "2026-11-11")  # the outage drags
    assert _day(fixed, "2026-11-11") == pytest.approx(_day(plain, "2026-11-11"), rel=0.1)
    assert _day(fixed, "2026-11-12") == 0.0 and _day(fixed, "2026-11-12", "ko") == 0.0
    thursday = fixed[fixed["interval_start"].dt.normalize() == pd.Timestamp("2026-11-12", tz="UTC")]
    assert (thursday["contacts_p90"] == 0).all()  # the band too


def test_a_holiday_is_scaled_by_its_multiplier_or_by_what_it_did_before():
    contacts = _contacts(weeks=14, seed=2)
    asof = contacts["interval_start"].max() + pd.Timedelta("30min")  # Mon 9 Nov
    before = pd.Timestamp("2026-10-28", tz="UTC")  # a Wednesday at 40% of usual
    on = (contacts["interval_start"] >= before) & (contacts["interval_start"] < before + pd.Timedelta(days=1))
    contacts.loc[on, "contacts"] = np.round(contacts.loc[on, "contacts"] * 0.4)
    cal = _calendar([("2026-10-28", "all", "holiday", np.nan, "Founders Day"),
                     ("2026-11-11", "all", "holiday", np.nan, "Founders Day"),
                     ("2026-11-13", "ko", "event", 2.0, "K-launch")])
    models = {("chat", "en"): "mean4w", ("chat", "ko"): "mean4w"}
    plain = forecast_panel(contacts, None, asof=asof, horizon_days=7, models=models)
    fc = forecast_panel(contacts, None, asof=asof, horizon_days=7, calendar=cal, models=models)
    ratio = _day(fc, "2026-11-11") / _day(fc, "2026-11-10")
    assert ratio == pytest.approx(0.4, abs=0.08)  # estimated from the earlier Founders Day
    assert _day(fc, "2026-11-13", "ko") == pytest.approx(
        2.0 * _day(plain, "2026-11-13", "ko"), rel=0.15)
    assert _day(fc, "2026-11-13", "en") == pytest.approx(_day(plain, "2026-11-13", "en"), rel=0.1)


def test_a_whole_day_without_rows_is_an_outage_not_bad_input(tmp_path, caplog):
    from forecast.inputs.directory import load_history_dir

    contacts = _contacts(weeks=10, seed=4)
    gone = pd.Timestamp("2026-09-30", tz="UTC")  # a Wednesday, all rows of it left out
    day = contacts["interval_start"].dt.floor("D")
    d = tmp_path / "desk"
    d.mkdir()
    kept = contacts[day != gone].assign(
        interval_start=lambda f: f["interval_start"].dt.strftime("%Y-%m-%dT%H:%M:%SZ"))
    kept.to_csv(d / "contacts.csv", index=False)
    with caplog.at_level("WARNING"):
        history = load_history_dir(d)
    assert "no rows at all for 2 queue-day(s) (chat/en 2026-09-30, chat/ko 2026-09-30)" in caplog.text
    cal = history.calendar
    assert sorted(cal["scope"]) == ["chat/en", "chat/ko"] and set(cal["kind"]) == {"outage"}
    asof = contacts["interval_start"].max() + pd.Timedelta("30min")
    models = {("chat", "en"): "mean4w", ("chat", "ko"): "mean4w"}
    full = forecast_panel(contacts, None, asof=asof, horizon_days=7, models=models)
    got = forecast_panel(history.contacts, None, asof=asof, horizon_days=7, models=models,
                         calendar=cal)
    assert got["contacts"].sum() == pytest.approx(full["contacts"].sum(), rel=0.03)
    # a gap inside a day is still bad input
    part = contacts[~((day == gone) & (contacts["interval_start"].dt.hour < 12))].assign(
        interval_start=lambda f: f["interval_start"].dt.strftime("%Y-%m-%dT%H:%M:%SZ"))
    part.to_csv(d / "contacts.csv", index=False)
    with pytest.raises(Exception, match="missing intervals"):
        load_history_dir(d)


def test_the_day_after_a_holiday_or_event_gets_no_catch_up():
    """Only a closure is followed by a catch-up. The desk closed on 2026-10-21 and was 1.6x
    as busy the day after (so the history shows a catch-up); yesterday was an event (a
    promotion at twice the usual volume): it is left out of the fits, and today is a
    usual day, not the day after a closure (the two were told apart only after a review:
    before, today got the closure's catch-up: 1.24x here)."""
    import numpy as np
    import pandas as pd

    from forecast import forecast_panel

    rng = np.random.default_rng(1)
    t = pd.date_range("2026-08-31", periods=10 * 7 * 48, freq="30min", tz="UTC")
    slot = (t.hour * 2 + t.minute // 30).to_numpy()
    day = t.normalize()
    shut, ev = pd.Timestamp("2026-10-21", tz="UTC"), pd.Timestamp("2026-11-08", tz="UTC")
    lam = np.where((slot >= 16) & (slot < 36), 10.0, 1.0)
    lam = lam * np.where(day == ev, 2.0, 1.0) * np.where(day == shut + pd.Timedelta(days=1),
                                                          1.6, 1.0)
    lam = np.where(day == shut, 0.0, lam)
    df = pd.DataFrame({"interval_start": t, "channel": "chat", "language": "en",
                       "contacts": rng.poisson(lam), "aht_s": 300.0})
    cal = pd.DataFrame({"date": [shut, ev], "scope": ["all", "all"],
                        "kind": ["closed", "event"], "multiplier": [np.nan, np.nan],
                        "note": ["training", "promo"]})
    asof = pd.Timestamp("2026-11-09T00:00Z")
    with_event = forecast_panel(df, None, asof=asof, horizon_days=1, scenario="none",
                                calendar=cal)
    without = forecast_panel(df, None, asof=asof, horizon_days=1, scenario="none",
                             calendar=cal.iloc[:1])
    assert with_event["contacts"].sum() <= 1.05 * without["contacts"].sum()
