"""Market regimes of a week, and what each did to a channel's contacts in the history.

A week's market stress is the standard deviation of the hourly log returns of
``market.csv`` within it. Against the history's own weeks, a week is ``calm`` at or below
the 20th percentile of stress and ``stressed`` (a bull run or a crash: surge months) at or
above the 80th, the same cut-offs as the interval forecast's market scenarios
(:data:`forecast.features.SCENARIOS`). A channel's factor for a regime is the geometric
mean, over the queues of the channel and the weeks of that regime, of the week's contacts
against the centred 13-week mean around it (the trend and the season taken out);
``typical`` is 1 (the long-range models are fitted on all weeks, so they forecast the
typical mix). Without a market file every factor is 1.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.longrange.weekly import Weekly

__all__ = ["REGIMES", "regime_factors", "weekly_stress"]

REGIMES = ("calm", "typical", "stressed")
_CALM, _STRESSED = 20.0, 80.0
_WINDOW = 13


def weekly_stress(market: pd.DataFrame, weeks: pd.DatetimeIndex) -> np.ndarray:
    """Standard deviation of hourly log returns per week (NaN for a week without prices)."""
    m = market[["timestamp", "price"]].copy()
    m["timestamp"] = pd.to_datetime(m["timestamp"], utc=True)
    price = m.set_index("timestamp")["price"].astype(float).sort_index()
    price = price[price > 0].resample("1h").last().dropna()
    r = np.log(price).diff().dropna()
    week = np.floor((r.index - weeks[0]) / pd.Timedelta(days=7)).astype(int)
    sd = pd.Series(r.to_numpy()).groupby(np.asarray(week)).std()
    return sd.reindex(range(len(weeks))).to_numpy(dtype=float)


def regime_factors(weekly: Weekly, market: pd.DataFrame | None) -> pd.DataFrame:
    """``channel, regime, factor, weeks`` (weeks of the history in that regime)."""
    channels = sorted(weekly.queues["channel"].unique())
    stress = (weekly_stress(market, weekly.weeks) if market is not None
              else np.full(len(weekly.weeks), np.nan))
    ok = np.isfinite(stress)
    regime = np.full(len(stress), "typical", dtype=object)
    if ok.sum() >= 10:
        lo, hi = np.percentile(stress[ok], [_CALM, _STRESSED])
        regime[ok & (stress <= lo)] = "calm"
        regime[ok & (stress >= hi)] = "stressed"
    y = np.log1p(weekly.contacts)
    centred = pd.DataFrame(y.T).rolling(_WINDOW, center=True, min_periods=_WINDOW).mean()
    dev = y - centred.to_numpy().T
    chan = weekly.queues["channel"].to_numpy()
    rows = []
    for c in channels:
        for name in REGIMES:
            pick = regime == name
            d = dev[chan == c][:, pick]
            d = d[np.isfinite(d)]
            factor = 1.0 if name == "typical" or d.size == 0 else float(np.exp(d.mean()))
            rows.append({"channel": c, "regime": name, "factor": factor,
                         "weeks": int(pick.sum()) if ok.sum() >= 10 else 0})
    return pd.DataFrame(rows)
