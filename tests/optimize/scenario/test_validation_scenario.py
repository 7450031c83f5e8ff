"""market.csv validation, the scenario directory as a whole, and the embedded sample."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecast.inputs.history import load_market
from forecast.inputs.problems import InputError
from optimize.scenario.config import ScenarioConfig
from optimize.scenario.load import Scenario, load_scenario_dir

TOML = Path(__file__).resolve().parents[3] / "optimize" / "scenario" / "sample_scenario.toml"
AGENTS = """agent_id,name,languages,channels,timezone,min_hours_week,max_hours_week,unavailable,vip
A001,Mei Chen,zh;en,chat;vip_chat;email,Asia/Shanghai,32,40,,true
A002,Diego Ruiz,en,chat;social,America/Bogota,16,24,,false
"""


def _contacts(n: int = 4) -> str:
    t = pd.date_range("2026-11-16T08:00Z", periods=n, freq="30min")
    rows = [f"{x.isoformat()},{c},{lang},3,200" for x in t
            for c, lang in (("chat", "en"), ("vip_chat", "zh"), ("email", "zh"), ("social", "en"))]
    return "interval_start,channel,language,contacts,aht_s\n" + "\n".join(rows) + "\n"


def _market(n: int = 5, freq: str = "1h") -> str:
    t = pd.date_range("2026-11-16T00:00Z", periods=n, freq=freq)
    return "timestamp,price,volume\n" + "".join(
        f"{x.isoformat()},{90000 + i},{10 * i}\n" for i, x in enumerate(t))


def _scenario(tmp_path: Path, market: bool = True) -> Path:
    (tmp_path / "contacts.csv").write_text(_contacts())
    (tmp_path / "agents.csv").write_text(AGENTS)
    shutil.copy(TOML, tmp_path / "scenario.toml")
    if market:
        (tmp_path / "market.csv").write_text(_market())
    return tmp_path


def _messages(fn, path) -> list[str]:
    with pytest.raises(InputError) as info:
        fn(path)
    return [str(p) for p in info.value.problems]


# --------------------------------------------------------------------------- market.csv


def test_market_valid_and_sorted(tmp_path):
    text = _market()
    lines = text.splitlines()
    (tmp_path / "market.csv").write_text("\n".join([lines[0], *lines[:0:-1]]) + "\n")
    df = load_market(tmp_path / "market.csv")
    assert list(df.columns) == ["timestamp", "price", "volume"]
    assert str(df["timestamp"].dtype) == "datetime64[ns, UTC]"
    assert df["timestamp"].is_monotonic_increasing and df["price"].iloc[0] == 90000.0
    (tmp_path / "market.csv").write_text("timestamp,price\n2026-11-16T00:00Z,1\n"
                                         "2026-11-16T00:15Z,2\n")
    assert list(load_market(tmp_path / "market.csv").columns) == ["timestamp", "price"]


@pytest.mark.parametrize(("line", "field", "value", "message"), [
    (3, 0, "2026-11-16 01:00:00", "column 'timestamp', value '2026-11-16 01:00:00': timestamp "
     "has no UTC offset; expected e.g. 2026-01-05T09:30:00+00:00 or ...Z"),
    (3, 0, "yesterday", "column 'timestamp', value 'yesterday': unparseable timestamp; expected "
     "an ISO 8601 timestamp with offset such as 2026-01-05T09:30:00+00:00"),
    (4, 1, "0", "column 'price', value '0': expected a number > 0"),
    (4, 1, "", "column 'price', value '': expected a number > 0"),
    (4, 2, "-1", "column 'volume', value '-1': expected a number >= 0 (or empty)"),
    (4, 0, "2026-11-16T00:00:00+00:00", "column 'timestamp', value '2026-11-16T00:00:00+00:00': "
     "duplicate timestamp"),
])
def test_market_bad_values(tmp_path, line, field, value, message):
    lines = _market().splitlines()
    cells = lines[line - 1].split(",")
    cells[field] = value
    lines[line - 1] = ",".join(cells)
    (tmp_path / "market.csv").write_text("\n".join(lines) + "\n")
    assert _messages(load_market, tmp_path / "market.csv") == [f"market.csv:{line}, {message}"]


def test_market_coarser_than_hourly(tmp_path):
    (tmp_path / "market.csv").write_text(_market(5, "1D"))
    assert _messages(load_market, tmp_path / "market.csv") == [
        "market.csv, column 'timestamp', value '1440 min': market data must be hourly or finer; "
        "the most common spacing is longer"]


# --------------------------------------------------------------------------- scenario dir


def test_scenario_loads_with_and_without_market(tmp_path):
    s = load_scenario_dir(_scenario(tmp_path))
    assert isinstance(s, Scenario) and isinstance(s.config, ScenarioConfig)
    assert s.interval_s == 1800 and s.directory == tmp_path and len(s.market) == 5
    assert s.queues.values.tolist() == [["chat", "en"], ["email", "zh"], ["social", "en"],
                                        ["vip_chat", "zh"]]
    assert s.languages == ("en", "zh") and s.channels == ("chat", "email", "social", "vip_chat")
    assert s.history_end - s.history_start == pd.Timedelta(hours=2)
    (tmp_path / "market.csv").unlink()
    assert load_scenario_dir(tmp_path).market is None


def test_missing_directory_and_files(tmp_path):
    assert _messages(load_scenario_dir, tmp_path / "nope") == [
        f"{tmp_path / 'nope'}: scenario directory not found"]
    assert _messages(load_scenario_dir, tmp_path) == [
        f"scenario.toml: file not found in {tmp_path}",
        f"contacts.csv: file not found in {tmp_path} (nor contacts.csv.gz)",
        f"agents.csv: file not found in {tmp_path}"]
    _scenario(tmp_path)
    shutil.copy(tmp_path / "contacts.csv", tmp_path / "contacts.csv.gz")
    assert _messages(load_scenario_dir, tmp_path) == [
        "contacts.csv: both contacts.csv and contacts.csv.gz exist; keep one"]


def test_every_file_is_checked_and_reported_together(tmp_path):
    _scenario(tmp_path)
    toml = TOML.read_text().replace("shrinkage = 0.30", "shrinkage = 1.5")
    (tmp_path / "scenario.toml").write_text(toml)
    (tmp_path / "contacts.csv").write_text(_contacts().replace(",social,en,3,", ",social,en,-3,", 1))
    (tmp_path / "market.csv").write_text(_market().replace(",90002,", ",-1,"))
    (tmp_path / "agents.csv").write_text(AGENTS.replace("America/Bogota", "America/Bogata"))
    assert _messages(load_scenario_dir, tmp_path) == [
        "scenario.toml, key 'staffing.shrinkage', value 1.5: expected a value in [0, 0.95]",
        "contacts.csv:5, column 'contacts', value '-3': negative count; expected an integer >= 0",
        "market.csv:4, column 'price', value '-1': expected a number > 0",
        "agents.csv:3, column 'timezone', value 'America/Bogata': unknown time zone; expected an "
        "IANA name such as Asia/Seoul"]


def test_bad_display_time_zone_in_toml(tmp_path):
    _scenario(tmp_path)
    toml = TOML.read_text().replace('display_timezone = "UTC"', 'display_timezone = "Asia/Seul"')
    (tmp_path / "scenario.toml").write_text(toml)
    assert _messages(load_scenario_dir, tmp_path) == [
        "scenario.toml, key 'horizon.display_timezone', value 'Asia/Seul': expected an IANA time "
        "zone name such as Europe/Berlin"]


def test_cross_file_checks(tmp_path):
    _scenario(tmp_path)
    (tmp_path / "contacts.csv").write_text(_contacts().replace(",social,", ",phone,"))
    agents = AGENTS.replace("zh;en,", "zh;en;ja,").replace("chat;social", "chat;sms;vip_chat")
    (tmp_path / "agents.csv").write_text(agents)
    msgs = _messages(load_scenario_dir, tmp_path)
    assert msgs[0] == ("contacts.csv:5, column 'channel', value 'phone': channel not configured "
                       "in scenario.toml; expected one of ['chat', 'email', 'social', 'vip_chat']")
    assert msgs[4:] == [
        "agents.csv:2, column 'languages', value 'ja': language never appears in contacts; "
        "expected one of ['en', 'zh']",
        "agents.csv:3, column 'channels', value 'sms': channel not configured in scenario.toml; "
        "expected one of ['chat', 'email', 'social', 'vip_chat']",
        "agents.csv:3, column 'channels', value 'vip_chat': this channel is VIP-only; expected "
        "vip=true for an agent who serves it"]


def test_sample_company_loads(sample_dir):
    s = load_scenario_dir(sample_dir)
    assert s.interval_s == 1800 and s.market is not None
    assert set(s.channels) == {"chat", "vip_chat", "email", "social"} and len(s.languages) >= 8
    assert len(s.contacts) == len(s.queues) * s.contacts["interval_start"].nunique()
    assert (s.history_end - s.history_start) >= pd.Timedelta(days=700)
    assert s.contacts["aht_s"].isna().equals(s.contacts["contacts"] == 0)
    assert s.agents["agent_id"].is_unique and s.agents["vip"].dtype == np.bool_
    spoken = {lang for langs in s.agents["languages"] for lang in langs}
    assert spoken <= set(s.languages)
