"""staffcast forecasting: per-queue interval forecasts with market-driven surges.

Public API: :func:`forecast_panel`, :func:`backtest` (-> :class:`BacktestResult`) and
:class:`Shock`. See ``docs/forecasting.md`` for the method.
"""

from forecast.backtest import BacktestResult, backtest, surge_days, surge_summary
from forecast.features import SCENARIOS, Shock
from forecast.panel import forecast_panel
from forecast.queue import QueueForecast, QueueInput, forecast_queue

__all__ = [
    "forecast_panel",
    "backtest",
    "BacktestResult",
    "Shock",
    "SCENARIOS",
    "surge_days",
    "surge_summary",
    "forecast_queue",
    "QueueInput",
    "QueueForecast",
]
