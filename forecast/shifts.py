"""Level shifts in a queue's history: found, and the history before them scaled to the new level.

A desk's volume can step up or down for good: a product launch, a new market, a help-centre
article that answers a common question, a channel moved elsewhere. Models that average
weeks (``mean4w``, ``mean8w``, the profiles) then forecast a mix of the old and the new
level for as many weeks as they average, and the validation that chooses between them is
itself split across the step. :func:`level_shift` finds a step in the last weeks of the
daily totals; the forecast (:mod:`forecast.queue`) then multiplies the history before it
by the step's ratio, so that every candidate sees one level (an intervention adjustment,
as Box & Tiao 1975 would model a permanent step).

The test: for each candidate first day ``c`` of a new level in the last
:data:`MAX_POST_WEEKS` weeks, at least :data:`MIN_POST_WEEKS` whole weeks before the end (the
new level is measured over two weeks or more, so a surge of a few days is diluted; a step
of ten days or so can already show), the mean daily total of the
whole weeks from ``c`` on against that of the :data:`PRE_WEEKS` weeks before it, compared
on the log scale with a two-sample t statistic (pooled variance of the weekly log means).
The ``c`` with the largest ``|t|`` is a level shift when ``|t| >=`` :data:`SHIFT_T` and the
ratio is at least :data:`MIN_STEP` (or at most its inverse). Pass the history deflated by
the market multiplier where there is one: a stressed market is not a new level.
"""

from __future__ import annotations

import numpy as np

from forecast.closures import day_totals

__all__ = ["MIN_STEP", "SHIFT_T", "PRE_WEEKS", "MIN_POST_WEEKS", "MAX_POST_WEEKS",
           "level_shift"]

#: a step smaller than this ratio (either way) is left to the models
MIN_STEP = 1.2
#: the t statistic a step must reach (weekly log means: a week of Poisson noise on 100
#: contacts a day is about 0.04 on the log scale)
SHIFT_T = 4.0
#: whole weeks before the step compared with the weeks after it
PRE_WEEKS = 8
#: the new level must have held this many whole weeks ...
MIN_POST_WEEKS = 2
#: ... and is looked for in the last this many weeks
MAX_POST_WEEKS = 8


def _week_means(d: np.ndarray) -> np.ndarray:
    """``out[c]``: mean daily total of days ``c .. c + 6`` (NaN days ignored; NaN when all
    are), for every ``c`` with a whole week after it."""
    ok = ~np.isnan(d)
    total = np.concatenate([[0.0], np.cumsum(np.where(ok, d, 0.0))])
    count = np.concatenate([[0], np.cumsum(ok)])
    s, k = total[7:] - total[:-7], count[7:] - count[:-7]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(k > 0, s / np.maximum(k, 1), np.nan)


def level_shift(y: np.ndarray, spd: int, skip: np.ndarray | None = None
                ) -> tuple[int, float] | None:
    """The step in ``y``'s level, if there is one: ``(days, ratio)``.

    Parameters
    ----------
    y : np.ndarray
        Contacts per interval ending at a day boundary (deflated by the market multiplier
        where there is one).
    spd : int
        Intervals per day.
    skip : np.ndarray | None
        Days (per whole day of ``y``, as :func:`forecast.closures.closed_days`) that say
        nothing about the level: closed, catch-up, special and outlying days.

    Returns
    -------
    tuple[int, float] | None
        ``days``: the new level holds for the last ``days`` whole days of ``y``;
        ``ratio``: new level / old level. ``None`` without a clear step.
    """
    d = day_totals(y, spd)
    n = len(d)
    if skip is not None:
        d = np.where(np.asarray(skip, dtype=bool), np.nan, d)
    best: tuple[float, int, float] | None = None
    week = _week_means(d) if n >= 7 else np.zeros(0)
    for c in range(max(7 * PRE_WEEKS // 2, n - 7 * MAX_POST_WEEKS), n - 7 * MIN_POST_WEEKS + 1):
        n_pre = min(PRE_WEEKS, c // 7)
        post = week[c + 7 * np.arange((n - c) // 7)]
        pre = week[c - 7 * np.arange(1, n_pre + 1)]
        if n_pre < 4 or not (np.all(pre > 0) and np.all(post > 0)):  # NaN fails too
            continue
        lp, lq = np.log(pre), np.log(post)
        dof = len(lp) + len(lq) - 2
        s2 = (np.sum((lp - lp.mean()) ** 2) + np.sum((lq - lq.mean()) ** 2)) / dof
        step = float(lq.mean() - lp.mean())
        t = step / np.sqrt(max(s2, 1e-12) * (1 / len(lp) + 1 / len(lq)))
        if best is None or abs(t) > abs(best[0]):
            best = (float(t), c, step)
    if best is None:
        return None
    t, c, step = best
    if abs(t) < SHIFT_T or abs(step) < np.log(MIN_STEP):
        return None
    return n - c, float(np.exp(step))
