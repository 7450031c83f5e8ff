"""Generated histories with a real desk's faults (issue 14, part 6): closures and outages,
some declared in calendar.csv and some not; the forecast finds the undeclared ones and is
not dragged down by either."""

from __future__ import annotations

import logging

import pandas as pd
import pytest

from forecast import forecast_panel
from forecast.faults import inject_faults
from optimize.scenario.load import load_scenario_dir
from optimize.scenario.sample import write_sample

SMALL = dict(seed=3, weeks=10, n_agents=16, languages=("en", "ko"), volume_scale=0.5)


@pytest.fixture(scope="module")
def desks(tmp_path_factory):
    root = tmp_path_factory.mktemp("faults")
    write_sample(root / "clean", **SMALL)
    write_sample(root / "faulty", **SMALL, closures=2, outages=2, declared=2)
    return load_scenario_dir(root / "clean"), load_scenario_dir(root / "faulty")


def test_the_faults_are_in_the_files(desks):
    clean, faulty = desks
    cal = faulty.calendar
    assert len(cal) == 2 and set(cal["kind"]) == {"closed"}  # closures are declared first
    day = faulty.contacts["interval_start"].dt.floor("D")
    per_day = faulty.contacts.groupby(day)["contacts"].sum()
    shut = per_day[per_day == 0].index
    assert set(cal["date"]) <= set(shut) and len(shut) == 2  # the outages leave other channels
    chat = faulty.contacts[faulty.contacts["channel"] == "chat"].groupby(
        day[faulty.contacts["channel"] == "chat"])["contacts"].sum()
    assert (chat == 0).sum() == 4  # 2 closures + 2 chat outages
    assert (faulty.contacts["contacts"] <= clean.contacts["contacts"]).all()


def test_the_forecast_finds_the_undeclared_outages_and_is_not_dragged_down(desks, caplog):
    clean, _ = desks
    # faults in the last 4 weeks, inside the window of every average: one closure declared,
    # two chat outages not
    faulty, calendar = inject_faults(clean.contacts, closures=1, outages=2, declared=1,
                                     weeks=4, seed=1)
    asof = clean.contacts["interval_start"].max() + pd.Timedelta("30min")
    kw = dict(asof=asof, horizon_days=7, models={("chat", "en"): "mean4w",
                                                  ("chat", "ko"): "mean4w"})
    base = forecast_panel(clean.contacts, None, **kw)
    with caplog.at_level(logging.WARNING, logger="forecast.panel"):
        got = forecast_panel(faulty, None, calendar=calendar, **kw)
    assert caplog.text.count("no contacts at all on") >= 1  # the undeclared outages
    chat = lambda f, lang: f.loc[(f["channel"] == "chat") & (f["language"] == lang),  # noqa: E731
                                 "contacts"].sum()
    assert chat(got, "en") == pytest.approx(chat(base, "en"), rel=0.03)


def test_more_faults_than_weekdays_is_refused():
    t = pd.date_range("2026-11-02", periods=7 * 48, freq="30min", tz="UTC")
    contacts = pd.DataFrame({"interval_start": t, "channel": "chat", "language": "en",
                             "contacts": 5, "aht_s": 300.0})
    with pytest.raises(ValueError, match="6 faults asked for, the last 1 weeks have 5 weekdays"):
        inject_faults(contacts, closures=3, outages=3, weeks=1)
