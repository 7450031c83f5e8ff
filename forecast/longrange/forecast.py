"""Weekly contacts per queue, 4 to 52 weeks ahead, under a growth and market scenario.

:func:`forecast_weeks` folds the history into weeks (:mod:`~forecast.longrange.weekly`),
backtests the models and baselines and takes the best per channel
(:mod:`~forecast.longrange.backtest`), forecasts each queue with it and applies the
scenario, in this order:

1. the market regime of each week: its channel factor from the history
   (:mod:`~forecast.longrange.regimes`), ``typical`` everywhere unless the scenario names
   a default regime or surge weeks (``stressed``);
2. extra growth on top of the history's own trend: ``(1 + growth) ** (weeks ahead / 52)``;
3. deflection by the help centre or a chatbot: the channel's volume times
   ``1 - deflection[channel]``.

Handle time is the contact-weighted mean of the last eight weeks, flat over the horizon.
The band (P10, P90) scales with the forecast: it is the model's backtest spread, not a
spread of the scenario.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from forecast.longrange.backtest import Z90, Choice, backtest_weeks, band_sd
from forecast.longrange.models import predict
from forecast.longrange.regimes import REGIMES, regime_factors
from forecast.longrange.weekly import WEEK, Weekly, weekly_history

__all__ = ["WEEKLY_COLUMNS", "LongRange", "VolumeScenario", "forecast_weeks"]

WEEKLY_COLUMNS = ["week_start", "channel", "language", "contacts", "contacts_p10",
                  "contacts_p90", "aht_s", "model", "regime"]


@dataclass(frozen=True)
class VolumeScenario:
    """What-ifs on volume: ``regime`` of every week (``calm``, ``typical``, ``stressed``),
    ``surge_weeks`` (Monday starts taken as ``stressed``), ``growth`` (extra per year, e.g.
    0.2 = +20 %) and ``deflection`` (channel -> share of contacts self-served, 0-1)."""

    regime: str = "typical"
    surge_weeks: tuple[pd.Timestamp, ...] = ()
    growth: float = 0.0
    deflection: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.regime not in REGIMES:
            raise ValueError(f"regime must be one of {REGIMES}, got {self.regime!r}")
        if not self.growth > -1.0:
            raise ValueError(f"growth must be > -1 (a share per year), got {self.growth!r}")
        for ch, share in self.deflection.items():
            if not 0.0 <= share < 1.0:
                raise ValueError(f"deflection of {ch} must be in [0, 1), got {share!r}")


@dataclass(frozen=True, eq=False)
class LongRange:
    """A long-range forecast: ``table`` (:data:`WEEKLY_COLUMNS`), the backtest ``choice``,
    the ``regimes`` factors and the ``weekly`` history it came from."""

    table: pd.DataFrame
    choice: Choice
    regimes: pd.DataFrame
    weekly: Weekly


def _future_holidays(calendar: pd.DataFrame | None, weekly: Weekly, weeks: pd.DatetimeIndex
                     ) -> np.ndarray:
    from forecast.inputs.calendar import calendar_days
    out = np.zeros((len(weekly.queues), len(weeks)))
    if calendar is None or calendar.empty:
        return out
    for i, (ch, lang) in enumerate(weekly.queues.itertuples(index=False)):
        days = calendar_days(calendar, ch, (lang,))
        days = days[days["kind"] == "holiday"]
        idx = np.floor((pd.to_datetime(days["date"], utc=True) - weeks[0]) / WEEK).to_numpy()
        idx = idx[(idx >= 0) & (idx < len(weeks))].astype(int)
        np.add.at(out[i], idx, 1.0)
    return out


def forecast_weeks(contacts: pd.DataFrame, interval_s: int, horizon: int, *,
                   market: pd.DataFrame | None = None, calendar: pd.DataFrame | None = None,
                   scenario: VolumeScenario | None = None,
                   choice: Choice | None = None) -> LongRange:
    """Weekly forecast per queue for the ``horizon`` weeks after the history's last whole week.

    Parameters
    ----------
    contacts : DataFrame
        ``interval_start, channel, language, contacts, aht_s`` (the history).
    interval_s : int
        Interval length of the history.
    horizon : int
        Weeks ahead, 1-104.
    market, calendar : DataFrame, optional
        ``market.csv`` (for the regime factors) and ``calendar.csv`` rows.
    scenario : VolumeScenario, optional
        Regimes, growth and deflection (module docstring); the typical market by default.
    choice : Choice, optional
        A backtest already run on this history (what-ifs reuse it).
    """
    if not 1 <= int(horizon) <= 104:
        raise ValueError(f"horizon must be 1-104 weeks, got {horizon!r}")
    scenario = scenario or VolumeScenario()
    weekly = weekly_history(contacts, interval_s, calendar)
    choice = choice or backtest_weeks(weekly, horizon)
    factors = regime_factors(weekly, market)
    weeks = pd.date_range(weekly.weeks[-1] + WEEK, periods=horizon, freq="7D")
    future_hol = _future_holidays(calendar, weekly, weeks)
    steps = np.arange(1, horizon + 1)
    surge = {pd.Timestamp(w).tz_convert("UTC") if pd.Timestamp(w).tzinfo else
             pd.Timestamp(w, tz="UTC") for w in scenario.surge_weeks}
    regime = np.array(["stressed" if w in surge else scenario.regime for w in weeks], dtype=object)
    growth = (1.0 + scenario.growth) ** (steps / 52.0)
    frames = []
    n_hist = weekly.contacts.shape[1]
    for i, (ch, lang) in enumerate(weekly.queues.itertuples(index=False)):
        y = weekly.contacts[i]
        name = choice.chosen.get(ch, "mean_8w")
        hol = np.concatenate([weekly.holiday_days[i], future_hol[i]])
        mean = predict(name, y, hol, horizon) if n_hist else np.zeros(horizon)
        fac = factors[factors["channel"] == ch].set_index("regime")["factor"]
        scale = fac.reindex(regime).to_numpy(dtype=float) * growth \
            * (1.0 - scenario.deflection.get(ch, 0.0))
        sd = band_sd(choice.variance.get(ch, (0.0, 0.0)), steps)
        work = np.nansum(weekly.aht_s[i, -8:] * y[-8:])
        aht = work / y[-8:].sum() if y[-8:].sum() > 0 else np.nan
        frames.append(pd.DataFrame({
            "week_start": weeks, "channel": ch, "language": lang,
            "contacts": mean * scale,
            "contacts_p10": mean * np.exp(-Z90 * sd) * scale,
            "contacts_p90": mean * np.exp(Z90 * sd) * scale,
            "aht_s": aht, "model": name, "regime": regime}))
    table = pd.concat(frames, ignore_index=True)[WEEKLY_COLUMNS]
    return LongRange(table, choice, factors, weekly)
