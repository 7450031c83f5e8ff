"""A contacts history folded into weeks, and the typical week it is spread back over.

Weeks start on Monday 00:00 UTC, as planned weeks do. Only whole weeks count: a partial
first or last week is dropped. Closed days (``closed``/``outage`` rows of ``calendar.csv``
and empty days that are normally busy, :func:`forecast.closures.closed_days`) are filled
with the nearest usual same weekdays before the weeks are summed, so a closure or an
export outage does not read as a drop in demand. ``holiday_days`` counts the
``holiday`` rows of the calendar that fall in the week for the queue (a regressor of the
long-range models).

:func:`week_pattern` is the shape a future week is given: each queue's share of a week's
contacts per interval of the week and its mean handle time there, over the last
``weeks`` usual weeks (closed days filled the same way).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecast.closures import closed_days, fill_closed
from forecast.inputs.calendar import CLOSING_KINDS, calendar_days

__all__ = ["WEEK", "Weekly", "week_pattern", "weekly_history"]

WEEK = pd.Timedelta(days=7)


@dataclass(frozen=True, eq=False)
class Weekly:
    """Weekly totals per queue: ``contacts[q, w]``, the contact-weighted ``aht_s[q, w]``
    (NaN in a week without contacts), ``holiday_days[q, w]`` and ``closed_days[q, w]``
    (days filled), for ``queues`` (``channel, language``) and ``weeks`` (Monday starts)."""

    queues: pd.DataFrame
    weeks: pd.DatetimeIndex
    contacts: np.ndarray
    aht_s: np.ndarray
    holiday_days: np.ndarray
    closed_days: np.ndarray

    def table(self) -> pd.DataFrame:
        """Long format: ``week_start, channel, language, contacts, aht_s, holiday_days,
        closed_days``."""
        q, w = self.contacts.shape
        return pd.DataFrame({
            "week_start": np.tile(self.weeks, q),
            "channel": np.repeat(self.queues["channel"].to_numpy(), w),
            "language": np.repeat(self.queues["language"].to_numpy(), w),
            "contacts": self.contacts.ravel(), "aht_s": self.aht_s.ravel(),
            "holiday_days": self.holiday_days.ravel(), "closed_days": self.closed_days.ravel()})


def _grid(contacts: pd.DataFrame, interval_s: int):
    """Whole weeks of the history as (queue, interval) matrices of contacts and handle
    seconds (contacts x aht), with the queues and the first Monday."""
    t = pd.to_datetime(contacts["interval_start"], utc=True)
    first = t.min().ceil("D")  # the first whole day, then the first Monday from it
    first = first + pd.Timedelta(days=(7 - first.weekday()) % 7)
    end = (t.max() + pd.Timedelta(seconds=interval_s)).normalize()
    end = end - pd.Timedelta(days=end.weekday())  # Monday after the last whole week
    n_weeks = int((end - first) / WEEK)
    if n_weeks < 1:
        raise ValueError("the contacts history holds no whole week (Monday to Sunday, UTC)")
    per_week = int(WEEK.total_seconds()) // interval_s
    keep = (t >= first) & (t < end)
    df = contacts.loc[keep.to_numpy()]
    slot = ((t[keep] - first).dt.total_seconds().to_numpy() // interval_s).astype(np.int64)
    queues = (df[["channel", "language"]].drop_duplicates()
              .sort_values(["channel", "language"]).reset_index(drop=True))
    code = pd.MultiIndex.from_frame(queues).get_indexer(
        pd.MultiIndex.from_frame(df[["channel", "language"]]))
    shape = (len(queues), n_weeks * per_week)
    y = np.zeros(shape)
    work = np.zeros(shape)
    n = df["contacts"].to_numpy(dtype=float)
    aht = np.nan_to_num(df["aht_s"].to_numpy(dtype=float))
    np.add.at(y, (code, slot), n)
    np.add.at(work, (code, slot), n * aht)
    return queues, first, n_weeks, per_week, y, work


def _known(calendar: pd.DataFrame | None, channel: str, language: str, first: pd.Timestamp,
           n_days: int, kinds: tuple[str, ...]) -> np.ndarray:
    days = calendar_days(calendar, channel, (language,))
    out = np.zeros(n_days, dtype=bool)
    if days.empty:
        return out
    days = days[days["kind"].isin(kinds)]
    idx = ((pd.to_datetime(days["date"], utc=True) - first) / pd.Timedelta(days=1)).to_numpy()
    idx = idx[(idx >= 0) & (idx < n_days)].astype(int)
    out[idx] = True
    return out


def _filled(y: np.ndarray, work: np.ndarray, queues: pd.DataFrame, first: pd.Timestamp,
            spd: int, calendar: pd.DataFrame | None):
    """``y`` and ``work`` with closed days filled; the closed and holiday day flags."""
    n_days = y.shape[1] // spd
    closed = np.zeros((len(queues), n_days), dtype=bool)
    holiday = np.zeros_like(closed)
    y, work = y.copy(), work.copy()
    for i, (ch, lang) in enumerate(queues.itertuples(index=False)):
        known = _known(calendar, ch, lang, first, n_days, CLOSING_KINDS)
        holiday[i] = _known(calendar, ch, lang, first, n_days, ("holiday",))
        closed[i] = closed_days(y[i], spd, known)
        if closed[i].any():
            y[i] = fill_closed(y[i], spd, closed[i])
            work[i] = fill_closed(work[i], spd, closed[i])
    return y, work, closed, holiday


def weekly_history(contacts: pd.DataFrame, interval_s: int,
                   calendar: pd.DataFrame | None = None) -> Weekly:
    """Fold a contacts history (``interval_start, channel, language, contacts, aht_s``)
    into whole weeks per queue, closed days filled (module docstring)."""
    queues, first, n_weeks, per_week, y, work = _grid(contacts, interval_s)
    spd = per_week // 7
    y, work, closed, holiday = _filled(y, work, queues, first, spd, calendar)
    q = len(queues)
    weekly = y.reshape(q, n_weeks, per_week).sum(axis=2)
    handle = work.reshape(q, n_weeks, per_week).sum(axis=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        aht = np.where(weekly > 0, handle / weekly, np.nan)
    weeks = pd.date_range(first, periods=n_weeks, freq="7D")
    return Weekly(queues, weeks, weekly, aht,
                  holiday.reshape(q, n_weeks, 7).sum(axis=2).astype(float),
                  closed.reshape(q, n_weeks, 7).sum(axis=2).astype(float))


def week_pattern(contacts: pd.DataFrame, interval_s: int, calendar: pd.DataFrame | None = None,
                 *, weeks: int = 8) -> pd.DataFrame:
    """Typical week per queue over the last ``weeks`` whole weeks (closed days filled).

    Returns
    -------
    DataFrame
        ``channel, language, slot`` (interval of the week from Monday 00:00 UTC), ``share``
        (of the week's contacts, summing to 1 per queue; uniform for a queue without
        contacts) and ``aht_s`` (contact-weighted; the queue's mean where a slot saw none).
    """
    if weeks < 1:
        raise ValueError(f"weeks must be >= 1, got {weeks!r}")
    queues, first, n_weeks, per_week, y, work = _grid(contacts, interval_s)
    y, work, _, _ = _filled(y, work, queues, first, per_week // 7, calendar)
    k = min(weeks, n_weeks)
    q = len(queues)
    y = y[:, -k * per_week:].reshape(q, k, per_week).sum(axis=1)
    work = work[:, -k * per_week:].reshape(q, k, per_week).sum(axis=1)
    total = y.sum(axis=1, keepdims=True)
    share = np.where(total > 0, y / np.where(total > 0, total, 1.0), 1.0 / per_week)
    mean_aht = np.where(total[:, 0] > 0, work.sum(axis=1) / np.where(total[:, 0] > 0,
                                                                     total[:, 0], 1.0), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        aht = np.where(y > 0, work / y, mean_aht[:, None])
    return pd.DataFrame({
        "channel": np.repeat(queues["channel"].to_numpy(), per_week),
        "language": np.repeat(queues["language"].to_numpy(), per_week),
        "slot": np.tile(np.arange(per_week), q),
        "share": share.ravel(), "aht_s": aht.ravel()})
