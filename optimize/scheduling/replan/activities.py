"""Activities of a re-plan: the published history before ``asof``, new segments after.

A shift that started before ``asof`` keeps its published activities up to ``asof`` and all
its published breaks (also those still to come); the minutes after ``asof`` follow the new
schedule's queues, and an extension's added breaks are the new schedule's. The new
schedule's own placement of the published breaks is dropped (those minutes are work, on
the published queue where the published shift worked, else on the nearest new queue).
Shifts starting at or after ``asof`` keep the new schedule's activities unchanged. Every
break that has not begun by ``asof``, of any shift, is then placed again by
:func:`~optimize.scheduling.replan.breaks.move_open_breaks`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["keep_history"]

_MIN = 60_000_000_000  # ns per minute
_COLS = ["agent_id", "start_utc", "end_utc", "activity", "channel", "language"]


def _minutes(ts: pd.Series) -> np.ndarray:
    return pd.DatetimeIndex(pd.to_datetime(ts, utc=True)).as_unit("ns").asi8 // _MIN


def _paint(acts: pd.DataFrame, s: int, n: int, codes: dict) -> tuple[np.ndarray, list]:
    """Per-minute label codes over ``[s, s + n)`` from segments; also the break spans."""
    lab = np.full(n, -1)
    spans = []
    a0, a1 = _minutes(acts["start_utc"]), _minutes(acts["end_utc"])
    for lo, hi, act, ch, lang in zip(a0, a1, acts["activity"], acts["channel"].fillna(""),
                                     acts["language"].fillna(""), strict=True):
        lo, hi = max(int(lo) - s, 0), min(int(hi) - s, n)
        if hi <= lo:
            continue
        key = (str(act), str(ch) if act == "work" else "", str(lang) if act == "work" else "")
        lab[lo:hi] = codes.setdefault(key, len(codes))
        if act != "work":
            spans.append((lo, hi))
    return lab, sorted(spans)


def _shift_segments(new_acts: pd.DataFrame, pub_acts: pd.DataFrame, s: int, n_new: int,
                    n_pub: int, cut: int, aid: object) -> list[list]:
    codes: dict = {}
    new, new_breaks = _paint(new_acts, s, n_new, codes)
    pub, pub_breaks = _paint(pub_acts, s, n_pub, codes)
    is_work = {c: k[0] == "work" for k, c in codes.items()}
    final = new.copy()
    final[:cut] = pub[:cut]
    for lo, hi in new_breaks[:len(pub_breaks)]:  # the new placement of published breaks
        lo = max(lo, cut)
        if hi <= lo:
            continue
        before = [c for c in new[:lo][::-1] if c >= 0 and is_work[c]]
        after = [c for c in new[hi:] if c >= 0 and is_work[c]]
        fallback = (before or after or [codes.setdefault(("work", "", ""), len(codes))])[0]
        for m in range(lo, hi):
            use_pub = m < n_pub and pub[m] >= 0 and is_work.get(pub[m], False)
            final[m] = pub[m] if use_pub else fallback
    for lo, hi in pub_breaks:
        final[max(lo, cut):hi] = pub[max(lo, cut):hi]
    label = {c: k for k, c in codes.items()}
    out: list[list] = []
    change = np.flatnonzero(np.diff(final)) + 1
    bounds = np.concatenate([[0], change, [n_new]])
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
        if final[lo] < 0:
            continue
        act, ch, lang = label[int(final[lo])]
        out.append([aid, int(s + lo), int(s + hi), act, ch, lang])
    return out


def keep_history(new_acts: pd.DataFrame, new_roster: pd.DataFrame, pub_acts: pd.DataFrame,
                 pub_roster: pd.DataFrame, asof: pd.Timestamp) -> pd.DataFrame:
    """The re-plan's activities (see the module docstring), ``docs/contract.md`` columns.

    Every shift of ``new_roster`` starting before ``asof`` must be a published shift (same
    agent and start), possibly extended.
    """
    asof_min = int(pd.Timestamp(asof).as_unit("ns").value // _MIN)
    starts = _minutes(new_roster["start_utc"])
    started = np.flatnonzero(starts < asof_min)
    if not len(started):
        return new_acts.reset_index(drop=True)
    pub_key = dict(zip(zip(pub_roster["agent_id"].astype(str), _minutes(pub_roster["start_utc"]),
                           strict=True), _minutes(pub_roster["end_utc"]), strict=True))
    new_aid = new_acts["agent_id"].astype(str).to_numpy()
    new_s, pub_aid = _minutes(new_acts["start_utc"]), pub_acts["agent_id"].astype(str).to_numpy()
    pub_s, pub_e = _minutes(pub_acts["start_utc"]), _minutes(pub_acts["end_utc"])
    ends = _minutes(new_roster["end_utc"])
    drop = np.zeros(len(new_acts), dtype=bool)
    rows: list[list] = []
    for i in started:
        aid = new_roster["agent_id"].iloc[i]
        s, e = int(starts[i]), int(ends[i])
        e_pub = pub_key.get((str(aid), s))
        if e_pub is None:
            raise ValueError(f"agent {aid!r}: the shift starting {new_roster['start_utc'].iloc[i]} "
                             "started before asof but is not in the published roster")
        mine = (new_aid == str(aid)) & (new_s >= s) & (new_s < e)
        theirs = (pub_aid == str(aid)) & (pub_e > s) & (pub_s < int(e_pub))
        drop |= mine
        rows += _shift_segments(new_acts[mine], pub_acts[theirs], s, e - s, int(e_pub) - s,
                                min(asof_min - s, int(e_pub) - s), aid)
    hist = pd.DataFrame(rows, columns=_COLS)
    for col in ("start_utc", "end_utc"):
        hist[col] = pd.to_datetime(hist[col].astype("int64") * _MIN, utc=True)
    kept = new_acts[~drop][_COLS]
    out = pd.concat([kept, hist], ignore_index=True) if len(kept) else hist
    out["start_utc"] = pd.to_datetime(out["start_utc"], utc=True)
    out["end_utc"] = pd.to_datetime(out["end_utc"], utc=True)
    return out.sort_values(["agent_id", "start_utc"], kind="stable").reset_index(drop=True)
