"""CSV exports (spreadsheet-injection escaping, ISO timestamps) and iCalendar (RFC 5545)."""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd
import pytest

from optimize.outputs.export import (
    activities_to_csv,
    coverage_to_csv,
    escape_cell,
    ics_uid,
    roster_to_csv,
    roster_to_ics,
    table_to_csv,
)

STAMP = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)


def _roster(names=("Ana", "=HYPERLINK(\"http://x\")")) -> pd.DataFrame:
    start = pd.Timestamp("2026-11-30T08:00Z")
    return pd.DataFrame({
        "agent_id": ["A1", "@A2"], "name": list(names), "timezone": ["Europe/Berlin", "UTC"],
        "shift_date": ["2026-11-30", "2026-11-30"],
        "start_utc": [start, start], "end_utc": [start + pd.Timedelta(hours=9)] * 2,
        "start_local": ["2026-11-30T09:00:00+01:00", "2026-11-30T08:00:00+00:00"],
        "end_local": ["2026-11-30T18:00:00+01:00", "2026-11-30T17:00:00+00:00"],
        "paid_hours": [8.0, -1.5], "template": ["full_9h", "+cmd"],
    })


@pytest.mark.parametrize(("value", "expected"), [
    ("=1+1", "'=1+1"), ("+SUM(A1)", "'+SUM(A1)"), ("-2", "'-2"), ("@cmd", "'@cmd"),
    ("\tx", "'\tx"), ("plain", "plain"), ("a=b", "a=b"), ("", ""), (-2.0, -2.0), (3, 3),
])
def test_escape_cell(value, expected):
    assert escape_cell(value) == expected


def test_roster_csv_escapes_text_and_keeps_numbers_and_iso_times():
    text = roster_to_csv(_roster()).decode("utf-8")
    back = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    assert list(back.columns)[:4] == ["agent_id", "name", "timezone", "shift_date"]
    assert back["name"].tolist() == ["Ana", "'=HYPERLINK(\"http://x\")"]
    assert back["agent_id"].tolist() == ["A1", "'@A2"]
    assert back["template"].tolist() == ["full_9h", "'+cmd"]
    assert back["paid_hours"].tolist() == ["8.0", "-1.5"]  # numbers are not escaped
    assert back["start_utc"][0] == "2026-11-30T08:00:00+00:00"
    assert back["start_local"][0] == "2026-11-30T09:00:00+01:00"


def test_csv_is_utf8_and_checks_columns():
    data = roster_to_csv(_roster(names=("Łukasz 李", "Zoë")))
    assert "Łukasz 李".encode() in data
    with pytest.raises(ValueError, match=r"roster is missing columns \['template'\]"):
        roster_to_csv(_roster().drop(columns="template"))


def test_activities_and_coverage_csv():
    t = pd.Timestamp("2026-11-30T08:00Z")
    acts = pd.DataFrame({"agent_id": ["A1"], "start_utc": [t], "end_utc": [t],
                         "activity": ["work"], "channel": ["chat"], "language": ["en"]})
    assert activities_to_csv(acts).decode().splitlines()[1] == (
        "A1,2026-11-30T08:00:00+00:00,2026-11-30T08:00:00+00:00,work,chat,en")
    cov = pd.DataFrame({"interval_start": [t], "channel": ["email"], "language": ["en"],
                        "required_agents": [2], "scheduled_agents": [1.5],
                        "service_level": [0.8], "asa_s": [20.0], "abandon_rate": [0.01],
                        "backlog": [3.0], "oldest_age_h": [1.5], "extra": [1]})
    header = coverage_to_csv(cov).decode().splitlines()[0]
    assert header.endswith("abandon_rate,backlog,oldest_age_h")
    assert "extra" not in header


def test_table_to_csv_keeps_every_column():
    t = pd.Timestamp("2026-11-30T08:00Z")
    df = pd.DataFrame({"interval_start": [t], "model": ["=ets"], "contacts": [-1.5]})
    assert table_to_csv(df).decode().splitlines() == [
        "interval_start,model,contacts", "2026-11-30T08:00:00+00:00,'=ets,-1.5"]


def test_ics_is_rfc5545_shaped():
    data = roster_to_ics(_roster(), stamp=STAMP)
    text = data.decode("utf-8")
    assert text.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")
    assert text.endswith("END:VCALENDAR\r\n")
    assert "\n" not in text.replace("\r\n", "")
    assert text.count("BEGIN:VEVENT") == 2
    assert "DTSTART:20261130T080000Z" in text
    assert "DTEND:20261130T170000Z" in text
    assert "DTSTAMP:20261125T120000Z" in text
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))


def test_ics_escapes_and_folds_long_text():
    long_name = "Ana, the; very\\long " + "x" * 120
    text = roster_to_ics(_roster(names=(long_name, "B")), stamp=STAMP).decode()
    unfolded = text.replace("\r\n ", "")
    assert "SUMMARY:full_9h shift: Ana\\, the\\; very\\\\long " + "x" * 120 in unfolded
    assert any(line.startswith(" ") for line in text.split("\r\n"))


def uids(data: bytes) -> list[str]:
    return sorted(line for line in data.decode().split("\r\n") if line.startswith("UID:"))


def test_ics_uids_stable_across_runs_and_reorders():
    a = roster_to_ics(_roster(), stamp=STAMP)
    b = roster_to_ics(_roster().iloc[::-1], stamp=STAMP)
    assert uids(a) == uids(b)
    moved = _roster()
    moved["start_utc"] = moved["start_utc"] + pd.Timedelta(hours=2)  # re-planned same day
    assert uids(roster_to_ics(moved, stamp=STAMP)) == uids(a)
    assert ics_uid("A1", "2026-11-30") != ics_uid("A1", "2026-12-01")
    assert ics_uid("A1", "2026-11-30") != ics_uid("A2", "2026-11-30")
    assert ics_uid("A1", "2026-11-30") == ics_uid("A1", dt.date(2026, 11, 30))
