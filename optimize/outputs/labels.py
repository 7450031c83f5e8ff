"""Readable names for the code names a manager would otherwise read: forecast models,
penalty terms and their kinds. The code name stays available (the app puts it in a
tooltip) so that a table can still be matched with ``summary.md`` or a log."""

from __future__ import annotations

import re

import pandas as pd

__all__ = ["MODEL_NAMES", "PENALTY_KINDS", "model_label", "penalty_label", "utc_offset"]

#: forecast candidates of :mod:`forecast.candidates` and :mod:`forecast.queue`
MODEL_NAMES = {
    "snaive": "same weekday last week",
    "mean4w": "average of the last 4 weeks",
    "mean8w": "average of the last 8 weeks",
    "ets_profile": "ETS on daily totals x weekly profile",
    "ar_profile": "AR on daily totals x weekly profile",
}
#: penalty kinds of :func:`optimize.scheduling.explain.penalty_table`
PENALTY_KINDS = {
    "understaffed": "short of the requirement",
    "overstaffed": "more heads than required",
    "preference": "agent preference not met",
    "break_cap": "too many agents on break at once",
    "fairness": "night or weekend shifts shared unevenly",
}
_MKT = "+mkt"
_TERM = re.compile(r"^(?P<kind>[a-z_]+)\((?P<what>.*?)(?:, (?P<at>\d{4}-\d\d-\d\dT\d\d:\d\dZ))?\)$")


def utc_offset(z: str) -> str:
    """A ``%z`` offset as people read it: ``"+0800"`` -> ``"UTC+08:00"``, ``"+0000"`` ->
    ``"UTC"`` (zone abbreviations are ambiguous: Asia/Manila's "PST" reads as Pacific)."""
    return "UTC" if z in ("+0000", "-0000", "") else f"UTC{z[:3]}:{z[3:]}"


def model_label(code: str) -> str:
    """``"ets_profile+mkt"`` -> ``"ETS on daily totals x weekly profile, with the market
    effect"``; a pool ``avg(a,b)`` -> ``"mean of: <a>; <b>"``; an unknown name is returned
    as it is."""
    base, mkt = (code[: -len(_MKT)], True) if code.endswith(_MKT) else (code, False)
    if base.startswith("avg(") and base.endswith(")"):  # a pool (forecast.choice)
        parts = [MODEL_NAMES.get(m, m) for m in base[4:-1].split(",")]
        name = "mean of: " + "; ".join(parts)
    else:
        name = MODEL_NAMES.get(base, base)
    return f"{name}, with the market effect" if mkt else name


def penalty_label(name: str, tz: str = "UTC") -> str:
    """A penalty term in words, its time in ``tz``: ``"understaffed(vip_chat/zh,
    2026-11-30T03:30Z)"`` -> ``"short of the requirement: vip_chat/zh, Mon 30 Nov 11:30
    (UTC+08:00)"`` in Asia/Manila. Names of other shapes come back unchanged."""
    m = _TERM.match(str(name))
    if m is None:
        return str(name)
    kind = m["kind"]
    words = PENALTY_KINDS.get(kind, {"fair_night": "night shifts shared unevenly",
                                     "fair_weekend": "weekend shifts shared unevenly"}
                              .get(kind, kind.replace("_", " ")))
    what = m["what"]
    if m["at"]:
        t = pd.Timestamp(m["at"]).tz_convert(tz)
        what = f"{what}, {t:%a %d %b %H:%M} ({utc_offset(t.strftime('%z'))})"
    return f"{words}: {what}"
