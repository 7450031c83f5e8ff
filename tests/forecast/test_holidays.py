"""Public holidays per language's market (issue 14, part 1): ``[holidays]`` in
scenario.toml becomes calendar rows, a yearly holiday's dip is learnt from the year
before, and a bad mapping is bad input."""

from __future__ import annotations

import holidays
import numpy as np
import pandas as pd
import pytest

from forecast import forecast_panel
from forecast.inputs import InputError, load_history_dir
from forecast.inputs.holidays import holiday_rows, read_holiday_map
from optimize.cli import main

KR = holidays.country_holidays("KR", years=[2025, 2026])


def _write(d, toml: str, weeks: int = 60) -> pd.DataFrame:
    """Hourly chat/ko from Monday 2025-01-06 with every KR holiday at half volume."""
    rng = np.random.default_rng(2)
    t = pd.date_range("2025-01-06", periods=weeks * 7 * 24, freq="1h", tz="UTC")
    lam = np.where((t.hour >= 1) & (t.hour < 14), 30.0, 6.0)
    off = np.isin(t.tz_convert(None).normalize().date, list(KR))
    lam = np.where(off, lam * 0.5, lam)
    df = pd.DataFrame({"interval_start": t.strftime("%Y-%m-%dT%H:%M:%SZ"), "channel": "chat",
                       "language": "ko", "contacts": rng.poisson(lam), "aht_s": 300})
    d.mkdir(parents=True, exist_ok=True)
    df.to_csv(d / "contacts.csv", index=False)
    (d / "scenario.toml").write_text(toml, encoding="utf-8")
    return df


def test_the_mapping_becomes_holiday_rows_of_the_language(tmp_path):
    _write(tmp_path / "d", '[holidays]\nko = "KR"\n')
    cal = load_history_dir(tmp_path / "d").calendar
    chuseok = cal[cal["date"] == pd.Timestamp("2025-10-06", tz="UTC")]
    assert chuseok[["scope", "kind"]].values.tolist() == [["ko", "holiday"]]
    assert chuseok["note"].iloc[0].startswith("KR ")
    # the years after the history are there too, for the forecast
    assert (cal["date"] >= pd.Timestamp("2027-01-01", tz="UTC")).any()
    assert holiday_rows({}, pd.Timestamp("2025-01-01"), pd.Timestamp("2025-02-01")) is None


def test_a_yearly_holiday_is_forecast_at_the_ratio_it_showed_a_year_before(tmp_path):
    """Seollal 2026 (Feb 16-18) at the depth Seollal 2025 (Jan 28-30) had."""
    df = _write(tmp_path / "d", '[holidays]\nko = "KR"\n', weeks=58)
    h = load_history_dir(tmp_path / "d")
    asof = pd.Timestamp("2026-02-14T00:00Z")
    hist = h.contacts[h.contacts["interval_start"] < asof]
    with_cal = forecast_panel(hist, None, asof=asof, horizon_days=7, scenario="none",
                              calendar=h.calendar)
    plain = forecast_panel(hist, None, asof=asof, horizon_days=7, scenario="none")
    day = lambda fc, d: fc.loc[fc["interval_start"].dt.strftime("%Y-%m-%d") == d,  # noqa: E731
                               "contacts"].sum()
    ratio = day(with_cal, "2026-02-17") / day(plain, "2026-02-17")
    assert ratio == pytest.approx(0.5, abs=0.1)
    assert day(with_cal, "2026-02-20") == pytest.approx(day(plain, "2026-02-20"), rel=0.15)
    actual = df[df["interval_start"].str.startswith("2026-02-17")]["contacts"].sum()
    assert abs(day(with_cal, "2026-02-17") - actual) < abs(day(plain, "2026-02-17") - actual)


@pytest.mark.parametrize("toml, message", [
    ('[holidays]\nko = "XX"\n', "holidays.ko"),
    ('[holidays]\nde = "DE"\n', "language not in the contacts history"),
    ('holidays = "KR"\n', "expected a [holidays] table"),
])
def test_a_bad_mapping_is_bad_input(tmp_path, capsys, toml, message):
    _write(tmp_path / "d", toml, weeks=6)
    with pytest.raises(InputError, match="scenario.toml"):
        load_history_dir(tmp_path / "d")
    code = main(["forecast", "--data", str(tmp_path / "d"), "--asof", "2025-02-10T00:00Z",
                 "--horizon-days", "1", "--out", str(tmp_path / "fc.csv")])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err


def test_no_file_or_no_table_means_no_holidays(tmp_path):
    assert read_holiday_map(tmp_path) == ({}, [])
    (tmp_path / "scenario.toml").write_text("[horizon]\nweeks = 1\n")
    assert read_holiday_map(tmp_path) == ({}, [])


def test_a_past_ratio_is_shrunk_by_the_noise_of_usual_days():
    from forecast.special_days import day_noise, shrunk_ratio

    # a deep holiday keeps nearly all of its effect, a shallow one within the noise none
    assert shrunk_ratio([0.5], 0.0144) == pytest.approx(0.5, abs=0.02)
    assert shrunk_ratio([1.08], 0.0144) == 1.0
    assert shrunk_ratio([0.8, 0.8], 0.0) == pytest.approx(0.8)
    # day noise of a Poisson series of ~400 a day: log-ratio sd about 1/sqrt(400) x 1.1
    rng = np.random.default_rng(0)
    y = rng.poisson(400 / 24, size=24 * 7 * 20).astype(float)
    sd = np.sqrt(day_noise(y, 24))
    assert 0.03 < sd < 0.09
    assert day_noise(y[:24 * 10], 24) == 0.0  # too few days to say
