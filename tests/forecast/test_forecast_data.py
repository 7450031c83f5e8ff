"""A small synthetic desk for the forecasting tests (and checks of the generator itself).

``make_market`` draws an hourly price with volatility regimes and a few crashes;
``make_contacts`` draws interval volume = weekly-intraday rhythm x trend x a multiplier
that rises with recent absolute market moves, with negative binomial noise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

START = pd.Timestamp("2026-01-05T00:00Z")  # a Monday


def make_market(days: int, seed: int = 1, start: pd.Timestamp = START) -> pd.DataFrame:
    """Hourly prices: GBM with a slowly varying volatility regime and a few -10..-20 % crashes."""
    rng = np.random.default_rng(seed)
    n = days * 24 + 48
    regime = np.exp(np.convolve(rng.standard_normal(n), np.ones(72) / 8.0, mode="same"))
    r = 0.006 * regime * rng.standard_normal(n)
    for pos in rng.choice(np.arange(200, n - 10), size=max(1, days // 40), replace=False):
        r[pos] += np.log1p(-rng.uniform(0.08, 0.2))
        r[pos + 1:pos + 24] *= 3.0
    ts = pd.date_range(start - pd.Timedelta("24h"), periods=n, freq="1h")
    return pd.DataFrame({"timestamp": ts, "price": 40000.0 * np.exp(np.cumsum(r))})


def surge_multiplier(market: pd.DataFrame, grid: pd.DatetimeIndex, beta: float) -> np.ndarray:
    """exp(beta * excess 4 h absolute move in %), the generator's market effect."""
    p = market.set_index("timestamp")["price"]
    lp = np.log(p.reindex(grid, method="ffill").bfill().to_numpy())
    r = np.diff(lp, prepend=lp[0])
    move = np.abs(pd.Series(r).rolling(8, min_periods=1).sum().to_numpy()) * 100.0
    return np.exp(beta * np.clip(move - 1.0, 0.0, 15.0))


def make_contacts(days: int = 70, freq: str = "30min", seed: int = 2,
                  market: pd.DataFrame | None = None, beta: float = 0.12,
                  queues: dict[tuple[str, str], float] | None = None,
                  day_sd: float = 0.0) -> pd.DataFrame:
    """Contacts table (docs/contract.md) for ``queues`` = {(channel, language): daily volume}.

    ``day_sd`` adds a log-normal level shift per queue and day (a busy or quiet day).
    """
    rng = np.random.default_rng(seed)
    queues = queues or {("chat", "en"): 900.0, ("chat", "zh"): 400.0, ("chat", "ko"): 12.0,
                        ("chat", "tr"): 8.0, ("email", "en"): 150.0}
    grid = pd.date_range(START, periods=int(days * pd.Timedelta("1D") / pd.Timedelta(freq)),
                         freq=freq)
    hours = (grid.hour + grid.minute / 60.0).to_numpy()
    dow = grid.day_of_week.to_numpy()
    week = np.where(dow >= 5, 0.7, 1.0)
    trend = 1.0 + 0.002 * np.arange(len(grid)) / (len(grid) / days)
    mult = surge_multiplier(market, grid, beta) if market is not None else 1.0
    frames = []
    for i, ((ch, lang), daily) in enumerate(queues.items()):
        peak = 14.0 - 6.0 * (lang in ("zh", "ko"))
        shape = 0.15 + np.exp(-0.5 * ((hours - peak) / 4.0) ** 2)
        if ch == "email":
            shape = np.where((hours >= 6) & (hours < 20), shape, 0.0)  # email closed at night
        shape = shape / shape.mean()
        lam = daily / len(hours) * days * shape * week * trend * mult
        lam = lam * rng.gamma(20.0, 1 / 20.0, size=len(grid))
        day = np.arange(len(grid)) // (len(grid) // days)
        lam = lam * np.exp(day_sd * rng.standard_normal(days))[day]  # whole-day level shifts
        y = rng.poisson(lam)
        aht = np.where(y > 0, rng.lognormal(np.log(300.0 + 40 * i), 0.2, len(grid)), np.nan)
        frames.append(pd.DataFrame({"interval_start": grid, "channel": ch, "language": lang,
                                    "contacts": y.astype("int64"), "aht_s": aht}))
    return pd.concat(frames, ignore_index=True)


def test_generator_matches_contract():
    c = make_contacts(days=29)
    assert c["interval_start"].dt.tz is not None
    assert c["contacts"].dtype == np.int64
    assert c.loc[c["contacts"] == 0, "aht_s"].isna().all()
    assert (c.groupby(["channel", "language"]).size() == 29 * 48).all()


def test_generator_surges_follow_market():
    m = make_market(60)
    calm = make_contacts(days=60, market=m, beta=0.0).groupby("interval_start")["contacts"].sum()
    hot = make_contacts(days=60, market=m, beta=0.2).groupby("interval_start")["contacts"].sum()
    assert hot.sum() > calm.sum()
