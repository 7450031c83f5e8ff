"""agents.csv validation: each case asserts its full one-line message."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from forecast.inputs.problems import InputError
from optimize.scenario.agents import load_agents

HEADER = "agent_id,name,languages,channels,timezone,min_hours_week,max_hours_week,unavailable,vip"
ROWS = [
    "A001,Mei Chen,zh;en,chat;vip_chat;email,Asia/Shanghai,32,40,2026-11-26;2026-11-25,true",
    "A002,Diego Ruiz,es;en,chat;social,America/Bogota,16,24,,false",
    "A003,Ji-woo Park,ko,email,Asia/Seoul,20,24.5,,",
]
CHANNELS = ("chat", "vip_chat", "email", "social")
LANGUAGES = ("en", "zh", "es", "ko")


def _write(tmp_path, rows=None, header=HEADER, newline="\n"):
    path = tmp_path / "agents.csv"
    path.write_text(newline.join([header, *(ROWS if rows is None else rows)]) + newline,
                    encoding="utf-8", newline="")
    return path


def _set(line: int, field: int, value: str) -> list[str]:
    """ROWS with field ``field`` of file line ``line`` (header = 1) replaced."""
    rows = list(ROWS)
    cells = rows[line - 2].split(",")
    cells[field] = value
    rows[line - 2] = ",".join(cells)
    return rows


def _messages(path, **kw) -> list[str]:
    with pytest.raises(InputError) as info:
        load_agents(path, **kw)
    return [str(p) for p in info.value.problems]


def test_valid_file_in_memory_types(tmp_path):
    df = load_agents(_write(tmp_path), channels=CHANNELS, languages=LANGUAGES,
                     vip_channels=("vip_chat",))
    assert df["agent_id"].tolist() == ["A001", "A002", "A003"]
    assert df["languages"].tolist() == [("zh", "en"), ("es", "en"), ("ko",)]
    assert df["channels"].iloc[0] == ("chat", "vip_chat", "email")
    assert df["unavailable"].tolist() == [(dt.date(2026, 11, 25), dt.date(2026, 11, 26)), (), ()]
    assert df["vip"].tolist() == [True, False, False] and df["vip"].dtype == np.bool_
    assert df["max_hours_week"].tolist() == [40.0, 24.0, 24.5]
    assert df["timezone"].tolist() == ["Asia/Shanghai", "America/Bogota", "Asia/Seoul"]


def test_bom_crlf_optional_columns_and_case(tmp_path):
    header = "\ufeff" + HEADER.rsplit(",", 2)[0]
    rows = [r.rsplit(",", 2)[0] for r in ROWS]
    df = load_agents(_write(tmp_path, rows, header, newline="\r\n"))
    assert df["vip"].tolist() == [False] * 3 and df["unavailable"].tolist() == [()] * 3
    df = load_agents(_write(tmp_path, _set(3, 8, " TRUE ")))
    assert df["vip"].tolist() == [True, True, False]


@pytest.mark.parametrize(("line", "field", "value", "kw", "message"), [
    (3, 3, "chat;phone", {"channels": CHANNELS},
     "column 'channels', value 'phone': channel not configured in scenario.toml; expected one of "
     "['chat', 'email', 'social', 'vip_chat']"),
    (4, 2, "ko;pt", {"languages": LANGUAGES},
     "column 'languages', value 'pt': language never appears in contacts; expected one of "
     "['en', 'es', 'ko', 'zh']"),
    (4, 2, "ko;English", {},
     "column 'languages', value 'English': expected ';'-separated ISO 639-1 codes such as zh;en"),
    (2, 2, "", {}, "column 'languages', value '': missing value; expected ';'-separated ISO "
     "639-1 codes such as zh;en"),
    (2, 3, " ; ", {}, "column 'channels', value '': missing value; expected ';'-separated "
     "channel names such as chat;email"),
    (3, 4, "Mars/Olympus_Mons", {},
     "column 'timezone', value 'Mars/Olympus_Mons': unknown time zone; expected an IANA name such "
     "as Asia/Seoul"),
    (3, 4, "GMT+8", {},
     "column 'timezone', value 'GMT+8': unknown time zone; expected an IANA name such as "
     "Asia/Seoul"),
    (3, 5, "30", {}, "column 'min_hours_week', value '30': min_hours_week is greater than "
     "max_hours_week (24); expected min <= max"),
    (3, 5, "-4", {}, "column 'min_hours_week', value '-4': expected a number of hours >= 0 and "
     "<= 84"),
    (3, 6, "0", {}, "column 'max_hours_week', value '0': expected a number of hours > 0 and <= 84"),
    (3, 6, "forty", {}, "column 'max_hours_week', value 'forty': expected a number of hours > 0 "
     "and <= 84"),
    (3, 8, "maybe", {}, "column 'vip', value 'maybe': expected true or false"),
    (2, 7, "2026-11-26;2026-02-30", {},
     "column 'unavailable', value '2026-02-30': expected ';'-separated ISO dates such as 2026-12-07"),
    (3, 7, "26/11/2026", {},
     "column 'unavailable', value '26/11/2026': expected ';'-separated ISO dates such as "
     "2026-12-07"),
    (4, 0, "A001", {}, "column 'agent_id', value 'A001': duplicate agent_id; first at line 2"),
    (4, 1, "", {}, "column 'name', value '': missing value; expected the agent's name"),
    (3, 3, "chat;vip_chat", {"vip_channels": ("vip_chat",)},
     "column 'channels', value 'vip_chat': this channel is VIP-only; expected vip=true for an "
     "agent who serves it"),
])
def test_bad_values(tmp_path, line, field, value, kw, message):
    assert _messages(_write(tmp_path, _set(line, field, value)), **kw) == [
        f"agents.csv:{line}, {message}"]


def test_missing_file_column_and_empty(tmp_path):
    assert _messages(tmp_path / "agents.csv") == [f"agents.csv: file not found in {tmp_path}"]
    header = HEADER.replace("timezone,", "")
    rows = [r.replace(",Asia/Shanghai", "").replace(",America/Bogota", "")
            .replace(",Asia/Seoul", "") for r in ROWS]
    assert _messages(_write(tmp_path, rows, header)) == [
        "agents.csv:1, column 'timezone': missing column; the header has ['agent_id', 'name', "
        "'languages', 'channels', 'min_hours_week', 'max_hours_week', 'unavailable', 'vip']"]
    assert _messages(_write(tmp_path, [])) == ["agents.csv: file has a header but no data rows"]
    (tmp_path / "agents.csv").write_text("")
    assert _messages(tmp_path / "agents.csv") == [
        "agents.csv: file is empty; expected a header line and data rows"]


def test_all_problems_of_the_file_are_collected(tmp_path):
    rows = _set(2, 4, "Nowhere")
    rows[1] = rows[1].replace(",16,24,", ",40,24,")
    rows[2] = rows[2].replace(",,", ",yes please,")
    assert _messages(_write(tmp_path, rows), channels=("chat",)) == [
        "agents.csv:2, column 'channels', value 'vip_chat': channel not configured in "
        "scenario.toml; expected one of ['chat']",
        "agents.csv:2, column 'channels', value 'email': channel not configured in scenario.toml; "
        "expected one of ['chat']",
        "agents.csv:3, column 'channels', value 'social': channel not configured in "
        "scenario.toml; expected one of ['chat']",
        "agents.csv:4, column 'channels', value 'email': channel not configured in scenario.toml; "
        "expected one of ['chat']",
        "agents.csv:2, column 'timezone', value 'Nowhere': unknown time zone; expected an IANA "
        "name such as Asia/Seoul",
        "agents.csv:3, column 'min_hours_week', value '40': min_hours_week is greater than "
        "max_hours_week (24); expected min <= max",
        "agents.csv:4, column 'unavailable', value 'yes please': expected ';'-separated ISO dates "
        "such as 2026-12-07",
    ]
