"""End to end on the embedded sample company: `make plan` (the README's main job, as a
newcomer runs it: no output directory yet) writes every output, and the outputs agree
with each other and with the contract."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from optimize.cli import main
from optimize.scenario.load import load_scenario_dir

PLAN_START = pd.Timestamp("2026-11-30", tz="UTC")  # first Monday a day after the history


@pytest.fixture(scope="module")
def plan(tmp_path_factory, sample_dir):
    root = tmp_path_factory.mktemp("plan") / "not-yet"  # make plan creates it
    # this interpreter's environment; STAMP= skips the install step `make test` just did
    bin_dir = Path(sys.executable).parent
    done = subprocess.run(["make", "--no-print-directory", "plan", f"OUT={root}",
                           f"BIN={bin_dir}", "STAMP=", "PLAN_FLAGS=--time-limit 45 --simulate --reps 2"],
                          cwd=sample_dir.parents[1], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    return root / "sample"


def read(out, name):
    df = pd.read_csv(out / name, keep_default_na=False, na_values=[""])
    for col in ("interval_start", "start_utc", "end_utc"):
        if col in df:
            df[col] = pd.to_datetime(df[col], utc=True, format="ISO8601")
    return df


def test_every_output_is_written(plan):
    for name in ("forecast.csv", "requirements.csv", "roster.csv", "activities.csv",
                 "coverage.csv", "roster.ics", "summary.md", "simulation.csv", "simulation.md"):
        assert (plan / name).stat().st_size > 0, name


def test_coverage_is_the_plan_week_for_every_queue(plan, sample_dir):
    cov = read(plan, "coverage.csv")
    queues = load_scenario_dir(sample_dir).queues
    assert len(cov) == 7 * 48 * len(queues)
    assert cov["interval_start"].min() == PLAN_START
    assert cov["interval_start"].max() == PLAN_START + pd.Timedelta(days=7, minutes=-30)
    assert {"required_agents", "scheduled_agents", "service_level", "asa_s", "abandon_rate",
            "backlog", "oldest_age_h"} <= set(cov.columns)
    assert cov["service_level"].between(0, 1).all()
    # Someone is on duty for English chat, the biggest queue, in every interval.
    en_chat = cov[(cov["channel"] == "chat") & (cov["language"] == "en")]
    assert (en_chat["scheduled_agents"] > 0).mean() > 0.95


def test_roster_and_activities_agree(plan, sample_dir):
    roster, acts = read(plan, "roster.csv"), read(plan, "activities.csv")
    agents = load_scenario_dir(sample_dir).agents.set_index("agent_id")
    assert set(roster["agent_id"]) <= set(agents.index)
    assert roster.groupby(["agent_id", "shift_date"]).size().max() == 1  # one shift a day
    hours = roster.groupby("agent_id")["paid_hours"].sum()
    assert (hours <= agents.loc[hours.index, "max_hours_week"] + 1e-9).all()
    # Every work segment lies inside one of its agent's shifts, on a queue the agent may serve.
    work = acts[acts["activity"] == "work"].merge(roster[["agent_id", "start_utc", "end_utc"]],
                                                  on="agent_id", suffixes=("", "_shift"))
    inside = (work["start_utc"] >= work["start_utc_shift"]) & (work["end_utc"] <= work["end_utc_shift"])
    assert inside.groupby([work["agent_id"], work["start_utc"]]).any().all()
    # Every minute of work has a queue the agent is skilled for, also the minutes of a local
    # shift that spill past the UTC week (they continue on the shift's nearest queue).
    work = acts[acts["activity"] == "work"]
    in_week = (work["start_utc"] >= PLAN_START) & (work["end_utc"] <= PLAN_START + pd.Timedelta(days=7))
    assert (~in_week).any()
    skills = work.join(agents[["languages", "channels"]], on="agent_id")
    assert all(r.language in r.languages and r.channel in r.channels for r in skills.itertuples())


def test_summary_reports_solver_and_outlook(plan):
    text = (plan / "summary.md").read_text()
    assert "# staffcast plan: 2026-11-30 + 1 week(s)" in text
    assert "gap" in text and "Response-time outlook" in text
    assert "Repeatable: the search ended on its work budget" in text \
        or "Not repeatable: the time limit ended the" in text
    assert "| chat | en |" in text
    assert "## Why queues are short, and what would fix it" in text
    assert "agents to add" in text


def test_simulation_sits_beside_the_promise(plan, sample_dir):
    sim = read(plan, "simulation.csv")
    queues = load_scenario_dir(sample_dir).queues
    assert len(sim) == 7 * 48 * len(queues)
    for col in ("service_level", "abandon_rate", "occupancy"):
        v = sim[col].dropna()
        assert ((v >= 0) & (v <= 1 + 1e-6)).all(), col
    assert (sim["service_level_lo"].dropna() <= sim["service_level_hi"].dropna()).all()
    summary, md = (plan / "summary.md").read_text(), (plan / "simulation.md").read_text()
    section = md.split("\n", 2)[2]
    assert section in summary  # the same section in both files
    assert "## Promised and simulated" in section and "| chat/en |" in section
    assert "queues over-promise" in section


def test_simulate_command_on_a_plan_directory(plan, sample_dir, tmp_path, capsys):
    assert main(["simulate", "--plan", str(plan), "--data", str(sample_dir), "--reps", "2",
                 "--out", str(tmp_path)]) == 0
    assert (tmp_path / "simulation.csv").stat().st_size > 0
    assert "## Promised and simulated" in (tmp_path / "simulation.md").read_text()


def test_simulate_refuses_bad_input(plan, sample_dir, tmp_path, capsys):
    broken = tmp_path / "plan"
    shutil.copytree(plan, broken)
    acts = pd.read_csv(broken / "activities.csv", dtype=str, keep_default_na=False)
    first = acts.index[acts["activity"] == "work"][0]
    acts.loc[first, ["channel", "language"]] = ["chat", "xx"]
    acts.to_csv(broken / "activities.csv", index=False)
    before = (broken / "simulation.csv").read_bytes()
    assert main(["simulate", "--plan", str(broken), "--data", str(sample_dir)]) == 2
    err = capsys.readouterr().err
    assert f"activities.csv:{first + 2}, column 'channel'" in err and "chat/xx" in err
    assert (broken / "simulation.csv").read_bytes() == before  # the earlier output is kept

    (broken / "coverage.csv").unlink()
    assert main(["simulate", "--plan", str(broken), "--data", str(sample_dir)]) == 2
    assert "coverage.csv: file not found" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["simulate", "--plan", str(plan), "--data", str(sample_dir), "--reps", "0"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        main(["simulate", "--plan", str(plan), "--data", str(sample_dir), "--shrinkage", "x"])
    assert exc.value.code == 2


def test_simulate_replays_actual_arrivals(plan, sample_dir, tmp_path):
    fc = read(plan, "forecast.csv")
    week = fc[(fc["interval_start"] >= PLAN_START)
              & (fc["interval_start"] < PLAN_START + pd.Timedelta(days=7))]
    actual = week.assign(contacts=week["contacts"].round().astype(int))
    actual["aht_s"] = actual["aht_s"].where(actual["contacts"] > 0)
    actual["interval_start"] = actual["interval_start"].map(lambda t: t.isoformat())
    path = tmp_path / "actual.csv"
    actual[["interval_start", "channel", "language", "contacts", "aht_s"]].to_csv(path,
                                                                                 index=False)
    assert main(["simulate", "--plan", str(plan), "--data", str(sample_dir), "--reps", "2",
                 "--arrivals", str(path), "--out", str(tmp_path / "out")]) == 0
    sim = read(tmp_path / "out", "simulation.csv")
    got = sim.groupby(["channel", "language"])["contacts"].sum()
    want = actual.groupby(["channel", "language"])["contacts"].sum().astype(float)
    pd.testing.assert_series_equal(got, want.reindex(got.index), check_names=False)
    short = actual[actual["interval_start"] < "2026-12-03"]
    short.to_csv(path, index=False)
    assert main(["simulate", "--plan", str(plan), "--data", str(sample_dir),
                 "--arrivals", str(path), "--out", str(tmp_path / "out")]) == 2
