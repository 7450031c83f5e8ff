"""Statistical building blocks: the market effect on volume, and count-distribution quantiles.

* :func:`fit_market_effect` estimates, per channel, how much volume rises with market
  volatility: a Poisson GLM of the channel's interval volume on the volatility features,
  with the same-interval median of the previous four weeks as offset (so the GLM only
  explains departures from the ordinary weekly rhythm).
* :func:`nb_dispersion` and :func:`nb_quantiles` turn a mean forecast into quantiles with a
  negative binomial whose dispersion is calibrated on backtest residuals: Poisson noise
  dominates sparse queues, a multiplicative error dominates busy ones, and one parameter
  covers both (``Var = mu + phi * mu**2``).
"""

from __future__ import annotations

import gc
import logging
import warnings
from dataclasses import dataclass

import numpy as np
import statsmodels.api as sm
from scipy import special

__all__ = ["MarketEffect", "fit_market_effect", "nb_dispersion", "nb_quantiles", "nb_covered"]

log = logging.getLogger(__name__)

_ETA_CLIP = (-1.0, 3.0)  # multiplier bounded to [0.37, 20]


@dataclass(frozen=True)
class MarketEffect:
    """Fitted effect of market features on one channel's volume.

    ``multiplier(X) = exp(clip((min(X, x_max) - centre) @ coef))``; ``coef`` is zero when
    the market does not explain volume (then every multiplier is 1); ``x_max`` holds the
    largest feature values of the history fitted on (``None``: no clipping).
    """

    coef: np.ndarray
    centre: np.ndarray
    deviance_gain: float  # share of the null deviance explained by the features
    x_max: np.ndarray | None = None  # features are clipped to the largest values fitted on

    def eta(self, X: np.ndarray) -> np.ndarray:
        """Log multiplier (clipped) for features ``X`` (``(..., n_features)``).

        Features beyond the largest values of the history the effect was fitted on are
        clipped to them: the log-linear GLM is not extrapolated past the biggest market
        move it has seen (unclipped, a crash larger than any before it once produced a
        forecast of 3.7 times the day's volume; docs/forecasting.md).
        """
        X = np.asarray(X, dtype=float)
        if self.x_max is not None:
            X = np.minimum(X, self.x_max)
        return np.clip((X - self.centre) @ self.coef, *_ETA_CLIP)

    def multiplier(self, X: np.ndarray) -> np.ndarray:
        """Volume multiplier for features ``X`` (``(..., n_features)``)."""
        return np.exp(self.eta(X))


def _null_effect(n_features: int) -> MarketEffect:
    return MarketEffect(np.zeros(n_features), np.zeros(n_features), 0.0)


def fit_market_effect(y: np.ndarray, X: np.ndarray, period: int, *,
                      weeks: int = 4, min_gain: float = 0.002,
                      backfit: int = 1) -> MarketEffect:
    """Estimate the volatility effect on a channel's volume (Poisson GLM with offset).

    Parameters
    ----------
    y : np.ndarray
        Channel volume per interval (history only), length ``n``.
    X : np.ndarray
        Market features ``(n, k)`` aligned with ``y``.
    period : int
        Intervals per week.
    weeks : int
        The offset is the median of the same interval over this many previous weeks.
    min_gain : float
        Keep the effect only if it explains at least this share of the null deviance;
        otherwise return a null effect (multiplier 1), so unrelated markets do no harm.
    backfit : int
        Refits with the offset taken from the history deflated by the previous fit's
        multiplier. The offset's past weeks hold surges of their own (and their noise),
        which attenuates the effect when they are left in; 0 fits once.
    """
    y = np.asarray(y, dtype=float)
    n, k = X.shape
    if n <= (weeks + 2) * period:
        return _null_effect(k)
    yy, XX = y[weeks * period:], X[weeks * period:]
    x_max = X.max(axis=0)
    deflated = y
    for _ in range(1 + backfit):
        lags = np.stack([deflated[weeks * period - w * period: n - w * period]
                         for w in range(1, weeks + 1)])
        base = np.median(lags, axis=0)
        keep = base > 0
        if keep.sum() < 2 * period:
            return _null_effect(k)
        fit = _fit_glm(yy[keep], XX[keep], base[keep], np.arange(k))
        if fit is None:
            return _null_effect(k)
        coef, centre, deviance = fit
        # the offset's past weeks held surges too: divide them out and refit
        deflated = y / MarketEffect(coef, centre, 0.0, x_max).multiplier(X)
    null_dev = _poisson_deviance(yy[keep], base[keep] * yy[keep].sum() / base[keep].sum())
    gain = 1.0 - deviance / null_dev if null_dev > 0 else 0.0
    if gain < min_gain:
        return _null_effect(k)
    return MarketEffect(coef, centre, float(gain), x_max)


