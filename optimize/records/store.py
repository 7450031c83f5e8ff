"""Plans kept as records: versioned plans beside the forecast runs, in the same SQLite store.

A *plan* is one schedule of a scenario's plan weeks with everything needed to read it
again without recomputing: its files (``roster.csv``, ``activities.csv``,
``coverage.csv``, ``roster.ics``, ``forecast.csv``, ``requirements.csv``, ``summary.md``
and, for the app, ``unmet.csv`` and ``penalties.csv``), the fingerprint of the input files
it was made from, the forecast run it used, its settings and its figures
(:func:`optimize.outputs.figures.plan_figures`). A plan is written in one transaction,
files and all, so readers never see half of one.

Plans are numbered per scenario and plan week (``sample-2026-11-30-v3``). Each starts as
a ``draft``; :func:`publish_plan` makes it the ``published`` plan of its scenario and
week, and the plan published before it becomes ``superseded`` (it keeps its
``published_at``). Nothing is ever overwritten: a re-plan is a new plan whose
``parent_id`` names the plan it changed.

The SQLite layer (schema, transactions, WAL) is :mod:`forecast.store.db`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from forecast.store.db import connect, read_snapshot, write_transaction

__all__ = ["INPUT_FILES", "MADE_BY", "STATUSES", "PlanInfo", "fingerprint_dir", "fingerprint_files",
           "scenario_label", "save_plan", "list_plans", "find_plan", "published_plan",
           "load_plan_files", "publish_plan"]

STATUSES = ("draft", "published", "superseded")
#: what made a plan: the commands, and the app's Build button
MADE_BY = ("plan", "schedule", "replan", "app")
_TS = "%Y-%m-%dT%H:%M:%SZ"
_COLUMNS = ("plan_id, scenario, version, fingerprint, created_at, made_by, parent_id, run_id, "
            "plan_start, weeks, status, published_at, settings, figures")


@dataclass(frozen=True)
class PlanInfo:
    """One stored plan's record (its files are read with :func:`load_plan_files`).

    ``start`` is the first instant of the plan weeks (UTC midnight); ``settings`` are the
    choices it was made with (solver seed and limits, market scenario, what-ifs);
    ``figures`` its headline numbers (:func:`optimize.outputs.figures.plan_figures`).
    """

    plan_id: str
    scenario: str
    version: int
    fingerprint: str
    created_at: pd.Timestamp
    made_by: str
    parent_id: str | None
    run_id: str | None
    start: pd.Timestamp
    weeks: int
    status: str
    published_at: pd.Timestamp | None
    settings: dict[str, Any] = field(hash=False, compare=False)
    figures: dict[str, Any] = field(hash=False, compare=False)

    @property
    def origin(self) -> str:
        """What made the plan and when, e.g. ``"made by staffcast plan, 2026-12-06 18:27 UTC"``."""
        made = {"app": "built in the app", "replan": f"re-planned from {self.parent_id}"}.get(
            self.made_by, f"made by staffcast {self.made_by}")
        return f"{made}, {self.created_at:%Y-%m-%d %H:%M} UTC"

    @property
    def label(self) -> str:
        """A short line naming the plan: id, status, what made it, when."""
        return f"{self.plan_id} ({self.status}; {self.origin})"


def fingerprint_files(files: Iterable[tuple[str, bytes]]) -> str:
    """A content fingerprint of named input files (BLAKE2b over names and bytes, in name
    order): the same files give the same fingerprint wherever they are read from."""
    h = hashlib.blake2b(digest_size=16)
    for name, data in sorted(files):
        h.update(f"{Path(name).name}\0{len(data)}\0".encode())
        h.update(data)
    return h.hexdigest()


#: the files of a scenario directory that make a plan (other files there are ignored)
INPUT_FILES = ("contacts.csv", "contacts.csv.gz", "market.csv", "calendar.csv", "agents.csv",
               "scenario.toml")


def fingerprint_dir(path: str | os.PathLike) -> str:
    """:func:`fingerprint_files` of the input files (:data:`INPUT_FILES`) of a scenario
    directory; other files (notes, outputs written there) do not count.

    Hashes the raw bytes without parsing them: a few milliseconds for the sample company,
    where validating its contacts takes seconds.
    """
    path = Path(path)
    if not path.is_dir():
        raise ValueError(f"scenario directory {str(path)!r} does not exist")
    return fingerprint_files((name, (path / name).read_bytes()) for name in INPUT_FILES
                             if (path / name).is_file())


def scenario_label(path: str | os.PathLike) -> str:
    """The name plans of the scenario directory ``path`` are filed under (its folder name,
    letters, digits, ``_`` and ``-`` only)."""
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", Path(path).resolve().name).strip("-")
    return name or "scenario"


def _ts(value: pd.Timestamp | None) -> str | None:
    return None if value is None else pd.Timestamp(value).tz_convert("UTC").strftime(_TS)


def _parse_ts(value: str | None) -> pd.Timestamp | None:
    return None if value is None else pd.Timestamp(value)


def _info(row: tuple) -> PlanInfo:
    (plan_id, scenario, version, fp, created, made_by, parent, run, start, weeks, status,
     published, settings, figures) = row
    return PlanInfo(plan_id, scenario, int(version), fp, _parse_ts(created), made_by, parent,
                    run, _parse_ts(start), int(weeks), status, _parse_ts(published),
                    json.loads(settings), json.loads(figures))


def _json(value: Mapping[str, Any], what: str) -> str:
    try:
        return json.dumps(value, sort_keys=True, allow_nan=True, default=str)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"plan {what} cannot be stored as JSON: {exc}") from exc


def save_plan(store: str | os.PathLike, *, scenario: str, fingerprint: str,
              start: pd.Timestamp, weeks: int, files: Mapping[str, bytes],
              figures: Mapping[str, Any], settings: Mapping[str, Any], made_by: str,
              run_id: str | None = None, parent_id: str | None = None,
              publish: bool = False, now: pd.Timestamp | None = None) -> PlanInfo:
    """Store a plan as the next version of ``scenario``'s plans for the week of ``start``.

    One transaction writes the record and its files; with ``publish`` it is published in
    the same transaction (see :func:`publish_plan`). Returns the stored record.

    Raises
    ------
    ValueError
        On an unknown ``made_by``, a ``parent_id`` not in the store, a ``start`` that is not
        a UTC midnight, or settings/figures that are not JSON.
    """
    if made_by not in MADE_BY:
        raise ValueError(f"made_by {made_by!r} is not one of {MADE_BY}")
    start = pd.Timestamp(start).tz_convert("UTC")
    if start != start.normalize() or int(weeks) < 1:
        raise ValueError(f"a plan starts at a UTC midnight and spans >= 1 week, got {start} "
                         f"+ {weeks} week(s)")
    now = pd.Timestamp.now(tz="UTC") if now is None else pd.Timestamp(now).tz_convert("UTC")
    settings_json, figures_json = _json(settings, "settings"), _json(figures, "figures")
    with connect(store) as conn, write_transaction(conn):
        if parent_id is not None and conn.execute(
                "SELECT 1 FROM plans WHERE plan_id = ?", (parent_id,)).fetchone() is None:
            raise ValueError(f"parent plan {parent_id!r} is not in store {os.fspath(store)!r}")
        version = conn.execute("SELECT COALESCE(MAX(version), 0) + 1 FROM plans WHERE "
                               "scenario = ? AND plan_start = ?",
                               (scenario, _ts(start))).fetchone()[0]
        plan_id = f"{scenario}-{start:%Y-%m-%d}-v{version}"
        conn.execute(f"INSERT INTO plans ({_COLUMNS}) VALUES ({', '.join('?' * 14)})",
                     (plan_id, scenario, version, fingerprint, _ts(now), made_by, parent_id,
                      run_id, _ts(start), int(weeks), "draft", None, settings_json,
                      figures_json))
        conn.executemany("INSERT INTO plan_files (plan_id, name, data) VALUES (?, ?, ?)",
                         [(plan_id, name, zlib.compress(data, 3))
                          for name, data in files.items()])
        if publish:
            _publish(conn, plan_id, now)
    return find_plan(store, plan_id)


def _publish(conn, plan_id: str, now: pd.Timestamp) -> None:
    scenario, start = conn.execute("SELECT scenario, plan_start FROM plans WHERE plan_id = ?",
                                   (plan_id,)).fetchone()
    conn.execute("UPDATE plans SET status = 'superseded' WHERE scenario = ? AND plan_start = ? "
                 "AND status = 'published' AND plan_id != ?", (scenario, start, plan_id))
    conn.execute("UPDATE plans SET status = 'published', published_at = ? WHERE plan_id = ?",
                 (_ts(now), plan_id))


def publish_plan(store: str | os.PathLike, plan_id: str,
                 now: pd.Timestamp | None = None) -> PlanInfo:
    """Publish a stored plan: it becomes the published plan of its scenario and week, and
    the plan published before it is marked ``superseded``. Publishing the published plan
    again changes nothing.

    Raises
    ------
    ValueError
        When ``plan_id`` is not in the store (the message lists the newest ids).
    """
    now = pd.Timestamp.now(tz="UTC") if now is None else pd.Timestamp(now).tz_convert("UTC")
    info = find_plan(store, plan_id)
    if info.status == "published":
        return info
    with connect(store) as conn, write_transaction(conn):
        _publish(conn, plan_id, now)
    return find_plan(store, plan_id)


def list_plans(store: str | os.PathLike, *, scenario: str | None = None,
               fingerprint: str | None = None) -> list[PlanInfo]:
    """Stored plans, newest first, optionally of one scenario or one inputs fingerprint
    (an empty list when the store does not exist yet)."""
    if not Path(store).is_file():
        return []
    where, params = [], []
    for col, value in (("scenario", scenario), ("fingerprint", fingerprint)):
        if value is not None:
            where.append(f"{col} = ?")
            params.append(value)
    sql = (f"SELECT {_COLUMNS} FROM plans" + (" WHERE " + " AND ".join(where) if where else "")
           + " ORDER BY seq DESC")
    with read_snapshot(store) as conn:
        return [_info(row) for row in conn.execute(sql, params)]


def find_plan(store: str | os.PathLike, plan_id: str) -> PlanInfo:
    """The record of ``plan_id``; ValueError naming the newest stored ids when unknown."""
    if Path(store).is_file():
        with read_snapshot(store) as conn:
            row = conn.execute(f"SELECT {_COLUMNS} FROM plans WHERE plan_id = ?",
                               (plan_id,)).fetchone()
            if row is not None:
                return _info(row)
            known = [r[0] for r in conn.execute(
                "SELECT plan_id FROM plans ORDER BY seq DESC LIMIT 5")]
    else:
        known = []
    hint = f"newest: {', '.join(known)}" if known else "the store holds no plans"
    raise ValueError(f"no plan {plan_id!r} in store {os.fspath(store)!r} ({hint}; "
                     "`staffcast plans --store` lists them)")


def published_plan(store: str | os.PathLike, *, fingerprint: str | None = None,
                   scenario: str | None = None) -> PlanInfo | None:
    """The most recently published plan of these inputs (or this scenario), or None."""
    plans = [p for p in list_plans(store, scenario=scenario, fingerprint=fingerprint)
             if p.status == "published"]
    return max(plans, key=lambda p: (p.published_at, p.created_at)) if plans else None


def load_plan_files(store: str | os.PathLike, plan_id: str,
                    names: Iterable[str] | None = None) -> dict[str, bytes]:
    """The stored files of ``plan_id`` (all, or those of ``names`` that it has)."""
    find_plan(store, plan_id)  # a clear error for an unknown id
    with read_snapshot(store) as conn:
        rows = conn.execute("SELECT name, data FROM plan_files WHERE plan_id = ? ORDER BY name",
                            (plan_id,)).fetchall()
    wanted = None if names is None else set(names)
    return {name: zlib.decompress(data) for name, data in rows
            if wanted is None or name in wanted}
