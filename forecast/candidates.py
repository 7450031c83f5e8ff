"""Candidate forecasters for one queue: pure functions of a history array.

Every candidate takes ``y`` (volume per interval, history only, ending at a day boundary so
that the forecast starts at midnight UTC), ``spd`` (intervals per day) and ``n`` (intervals
to forecast) and returns ``n`` non-negative means. Candidates:

``snaive``       baseline: the same interval last week.
``mean4w``       baseline: the mean of the same interval over the last 4 weeks.
``mean8w``       the mean of the same interval over the last 8 weeks: on a queue whose
                 weekly pattern holds, the longer window halves the noise the 4-week
                 one passes on (closed days are filled before, so these are open days).
``ets_profile``  daily totals by damped-trend additive Holt-Winters (weekly season) on the
                 last 16 weeks, times the interval-of-week profile of the last 8 weeks.
``ar_profile``   daily totals by an autoregression on ``log1p`` totals (lags 1 and 7, weekday
                 dummies, constant; OLS), times the profile.


References: Taylor (2008), "A comparison of univariate time series methods for forecasting
intraday arrivals at a call center", Management Science 54(2); Ibrahim, Ye, L'Ecuyer &
Shen (2016), "Modeling and forecasting call center arrivals: a literature survey and a
case study", Int. J. Forecasting 32(3).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable

import numpy as np
from statsmodels.tsa.ar_model import AutoReg
from statsmodels.tsa.holtwinters import ExponentialSmoothing

__all__ = ["CANDIDATES", "BASELINES", "snaive", "mean_weeks", "mean8w",
           "weekly_profile", "ets_profile", "ar_profile"]

log = logging.getLogger(__name__)

_DAILY_WEEKS = 16
_PROFILE_WEEKS = 8
# (level, season) smoothing pairs tried by ets_profile; the lowest in-sample SSE wins. A
# small fixed grid instead of a numerical optimiser: 20x faster and never diverges.
_HW_GRID = [(0.05, 0.1), (0.15, 0.1), (0.35, 0.1)]


def snaive(y: np.ndarray, spd: int, n: int) -> np.ndarray:
    """Seasonal naive: the same interval one week earlier, repeated weekly."""
    p = 7 * spd
    j = np.arange(n) % p
    return np.asarray(y[len(y) - p + j], dtype=float)


def mean_weeks(y: np.ndarray, spd: int, n: int, weeks: int = 4) -> np.ndarray:
    """Mean of the same interval over the last ``weeks`` weeks (fewer if history is short)."""
    p = 7 * spd
    w = max(1, min(weeks, len(y) // p))
    block = np.asarray(y[len(y) - w * p:], dtype=float).reshape(w, p).mean(axis=0)
    return block[np.arange(n) % p]


def mean8w(y: np.ndarray, spd: int, n: int) -> np.ndarray:
    """Mean of the same interval over the last 8 weeks (:func:`mean_weeks`)."""
    return mean_weeks(y, spd, n, weeks=8)


def weekly_profile(y: np.ndarray, spd: int, weeks: int = _PROFILE_WEEKS) -> np.ndarray:
    """Share of each interval in its day's volume, ``(7, spd)``, from the last ``weeks`` weeks.

    Row 0 is the weekday of the first forecast day. Ratio of sums over weeks (robust for
    sparse queues); a weekday with no volume at all gets a flat profile.
    """
    p = 7 * spd
    w = max(1, min(weeks, len(y) // p))
    blk = np.asarray(y[len(y) - w * p:], dtype=float).reshape(w, 7, spd).sum(axis=0)
    tot = blk.sum(axis=1, keepdims=True)
    return np.where(tot > 0, blk / np.where(tot > 0, tot, 1.0), 1.0 / spd)


def _daily(y: np.ndarray, spd: int, weeks: int) -> np.ndarray:
    d = len(y) // spd
    d = min(d, weeks * 7)
    return np.asarray(y[len(y) - d * spd:], dtype=float).reshape(d, spd).sum(axis=1)


def _spread(daily: np.ndarray, profile: np.ndarray, spd: int, n: int) -> np.ndarray:
    j = np.arange(n)
    day = j // spd
    return np.clip(daily[day], 0.0, None) * profile[day % 7, j % spd]


def ets_profile(y: np.ndarray, spd: int, n: int) -> np.ndarray:
    """Daily totals by damped additive Holt-Winters (weekly season) x interval-of-week profile."""
    d = _daily(y, spd, _DAILY_WEEKS)
    n_days = -(-n // spd)
    if len(d) < 21 or d.sum() == 0:
        return mean_weeks(y, spd, n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = ExponentialSmoothing(d, trend="add", damped_trend=True, seasonal="add",
                                     seasonal_periods=7, initialization_method="heuristic")
        fits = [model.fit(smoothing_level=a, smoothing_trend=0.01, smoothing_seasonal=g,
                          damping_trend=0.9, optimized=False) for a, g in _HW_GRID]
        daily = np.asarray(min(fits, key=lambda f: f.sse).forecast(n_days))
    if not np.isfinite(daily).all():
        return mean_weeks(y, spd, n)
    return _spread(daily, weekly_profile(y, spd), spd, n)


def ar_profile(y: np.ndarray, spd: int, n: int) -> np.ndarray:
    """Daily totals by AR(lags 1, 7) + weekday dummies on ``log1p`` totals x profile."""
    d = _daily(y, spd, _DAILY_WEEKS)
    n_days = -(-n // spd)
    if len(d) < 28 or d.sum() == 0:
        return mean_weeks(y, spd, n)
    z = np.log1p(d)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = AutoReg(z, lags=[1, 7], trend="c", seasonal=True, period=7).fit()
        pred = np.asarray(fit.predict(start=len(z), end=len(z) + n_days - 1))
        daily = np.expm1(pred + float(np.var(fit.resid)) / 2.0)
    if not np.isfinite(daily).all():
        return mean_weeks(y, spd, n)
    return _spread(daily, weekly_profile(y, spd), spd, n)


#: Name -> forecaster. The first two are the baselines every backtest reports. Pools of
#: them (``avg(a,b)``, their mean) are formed by the model choice (:mod:`forecast.choice`).
CANDIDATES: dict[str, Callable[[np.ndarray, int, int], np.ndarray]] = {
    "snaive": snaive,
    "mean4w": mean_weeks,
    "mean8w": mean8w,
    "ets_profile": ets_profile,
    "ar_profile": ar_profile,
}
BASELINES = ("snaive", "mean4w")
