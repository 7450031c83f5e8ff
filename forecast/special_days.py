"""Special days of ``calendar.csv`` applied to the modelled series and their forecasts.

:func:`pool_rows` picks the rows of a series, :func:`special_days` turns them into the
day masks :class:`~forecast.queue.QueueInput` takes (history days left out of the fits,
future days closed), :func:`day_factors` scales or zeroes a forecast's future days
(holidays and events by their multiplier or by the ratio their ``note`` showed before).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.closures import day_totals
from forecast.inputs.calendar import CLOSING_KINDS, calendar_days

__all__ = ["NOISE_DAYS", "day_factors", "day_noise", "own_rows", "pool_rows",
           "shrunk_ratio", "special_days"]


def pool_rows(calendar: pd.DataFrame | None, channel: str, members: tuple[str, ...]
              ) -> pd.DataFrame:
    """Calendar rows that apply to a modelled series of ``channel`` summing ``members``:
    for a pool of several languages only ``all`` and its channel (a language's own days
    are applied to its share after the split, :func:`own_rows`)."""
    return calendar_days(calendar, channel, members if len(members) == 1 else ())


def special_days(rows: pd.DataFrame, day0: pd.Timestamp, hist_days: int, horizon_days: int
                 ) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    """Days of the history (counted back from ``day0``, as
    :class:`~forecast.queue.QueueInput` takes them) that were closed (closed, outage) and
    that were otherwise special (holiday, event): both left out of the fits, only the
    first followed by a catch-up; and future days from ``day0`` that are closed (forecast
    as zero). None for any of them when there are none."""
    if rows.empty:
        return None, None, None
    offset = ((rows["date"] - day0) / pd.Timedelta(days=1)).round().astype(int).to_numpy()
    closing = rows["kind"].isin(CLOSING_KINDS).to_numpy()
    past = (offset < 0) & (offset >= -hist_days)
    masks = []
    for pick in (closing, ~closing):
        m = np.zeros(hist_days, dtype=bool)
        m[hist_days + offset[past & pick]] = True
        masks.append(m if m.any() else None)
    shut = np.zeros(horizon_days + 1, dtype=bool)
    shut[offset[closing & (offset >= 0) & (offset <= horizon_days)]] = True
    return masks[0], masks[1], (shut if shut.any() else None)


def _ratio_of(d: np.ndarray, i: int) -> float | None:
    """Day ``i``'s total against the mean of the same weekday on the (up to) 4 weeks before
    it; None without a usable week before it."""
    before = [i - 7 * k for k in range(1, 5) if i - 7 * k >= 0 and d[i - 7 * k] > 0]
    if i < 0 or not before:
        return None
    return float(d[i] / np.mean(d[before]))


#: usual days whose ratios measure how much a day's ratio varies without a holiday
NOISE_DAYS = 56


def day_noise(y: np.ndarray, spd: int, skip: set[int] = frozenset()) -> float:
    """Variance of ``log(day ratio)`` over the last :data:`NOISE_DAYS` whole days of ``y``
    that are not in ``skip`` (days counted from the end, 1 = the last), from
    the median absolute deviation (robust to surges); 0 without enough days."""
    d = day_totals(y, spd)
    logs = []
    for day in range(1, min(NOISE_DAYS, len(d)) + 1):
        r = None if day in skip else _ratio_of(d, len(d) - day)
        if r is not None and r > 0:
            logs.append(np.log(r))
    if len(logs) < 14:
        return 0.0
    logs = np.asarray(logs)
    return float((1.4826 * np.median(np.abs(logs - np.median(logs)))) ** 2)


def shrunk_ratio(ratios: list[float], noise: float) -> float:
    """The mean of a holiday's past ``ratios``, its log shrunk toward 0 by the day noise
    (empirical Bayes: ``1 - noise / (n * log_r ** 2)``, at least 0): a deep holiday (Lunar
    New Year at 0.5) keeps nearly all of its effect, one within the noise of usual days
    counts as a usual day."""
    r = float(np.mean(ratios))
    if r <= 0:
        return r
    log_r = np.log(r)
    if log_r == 0:
        return 1.0
    keep = max(0.0, 1.0 - noise / (len(ratios) * log_r * log_r))
    return float(np.exp(log_r * keep))


def own_rows(calendar: pd.DataFrame, channel: str, members: tuple[str, ...], lang: str,
             whole: pd.DataFrame) -> pd.DataFrame:
    """The rows for one target language of a series: the series' holidays and events (its
    closing days are already zero), plus, in a pool of several languages, the language's
    own rows of every kind."""
    rows = whole[~whole["kind"].isin(CLOSING_KINDS)]
    if len(members) > 1:
        own = calendar_days(calendar, channel, (lang,))
        own = own[~own["scope"].isin(["all", channel])]
        rows = pd.concat([rows, own], ignore_index=True)
    return rows


def day_factors(rows: pd.DataFrame, history: np.ndarray, future: pd.DatetimeIndex, spd: int,
                day0: pd.Timestamp, seen: int) -> np.ndarray | None:
    """Per interval of ``future``, the factor the calendar puts on a forecast: 0 on
    closing days (for one language of a pooled series, its ``closed``/``outage`` days),
    on ``holiday``/``event`` days their ``multiplier``, or the mean ratio the same
    ``note`` showed on its days in ``history`` (whole days ending at ``day0`` after the
    ``seen`` intervals of the day in progress), else 1. None when no row falls in
    ``future``. Measured once, applied to any number of forecasts of the series."""
    out = np.ones(len(future))
    if rows.empty:
        return None
    hist = history[:len(history) - seen] if seen else history
    day_of = ((future.floor("D") - day0) / pd.Timedelta(days=1)).astype(int).to_numpy()
    noise = totals = None  # measured once, when a ratio is needed
    touched = False
    for r in rows.itertuples(index=False):
        k = int(round((r.date - day0) / pd.Timedelta(days=1)))
        on = day_of == k
        if k < 0 or not on.any():
            continue
        touched = True
        if r.kind in CLOSING_KINDS:
            out[on] = 0.0
            continue
        m = r.multiplier
        if not np.isfinite(m) and str(r.note):
            past = rows[(rows["note"] == r.note) & (rows["date"] < day0)]
            if totals is None:
                totals = day_totals(hist, spd)
            ratios = [_ratio_of(totals, len(totals) - int(round((day0 - t) / pd.Timedelta(days=1))))
                      for t in past["date"]]
            ratios = [x for x in ratios if x is not None]
            if ratios and noise is None:
                special = {int(round((day0 - t) / pd.Timedelta(days=1)))
                           for t in rows["date"] if t < day0}
                noise = day_noise(hist, spd, special)
            m = shrunk_ratio(ratios, noise) if ratios else np.nan
        if np.isfinite(m):
            out[on] *= m
    return out if touched else None
