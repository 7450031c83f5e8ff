"""The plan store (issue 18, part 1): versioned plans beside the forecast runs, one
transaction a plan, drafts and a published plan per scenario and week."""

from __future__ import annotations

import sqlite3

import pandas as pd
import pytest

from forecast.store.db import SCHEMA_VERSION, open_store
from optimize.records import (
    find_plan,
    fingerprint_dir,
    fingerprint_files,
    list_plans,
    load_plan_files,
    publish_plan,
    published_plan,
    save_plan,
    scenario_label,
)

START = pd.Timestamp("2026-11-30", tz="UTC")
T = pd.Timestamp("2026-12-06T10:00Z")


def _save(store, *, publish=False, start=START, scenario="desk", minutes=0, **kw):
    return save_plan(store, scenario=scenario, fingerprint="f" * 32, start=start, weeks=1,
                     files={"roster.csv": b"agent_id\nA1\n", "summary.md": b"# plan\n"},
                     figures={"shifts": 1, "gap": float("nan")}, settings={"seed": 0},
                     made_by=kw.pop("made_by", "plan"), publish=publish,
                     now=T + pd.Timedelta(minutes=minutes), **kw)


def test_plans_are_numbered_per_scenario_and_week(tmp_path):
    store = tmp_path / "s.sqlite"
    a, b = _save(store), _save(store, minutes=1)
    other_week = _save(store, start=START + pd.Timedelta(weeks=1), minutes=2)
    other_desk = _save(store, scenario="other", minutes=3)
    assert [a.plan_id, b.plan_id] == ["desk-2026-11-30-v1", "desk-2026-11-30-v2"]
    assert other_week.plan_id == "desk-2026-12-07-v1"
    assert other_desk.plan_id == "other-2026-11-30-v1"
    assert [p.plan_id for p in list_plans(store, scenario="desk")] == [
        other_week.plan_id, b.plan_id, a.plan_id]  # newest first
    assert a.status == "draft" and a.published_at is None
    assert a.figures["shifts"] == 1 and a.settings == {"seed": 0}


def test_files_come_back_byte_for_byte(tmp_path):
    store = tmp_path / "s.sqlite"
    info = _save(store)
    assert load_plan_files(store, info.plan_id) == {"roster.csv": b"agent_id\nA1\n",
                                                     "summary.md": b"# plan\n"}
    assert load_plan_files(store, info.plan_id, ["summary.md"]) == {"summary.md": b"# plan\n"}


def test_publishing_supersedes_the_plan_published_before(tmp_path):
    store = tmp_path / "s.sqlite"
    v1 = _save(store, publish=True)
    v2 = _save(store, minutes=5)
    assert published_plan(store, fingerprint="f" * 32).plan_id == v1.plan_id
    v2 = publish_plan(store, v2.plan_id, now=T + pd.Timedelta(minutes=10))
    assert v2.status == "published" and v2.published_at == T + pd.Timedelta(minutes=10)
    old = find_plan(store, v1.plan_id)
    assert old.status == "superseded" and old.published_at == T  # its record is kept
    assert published_plan(store, fingerprint="f" * 32).plan_id == v2.plan_id
    assert publish_plan(store, v2.plan_id).published_at == v2.published_at  # idempotent
    # another week's published plan is left alone
    nxt = _save(store, start=START + pd.Timedelta(weeks=1), publish=True, minutes=20)
    assert find_plan(store, v2.plan_id).status == "published"
    assert published_plan(store, scenario="desk").plan_id == nxt.plan_id


def test_a_replan_names_its_parent_which_must_exist(tmp_path):
    store = tmp_path / "s.sqlite"
    v1 = _save(store)
    child = _save(store, parent_id=v1.plan_id, made_by="replan")
    assert child.parent_id == v1.plan_id and "re-planned from desk-2026-11-30-v1" in child.label
    with pytest.raises(ValueError, match="parent plan 'nope' is not in store"):
        _save(store, parent_id="nope")
    assert len(list_plans(store)) == 2  # the failed save left nothing behind


def test_unknown_plans_and_bad_records_are_clear_errors(tmp_path):
    store = tmp_path / "s.sqlite"
    with pytest.raises(ValueError, match="the store holds no plans"):
        find_plan(store, "x")
    _save(store)
    with pytest.raises(ValueError, match=r"no plan 'x' .*newest: desk-2026-11-30-v1"):
        publish_plan(store, "x")
    with pytest.raises(ValueError, match="made_by"):
        _save(store, made_by="cron")
    with pytest.raises(ValueError, match="UTC midnight"):
        _save(store, start=START + pd.Timedelta(hours=3))
    assert list_plans(tmp_path / "missing.sqlite") == []


def test_a_failed_write_leaves_the_store_as_it_was(tmp_path):
    store = tmp_path / "s.sqlite"
    _save(store)

    class Boom(dict):
        def items(self):
            yield "roster.csv", b"x"
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        save_plan(store, scenario="desk", fingerprint="f", start=START, weeks=1, files=Boom(),
                  figures={}, settings={}, made_by="plan")
    assert [p.version for p in list_plans(store)] == [1]
    with sqlite3.connect(store) as conn:
        assert conn.execute("SELECT COUNT(*) FROM plan_files").fetchone()[0] == 2


def test_a_version_1_store_of_forecast_runs_gains_the_plan_tables(tmp_path):
    store = tmp_path / "old.sqlite"
    with sqlite3.connect(store) as conn:  # the schema of version 1: runs only
        conn.execute("CREATE TABLE runs (seq INTEGER PRIMARY KEY, run_id TEXT)")
        conn.execute("INSERT INTO runs (run_id) VALUES ('r1')")
        conn.execute("PRAGMA user_version=1")
    info = _save(store)
    conn = open_store(store)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 4
        assert conn.execute("SELECT run_id FROM runs").fetchall() == [("r1",)]
    finally:
        conn.close()
    assert find_plan(store, info.plan_id).version == 1


def test_fingerprints_see_content_not_place(tmp_path):
    a, b = tmp_path / "a" / "desk", tmp_path / "b" / "desk"
    for d in (a, b):
        d.mkdir(parents=True)
        (d / "agents.csv").write_bytes(b"agent_id\nA1\n")
        (d / "scenario.toml").write_bytes(b"[horizon]\n")
    (b / ".hidden").write_bytes(b"editor swap file")
    (b / "roster.csv").write_bytes(b"an output written beside the inputs")
    assert fingerprint_dir(a) == fingerprint_dir(b)
    assert fingerprint_dir(a) == fingerprint_files([("scenario.toml", b"[horizon]\n"),
                                                    ("agents.csv", b"agent_id\nA1\n")])
    (b / "agents.csv").write_bytes(b"agent_id\nA2\n")
    assert fingerprint_dir(a) != fingerprint_dir(b)
    assert scenario_label(a) == "desk" and scenario_label(tmp_path / "my desk!") == "my-desk"
    with pytest.raises(ValueError, match="does not exist"):
        fingerprint_dir(tmp_path / "nope")
