"""The model choice rule (issue 14, part 3): market variant, combination, baseline guard,
and a choice that does not flip from day to day on a noisy queue."""

import numpy as np
import pandas as pd
import pytest

from forecast.backtesting import choose_per_queue
from forecast.choice import CLEAR_T, choose_model, pool_members, pooled_name
from forecast.queue import QueueInput, forecast_queue

DAYS = 30


def _errors(wape: dict[str, float], noise: float = 0.0, seed: int = 0) -> dict[str, np.ndarray]:
    """Daily absolute errors with the given pooled WAPEs (actual 100 a day), plus noise."""
    rng = np.random.default_rng(seed)
    out = {}
    for nm, w in wape.items():
        e = np.full(DAYS, 100.0 * w) + noise * rng.standard_normal(DAYS)
        out[nm] = e - e.mean() + 100.0 * w
    return out


ACT = np.full(DAYS, 100.0)


def test_a_market_variant_is_preferred_only_when_nearly_as_good():
    wape = {"mean4w": 0.50, "ar_profile": 0.40, "ar_profile+mkt": 0.405, "mean4w+mkt": 0.39}
    assert choose_model(_errors(wape), ACT, True).model == "mean4w+mkt"  # wins outright
    wape["mean4w+mkt"] = 0.45
    assert choose_model(_errors(wape), ACT, True).model == "ar_profile+mkt"  # within 2 %
    assert choose_model(_errors(wape), ACT, True, tolerance=0.0).model == "ar_profile"
    wape["ar_profile+mkt"] = 0.41  # 2.5 % worse: the plain winner stays
    assert choose_model(_errors(wape), ACT, True).model == "ar_profile"


def test_a_market_variant_above_the_best_baseline_leaves_the_plain_winner():
    wape = {"snaive": 0.3, "mean4w": 0.101, "ets_profile": 0.100, "ets_profile+mkt": 0.1015,
            "mean4w+mkt": 0.2}
    c = choose_model(_errors(wape), ACT, True)
    assert c.model == "ets_profile" and c.wape <= c.baseline_wape


def test_without_validation_the_default_is_the_four_week_mean():
    assert choose_model({}, np.zeros(0), True).model == "mean4w+mkt"
    c = choose_model({}, np.zeros(0), False)
    assert (c.model, c.reason, c.days) == ("mean4w", "no validation", 0)


def test_candidates_not_clearly_worse_than_the_winner_are_pooled_with_it():
    wape = {"snaive": 0.6, "mean4w": 0.5, "ets_profile": 0.40, "ar_profile": 0.41,
            "mean8w": 0.45}
    # ar_profile is 0.01 worse on average, but the daily errors swing by 8: no evidence;
    # mean8w is 0.05 worse, clearly
    c = choose_model(_errors(wape, noise=8.0), ACT, False)
    assert (c.model, c.reason, c.best) == ("avg(ets_profile,ar_profile)", "pool", "ets_profile")
    assert c.wape == pytest.approx(0.405) and c.best_wape == pytest.approx(0.40)
    assert -CLEAR_T < c.t < 0 and c.days == DAYS
    # the same averages with steady errors: the winner is clearly better than all
    c = choose_model(_errors(wape, noise=0.5), ACT, False)
    assert (c.model, c.reason) == ("ets_profile", "lowest") and c.t <= -CLEAR_T


def test_the_pool_stays_within_the_winners_kind_and_below_the_best_baseline():
    wape = {"snaive": 0.6, "mean4w": 0.42, "ets_profile": 0.41, "ar_profile": 0.43,
            "ets_profile+mkt": 0.40, "mean8w+mkt": 0.405, "ar_profile+mkt": 0.43}
    c = choose_model(_errors(wape, noise=8.0), ACT, True)
    # not ar_profile+mkt (worse than the 4-week mean), nor any plain candidate
    assert c.model == "avg(mean8w,ets_profile)+mkt" and c.baseline == "mean4w"
    assert c.baseline_wape == pytest.approx(0.42)


def test_pool_names_round_trip_and_unknown_names_are_refused():
    assert pooled_name(["ar_profile", "mean8w"], True) == "avg(mean8w,ar_profile)+mkt"
    assert pooled_name(["ets_profile"], False) == "ets_profile"
    assert pool_members("avg(mean8w,ar_profile)+mkt") == (("mean8w", "ar_profile"), True)
    with pytest.raises(ValueError, match="unknown model 'avg\\(prophet\\)'"):
        pool_members("avg(prophet)")


