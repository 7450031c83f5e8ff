"""The sample company generator: determinism, formats, and the realism it promises."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from forecast.synthetic import (
    CHANNELS,
    DEFAULT_LANGUAGES,
    generate_contacts,
    generate_market,
    surge_index,
)
from optimize.queueing.requirements import compute_requirements
from optimize.scenario.config import load_config
from optimize.scenario.sample import _allocate, generate_agents, write_sample

END = pd.Timestamp("2026-11-23T00:00:00Z")
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:00\+00:00$")
SMALL = {"seed": 11, "weeks": 3, "n_agents": 40}


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("small")
    write_sample(out, **SMALL)
    return out


@pytest.fixture(scope="module")
def year() -> tuple[pd.DataFrame, pd.DataFrame]:
    """52 weeks of en + ko contacts and their market."""
    start = END - pd.Timedelta(weeks=52)
    market = generate_market(start - pd.Timedelta(days=7), END, 3)
    return market, generate_contacts(market, start, END, ("en", "ko"), 3)


def flat_market(start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    ts = pd.date_range(start - pd.Timedelta(days=2), end, freq="h", inclusive="left")
    return pd.DataFrame({"timestamp": ts, "price": 50_000.0, "volume": 1.0})


# ----------------------------------------------------------------------- determinism


def test_same_seed_same_bytes_other_seed_other_bytes(small, tmp_path):
    again = write_sample(tmp_path / "again", **SMALL)
    assert set(again) == {"contacts", "market", "agents", "scenario"}
    for path in again.values():
        assert path.read_bytes() == (small / path.name).read_bytes(), path.name
    other = write_sample(tmp_path / "other", **{**SMALL, "seed": 12})
    assert other["contacts"].read_bytes() != (small / "contacts.csv.gz").read_bytes()
    assert other["market"].read_bytes() != (small / "market.csv").read_bytes()


def test_a_queue_does_not_depend_on_the_order_of_languages():
    start = END - pd.Timedelta(weeks=1)
    market = generate_market(start - pd.Timedelta(days=7), END, 5)
    one = generate_contacts(market, start, END, ("en", "tr"), 5)
    other = generate_contacts(market, start, END, ("tr", "en"), 5)
    key = ["interval_start", "channel", "language"]
    pd.testing.assert_frame_equal(one.sort_values(key).reset_index(drop=True),
                                  other.sort_values(key).reset_index(drop=True))


# ----------------------------------------------------------------------- formats


def test_contacts_file_format(small):
    raw = pd.read_csv(small / "contacts.csv.gz", dtype=str, keep_default_na=False)
    assert list(raw.columns) == ["interval_start", "channel", "language", "contacts", "aht_s"]
    assert raw["interval_start"].str.match(ISO).all()
    assert raw["contacts"].str.fullmatch(r"\d+").all()
    zero = raw["contacts"] == "0"
    assert (raw.loc[zero, "aht_s"] == "").all()
    assert raw.loc[~zero, "aht_s"].str.fullmatch(r"\d+\.\d").all()  # rounded to 0.1 s
    ts = pd.to_datetime(raw["interval_start"], utc=True)
    assert ts.min() == END - pd.Timedelta(weeks=3) and ts.max() == END - pd.Timedelta(minutes=30)
    queues = raw.groupby(["channel", "language"]).size()
    assert set(raw["channel"]) == set(CHANNELS) and set(raw["language"]) == set(DEFAULT_LANGUAGES)
    assert (queues == 3 * 7 * 48).all()  # one row per interval x queue, no gaps
    assert not raw.duplicated(["interval_start", "channel", "language"]).any()
    assert (np.diff(np.unique(ts.to_numpy())) == np.timedelta64(30, "m")).all()


def test_market_file_format(small):
    m = pd.read_csv(small / "market.csv")
    assert list(m.columns) == ["timestamp", "price", "volume"]
    assert m["timestamp"].str.match(ISO).all()
    ts = pd.to_datetime(m["timestamp"], utc=True)
    assert (ts.diff().dropna() == pd.Timedelta(hours=1)).all()
    assert ts.max() == END - pd.Timedelta(hours=1)
    assert ts.min() <= END - pd.Timedelta(weeks=3)  # covers the contacts history
    assert (m["price"] > 0).all() and (m["volume"] >= 0).all()


def test_agents_file_format(small):
    a = pd.read_csv(small / "agents.csv", dtype=str, keep_default_na=False)
    assert list(a.columns) == ["agent_id", "name", "languages", "channels", "timezone",
                               "min_hours_week", "max_hours_week", "unavailable", "vip",
                               "preferred_start", "preferred_days_off"]
    assert set(a["preferred_start"]) <= {"", "06:00-09:00", "08:00-11:00", "12:00-15:00",
                                         "16:00-20:00"}
    assert set(a["preferred_days_off"]) <= {"", "Sat;Sun", "Fri;Sat", "Sun;Mon"}
    assert len(a) == SMALL["n_agents"] and a["agent_id"].is_unique
    assert set(a["vip"]) <= {"true", "false"}
    for col, allowed in (("languages", DEFAULT_LANGUAGES), ("channels", tuple(CHANNELS))):
        parts = a[col].str.split(";")
        assert parts.map(lambda p, ok=allowed: 0 < len(p) == len(set(p)) and set(p) <= set(ok)).all()
    vip = a["vip"] == "true"
    assert (a["channels"].str.contains("vip_chat") == vip).all()  # VIP chat only for VIP agents
    for zone in a["timezone"].unique():
        ZoneInfo(zone)
    lo, hi = a["min_hours_week"].astype(int), a["max_hours_week"].astype(int)
    assert (lo <= hi).all() and set(zip(lo, hi, strict=True)) <= {(32, 40), (16, 24), (20, 24)}
    plan = END.date()
    for cell in a["unavailable"][a["unavailable"] != ""]:
        days = [dt.date.fromisoformat(d) for d in cell.split(";")]
        assert all(plan <= d < plan + dt.timedelta(weeks=2) for d in days)
    assert not a["name"].str.match(r"^[=+\-@]").any()  # nothing a spreadsheet would execute


def test_scenario_is_the_packaged_sample(small):
    packaged = resources.files("optimize.scenario").joinpath("sample_scenario.toml").read_bytes()
    assert (small / "scenario.toml").read_bytes() == packaged
    config = load_config(small / "scenario.toml")
    assert set(config.channels) == set(CHANNELS)


def test_a_variant_company_with_other_languages(tmp_path):
    paths = write_sample(tmp_path, seed=3, weeks=1, n_agents=12, languages=("en", "de", "pt", "id"),
                         end="2026-06-01T00:00:00Z", volume_scale=0.5)
    c = pd.read_csv(paths["contacts"])
    assert set(c["language"]) == {"en", "de", "pt", "id"} and len(c) == 7 * 48 * 4 * 4
    assert c["interval_start"].iloc[-1] == "2026-05-31T23:30:00+00:00"
    a = pd.read_csv(paths["agents"], keep_default_na=False)
    spoken = set(";".join(a["languages"]).split(";"))
    assert spoken == {"en", "de", "pt", "id"}


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"weeks": 0}, "weeks must be a positive integer, got 0"),
    ({"seed": -1}, "seed must be a non-negative integer, got -1"),
    ({"languages": ("en", "xx")}, "languages must be a non-empty subset"),
    ({"volume_scale": 0.0}, "volume_scale must be > 0, got 0.0"),
    ({"end": "2026-11-23T00:10:00Z"}, "end must be on a 30-minute boundary"),
    ({"end": "next monday"}, "end must be an ISO 8601 timestamp, got 'next monday'"),
    ({"n_agents": 3}, "n_agents must be an integer >= 8 (one per language), got 3"),
])
def test_bad_arguments_name_the_value(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        write_sample(tmp_path, **{"weeks": 1, **kwargs})


# ----------------------------------------------------------------------- realism


def test_market_is_btc_like_with_fat_tails_clusters_and_crashes():
    m = generate_market(END - pd.Timedelta(weeks=104), END, 7)
    assert 10_000 < m["price"].min() and m["price"].max() < 250_000
    r = np.log(m["price"]).diff().dropna()
    assert 0.35 < r.std() * np.sqrt(24 * 365) < 1.2  # annualised volatility
    assert r.kurt() > 5  # fat tails (normal: 0)
    a = r.abs()
    assert a.autocorr(24) > 0.1  # volatility clustering a day later
    moves = np.log(m["price"]).diff(8)  # 8-hour moves
    assert moves.min() < np.log(0.85) and moves.max() > np.log(1.10)


def test_surges_follow_volatility_stronger_on_chat_than_email(year):
    market, contacts = year
    daily = contacts.groupby([contacts["interval_start"].dt.floor("D"), "channel"])["contacts"]
    daily = daily.sum().unstack()
    r = np.log(market.set_index("timestamp")["price"]).diff()
    log_rv = np.log((r**2).resample("D").sum().reindex(daily.index))
    top = log_rv >= log_rv.quantile(0.95)
    corr, uplift = {}, {}
    for ch in daily:
        y = np.log(daily[ch])
        resid = y - y.rolling(29, center=True, min_periods=8).median()
        corr[ch] = np.corrcoef(resid, log_rv)[0, 1]
        uplift[ch] = np.exp(resid[top]).mean() - 1
    assert corr["chat"] > 0.55 and corr["social"] > 0.5 and corr["vip_chat"] > 0.5
    assert 0.15 < corr["email"] < corr["chat"]
    assert 0.4 < uplift["chat"] < 1.6  # chat up 40-160 % on the 5 % most volatile days
    assert uplift["email"] < uplift["chat"]


def test_surge_comes_after_the_market_move():
    idx = pd.date_range(END - pd.Timedelta(days=5), END, freq="30min", inclusive="left")
    market = flat_market(idx[0], END)
    market["price"] *= np.exp(np.arange(len(market)) % 2 * 1e-3)  # calm: |return| constant
    shock = market["timestamp"] == END - pd.Timedelta(days=3)
    market.loc[market["timestamp"] >= END - pd.Timedelta(days=3), "price"] *= 0.8  # -20 %
    t_shock = market.loc[shock, "timestamp"].iloc[0]
    for ch in ("chat", "email"):
        e = pd.Series(surge_index(market, idx, ch), index=idx)
        lag = pd.Timedelta(hours=CHANNELS[ch].lag_h)
        assert e[e.index < t_shock + lag].max() == 0
        assert e[t_shock + lag] > 1  # jumps once the lag has passed ...
        half = e[t_shock + lag + pd.Timedelta(hours=CHANNELS[ch].half_life_h * 4)]
        assert 0 < half < e[t_shock + lag]  # ... and decays


def test_flat_market_means_no_surge():
    idx = pd.date_range(END - pd.Timedelta(days=2), END, freq="30min", inclusive="left")
    assert not surge_index(flat_market(idx[0], END), idx, "chat").any()
    with pytest.raises(ValueError, match="channel must be one of .*, got 'voice'"):
        surge_index(flat_market(idx[0], END), idx, "voice")


@pytest.mark.parametrize(("language", "zone", "holiday", "normal"), [
    ("zh", "Asia/Shanghai", "2026-02-17", ("2026-02-03", "2026-03-03")),  # Spring Festival
    ("ko", "Asia/Seoul", "2026-02-17", ("2026-02-03", "2026-03-03")),  # Seollal
    ("vi", "Asia/Ho_Chi_Minh", "2026-02-17", ("2026-02-03", "2026-03-03")),  # Tet
    ("tr", "Europe/Istanbul", "2026-05-27", ("2026-05-13", "2026-06-10")),  # Kurban Bayrami
])
def test_holidays_dip_their_own_language_only(language, zone, holiday, normal):
    day = pd.Timestamp(holiday, tz=zone)
    start = (day - pd.Timedelta(weeks=3)).tz_convert("UTC").floor("D")
    end = (day + pd.Timedelta(weeks=3)).tz_convert("UTC").floor("D")
    c = generate_contacts(flat_market(start, end), start, end, (language, "en"), 4)
    local = c["interval_start"].dt.tz_convert(zone).dt.strftime("%Y-%m-%d")
    daily = c.groupby([local, "language"])["contacts"].sum().unstack()
    ratio = daily.loc[holiday] / daily.loc[list(normal)].mean()
    assert ratio[language] < 0.7
    assert ratio["en"] > 0.85


def test_daily_profile_follows_local_time_and_weekends_dip():
    start, end = END - pd.Timedelta(weeks=4), END
    c = generate_contacts(flat_market(start, end), start, end, ("ko", "es"), 9)
    chat = c[c["channel"] == "chat"]
    ko = chat[chat["language"] == "ko"]
    seoul = ko["interval_start"].dt.tz_convert("Asia/Seoul")
    by_hour = ko.groupby(seoul.dt.hour)["contacts"].mean()
    assert by_hour[4] < 0.4 * by_hour[21]  # 4 am trough, evening peak, Seoul time
    weekend = seoul.dt.day_of_week >= 5
    assert ko.loc[weekend, "contacts"].mean() < 0.95 * ko.loc[~weekend, "contacts"].mean()


def test_growth_and_volume_scale():
    start, end = END - pd.Timedelta(weeks=104), END
    c = generate_contacts(flat_market(start, end), start, end, ("vi", "tr"), 2)
    first = c[c["interval_start"] < start + pd.Timedelta(weeks=8)]["contacts"].mean()
    last = c[c["interval_start"] >= end - pd.Timedelta(weeks=8)]["contacts"].mean()
    assert last > 1.5 * first  # vi and tr grow 45-50 % a year
    week = c[c["interval_start"] >= end - pd.Timedelta(weeks=1)]
    doubled = generate_contacts(flat_market(start, end), end - pd.Timedelta(weeks=1), end,
                                ("vi", "tr"), 2, volume_scale=2.0)
    assert 1.8 < doubled["contacts"].sum() / week["contacts"].sum() < 2.2


def test_handle_times_vary_by_channel_and_language(year):
    _, c = year
    n = c["contacts"]
    mean = (c["aht_s"].fillna(0) * n).groupby([c["channel"], c["language"]]).sum() / n.groupby(
        [c["channel"], c["language"]]).sum()
    assert mean["social"].max() < mean["email"].min() < mean["chat"].min()
    assert mean["chat"].max() < mean["vip_chat"].min()
    assert 420 <= mean["chat"].min() and mean["chat"].max() <= 600
    assert mean["chat", "en"] != mean["chat", "ko"]


# ----------------------------------------------------------------------- agents


def test_agents_cover_every_language_and_channel(year):
    _, contacts = year
    agents = generate_agents(contacts, 30, 5)
    langs = agents["languages"].str.split(";")
    chans = agents["channels"].str.split(";")
    for lang in ("en", "ko"):
        speakers = langs.map(lambda p, lang=lang: lang in p)
        assert (speakers & chans.map(lambda p: "chat" in p)).sum() >= 6  # 24/7 chat seat
        assert (speakers & agents["vip"]).sum() >= 1
        assert (speakers & chans.map(lambda p: "social" in p)).sum() >= 1


def test_sample_sized_agents_are_realistic(year):
    _, contacts = year
    a = generate_agents(contacts, 150, 7)
    assert 0.08 <= a["vip"].mean() <= 0.16
    full = a["max_hours_week"] == 40
    assert 0.65 < full.mean() < 0.9
    assert 0.1 < (a["unavailable"] != "").mean() < 0.4
    offsets = {ZoneInfo(z).utcoffset(dt.datetime(2026, 7, 1)) != ZoneInfo(z).utcoffset(
        dt.datetime(2026, 1, 1)) for z in a["timezone"].unique()}
    assert offsets == {True, False}  # zones with and without daylight saving


@given(weights=st.lists(st.floats(0.01, 100), min_size=1, max_size=12),
       n=st.integers(1, 400), floor=st.integers(0, 6))
def test_allocate_sums_to_n_and_respects_the_floor(weights, n, floor):
    w = np.array(weights)
    if floor * len(w) > n:
        floor = n // len(w)
    out = _allocate(w, n, floor)
    assert out.sum() == n and (out >= floor).all()


# ----------------------------------------------------------------------- committed sample


def test_committed_sample_is_complete_and_small(sample_dir):
    files = {p.name: p for p in sample_dir.iterdir() if not p.name.startswith(".")}
    assert {"contacts.csv.gz", "market.csv", "agents.csv", "scenario.toml"} <= set(files)
    assert sum(p.stat().st_size for p in files.values()) < 25e6
    with open(sample_dir / "scenario.toml", "rb") as f:
        assert tomllib.load(f)["channels"]
    agents = pd.read_csv(sample_dir / "agents.csv", keep_default_na=False)
    assert 190 <= len(agents) <= 210  # sized by the planner's rule with the calibrated shrinkage
    langs = agents["languages"].str.split(";")
    assert langs.map(len).gt(1).mean() > 0.5  # most are bilingual ...
    natives = langs[langs.map(lambda p: p[0] != "en")]  # those of another language ...
    assert natives.map(lambda p: "en" in p).mean() > 0.75  # ... nearly all speak English
    for lang in DEFAULT_LANGUAGES:  # every language can keep a chat seat open around the clock
        speakers = agents[langs.map(lambda p, lang=lang: lang in p)]
        assert speakers["channels"].str.contains("chat").sum() >= 10
        assert speakers["max_hours_week"].sum() >= 2 * 168
    market = pd.read_csv(sample_dir / "market.csv")
    assert market["timestamp"].iloc[-1] == "2026-11-22T23:00:00+00:00"


def test_committed_contacts_span_two_years_and_fit_the_desk(sample_dir):
    c = pd.read_csv(sample_dir / "contacts.csv.gz")
    assert c["interval_start"].iloc[0] == "2024-11-25T00:00:00+00:00"
    assert c["interval_start"].iloc[-1] == "2026-11-22T23:30:00+00:00"
    assert len(c) == 104 * 7 * 48 * 4 * 8
    assert set(c["language"]) >= set(DEFAULT_LANGUAGES)
    # Staffed with the real queueing engine, an ordinary recent week needs 60-80% of what
    # the contracts can give at most (thin 24/7 queues included): the desk is sized for
    # 1.41 paid hours per required hour (optimize/capacity/dimension.py), 71%.
    week = c.iloc[-7 * 48 * 32:].copy()
    week["interval_start"] = pd.to_datetime(week["interval_start"], utc=True)
    week["contacts"] = week["contacts"].astype(float)
    week["aht_s"] = week.groupby(["channel", "language"])["aht_s"].transform("mean")
    cfg = load_config(sample_dir / "scenario.toml")
    req = compute_requirements(week, cfg, interval_s=1800)
    need_h = req["required_scheduled"].sum() / 2
    agents = pd.read_csv(sample_dir / "agents.csv")
    assert 0.6 < need_h / agents["max_hours_week"].sum() < 0.8
    by_lang = c.groupby("language")["contacts"].sum()
    assert by_lang.idxmax() == "en"
    vip = c[c["channel"] == "vip_chat"].groupby("language")["contacts"].mean()
    assert vip["tr"] < 0.3 and vip["vi"] < 0.3  # thin queues: well under one per interval


def test_a_planned_desk_has_the_natives_and_certified_agents_asked_for(small):
    from optimize.capacity.dimension import desk_size
    from optimize.scenario.sample import HOURS_PER_AGENT

    contacts = pd.read_csv(small / "contacts.csv.gz", parse_dates=["interval_start"])
    cfg = load_config(small / "scenario.toml")
    natives, vip = desk_size(contacts, cfg, 1800, hours_per_agent=HOURS_PER_AGENT)
    assert set(natives) == set(contacts["language"]) and min(natives.values()) >= 1
    # twice the hours an agent works, about half the heads
    half, _ = desk_size(contacts, cfg, 1800, hours_per_agent=2 * HOURS_PER_AGENT)
    assert sum(half.values()) <= sum(natives.values()) / 2 + len(natives)
    agents = generate_agents(contacts, seed=11, natives=natives, vip=vip)
    first = agents["languages"].str.split(";").str[0].value_counts()
    assert first.to_dict() == natives
    assert int(agents["vip"].sum()) == vip
    with pytest.raises(ValueError, match="at least 1"):
        generate_agents(contacts, seed=11, natives={**natives, "ko": 0})


def test_committed_sample_is_what_staffcast_sample_writes(sample_dir, tmp_path):
    # data/sample is `make sample`: `staffcast sample --out data/sample --calibration
    # data/sample_calibration.toml` (the template, the effective shrinkage plan --calibrate
    # fitted on this desk, and the desk sized with it); regenerated whenever the
    # generator, the planner's rule, the template or the calibration change
    from optimize.cli.main import main

    assert main(["sample", "--out", str(tmp_path), "--calibration",
                 str(sample_dir.parent / "sample_calibration.toml")]) == 0
    for name in ("agents.csv", "scenario.toml", "market.csv"):
        assert (tmp_path / name).read_bytes() == (sample_dir / name).read_bytes(), name


@pytest.mark.parametrize("content, message", [
    ('[staffing]\nshrinkage = 0.2\n', "expected only a [staffing.effective_shrinkage] table"),
    ('[staffing.effective_shrinkage]\n"fax/en" = 0.3\n', "expected CHANNEL/LANGUAGE"),
    ('[staffing.effective_shrinkage\n', "Expected ']'"),
    ('staffing = 1\n', "expected only a [staffing.effective_shrinkage] table"),
])
def test_a_bad_calibration_file_is_one_line_and_exit_2(tmp_path, capsys, content, message):
    from optimize.cli.main import main

    bad = tmp_path / "calibration.toml"
    bad.write_text(content)
    assert main(["sample", "--out", str(tmp_path / "out"), "--weeks", "1",
                 "--calibration", str(bad)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()  # nothing written


@pytest.mark.parametrize("content", [
    '\ufeff[staffing.effective_shrinkage]\n"chat/en" = 0.35\n',  # with a BOM
    '[staffing]\neffective_shrinkage = {"chat/en" = 0.35}\n',  # the same table, inline
    'staffing.effective_shrinkage."chat/en" = 0.35\n',  # dotted keys
])
def test_the_calibration_table_is_read_however_it_is_written(tmp_path, content):
    import tomllib

    from optimize.cli.main import main
    from optimize.scenario.config import load_config

    cal = tmp_path / "calibration.toml"
    cal.write_text(content, encoding="utf-8")
    assert main(["sample", "--out", str(tmp_path / "out"), "--weeks", "1", "--agents", "20",
                 "--calibration", str(cal)]) == 0
    cfg = load_config(tmp_path / "out" / "scenario.toml")
    assert cfg.staffing.effective_shrinkage == (("chat", "en", 0.35),)
    assert tomllib.loads((tmp_path / "out" / "scenario.toml").read_text())["staffing"][
        "shrinkage"] == 0.30
