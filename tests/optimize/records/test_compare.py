"""Comparing a draft with the published plan (issue 18, part 1): per agent shift changes and
per queue service, on hand-built tables whose answers are counted by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from optimize.records import compare_agents, compare_queues

START = pd.Timestamp("2026-11-30", tz="UTC")


def _roster(rows):
    df = pd.DataFrame(rows, columns=["agent_id", "shift_date", "start"])
    df["name"] = "Agent " + df["agent_id"]
    df["start_utc"] = pd.to_datetime(df["start"], utc=True)
    df["end_utc"] = df["start_utc"] + pd.Timedelta(hours=9)
    df["paid_hours"] = 8.0
    return df.drop(columns="start")


def test_shifts_added_removed_and_moved_per_agent():
    base = _roster([("A", "2026-11-30", "2026-11-30T08:00Z"), ("A", "2026-12-01", "2026-12-01T08:00Z"),
                    ("B", "2026-11-30", "2026-11-30T08:00Z"), ("C", "2026-12-02", "2026-12-02T08:00Z")])
    new = _roster([("A", "2026-11-30", "2026-11-30T10:00Z"), ("A", "2026-12-03", "2026-12-03T08:00Z"),
                   ("B", "2026-11-30", "2026-11-30T08:00Z"), ("C", "2026-12-02", "2026-12-02T08:00Z"),
                   ("D", "2026-12-04", "2026-12-04T08:00Z")])
    out = compare_agents(base, new).set_index("agent_id")
    assert list(out.index) == ["A", "D"]  # B and C unchanged; most changes first
    a = out.loc["A"]
    assert (a["added"], a["removed"], a["moved"]) == (1, 1, 1)
    assert a["changes"] == "~2026-11-30 -2026-12-01 +2026-12-03"
    assert (a["shifts_base"], a["shifts_new"], a["paid_hours_new"]) == (2, 2, 16.0)
    d = out.loc["D"]
    assert (d["added"], d["shifts_base"], d["paid_hours_base"], d["name"]) == (1, 0, 0.0, "Agent D")
    assert compare_agents(base, base).empty


def test_queue_service_side_by_side():
    t = pd.date_range(START, periods=2, freq="30min")
    fc = pd.DataFrame({"interval_start": t, "channel": "chat", "language": "en",
                       "contacts": [30.0, 10.0]})

    def cov(sl, heads):
        return fc[["interval_start", "channel", "language"]].assign(
            service_level=sl, asa_s=[20.0, 10.0], abandon_rate=0.05, scheduled_agents=heads)

    out = compare_queues((cov([0.8, 0.6], [2.0, 1.0]), fc), (cov([0.9, 0.9], [4.0, 2.0]), fc),
                         START, START + pd.Timedelta(days=7), 1800)
    row = out.iloc[0]
    assert row["service_level_base"] == pytest.approx(0.75)  # (30*.8 + 10*.6) / 40
    assert row["service_level_new"] == pytest.approx(0.9)
    assert row["service_level_change"] == pytest.approx(0.15)
    assert (row["scheduled_h_base"], row["scheduled_h_new"]) == (1.5, 3.0)  # heads x 0.5 h
    assert row["contacts"] == 40