def test_the_backtest_choice_applies_the_same_rule_to_its_days():
    rows = []
    for nm, e in _errors({"snaive": 0.6, "mean4w": 0.5, "ets_profile": 0.40, "ar_profile": 0.41},
                         noise=8.0).items():
        rows.append(pd.DataFrame({"channel": "chat", "language": "en", "candidate": nm,
                                  "day": pd.date_range("2026-01-01", periods=DAYS, tz="UTC"),
                                  "actual": ACT, "abs_error": e}))
    table = choose_per_queue(pd.concat(rows + [rows[0].assign(candidate="auto")]), False)
    assert table[["model", "reason", "best"]].values.tolist() == [
        ["avg(ets_profile,ar_profile)", "pool", "ets_profile"]]


def test_a_pool_chosen_or_fixed_forecasts_the_mean_of_its_members():
    y = _stationary(20, seed=1)
    q = QueueInput("chat", "en", y, np.full(len(y), 300.0), 48, 48)
    pool = forecast_queue(q, model="avg(mean8w,ets_profile)")
    one = [forecast_queue(q, model=m).mean for m in ("mean8w", "ets_profile")]
    np.testing.assert_allclose(pool.mean, np.mean(one, axis=0))
    assert pool.choice.reason == "fixed" and pool.choice.days == 35
    with pytest.raises(ValueError, match="unknown model"):
        forecast_queue(q, model="prophet")


def _stationary(weeks: int, seed: int) -> np.ndarray:
    """A queue whose weekly pattern holds: Poisson counts around a fixed week."""
    spd = 48
    t = np.arange(weeks * 7 * spd)
    hour, day = (t % spd) / 2.0, (t // spd) % 7
    lam = 12.0 * (1.1 + np.sin(2 * np.pi * (hour - 6) / 24)) * np.where(day >= 5, 0.5, 1.0)
    return np.random.default_rng(seed).poisson(lam).astype(float)


def test_the_choice_does_not_flip_from_day_to_day_on_a_noisy_queue():
    # ten consecutive day-ahead origins on one noisy, stationary queue: the model chosen
    # stays put, while the lowest validation WAPE alone changes hands 6 times in 9
    y = _stationary(26, seed=3)
    spd = 48
    chosen = []
    for k in range(10):
        end = len(y) - (10 - k) * spd
        q = QueueInput("chat", "en", y[:end], np.full(end, 300.0), spd, spd)
        chosen.append(forecast_queue(q, validation_weeks=5).choice)
    def changes(names: list[str]) -> int:
        return sum(a != b for a, b in zip(names, names[1:], strict=False))

    assert changes([c.best for c in chosen]) >= 3  # the noise the rule has to withstand
    assert changes([c.model for c in chosen]) <= 1, [c.model for c in chosen]
    assert all(c.days == 35 for c in chosen)


def test_a_refresh_records_each_queues_choice_and_runs_prints_it(tmp_path, capsys):
    from forecast.refresh import refresh
    from forecast.store.runs import load_choices
    from optimize.cli import main

    y = _stationary(12, seed=2)
    t = pd.date_range("2026-08-03", periods=len(y), freq="30min", tz="UTC")
    contacts = pd.DataFrame({"interval_start": t, "channel": "chat", "language": "en",
                             "contacts": y, "aht_s": 300.0})
    store = tmp_path / "runs.sqlite"
    res = refresh(contacts, None, store, horizon_days=7, backtest_origins=2)
    choices = load_choices(store)
    assert len(choices) == 1 and choices["validation_days"].iloc[0] == 14
    row = choices.iloc[0]
    assert res.run.models["chat/en"] == row["model"]  # the run forecast with its choice
    assert row["validation_wape"] <= row["baseline_wape"]
    assert main(["runs", "--store", str(store), "--choices"]) == 0
    out = capsys.readouterr().out
    assert row["model"] in out and "pool = the mean of the winner" in out
    assert row["used"] == row["model"]  # one language: no pool of languages
    assert main(["runs", "--store", str(store), "--choices", "no-such-run"]) == 2
    assert "has no run 'no-such-run'" in capsys.readouterr().err


def test_a_day_ahead_refresh_chooses_on_daily_origins(tmp_path):
    from forecast.backtesting import backtest
    from forecast.refresh import refresh
    from forecast.store.runs import load_choices

    y = _stationary(12, seed=5)
    t = pd.date_range("2026-08-03", periods=len(y), freq="30min", tz="UTC")
    contacts = pd.DataFrame({"interval_start": t, "channel": "chat", "language": "en",
                             "contacts": y, "aht_s": 300.0})
    seen = []

    def spy(*args, **kw):
        res = backtest(*args, **kw)
        seen.append(sorted(res.metrics["origin"].unique()))
        return res

    refresh(contacts, None, tmp_path / "runs.sqlite", horizon_days=1, backtest_origins=6,
            backtest_fn=spy)
    days = pd.DatetimeIndex(seen[0])
    assert len(days) == 6 and (days[1:] - days[:-1] == pd.Timedelta("1D")).all()
    assert days[-1] == t[-1].floor("D")  # the last one forecasts the last day of the data
    assert load_choices(tmp_path / "runs.sqlite")["validation_days"].iloc[0] == 6
