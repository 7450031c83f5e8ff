"""calendar.csv from the command line (issue 14, parts 1 and 4): a contacts-only directory
with a calendar forecasts its closed day as zero; a malformed calendar is bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.refresh import data_hash
from optimize.cli import main


def _write_contacts(d, weeks: int = 10) -> pd.DataFrame:
    rng = np.random.default_rng(4)
    t = pd.date_range("2026-08-31", periods=weeks * 7 * 48, freq="30min", tz="UTC")
    slot = (t.hour * 2 + t.minute // 30).to_numpy()
    df = pd.DataFrame({"interval_start": t.strftime("%Y-%m-%dT%H:%M:%SZ"), "channel": "chat",
                       "language": "en",
                       "contacts": rng.poisson(np.where((slot >= 16) & (slot < 36), 10.0, 1.0)),
                       "aht_s": 300})
    d.mkdir(parents=True, exist_ok=True)
    df.to_csv(d / "contacts.csv", index=False)
    return df


def _forecast(tmp_path, calendar: str) -> tuple[int, object]:
    """``staffcast forecast`` on a contacts-only directory with ``calendar.csv``."""
    d = tmp_path / "desk"
    _write_contacts(d)
    (d / "calendar.csv").write_text(calendar, encoding="utf-8")
    out = tmp_path / "fc.csv"
    return main(["forecast", "--data", str(d), "--asof", "2026-11-09T00:00Z",
                 "--horizon-days", "7", "--out", str(out)]), out


def test_a_closed_day_in_calendar_csv_is_forecast_as_zero(tmp_path):
    code, out = _forecast(tmp_path, "date,scope,kind,multiplier,note\n"
                                    "2026-11-11,all,closed,,staff training\n")
    assert code == 0
    fc = pd.read_csv(out)
    day = fc["interval_start"].str[:10]
    assert fc.loc[day == "2026-11-11", "contacts"].sum() == 0.0
    assert fc.loc[day == "2026-11-10", "contacts"].sum() > 100


def test_a_malformed_calendar_is_bad_input_naming_the_line(tmp_path, capsys):
    code, out = _forecast(tmp_path, "date,scope,kind\n2026-11-11,all,closed\n"
                                    "2026-11-12,email,closed\n")
    assert code == 2
    err = capsys.readouterr().err
    assert "calendar.csv:3, column 'scope', value 'email'" in err
    assert not out.exists()


def test_the_data_hash_counts_a_calendar_and_is_unchanged_without_one(tmp_path):
    df = _write_contacts(tmp_path / "d", weeks=1)
    df["interval_start"] = pd.to_datetime(df["interval_start"], utc=True)
    cal = pd.DataFrame({"date": pd.to_datetime(["2026-09-02"], utc=True), "scope": ["all"],
                        "kind": ["closed"], "multiplier": [np.nan], "note": [""]})
    plain = data_hash(df, None)
    assert data_hash(df, None, None) == plain == data_hash(df, None, cal.iloc[:0])
    assert data_hash(df, None, cal) != plain
