"""staffcast forecasting: per-queue interval forecasts with market-driven surges.

Public API: :func:`forecast_panel`, :func:`backtest` (-> :class:`BacktestResult`) and
:class:`Shock`. See ``docs/forecasting.md`` for the method.

The names are imported on first use (PEP 562), so that ``forecast.inputs.problems``,
``forecast.store.runs`` or ``forecast.refresh.data_window`` do not pull in statsmodels
(about 1.6 s): the app's Overview, served from a stored run, never needs it. No name here
is also a submodule's: importing ``forecast.backtest`` would have bound the module to the
name ``backtest`` for good, hence ``forecast.backtesting``.
"""

from importlib import import_module
from typing import Any

_WHERE = {
    "forecast_panel": "forecast.panel",
    "backtest": "forecast.backtesting",
    "BacktestResult": "forecast.backtesting",
    "surge_days": "forecast.backtesting",
    "surge_summary": "forecast.backtesting",
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
