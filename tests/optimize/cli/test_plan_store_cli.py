"""Plans as records from the command line (issue 18, part 1): `plan --store` keeps each
plan, `plans` lists them, `publish` publishes one, `replan --plan` re-plans a stored plan
into a new draft naming its parent, `export` writes a stored plan's files back."""

from __future__ import annotations

import pandas as pd
import pytest

from optimize.cli import main
from optimize.queueing.requirements import evaluate_staffing
from optimize.records import find_plan, list_plans, load_plan_files, stored_schedule
from optimize.scenario.load import load_scenario_dir
from optimize.scenario.sample import write_sample

SOLVE = ["--time-limit", "60", "--work-limit", "3"]
V1, V2, V3 = (f"small-2026-11-30-v{i}" for i in (1, 2, 3))


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    root = tmp_path_factory.mktemp("plans")
    data = root / "small"
    write_sample(data, seed=3, weeks=6, n_agents=16, languages=("en", "ko"), volume_scale=0.04)
    store = root / "store.sqlite"
    assert main(["plan", "--data", str(data), "--out", str(root / "out"), "--store", str(store),
                 *SOLVE]) == 0
    assert main(["plan", "--data", str(data), "--out", str(root / "out2"), "--store",
                 str(store), "--publish", *SOLVE]) == 0
    return root, data, store


def test_each_plan_is_kept_with_the_files_it_wrote(stored, capsys):
    root, data, store = stored
    v1, v2 = find_plan(store, V1), find_plan(store, V2)
    assert (v1.status, v2.status) == ("draft", "published")
    assert v1.made_by == "plan" and v1.weeks == 1 and v1.start == pd.Timestamp("2026-11-30", tz="UTC")
    files = load_plan_files(store, V1)
    for name in ("roster.csv", "activities.csv", "coverage.csv", "forecast.csv",
                 "requirements.csv", "summary.md", "roster.ics"):
        assert files[name] == (root / "out" / name).read_bytes(), name
    roster = pd.read_csv(root / "out" / "roster.csv")
    assert v1.figures["shifts"] == len(roster)
    assert v1.figures["paid_hours"] == pytest.approx(roster["paid_hours"].sum())
    summary = files["summary.md"].decode()
    assert f"{v1.figures['rows_short']:,} interval x queue rows short of the requirement" in summary
    main(["plans", "--store", str(store), "--data", str(data)])
    listing = capsys.readouterr().out.splitlines()
    assert listing[1].split()[:3] == [V2, "published", "plan"]
    assert listing[2].split()[:3] == [V1, "draft", "plan"]


def test_a_stored_plan_reads_back_as_the_schedule_it_was(stored):
    root, data, store = stored
    info, files = find_plan(store, V2), load_plan_files(store, V2)
    result = stored_schedule(info, files)
    scenario = load_scenario_dir(data)
    fc = pd.read_csv(root / "out2" / "forecast.csv")
    fc["interval_start"] = pd.to_datetime(fc["interval_start"], utc=True)
    t0 = info.start
    cov = evaluate_staffing(fc, result.staffed, scenario.config, interval_s=scenario.interval_s,
                            window=(t0, t0 + pd.Timedelta(weeks=1)), roster=result.activities)
    stored_cov = pd.read_csv(root / "out2" / "coverage.csv")
    assert cov["service_level"].to_numpy() == pytest.approx(stored_cov["service_level"], abs=1e-9)
    assert len(result.roster) == info.figures["shifts"]
    assert result.objective == pytest.approx(info.figures["objective"])


def test_publish_replan_and_export(stored, tmp_path, capsys):
    root, data, store = stored
    assert main(["publish", V1, "--store", str(store)]) == 0
    assert (find_plan(store, V1).status, find_plan(store, V2).status) == ("published", "superseded")
    assert main(["replan", "--plan", V1, "--store", str(store), "--asof", "2026-12-02T12:00Z",
                 "--forecast", str(root / "out" / "forecast.csv"), "--data", str(data),
                 "--out", str(tmp_path / "re"), *SOLVE]) == 0
    v3 = find_plan(store, V3)
    assert (v3.made_by, v3.parent_id, v3.status) == ("replan", V1, "draft")
    assert load_plan_files(store, V3)["changes.csv"] == (tmp_path / "re" / "changes.csv").read_bytes()
    assert main(["export", V3, "--store", str(store), "--out", str(tmp_path / "exp")]) == 0
    for name in ("roster.csv", "activities.csv", "coverage.csv", "changes.csv", "summary.md"):
        assert (tmp_path / "exp" / name).read_bytes() == (tmp_path / "re" / name).read_bytes()
    assert not (tmp_path / "exp" / "unmet.csv").exists()  # the app's tables stay in the store
    assert [p.plan_id for p in list_plans(store)] == [V3, V2, V1]


def test_store_mistakes_exit_2_in_one_line_and_write_nothing(stored, tmp_path, capsys):
    root, data, store = stored
    before = len(list_plans(store))
    assert main(["publish", "small-2026-11-30-v99", "--store", str(store)]) == 2
    assert "no plan 'small-2026-11-30-v99'" in capsys.readouterr().err
    out = tmp_path / "never"
    assert main(["schedule", "--data", str(data), "--requirements",
                 str(root / "out" / "requirements.csv"), "--out", str(out), "--publish"]) == 2
    assert "--publish needs --store" in capsys.readouterr().err and not out.exists()
    assert main(["replan", "--plan", V1, "--asof", "2026-12-02T12:00Z", "--forecast",
                 str(root / "out" / "forecast.csv"), "--data", str(data), "--out", str(out)]) == 2
    assert "--plan needs --store" in capsys.readouterr().err and not out.exists()
    assert main(["plans", "--store", str(tmp_path / "none.sqlite")]) == 2
    assert len(list_plans(store)) == before
