"""staffcast forecasting: per-queue interval forecasts with market-driven surges.

Public API: :func:`forecast_panel`, :func:`backtest` (-> :class:`BacktestResult`) and
:class:`Shock`. See ``docs/forecasting.md`` for the method.

The names are imported on first use (PEP 562), so that ``forecast.inputs.problems``,
``forecast.store.runs`` or ``forecast.refresh.data_window`` do not pull in statsmodels
(about 1.6 s): the app's Overview, served from a stored run, never needs it.
"""

from importlib import import_module
from typing import Any

_WHERE = {
    "forecast_panel": "forecast.panel",
    "backtest": "forecast.backtest",
    "BacktestResult": "forecast.backtest",
    "surge_days": "forecast.backtest",
    "surge_summary": "forecast.backtest",
    "Shock": "forecast.features",
    "SCENARIOS": "forecast.features",
    "forecast_queue": "forecast.queue",
    "QueueInput": "forecast.queue",
    "QueueForecast": "forecast.queue",
}

__all__ = list(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'forecast' has no attribute {name!r}")
    value = getattr(import_module(_WHERE[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE])
