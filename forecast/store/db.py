"""The SQLite layer of the store: schema, connections, transactions, lock.

One SQLite file holds the forecast runs (:mod:`forecast.store.runs`) and, beside them,
the plans built on them (:mod:`optimize.records`, which uses this layer; the schema of
both lives here so that one ``user_version`` describes the whole file). WAL journaling
(every read sees the last committed state, so readers never see a half-written run or
plan), explicit ``BEGIN IMMEDIATE`` write transactions, and the writers' ``flock`` on
``<store>.lock`` (:func:`store_lock`).

Schema versions: 1 = runs; 2 adds ``plans`` and ``plan_files``; 3 adds ``run_scores``
(the track record, :mod:`forecast.store.track`); 4 adds ``run_choices`` (each queue's
model choice, :func:`forecast.store.runs.load_choices`). Opening an older store adds the missing
tables (the DDL is idempotent); a newer one is refused.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

__all__ = ["SCHEMA_VERSION", "StoreLocked", "open_store", "connect", "read_snapshot",
           "write_transaction", "store_lock"]

SCHEMA_VERSION = 4

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id       TEXT NOT NULL UNIQUE,
    created_at   TEXT NOT NULL,
    data_start   TEXT NOT NULL,
    data_end     TEXT NOT NULL,
    data_hash    TEXT NOT NULL,
    asof         TEXT NOT NULL,
    horizon_days INTEGER NOT NULL,
    scenario     TEXT NOT NULL,
    n_rows       INTEGER NOT NULL,
    models       TEXT NOT NULL,
    UNIQUE (data_hash, asof, horizon_days, scenario)
);
CREATE TABLE IF NOT EXISTS forecast_rows (
    run_id         TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    channel        TEXT NOT NULL,
    language       TEXT NOT NULL,
    interval_start TEXT NOT NULL,
    contacts       REAL,
    contacts_p10   REAL,
    contacts_p50   REAL,
    contacts_p90   REAL,
    aht_s          REAL,
    model          TEXT,
    scenario       TEXT,
    PRIMARY KEY (run_id, channel, language, interval_start)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS run_metrics (
    run_id TEXT PRIMARY KEY REFERENCES runs (run_id) ON DELETE CASCADE,
    table_json TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS run_choices (
    run_id TEXT PRIMARY KEY REFERENCES runs (run_id) ON DELETE CASCADE,
    table_json TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS run_scores (
    run_id         TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    channel        TEXT NOT NULL,
    language       TEXT NOT NULL,
    horizon        TEXT NOT NULL,
    wape           REAL,
    mape           REAL,
    bias           REAL,
    coverage       REAL,
    intervals      INTEGER NOT NULL,
    actual         REAL NOT NULL,
    scored_through TEXT NOT NULL,
    PRIMARY KEY (run_id, channel, language, horizon)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS plans (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    plan_id      TEXT NOT NULL UNIQUE,
    scenario     TEXT NOT NULL,
    version      INTEGER NOT NULL,
    fingerprint  TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    made_by      TEXT NOT NULL,
    parent_id    TEXT,
    run_id       TEXT,
    plan_start   TEXT NOT NULL,
    weeks        INTEGER NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('draft', 'published', 'superseded')),
    published_at TEXT,
    settings     TEXT NOT NULL,
    figures      TEXT NOT NULL,
    UNIQUE (scenario, plan_start, version)
);
CREATE INDEX IF NOT EXISTS plans_by_fingerprint ON plans (fingerprint, status);
CREATE TABLE IF NOT EXISTS plan_files (
    plan_id TEXT NOT NULL REFERENCES plans (plan_id) ON DELETE CASCADE,
    name    TEXT NOT NULL,
    data    BLOB NOT NULL,
    PRIMARY KEY (plan_id, name)
) WITHOUT ROWID;
"""


class StoreLocked(Exception):
    """Another process (a refresh job) holds the store's lock; try again later."""


def open_store(path: str | os.PathLike) -> sqlite3.Connection:
    """Open (creating if missing) the store at ``path`` and return a connection.

    The connection is in autocommit mode (transactions are explicit), with WAL journaling,
    foreign keys on and a 30 s busy timeout. The caller closes it.

    Raises
    ------
    ValueError
        If the parent directory does not exist, the file is not an SQLite database, or its
        schema is newer than this version of staffcast.
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise ValueError(f"store directory {str(path.parent)!r} does not exist")
    conn = sqlite3.connect(path, timeout=30.0, isolation_level=None)
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise ValueError(f"store {str(path)!r} has schema version {version}; this staffcast "
                             f"reads up to {SCHEMA_VERSION}")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA foreign_keys=ON")
        if version < SCHEMA_VERSION:
            with write_transaction(conn):  # concurrent creators serialise; the DDL is idempotent
                for statement in filter(str.strip, _SCHEMA.split(";")):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise ValueError(f"store {str(path)!r} is not a usable SQLite database: {exc}") from exc
    except BaseException:
        conn.close()
        raise
    return conn


@contextlib.contextmanager
def write_transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction: ``BEGIN IMMEDIATE``, then ``COMMIT``, or ``ROLLBACK`` on error."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


@contextlib.contextmanager
def connect(path: str | os.PathLike) -> Iterator[sqlite3.Connection]:
    conn = open_store(path)
    try:
        yield conn
    finally:
        conn.close()


@contextlib.contextmanager
def read_snapshot(path: str | os.PathLike) -> Iterator[sqlite3.Connection]:
    """A connection inside one read transaction: every query sees the same snapshot."""
    with connect(path) as conn:
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            conn.execute("COMMIT")


@contextlib.contextmanager
def store_lock(path: str | os.PathLike) -> Iterator[Path]:
    """Hold the store's writer lock (``flock`` on ``<path>.lock``) for the ``with`` block.

    Raises
    ------
    StoreLocked
        Immediately (non-blocking) if another process holds the lock.
    """
    lock_path = Path(f"{os.fspath(path)}.lock")
    if not lock_path.parent.is_dir():
        raise ValueError(f"store directory {str(lock_path.parent)!r} does not exist")
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise StoreLocked(f"store {os.fspath(path)!r} is locked by another refresh "
                              f"(lock file {str(lock_path)!r}); try again when it ends") from exc
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield lock_path
    finally:
        os.close(fd)  # closing the descriptor releases the flock