def _fit_glm(y: np.ndarray, X: np.ndarray, base: np.ndarray, cols: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray, float] | None:
    """Poisson GLM of ``y`` on ``X[:, cols]`` (centred, scaled; near-duplicates dropped, the
    first of ``cols`` kept first) with offset ``log(base)``: ``(coef, centre, deviance)``
    with ``coef`` over all columns of ``X`` (zero outside the fit), ``None`` if it fails."""
    k = X.shape[1]
    centre = np.median(X, axis=0)
    sub = X[:, cols]
    scale = sub.std(axis=0)
    use = _independent_columns(sub, scale)
    scale[scale == 0] = 1.0
    Z = (sub[:, use] - centre[cols][use]) / scale[use]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            res = sm.GLM(y, sm.add_constant(Z, has_constant="add"),
                         family=sm.families.Poisson(), offset=np.log(base)).fit()
        except (ValueError, np.linalg.LinAlgError) as exc:  # pragma: no cover - defensive
            log.warning("market effect fit failed (%s); using no market effect", exc)
            return None
    params, deviance = np.array(res.params), float(res.deviance)
    # statsmodels' IRLS leaves its per-iteration models and results in reference cycles,
    # which hold copies of the design matrix (~100 MB per fit on five years of 30-minute
    # history) until the cyclic collector runs; the garbage is young, so a cheap
    # young-generation collection frees it now rather than at some later point
    del res
    gc.collect(1)
    if not np.isfinite(params).all():
        return None
    coef = np.zeros(k)
    coef[cols[use]] = params[1:] / scale[use]
    return coef, centre, deviance


def _poisson_deviance(y: np.ndarray, mu: np.ndarray) -> float:
    """Poisson deviance (the null model here is the offset times one fitted constant)."""
    term = np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0) / mu), 0.0)
    return float(2.0 * np.sum(term - (y - mu)))


def _independent_columns(X: np.ndarray, scale: np.ndarray, max_corr: float = 0.95) -> np.ndarray:
    """Indices of columns kept after dropping constant ones and near-duplicates (|r| > max_corr).

    With hourly prices on a 30-minute grid, for instance, the 1 h realised volatility and
    the 1 h absolute return are the same number; keeping both makes the GLM explode.
    """
    cand = np.flatnonzero(scale > 0)
    if len(cand) == 0:
        return cand
    corr = np.corrcoef(X[:, cand], rowvar=False).reshape(len(cand), len(cand))
    kept: list[int] = []
    for i in range(len(cand)):
        if all(abs(corr[i, j]) <= max_corr for j in kept):
            kept.append(i)
    return cand[kept]


def nb_dispersion(actual: np.ndarray, mean: np.ndarray) -> float:
    """Moment estimate of ``phi`` in ``Var = mu + phi mu^2`` from forecast errors (>= 0)."""
    a, m = np.asarray(actual, dtype=float), np.asarray(mean, dtype=float)
    ok = np.isfinite(a) & np.isfinite(m) & (m > 0)
    den = float(np.sum(m[ok] ** 2))
    if den == 0:
        return 0.0
    return max(0.0, float(np.sum((a[ok] - m[ok]) ** 2 - m[ok])) / den)


def nb_quantiles(mean: np.ndarray, phi: float, probs: tuple[float, ...]) -> np.ndarray:
    """Continuous quantiles ``(len(probs), n)`` of a negative binomial with ``mean``, ``phi``.

    The count CDF is extended continuously in ``k`` (regularised incomplete beta, resp.
    gamma for Poisson, ``phi`` = 0) and inverted (``scipy.special.nbdtrik``/``pdtrik``), so
    a quantile lies in ``(k - 1, k]`` where ``k`` is the integer quantile, and a P10-P90
    band covers close to 80 % even for sparse counts.
    """
    mu = np.clip(np.asarray(mean, dtype=float), 0.0, None)
    pos = mu > 0
    out = np.zeros((len(probs), len(mu)))
    if not pos.any():
        return out
    m = mu[pos]
    for i, p in enumerate(probs):  # a handful of probabilities, each vectorised over intervals
        if phi < 1e-6:
            q = special.pdtrik(p, m)
        else:
            size = 1.0 / phi
            q = special.nbdtrik(p, size, size / (size + m))
        out[i, pos] = np.clip(np.nan_to_num(q, nan=0.0), 0.0, None)
    return out


def nb_covered(actual: np.ndarray, mean: np.ndarray, phi: float, lo: float = 0.1,
               hi: float = 0.9) -> np.ndarray:
    """Whether each ``actual`` lies inside the ``[lo, hi]`` band of :func:`nb_quantiles`.

    The same answer as comparing with the two quantiles, without inverting the CDF:
    ``y >= q_lo`` iff ``F(y) >= lo`` and ``y <= q_hi`` iff ``F(y) <= hi`` (or ``y`` is 0,
    below which the quantiles are clipped), ``F`` being the continuous count CDF that
    :func:`nb_quantiles` inverts (``betainc``, resp. ``gammaincc`` for Poisson). About
    8x faster: the backtest checks every candidate's band at every interval.
    """
    y = np.asarray(actual, dtype=float)
    mu = np.clip(np.asarray(mean, dtype=float), 0.0, None)
    pos = mu > 0
    m = np.where(pos, mu, 1.0)
    if phi < 1e-6:
        cdf = special.gammaincc(y + 1.0, m)
    else:
        size = 1.0 / phi
        cdf = special.betainc(size, y + 1.0, size / (size + m))
    inside = (cdf >= lo) & ((y <= 0) | (cdf <= hi))
    return np.where(pos, inside, y == 0)
