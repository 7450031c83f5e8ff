"""Market volatility features, market scenarios, a HAR volatility forecast and user shocks.

Everything here works on log returns sampled on the contact interval grid. The same
feature function serves the history (actual returns) and the future (returns simulated
under a scenario), so that a market-aware model sees the same kind of numbers in both.

References: Corsi (2009), "A simple approximate long-memory model of realized
volatility", J. Financial Econometrics 7(2) (the HAR-RV regression); Andersen,
Bollerslev, Diebold & Labys (2003) (realised volatility from intraday returns).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm

__all__ = [
    "Shock",
    "SCENARIOS",
    "LAG_BUCKETS_H",
    "grid_returns",
    "volatility_features",
    "har_forecast",
    "scenario_returns",
]

log = logging.getLogger(__name__)

#: Market scenarios a forecast may assume. ``calm``/``typical``/``stressed`` resample days
#: of the last year (calm: daily volatility <= P20; typical: all days; stressed: >= P80);
#: ``har`` uses the HAR volatility forecast; ``observed`` uses the market file past
#: ``asof`` (ex-post, for backtests); ``none`` ignores the market.
SCENARIOS = ("none", "calm", "typical", "stressed", "har", "observed")
_BANDS = {"calm": (0.0, 20.0), "typical": (0.0, 100.0), "stressed": (80.0, 100.0)}

#: Lag buckets (hours) of the market-activity features.
LAG_BUCKETS_H = ((0, 1), (1, 3), (3, 6), (6, 12), (12, 24), (24, 48))
_BIG_MOVE = 0.05  # |4 h return| above which a move counts as large


@dataclass(frozen=True)
class Shock:
    """A user-specified market move, e.g. ``Shock(pd.Timestamp("2026-12-03T14:00Z"), -0.15)``.

    Parameters
    ----------
    at : pd.Timestamp
        When the move happens (tz-aware; converted to UTC).
    move : float
        Simple return of the move, in (-1, 10]; -0.15 is a 15 % drop.
    """

    at: pd.Timestamp
    move: float

    def __post_init__(self) -> None:
        at = pd.Timestamp(self.at)
        if at.tzinfo is None:
            raise ValueError(f"Shock.at must be tz-aware, got {self.at!r}")
        object.__setattr__(self, "at", at.tz_convert("UTC"))
        if not -1.0 < float(self.move) <= 10.0:
            raise ValueError(f"Shock.move must be in (-1, 10], got {self.move!r}")


def grid_returns(market: pd.DataFrame, grid: pd.DatetimeIndex, freq: pd.Timedelta) -> np.ndarray:
    """Log return of the price over each grid interval ``[t, t + freq)``.

    The price at an instant is the last quote at or before it; intervals before the first
    quote or after the last one get a zero return.

    Parameters
    ----------
    market : pd.DataFrame
        Columns ``timestamp`` (UTC) and ``price`` (> 0).
    grid : pd.DatetimeIndex
        Regular UTC interval starts.
    freq : pd.Timedelta
        Interval length.
    """
    if market is None or len(market) == 0:
        return np.zeros(len(grid))
    m = market[["timestamp", "price"]].dropna().sort_values("timestamp")
    if (m["price"] <= 0).any():
        bad = float(m.loc[m["price"] <= 0, "price"].iloc[0])
        raise ValueError(f"market price must be > 0, got {bad!r}")
    ts = m["timestamp"].to_numpy(dtype="datetime64[ns]")
    logp = np.log(m["price"].to_numpy(dtype=float))
    edges = np.append(grid.to_numpy(dtype="datetime64[ns]"),
                      (grid[-1] + freq).to_datetime64()) if len(grid) else ts[:0]
    pos = np.searchsorted(ts, edges, side="right") - 1
    valid = (pos >= 0) & (edges <= ts[-1])
    lp = np.where(valid, logp[np.clip(pos, 0, None)], np.nan)
    r = np.diff(lp)
    return np.nan_to_num(r, nan=0.0)


def _lag_sum(x: np.ndarray, a: int, b: int) -> np.ndarray:
    """``sum(x[t - j] for j in range(a, b))`` along the last axis (zeros before the start)."""
    pad = [(0, 0)] * (x.ndim - 1) + [(1, 0)]
    cs = np.pad(np.cumsum(x, axis=-1), pad)
    n = x.shape[-1]
    t = np.arange(n)
    hi = np.clip(t - a + 1, 0, n)
    lo = np.clip(t - b + 1, 0, n)
    return cs[..., hi] - cs[..., lo]


def volatility_features(r: np.ndarray, steps_per_hour: float,
                        scale: float | None = None) -> np.ndarray:
    """Market features per interval from log returns ``r`` (last axis = time).

    Returns an array ``(..., n, 9)``. Columns 0-5 are a distributed lag of market activity:
    ``log1p`` of the absolute returns summed over the lag buckets 0-1, 1-3, 3-6, 6-12,
    12-24 and 24-48 hours, relative to their typical value (``scale`` = the mean absolute
    return per interval, by default of ``r`` itself; pass the history's for simulated
    paths). Column 6 is the 6 h drop in percent (0 when the price rose), column 7 the 24 h
    realised volatility in percent, column 8 a large-move flag (|4 h return| > 5 %).
    A GLM on these estimates both the size and the timing (lag and decay) of surges.
    """
    r = np.asarray(r, dtype=float)
    a = np.abs(r)
    if scale is None:
        scale = float(a.mean()) if a.size else 0.0
    scale = scale if scale > 0 else 1e-4
    cols = []
    for lo_h, hi_h in LAG_BUCKETS_H:
        lo, hi = round(lo_h * steps_per_hour), max(round(hi_h * steps_per_hour), 1)
        cols.append(np.log1p(_lag_sum(a, lo, hi) / (scale * (hi - lo))))
    k6, k4, k24 = (max(1, round(h * steps_per_hour)) for h in (6, 4, 24))
    cols.append(100.0 * np.maximum(-_lag_sum(r, 0, k6), 0.0))
    cols.append(100.0 * np.sqrt(_lag_sum(r * r, 0, k24)))
    cols.append((np.abs(_lag_sum(r, 0, k4)) > _BIG_MOVE).astype(float))
    return np.stack(cols, axis=-1)


def har_forecast(daily_rv: pd.Series, horizon_days: int) -> np.ndarray:
    """HAR-RV forecast (Corsi 2009) of daily realised volatility, ``horizon_days`` ahead.

    Fits ``log RV[d+1] = c + b_d log RV[d] + b_w mean(log RV[d-4..d]) + b_m
    mean(log RV[d-21..d])`` by OLS and iterates it forward. Falls back to the median of
    the last 30 days when fewer than 60 days are available.
    """
    rv = daily_rv.to_numpy(dtype=float)
    rv = rv[rv > 0]
    if len(rv) < 60:
        level = float(np.median(rv[-30:])) if len(rv) else 0.0
        return np.full(horizon_days, level)
    lr = np.log(rv)
    s = pd.Series(lr)
    x = np.column_stack([lr, s.rolling(5).mean().to_numpy(), s.rolling(22).mean().to_numpy()])
    X, y = sm.add_constant(x[21:-1]), lr[22:]
    beta = sm.OLS(y, X).fit().params
    hist = list(lr)
    out = np.empty(horizon_days)
    for d in range(horizon_days):  # recursive: each step needs the previous forecast
        h = np.asarray(hist)
        nxt = beta[0] + beta[1] * h[-1] + beta[2] * h[-5:].mean() + beta[3] * h[-22:].mean()
        out[d] = nxt
        hist.append(nxt)
    resid_var = float(np.var(y - X @ beta))
    return np.exp(out + resid_var / 2.0)  # log-normal mean correction


def scenario_returns(
    hist_r: np.ndarray,
    hist_grid: pd.DatetimeIndex,
    future_grid: pd.DatetimeIndex,
    scenario: str,
    *,
    shock: Shock | None = None,
    n_paths: int = 200,
    seed: int = 0,
) -> np.ndarray:
    """Simulated future log returns ``(n_paths, len(future_grid))`` under a scenario.

    ``calm``, ``typical`` and ``stressed`` resample whole days of actual returns from the
    last year (a day bootstrap, which keeps crashes and intraday clustering): ``typical``
    from all days, ``calm`` from the days at or below the 20th percentile of daily realised
    volatility, ``stressed`` from those at or above the 80th; ``har`` rescales each drawn
    day to the HAR forecast of that day's volatility. A ``shock`` adds
    ``log(1 + move)`` to the interval containing ``shock.at`` on every path.
    Deterministic for a given ``seed``.
    """
    if scenario not in _BANDS and scenario != "har":
        raise ValueError(f"scenario must be one of calm, typical, stressed, har; got {scenario!r}")
    freq = hist_grid[1] - hist_grid[0]
    spd = int(pd.Timedelta("1D") / freq)
    n = len(future_grid)
    rng = np.random.default_rng(seed)
    slot0 = int((future_grid[0] - future_grid[0].floor("D")) / freq) if n else 0
    n_days = -(-(slot0 + n) // spd)
    first_full = int(np.argmax(hist_grid == hist_grid[0].ceil("D"))) if len(hist_grid) else 0
    n_full = (len(hist_grid) - first_full) // spd
    days = np.asarray(hist_r[first_full:first_full + n_full * spd], dtype=float
                      ).reshape(n_full, spd)[-365:]
    drv = np.sqrt((days ** 2).sum(axis=1))
    if len(days) == 0:
        r = np.zeros((n_paths, n))
    else:
        lo, hi = _BANDS.get(scenario, (0.0, 100.0))
        ok = (drv >= np.percentile(drv, lo)) & (drv <= np.percentile(drv, hi)) & (drv > 0)
        pick = rng.choice(np.flatnonzero(ok), size=(n_paths, n_days))
        blocks = days[pick]  # (paths, days, spd)
        if scenario == "har":  # rescale each drawn day to the forecast volatility of its day
            blocks = blocks * (har_forecast(pd.Series(drv), n_days)[None, :] / drv[pick])[..., None]
        r = blocks.reshape(n_paths, n_days * spd)[:, slot0:slot0 + n]
    if shock is not None:
        pos = future_grid.searchsorted(shock.at, side="right") - 1
        if 0 <= pos < n:
            r[:, pos] += np.log1p(shock.move)
        else:
            log.warning("shock at %s is outside the forecast horizon; ignored", shock.at)
    return r
