"""Real-world faults for generated histories: closures, outages, level shifts, outliers.

The sample company's generator (:mod:`forecast.synthetic`) agrees with our models; a real
desk's export does not. :func:`inject_faults` adds what issue 14 measured on one: weekdays
on which the desk was closed (no contacts in any queue) and channel outages (no contacts
in one channel for a day), some of them declared in a ``calendar.csv`` and the others left
for the forecast to find (:mod:`forecast.closures`); and two faults of any real series: a
level shift (every queue's volume changes by a factor from some weeks before the end on,
as after a product launch or a lost market) and outlier days (the busiest channel at
several times its volume for a day: a spam wave, a duplicated export).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["inject_faults"]


def inject_faults(contacts: pd.DataFrame, *, closures: int = 0, outages: int = 0,
                  declared: int = 0, weeks: int = 8, seed: int = 0, level_shift: float = 1.0,
                  shift_weeks: int = 3, outliers: int = 0, outlier_factor: float = 4.0
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``contacts`` with real-world faults, and the calendar declaring some of them.

    ``closures`` weekdays are emptied in every queue and ``outages`` weekdays in one
    channel (the busiest), all within the last ``weeks`` weeks and on distinct days; the
    calendar (``date, scope, kind, multiplier, note``) declares the first ``declared`` of
    them (closures first). From ``shift_weeks`` weeks before the end every count is
    multiplied by ``level_shift`` (drawn: binomial thinning below 1, plus Poisson
    extra above). ``outliers`` further weekdays of the last ``weeks`` weeks carry
    ``outlier_factor`` times the busiest channel's volume (never declared).

    Raises
    ------
    ValueError
        When the last ``weeks`` weeks have fewer weekdays than faults asked for, or a
        count, factor or span is out of range.
    """
    if min(closures, outages, declared, outliers) < 0:
        raise ValueError("closures, outages, declared and outliers must be >= 0")
    if not level_shift > 0 or not outlier_factor > 1 or shift_weeks < 1:
        raise ValueError("level_shift must be > 0, outlier_factor > 1 and shift_weeks >= 1")
    t = contacts["interval_start"]
    day = t.dt.floor("D")
    last = day.max()
    days = pd.date_range(last - pd.Timedelta(weeks=weeks) + pd.Timedelta(days=1), last,
                         freq="D")
    weekdays = days[days.day_of_week < 5]
    n_faults = closures + outages + outliers
    if n_faults > len(weekdays):
        raise ValueError(f"{n_faults} faults asked for, the last {weeks} weeks have "
                         f"{len(weekdays)} weekdays")
    rng = np.random.default_rng(seed)
    picked = pd.DatetimeIndex(sorted(rng.choice(weekdays, closures + outages, replace=False)))
    order = rng.permutation(len(picked))
    shut, down = picked[order[:closures]], picked[order[closures:]]
    busiest = contacts.groupby("channel")["contacts"].sum().idxmax()
    out = contacts.copy()
    if level_shift != 1.0:
        late = (t >= last + pd.Timedelta(days=1) - pd.Timedelta(weeks=shift_weeks)).to_numpy()
        n = out.loc[late, "contacts"].to_numpy().astype(np.int64)
        out.loc[late, "contacts"] = (rng.binomial(n, level_shift) if level_shift < 1
                                     else n + rng.poisson(n * (level_shift - 1.0)))
    if outliers:
        rest = weekdays[~weekdays.isin(picked)]
        high = pd.DatetimeIndex(rng.choice(rest, outliers, replace=False))
        spike = (day.isin(high) & (contacts["channel"] == busiest)).to_numpy()
        n = out.loc[spike, "contacts"].to_numpy().astype(np.int64)
        out.loc[spike, "contacts"] = n + rng.poisson(n * (outlier_factor - 1.0))
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
