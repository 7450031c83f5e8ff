"""The app on stored plans (issue 18, parts 1 and 6): it opens on the published plan that
`staffcast plan --publish` stored, keeps every build as a draft, compares a draft with the
published plan, publishes it, and a new session (a reload) opens on it with the choices it
was made with."""

import io

import pandas as pd
import pytest
import streamlit as st
from app_support import ROOT, go, make_company, metric, number
from streamlit.testing.v1 import AppTest

from optimize.cli import main
from optimize.outputs.summary import BENDS_NOTE, short_line
from optimize.records import find_plan, list_plans, load_plan_files

TIMEOUT = 180
V1 = "small-2026-11-30-v1"


@pytest.fixture(scope="module")
def desk(tmp_path_factory):
    root = tmp_path_factory.mktemp("app_plans")
    company = make_company(root)
    assert main(["plan", "--data", str(company["data"]), "--out", str(root / "out"), "--store",
                 str(company["store"]), "--publish", "--time-limit", "60",
                 "--work-limit", "3"]) == 0
    return {**company, "root": root}


def start(desk, monkeypatch) -> AppTest:
    """A new browser session: the same thing a reload is."""
    monkeypatch.setenv("STAFFCAST_DATA", str(desk["data"]))
    monkeypatch.setenv("STAFFCAST_STORE", str(desk["store"]))
    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_app_opens_on_the_published_plan(desk, monkeypatch):
    at = start(desk, monkeypatch)
    info = find_plan(desk["store"], V1)
    assert at.session_state["schedule"]["plan_id"] == V1
    assert f"Figures from plan **{V1}**" in at.success[0].value
    assert number(metric(at, "Scheduled paid hours")) == pytest.approx(
        info.figures["paid_hours"], abs=0.5)
    # the row the Overview draws first, from the stored figures, and the one it computes
    # once the scenario is loaded are the same figures: it is drawn once
    assert [m.label for m in at.metric][:5] == ["Forecast contacts", "Peak heads required",
                                                "Required hours", "Agents",
                                                "Scheduled paid hours"]
    assert number(metric(at, "Required hours")) == pytest.approx(info.figures["required_hours"],
                                                                 abs=0.5)
    assert int(metric(at, "Peak heads required")) == info.figures["peak_heads_required"]
    assert number(metric(at, "Forecast contacts")) == pytest.approx(info.figures["contacts"],
                                                                    abs=0.5)
    # the Overview's count of rows below target is the plan's, the one summary.md gives
    assert any(w.value.startswith(f"{info.figures['rows_below_target']} interval x queue rows "
                                  f"below target in {info.figures['queues_below_target']} queue")
               for w in at.warning), [w.value for w in at.warning]
    go(at, "schedule")
    assert metric(at, "Status") == info.figures["status"]
    assert int(metric(at, "Shifts")) == info.figures["shifts"]
    assert any(c.value == short_line(info.figures) for c in at.caption)  # summary.md's words
    assert any(c.value == BENDS_NOTE for c in at.caption)  # why penalties exceed the objective
    assert not any("No schedule yet" in i.value for i in at.info)
    go(at, "export")
    assert any(f"Plan **{V1}**" in m.value for m in at.markdown)
    assert "dl_summary" in {b.key for b in at.get("download_button")}


def test_a_build_with_the_published_plans_choices_keeps_its_own_coverage(desk, monkeypatch):
    at = start(desk, monkeypatch)  # opens on the published plan (its coverage is cached)
    go(at, "schedule")
    at.number_input(key="time_limit").set_value(10)
    at.number_input(key="seed").set_value(5)
    at.button(key="build").click().run()  # same inputs as the published plan
    assert not at.exception, [e.value for e in at.exception]
    draft = list_plans(desk["store"])[0]
    # the draft's stored coverage is its own, not the published plan's: both have the same
    # inputs, and the coverage cache was keyed on the inputs only
    stored = pd.read_csv(io.BytesIO(load_plan_files(desk["store"], draft.plan_id)["coverage.csv"]))
    stored["interval_start"] = pd.to_datetime(stored["interval_start"], utc=True)
    keys = ["interval_start", "channel", "language"]
    mine = at.session_state["schedule"]["result"].staffed.groupby(keys, as_index=False)[
        "scheduled_agents"].sum()
    both = stored.merge(mine, on=keys, how="left", suffixes=("", "_built")).fillna(0.0)
    assert both["scheduled_agents"].to_numpy() == pytest.approx(
        both["scheduled_agents_built"].to_numpy())
    assert int(metric(at, "Shifts")) == draft.figures["shifts"]


