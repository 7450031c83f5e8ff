"""Long-range models of a queue's weekly contacts, and the baselines beside them.

Each model maps a history of weekly totals ``y`` (length ``T``) and the holiday days of
the history and the horizon (length ``T + h``) to ``h`` weekly forecasts:

* ``trend_season``: ordinary least squares (statsmodels ``OLS``) of ``log(1 + y)`` on a
  linear trend, yearly Fourier terms (two pairs with at least two years of history, one
  with at least 78 weeks, none below) and the holiday days of the week, fitted on the last
  :data:`FIT_WEEKS` weeks; back-transformed with half the residual variance (the
  log-normal mean). A constant growth rate, a yearly shape, holidays.
* ``damped_trend``: Holt's linear trend with a damped slope on ``log(1 + y)``
  (statsmodels ``ExponentialSmoothing``), the level and slope adapting to recent weeks.
* ``mean_8w`` (baseline): the mean of the last eight weeks, flat.
* ``last_year`` (baseline): the same week a year (52 weeks) earlier, the seasonal naive
  forecast; needs 52 weeks of history.
"""

from __future__ import annotations

import warnings

import numpy as np
import statsmodels.api as sm
from statsmodels.tools.sm_exceptions import ConvergenceWarning

__all__ = ["BASELINES", "FIT_WEEKS", "MODELS", "min_history", "predict"]

#: weeks of history the trend model is fitted on (older weeks are ignored)
FIT_WEEKS = 156
MODELS = ("trend_season", "damped_trend")
BASELINES = ("mean_8w", "last_year")
_YEAR = 52.1775  # weeks in a mean Gregorian year


def min_history(name: str) -> int:
    """Weeks of history ``name`` needs."""
    return {"trend_season": 12, "damped_trend": 12, "mean_8w": 1, "last_year": 52}[name]


def _fourier(t: np.ndarray, pairs: int) -> np.ndarray:
    cols = []
    for k in range(1, pairs + 1):
        cols += [np.sin(2 * np.pi * k * t / _YEAR), np.cos(2 * np.pi * k * t / _YEAR)]
    return np.column_stack(cols) if cols else np.empty((len(t), 0))


def _trend_season(y: np.ndarray, holidays: np.ndarray, h: int) -> np.ndarray:
    n = min(len(y), FIT_WEEKS)
    t = np.arange(len(y) + h, dtype=float)[len(y) - n:]
    pairs = 2 if n >= 104 else (1 if n >= 78 else 0)
    hol = holidays[len(y) - n:len(y) + h]
    x = np.column_stack([np.ones_like(t), (t - t[0]) / _YEAR, _fourier(t, pairs)])
    if np.ptp(hol[:n]) > 0:
        x = np.column_stack([x, hol])
    fit = sm.OLS(np.log1p(y[-n:]), x[:n]).fit()
    var = float(fit.mse_resid) if n > x.shape[1] else 0.0
    return np.maximum(np.expm1(fit.predict(x[n:]) + var / 2.0), 0.0)


def _damped_trend(y: np.ndarray, h: int) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        model = sm.tsa.ExponentialSmoothing(np.log1p(y[-FIT_WEEKS:]), trend="add",
                                            damped_trend=True, initialization_method="estimated")
        fit = model.fit()
    resid = np.asarray(fit.resid, dtype=float)
    var = float(np.var(resid[2:])) if len(resid) > 3 else 0.0
    return np.maximum(np.expm1(np.asarray(fit.forecast(h), dtype=float) + var / 2.0), 0.0)


def predict(name: str, y: np.ndarray, holidays: np.ndarray, h: int) -> np.ndarray:
    """``h`` weekly forecasts of model ``name`` from the weekly history ``y``.

    Parameters
    ----------
    name : str
        One of :data:`MODELS` or :data:`BASELINES`.
    y : ndarray
        Weekly contacts, oldest first, ``T >= min_history(name)`` weeks.
    holidays : ndarray
        Holiday days per week, ``T + h`` values (history, then horizon).
    h : int
        Weeks ahead.
    """
    y = np.asarray(y, dtype=float)
    if len(y) < min_history(name):
        raise ValueError(f"{name} needs {min_history(name)} weeks of history, got {len(y)}")
    if name == "trend_season":
        return _trend_season(y, np.asarray(holidays, dtype=float), h)
    if name == "damped_trend":
        return _damped_trend(y, h)
    if name == "mean_8w":
        return np.full(h, y[-8:].mean())
    if name == "last_year":
        back = np.arange(len(y), len(y) + h) - 52
        while (back >= len(y)).any():  # beyond a year ahead: two years back, and so on
            back = np.where(back >= len(y), back - 52, back)
        return y[back]
    raise ValueError(f"unknown long-range model {name!r}; expected one of "
                     f"{MODELS + BASELINES}")
