"""Plans kept as records: versioned, published plans in the forecast run store.

:mod:`~optimize.records.store` saves, lists, finds and publishes plans (one transaction a
plan, in the same SQLite file as the forecast runs); :mod:`~optimize.records.tables`
turns a schedule into a record's files and back; :mod:`~optimize.records.compare` sets
two plans side by side (per queue figures, per agent changes).
"""

from optimize.records.compare import compare_agents, compare_queues
from optimize.records.store import (
    PlanInfo,
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
from optimize.records.tables import record_files, stored_schedule

__all__ = ["PlanInfo", "compare_agents", "compare_queues", "find_plan", "fingerprint_dir",
           "fingerprint_files", "list_plans", "load_plan_files", "publish_plan",
           "published_plan", "record_files", "save_plan", "scenario_label", "stored_schedule"]
