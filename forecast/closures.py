"""Closed and outlying days in a queue's history: found, and kept out of what the models learn.

A real desk has days without contacts that say nothing about demand: a closure, an
outage of the contact channel, a public holiday on which the queue did not open. Left in
the history as zeros they drag every average, profile and fit down for weeks. Here a day
(UTC, the forecasting grid's day) is *closed* when

* a calendar says so (``known``: ``closed`` and ``outage`` days of ``calendar.csv``), or
* it has no contacts at all while the same weekday is normally busy: the median of that
  weekday's totals over the surrounding weeks is at least :data:`BUSY_DAY` contacts (a
  Poisson day of 20 is empty with probability 2e-9, so this is an outage or a closure,
  not a quiet day).

:func:`outlier_days` finds the opposite fault: a day far busier than its weekday usually
is, with no market move to explain it (a spam wave, a duplicated export, a one-off
incident). Left in, one such day lifts a 4-week mean by its excess for a month.

:func:`fill_closed` replaces each closed (or outlying) day by the mean of the same interval on the
nearest open same weekdays (up to :data:`FILL_WEEKS` before it, else after it), so that
averages, profiles and fits see a typical day instead of a zero; the validation of the
model choice leaves closed days out of its errors (:mod:`forecast.queue`).
"""

from __future__ import annotations

import numpy as np

__all__ = ["BUSY_DAY", "FILL_WEEKS", "MAX_CATCH_UP", "OUTLIER_RATIO", "OUTLIER_SD", "catch_up",
           "closed_days", "day_totals", "fill_closed", "outlier_days"]

#: a weekday whose median total is at least this many contacts is "normally busy"
BUSY_DAY = 20.0
#: open same weekdays averaged to fill a closed day
FILL_WEEKS = 4
_WINDOW_WEEKS = 8  # weeks on each side whose same weekday sets "normally busy"
#: the day after a closure is at most this many times a usual day
MAX_CATCH_UP = 3.0
#: an outlying day holds more than this many times its weekday's median ...
OUTLIER_RATIO = 3.0
#: ... and exceeds it by more than this many Poisson standard deviations (sqrt(median))
OUTLIER_SD = 6.0


def day_totals(y: np.ndarray, spd: int) -> np.ndarray:
    """Contacts per whole day of ``y``, the days counted back from its end (which lies on a
    day boundary, as the candidates take it); a partial first day is dropped."""
    n_days = len(y) // spd
    return np.asarray(y[len(y) - n_days * spd:], dtype=float).reshape(n_days, spd).sum(axis=1)


def closed_days(y: np.ndarray, spd: int, known: np.ndarray | None = None) -> np.ndarray:
    """Boolean per whole day of ``y`` (``len(y) // spd`` days): closed or not.

    Parameters
    ----------
    y : ndarray
        Contacts per interval, ending at a day boundary (as the candidates take it); a
        partial first day is ignored. Day ``i`` of the result is
        ``y[len(y) - (n_days - i) * spd:][:spd]``.
    spd : int
        Intervals per day.
    known : ndarray | None
        Days known to be closed (same length as the result), e.g. from ``calendar.csv``.
    """
    d = day_totals(y, spd)
    n_days = len(d)
    closed = np.zeros(n_days, dtype=bool) if known is None else np.asarray(known, bool).copy()
    if n_days == 0:
        return closed
    empty = (d <= 0) & ~closed
    for i in np.flatnonzero(empty):
        same = np.arange(i % 7, n_days, 7)
        same = same[(same != i) & (np.abs(same - i) <= 7 * _WINDOW_WEEKS) & ~closed[same]]
        if len(same) >= 2 and np.median(d[same]) >= BUSY_DAY:
            closed[i] = True
    return closed


