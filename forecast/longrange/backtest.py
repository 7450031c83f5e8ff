"""Rolling-origin backtest of the long-range models, the choice per channel, and the band.

From origins every :data:`ORIGIN_STEP` weeks, the latest leaving ``horizon`` weeks of
history after it and the earliest keeping :data:`MIN_TRAIN` weeks before it (at most
:data:`MAX_ORIGINS`), each model and baseline forecasts every queue ``horizon`` weeks
ahead; the errors are scored per channel as the WAPE (sum of absolute errors over the sum
of actuals, queues of the channel pooled) on horizons :data:`SCORED_FROM` to ``horizon``,
the range a capacity plan acts on (hiring lead times make the first weeks moot). Each
channel takes the model or baseline with the lowest WAPE.

The band: the log errors ``log((1 + actual) / (1 + forecast))`` of the chosen model give
a variance per horizon; ``var(h) = a + b h`` is fitted to them (least squares, both
coefficients at least 0) and P10/P90 are the forecast times ``exp(-/+ 1.2816 sd(h))``,
``sd`` extended linearly in variance beyond the backtested horizons. Without enough
history for one origin, every channel takes ``mean_8w`` and the band comes from the
week-to-week spread of the last 26 weeks around their mean.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecast.longrange.models import BASELINES, MODELS, min_history, predict
from forecast.longrange.weekly import Weekly

__all__ = ["MAX_ORIGINS", "MIN_TRAIN", "ORIGIN_STEP", "SCORED_FROM", "Z90", "Choice", "backtest_weeks",
           "band_sd"]

ORIGIN_STEP = 4
MIN_TRAIN = 52
MAX_ORIGINS = 8
SCORED_FROM = 4
Z90 = 1.2815515655446004


@dataclass(frozen=True, eq=False)
class Choice:
    """The backtest: ``scores`` (``channel, model, wape, weeks_scored``), the model chosen per
    channel, the band's variance coefficients ``(a, b)`` per channel and the origins used."""

    scores: pd.DataFrame
    chosen: dict[str, str]
    variance: dict[str, tuple[float, float]]
    origins: tuple[pd.Timestamp, ...]


def _origins(n_weeks: int, horizon: int) -> list[int]:
    last = n_weeks - horizon
    return sorted(range(last, MIN_TRAIN - 1, -ORIGIN_STEP))[-MAX_ORIGINS:] if last >= MIN_TRAIN \
        else []


def _fit_variance(h: np.ndarray, err: np.ndarray) -> tuple[float, float]:
    """``var(h) = a + b h`` with ``a, b >= 0`` from log errors per horizon."""
    hs = np.unique(h)
    var = np.array([np.mean(err[h == k] ** 2) for k in hs])
    x = np.column_stack([np.ones_like(hs, dtype=float), hs.astype(float)])
    a, b = np.linalg.lstsq(x, var, rcond=None)[0]
    if b < 0:
        a, b = float(var.mean()), 0.0
    elif a < 0:
        a, b = 0.0, float((hs * var).sum() / (hs * hs).sum())
    return float(a), float(b)


def band_sd(variance: tuple[float, float], h: np.ndarray) -> np.ndarray:
    """Log-scale standard deviation of the forecast ``h`` weeks ahead."""
    a, b = variance
    return np.sqrt(a + b * np.asarray(h, dtype=float))


def _fallback(weekly: Weekly, channels: list[str]) -> Choice:
    variance = {}
    for ch in channels:
        rows = (weekly.queues["channel"] == ch).to_numpy()
        y = np.log1p(weekly.contacts[rows, -26:])
        spread = float(np.mean((y - y.mean(axis=1, keepdims=True)) ** 2)) if y.size else 0.0
        variance[ch] = (spread, 0.0)
    scores = pd.DataFrame(columns=["channel", "model", "wape", "weeks_scored"])
    return Choice(scores, dict.fromkeys(channels, "mean_8w"), variance, ())


def backtest_weeks(weekly: Weekly, horizon: int) -> Choice:
    """Backtest every model and baseline on ``weekly`` and choose one per channel.

    Parameters
    ----------
    weekly : Weekly
        The history, whole weeks (:func:`forecast.longrange.weekly.weekly_history`).
    horizon : int
        Weeks ahead the plan looks (the backtest looks at most 26 ahead: beyond that a
        two-year history has no origin left).
    """
    h = int(min(horizon, 26))
    channels = sorted(weekly.queues["channel"].unique())
    n_weeks = weekly.contacts.shape[1]
    origins = _origins(n_weeks, h)
    if not origins:
        return _fallback(weekly, channels)
    names = [m for m in MODELS + BASELINES if min_history(m) <= origins[0]]
    rows, errors = [], {}
    chan = weekly.queues["channel"].to_numpy()
    steps = np.arange(1, h + 1)
    for name in names:
        abs_err = {c: 0.0 for c in channels}
        actual = {c: 0.0 for c in channels}
        for q in range(len(chan)):
            y, hol = weekly.contacts[q], weekly.holiday_days[q]
            for o in origins:
                f = predict(name, y[:o], hol[:o + h], h)
                a = y[o:o + h]
                scored = steps >= min(SCORED_FROM, h)
                abs_err[chan[q]] += float(np.abs(a - f)[scored].sum())
                actual[chan[q]] += float(a[scored].sum())
                errors.setdefault((name, chan[q]), []).append(np.log1p(a) - np.log1p(f))
        for c in channels:
            wape = abs_err[c] / actual[c] if actual[c] > 0 else np.nan
            rows.append({"channel": c, "model": name, "wape": wape,
                         "weeks_scored": len(origins) * int((chan == c).sum())
                         * int((steps >= min(SCORED_FROM, h)).sum())})
    scores = pd.DataFrame(rows)
    chosen, variance = {}, {}
    for c in channels:
        part = scores[scores["channel"] == c].dropna(subset=["wape"])
        chosen[c] = str(part.loc[part["wape"].idxmin(), "model"]) if len(part) else "mean_8w"
        err = np.concatenate(errors.get((chosen[c], c), [np.zeros(h)]))
        variance[c] = _fit_variance(np.tile(steps, len(err) // h), err)
    return Choice(scores, chosen, variance, tuple(weekly.weeks[o] for o in origins))
