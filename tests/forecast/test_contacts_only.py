"""Forecasting needs the contacts history only (issue 14, part 4).

A directory with just ``contacts.csv`` is forecast, backtested and refreshed; agents and
``scenario.toml`` are checked only by the commands that schedule, so an ``agents.csv``
naming a language the contacts lack no longer stops a forecast.
"""

from __future__ import annotations

import pandas as pd
import pytest
from test_forecast_data import make_contacts

from forecast.inputs import load_history_dir
from forecast.inputs.problems import InputError
from forecast.store import list_runs
from optimize.cli import main
from optimize.scenario.sample import contacts_to_csv

ASOF = "2026-02-23T00:00Z"  # 7 weeks into the generated history


@pytest.fixture(scope="module")
def contacts_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("contacts_only")
    c = make_contacts(days=56, queues={("chat", "en"): 400.0, ("email", "en"): 80.0})
    (d / "contacts.csv").write_bytes(contacts_to_csv(c))
    return d


def test_history_dir_reads_contacts_alone(contacts_dir):
    h = load_history_dir(contacts_dir)
    assert h.market is None and h.interval_s == 1800
    assert list(h.queues.itertuples(index=False, name=None)) == [("chat", "en"), ("email", "en")]


def test_forecast_backtest_and_refresh_on_contacts_alone(contacts_dir, tmp_path, capsys):
    out = tmp_path / "fc.csv"
    assert main(["forecast", "--data", str(contacts_dir), "--asof", ASOF, "--horizon-days", "2",
                 "--out", str(out)]) == 0
    fc = pd.read_csv(out)
    assert len(fc) == 2 * 48 * 2 and fc["contacts"].notna().all()
    assert main(["backtest", "--data", str(contacts_dir), "--origins", "1", "--horizon-days",
                 "1", "--out", str(tmp_path / "bt")]) == 0
    assert (tmp_path / "bt" / "metrics.csv").is_file()
    store = tmp_path / "runs.sqlite"
    assert main(["refresh", "--data", str(contacts_dir), "--store", str(store),
                 "--horizon-days", "2", "--backtest-origins", "0"]) == 0
    assert len(list_runs(store)) == 1


def test_agents_are_not_checked_to_forecast_but_are_to_plan(contacts_dir, tmp_path, capsys):
    d = tmp_path / "desk"
    d.mkdir()
    (d / "contacts.csv").write_bytes((contacts_dir / "contacts.csv").read_bytes())
    (d / "agents.csv").write_text("agent_id,name,languages,channels,timezone,min_hours_week,"
                                  "max_hours_week\nA1,Ana,pt,chat,UTC,0,40\n")
    assert main(["forecast", "--data", str(d), "--asof", ASOF, "--horizon-days", "1",
                 "--out", str(tmp_path / "fc.csv")]) == 0
    assert main(["validate", "--data", str(d)]) == 2  # scheduling needs agents and targets
    assert "scenario.toml" in capsys.readouterr().err


def test_missing_contacts_is_one_clear_problem(tmp_path, capsys):
    with pytest.raises(InputError, match="contacts.csv: file not found"):
        load_history_dir(tmp_path)
    assert main(["forecast", "--data", str(tmp_path), "--asof", ASOF, "--horizon-days", "1",
                 "--out", str(tmp_path / "fc.csv")]) == 2
    assert "contacts.csv: file not found" in capsys.readouterr().err