def test_a_build_is_a_draft_to_compare_and_publish_and_a_reload_keeps_it(desk, monkeypatch):
    at = start(desk, monkeypatch)
    at.session_state["quantile"] = "contacts_p90"  # a choice the plan must carry
    go(at, "schedule")
    at.number_input(key="time_limit").set_value(10)
    at.number_input(key="seed").set_value(3)
    at.button(key="build").click().run()
    assert not at.exception, [e.value for e in at.exception]
    draft = list_plans(desk["store"])[0]
    assert (draft.made_by, draft.status, draft.parent_id) == ("app", "draft", None)
    assert at.session_state["schedule"]["plan_id"] == draft.plan_id != V1
    assert draft.settings["quantile"] == "contacts_p90" and draft.settings["seed"] == 3
    assert int(metric(at, "Shifts")) == draft.figures["shifts"]
    # compared with the published plan: per queue service and per agent shift changes
    tables = [d.value for d in at.dataframe]
    queues = next(t for t in tables if "service_level_base" in t.columns)
    assert len(queues) == 8
    new_roster = at.session_state["schedule"]["result"].roster
    old_roster = pd.read_csv(desk["root"] / "out" / "roster.csv")
    hours = lambda r: r.groupby("agent_id")["paid_hours"].sum()  # noqa: E731
    assert queues["scheduled_h_new"].sum() > 0 and queues["scheduled_h_base"].sum() > 0
    agents = next(t for t in tables if "changes" in t.columns).set_index("agent_id")
    assert len(agents)  # a p90 plan with another seed moves someone
    for a, row in agents.iterrows():
        assert row["shifts_new"] == (new_roster["agent_id"] == a).sum()
        assert row["shifts_base"] == (old_roster["agent_id"] == a).sum()
        assert row["paid_hours_new"] == pytest.approx(hours(new_roster).get(a, 0.0))
        assert row["added"] + row["removed"] + row["moved"] == len(row["changes"].split())
    at.button(key="publish").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert find_plan(desk["store"], draft.plan_id).status == "published"
    assert find_plan(desk["store"], V1).status == "superseded"

    again = start(desk, monkeypatch)  # reload: the draft just published, as it was made
    assert again.session_state["schedule"]["plan_id"] == draft.plan_id
    assert again.session_state["quantile"] == "contacts_p90"
    assert number(metric(again, "Scheduled paid hours")) == pytest.approx(
        draft.figures["paid_hours"], abs=0.5)
    go(again, "schedule")
    assert not any("built before the forecast or what-ifs changed" in w.value
                   for w in again.warning)  # its choices came back with it: not stale


def test_the_forecast_page_shows_the_track_record(desk, monkeypatch):
    from forecast.store.runs import latest_run, load_forecast
    from forecast.store.track import score_runs

    run = latest_run(desk["store"])
    fc = load_forecast(desk["store"], run.run_id)
    actual = fc[["interval_start", "channel", "language"]].assign(
        contacts=fc["contacts"] * 1.1)  # the actuals came in 10% above the forecast
    score_runs(desk["store"], actual)
    at = go(start(desk, monkeypatch), "forecast")
    table = next(d.value for d in at.dataframe if "horizon" in d.value.columns)
    assert set(table["run_id"]) == {run.run_id}
    assert table["bias"].to_numpy() == pytest.approx(-1 / 11, abs=1e-6)  # (f - 1.1 f) / 1.1 f