def outlier_days(y: np.ndarray, spd: int, skip: np.ndarray | None = None) -> np.ndarray:
    """Boolean per whole day of ``y`` (as :func:`closed_days`): an outlying day.

    A day is outlying when its total exceeds both :data:`OUTLIER_RATIO` times the median of
    the same weekday over up to :data:`_WINDOW_WEEKS` weeks on each side (at least three
    of them) and that median by :data:`OUTLIER_SD` Poisson standard deviations (so a quiet
    queue's 3 contacts against a median of 1 is not one), and is one of at most two such
    days within a week (more are a new level, not outliers). Pass ``y`` deflated by the
    market multiplier where there is one: a surge the market explains is no outlier.
    Days in ``skip`` (closed, special) are neither judged nor counted in the medians.
    """
    d = day_totals(y, spd)
    n = len(d)
    skip = np.zeros(n, dtype=bool) if skip is None else np.asarray(skip, dtype=bool)
    offsets = np.array([7 * k for k in range(-_WINDOW_WEEKS, _WINDOW_WEEKS + 1) if k])
    idx = np.arange(n)[:, None] + offsets[None, :]
    inside = (idx >= 0) & (idx < n)
    idx = np.clip(idx, 0, max(n - 1, 0))
    use = inside & ~skip[idx] if n else inside
    vals = np.where(use, d[idx] if n else 0.0, np.nan)
    enough = use.sum(axis=1) >= 3
    med = np.zeros(n)
    med[enough] = np.nanmedian(vals[enough], axis=1)
    high = (enough & ~skip & (med > 0) & (d > OUTLIER_RATIO * med)
            & (d - med > OUTLIER_SD * np.sqrt(med)))
    # three or more in a week is a change of level, for the models to follow, not outliers
    near = np.convolve(high.astype(int), np.ones(7, dtype=int), mode="same")
    return high & (near < 3)


def fill_closed(y: np.ndarray, spd: int, closed: np.ndarray) -> np.ndarray:
    """``y`` with every closed day replaced by the same intervals' mean over the nearest
    :data:`FILL_WEEKS` open same weekdays before it (after it when there are none before;
    left as it is when the weekday is never open)."""
    out = np.asarray(y, dtype=float).copy()
    n_days = len(closed)
    if not closed.any():
        return out
    days = out[len(out) - n_days * spd:].reshape(n_days, spd)  # a view: filled in place
    src = days.copy()  # fill from the original open days only
    for i in np.flatnonzero(closed):
        before = np.arange(i - 7, -1, -7)
        before = before[~closed[before]][:FILL_WEEKS]
        pick = before
        if len(pick) == 0:
            after = np.arange(i + 7, n_days, 7)
            pick = after[~closed[after]][:FILL_WEEKS]
        if len(pick):
            days[i] = src[pick].mean(axis=0)
    return out


def catch_up(y: np.ndarray, spd: int, closed: np.ndarray) -> tuple[np.ndarray, float]:
    """The open days right after a closed day, and how busy they were against a usual day.

    Returns ``(after, factor)``: ``after`` marks, per day of :func:`closed_days`, an open
    day that follows a closed one (customers come back with what they could not ask the
    day before); ``factor`` is the mean over the ``n`` of them of the day's total against
    the mean of the same weekday on up to :data:`FILL_WEEKS` usual days before it, shrunk
    toward 1 by ``n / (n + 1)`` and clipped to [1 / :data:`MAX_CATCH_UP`,
    :data:`MAX_CATCH_UP`] (a desk may also be quieter after a closure); 1.0 when the
    history shows none.
    """
    n_days = len(closed)
    after = np.zeros(n_days, dtype=bool)
    after[1:] = closed[:-1] & ~closed[1:]
    if not after.any():
        return after, 1.0
    d = day_totals(y, spd)
    usual = ~closed & ~after
    ratios = []
    for i in np.flatnonzero(after):
        same = np.arange(i - 7, -1, -7)
        same = same[usual[same]][:FILL_WEEKS]
        if len(same) and d[same].mean() > 0:
            ratios.append(d[i] / d[same].mean())
    if not ratios:
        return after, 1.0
    # shrunk toward 1 by the evidence (n / (n + 1)): one noisy day is half an effect
    n = len(ratios)
    factor = 1.0 + (float(np.mean(ratios)) - 1.0) * n / (n + 1.0)
    factor = float(np.clip(factor, 1.0 / MAX_CATCH_UP, MAX_CATCH_UP))
    return after, factor
