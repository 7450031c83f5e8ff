"""Long-range forecasting: weekly contacts per queue, months ahead, for capacity planning.

- :mod:`~forecast.longrange.weekly`: the history folded into whole weeks (closed days
  filled) and the typical week a future week is spread over;
- :mod:`~forecast.longrange.models`: trend-and-season regression and damped trend
  (statsmodels), with two baselines;
- :mod:`~forecast.longrange.backtest`: rolling origins, the model per channel, the band;
- :mod:`~forecast.longrange.regimes`: calm, typical and stressed market weeks and their
  effect on each channel;
- :mod:`~forecast.longrange.forecast`: :func:`forecast_weeks`, the weekly forecast under a
  :class:`VolumeScenario` (regimes, growth, deflection).
"""

from forecast.longrange.backtest import Choice, backtest_weeks
from forecast.longrange.forecast import WEEKLY_COLUMNS, LongRange, VolumeScenario, forecast_weeks
from forecast.longrange.regimes import REGIMES, regime_factors
from forecast.longrange.weekly import Weekly, week_pattern, weekly_history

__all__ = ["REGIMES", "WEEKLY_COLUMNS", "Choice", "LongRange", "VolumeScenario", "Weekly",
           "backtest_weeks", "forecast_weeks", "regime_factors", "week_pattern",
           "weekly_history"]
