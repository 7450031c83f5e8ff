"""The forecast run store: published forecast runs in one embedded SQLite database.

:mod:`~forecast.store.db` is the SQLite layer (schema, transactions, the writer lock);
:mod:`~forecast.store.runs` publishes, finds, lists, loads and prunes runs. A run is
written in one transaction and becomes visible to readers only when complete.
"""

from forecast.store.db import StoreLocked
from forecast.store.runs import (
    RunInfo,
    find_run,
    latest_run,
    list_runs,
    load_forecast,
    load_metrics,
    prune_runs,
    publish_run,
    store_lock,
)

__all__ = [
    "RunInfo",
    "StoreLocked",
    "find_run",
    "latest_run",
    "list_runs",
    "load_forecast",
    "load_metrics",
    "prune_runs",
    "publish_run",
    "store_lock",
]
