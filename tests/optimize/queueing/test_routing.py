"""Hours of operation (issue 16, part 1): parsing, open intervals, and the routed forecast."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecast.inputs.problems import InputError
from optimize.queueing.routing import open_mask, route_hours
from optimize.scenario.config import parse_config

BASE = {"channels": {"chat": {"concurrency": 2}, "email": {"kind": "deferred"}},
        "shifts": {"templates": [{"name": "day", "length_h": 8}]}}
START = pd.Timestamp("2026-11-30", tz="UTC")  # a Monday


def config(hours: dict):
    return parse_config({**BASE, "hours": hours})


def problems(hours: dict) -> list[str]:
    with pytest.raises(InputError) as exc:
        config(hours)
    return [str(p) for p in exc.value.problems]


def test_hours_parse_to_minutes_zone_target_and_days():
    h = config({"chat/vi": {"open": "08:00-24:00", "timezone": "Asia/Ho_Chi_Minh",
                            "closed_to": "chat/en", "days": ["Mon", "Sat"]}}).hours[0]
    assert (h.name, h.open_min, h.close_min, h.closed_to, h.days) == (
        "chat/vi", 480, 1440, ("chat", "en"), (0, 5))
    assert config({"chat/vi": {"open": "20:00-04:00", "timezone": "UTC",
                               "closed_to": "none"}}).hours[0].closed_to is None


def test_every_bad_hours_value_is_reported():
    got = problems({
        "chat/vi": {"open": "8-24", "timezone": "Mars/Base", "closed_to": "chat/en"},
        "fax/en": {"open": "08:00-18:00", "timezone": "UTC", "closed_to": "none"},
        "chat/ko": {"open": "08:00-18:00", "timezone": "UTC", "closed_to": "chat/ko"},
        "chat/ja": {"open": "08:00-18:00", "timezone": "UTC", "closed_to": "email/jp!"},
        "chat/tr": {"open": "08:00-18:00", "timezone": "UTC", "closed_to": "none",
                    "days": ["Mo"]}})
    expected = [
        "key 'hours.chat/vi.open', value '8-24': expected a local time window such as 08:00-24:00",
        "key 'hours.chat/vi.timezone', value 'Mars/Base': expected an IANA time zone name",
        "key 'hours.fax/en', value 'fax/en': expected CHANNEL/LANGUAGE with a configured channel",
        "key 'hours.chat/ko.closed_to', value 'chat/ko': a queue cannot be closed to itself",
        "key 'hours.chat/ja.closed_to', value 'email/jp!': expected CHANNEL/LANGUAGE",
        "key 'hours.chat/tr.days', value ['Mo']: expected a list of days",
    ]
    for line in expected:
        assert any(line in g for g in got), (line, got)


def test_a_circle_of_closed_hours_is_rejected():
    got = problems({"chat/vi": {"open": "08:00-20:00", "timezone": "UTC", "closed_to": "chat/th"},
                    "chat/th": {"open": "09:00-21:00", "timezone": "UTC", "closed_to": "chat/vi"}})
    assert any("closed hours route in a circle: chat/vi -> chat/th -> chat/vi" in g for g in got)


def test_open_mask_in_local_time_and_past_midnight():
    starts = pd.Series(START + pd.to_timedelta(np.arange(48) * 1800, unit="s"))
    vi = config({"chat/vi": {"open": "08:00-24:00", "timezone": "Asia/Ho_Chi_Minh",
                             "closed_to": "chat/en"}}).hours[0]
    m = open_mask(starts, vi)  # UTC+7: open 01:00-17:00 UTC
    assert not m[0] and m[2] and m[33] and not m[34]
    night = config({"chat/vi": {"open": "20:00-04:00", "timezone": "UTC", "closed_to": "none",
                                "days": ["Sun"]}}).hours[0]
    m = open_mask(starts, night)  # Monday: only Sunday's window, until 04:00
    assert m[:8].all() and not m[8:].any()


def _forecast():
    t = START + pd.to_timedelta(np.arange(48) * 1800, unit="s")
    rows = [(ts, "chat", lang) for ts in t for lang in ("en", "vi", "th")]
    fc = pd.DataFrame(rows, columns=["interval_start", "channel", "language"])
    fc["contacts"] = fc["language"].map({"en": 10.0, "vi": 4.0, "th": 2.0})
    fc["aht_s"] = fc["language"].map({"en": 300.0, "vi": 600.0, "th": 450.0})
    fc["contacts_p90"] = fc["contacts"] * 1.5
    return fc


def test_route_hours_moves_closed_volume_along_the_chain_and_keeps_the_total():
    cfg = config({"chat/vi": {"open": "12:00-24:00", "timezone": "UTC", "closed_to": "chat/th"},
                  "chat/th": {"open": "06:00-24:00", "timezone": "UTC", "closed_to": "chat/en"}})
    routed, moved = route_hours(_forecast(), cfg.hours)
    q = routed.set_index(["language", "interval_start"])
    at = START + pd.Timedelta(hours=2)  # both closed: vi -> th -> en
    assert q.loc[("vi", at), "contacts"] == 0 and q.loc[("th", at), "contacts"] == 0
    assert q.loc[("en", at), "contacts"] == 16.0
    assert q.loc[("en", at), "aht_s"] == pytest.approx((10 * 300 + 4 * 600 + 2 * 450) / 16)
    assert q.loc[("en", at), "contacts_p90"] == 24.0
    at = START + pd.Timedelta(hours=8)  # vi closed, th open: vi -> th
    assert (q.loc[("th", at), "contacts"], q.loc[("en", at), "contacts"]) == (6.0, 10.0)
    assert routed["contacts"].sum() == _forecast()["contacts"].sum()
    assert moved.set_index("language").loc["vi", "contacts"] == 4.0 * 24


def test_closed_to_none_drops_the_volume():
    cfg = config({"chat/vi": {"open": "12:00-24:00", "timezone": "UTC", "closed_to": "none"}})
    routed, moved = route_hours(_forecast(), cfg.hours)
    assert routed["contacts"].sum() == _forecast()["contacts"].sum() - 4.0 * 24
    assert moved["closed_to"].tolist() == [""]
