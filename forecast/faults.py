"""Real-world faults for generated histories: closures and outages.

The sample company's generator (:mod:`forecast.synthetic`) agrees with our models; a real
desk's export does not. :func:`inject_faults` adds what issue 14 measured on one: weekdays
on which the desk was closed (no contacts in any queue) and channel outages (no contacts
in one channel for a day), some of them declared in a ``calendar.csv`` and the others left
for the forecast to find (:mod:`forecast.closures`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["inject_faults"]


def inject_faults(contacts: pd.DataFrame, *, closures: int = 0, outages: int = 0,
                  declared: int = 0, weeks: int = 8, seed: int = 0
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``contacts`` with ``closures`` weekdays emptied in every queue and ``outages``
    weekdays emptied in one channel (the busiest), all within the last ``weeks`` weeks and
    on distinct days; and the calendar (``date, scope, kind, multiplier, note``) declaring
    the first ``declared`` of them (closures first).

    Raises
    ------
    ValueError
        When the last ``weeks`` weeks have fewer weekdays than faults asked for.
    """
    if min(closures, outages, declared) < 0:
        raise ValueError("closures, outages and declared must be >= 0")
    t = contacts["interval_start"]
    day = t.dt.floor("D")
    last = day.max()
    days = pd.date_range(last - pd.Timedelta(weeks=weeks) + pd.Timedelta(days=1), last,
                         freq="D")
    weekdays = days[days.day_of_week < 5]
    if closures + outages > len(weekdays):
        raise ValueError(f"{closures + outages} faults asked for, the last {weeks} weeks have "
                         f"{len(weekdays)} weekdays")
    rng = np.random.default_rng(seed)
    picked = pd.DatetimeIndex(sorted(rng.choice(weekdays, closures + outages, replace=False)))
    order = rng.permutation(len(picked))
    shut, down = picked[order[:closures]], picked[order[closures:]]
    busiest = contacts.groupby("channel")["contacts"].sum().idxmax()
    out = contacts.copy()
    empty = day.isin(shut) | (day.isin(down) & (contacts["channel"] == busiest))
    out.loc[empty, "contacts"] = 0
    if "aht_s" in out:
        out.loc[empty, "aht_s"] = np.nan
    rows = ([(d, "all", "closed", "desk closed") for d in shut]
            + [(d, busiest, "outage", f"{busiest} tool down") for d in down])[:declared]
    calendar = pd.DataFrame({"date": [r[0] for r in rows], "scope": [r[1] for r in rows],
                             "kind": [r[2] for r in rows], "multiplier": np.nan,
                             "note": [r[3] for r in rows]})
    return out, calendar
