"""``staffcast plan --calibrate`` on a small generated company: simulate, fit, plan again."""

from __future__ import annotations

import pandas as pd

from optimize.cli import main
from optimize.scenario.sample import write_sample


def test_plan_calibrate_writes_the_fit_and_plans_on_it(tmp_path, capsys):
    data = tmp_path / "small"
    write_sample(data, seed=3, weeks=6, n_agents=16, languages=("en", "ko"), volume_scale=0.04)
    agents = pd.read_csv(data / "agents.csv", dtype=str, keep_default_na=False)
    agents.assign(unavailable="").to_csv(data / "agents.csv", index=False)  # no leave days
    out = tmp_path / "plan"
    assert main(["plan", "--data", str(data), "--out", str(out), "--calibrate", "--reps", "2",
                 "--time-limit", "60", "--work-limit", "4"]) == 0
    fit = pd.read_csv(out / "calibration.csv")
    assert list(fit.columns) == ["channel", "language", "configured_shrinkage", "shrinkage",
                                 "promised", "delivered", "fitted", "round"]
    assert (fit["round"] == 1).all()
    assert (fit["configured_shrinkage"] == 0.3).all()
    # email and social are fitted to their roster promise, unless it is under 2% or over 98%
    deferred = fit[fit["channel"].isin(["email", "social"])]
    saturated = deferred["delivered"].isna()
    assert (deferred.loc[saturated, "shrinkage"] == 0.3).all()
    moved = deferred[~saturated & ((deferred["promised"] - deferred["delivered"]).abs() > 0.005)]
    fitted_here = moved[moved["shrinkage"] != 0.3]
    assert len(fitted_here) and ((fitted_here["shrinkage"] > 0.3)
                                 == (fitted_here["delivered"] < fitted_here["promised"])).all()
    # a fallback's source (social/ko -> social/en, email/ko -> email/en in the sample
    # scenario) is also answered by its target, whose shrinkage the same bisection moves:
    # it lands near, or keeps its configured shrinkage where the fit ends at the bound of
    # 0.9 (which would ask ten times its heads)
    from optimize.queueing.calibration import MAX_SHRINKAGE

    source = moved["language"].ne("en")
    assert source.any()
    assert (moved.loc[~source, "fitted"] - moved.loc[~source, "delivered"]).abs().max() < 0.002
    near = (moved["fitted"] - moved["delivered"]).abs() < 0.05
    kept = moved["shrinkage"] == 0.3
    assert (near | kept)[source].all()
    assert (fit["shrinkage"] < MAX_SHRINKAGE - 0.001).all()
    chat = fit[fit["channel"] == "chat"]
    # where this roster's chat delivers less in simulation than the formulas promised, the
    # fitted shrinkage is higher (lower where it delivers more), and at it the formulas
    # give the simulated level
    assert (chat["delivered"] != chat["promised"]).all()
    assert ((chat["shrinkage"] > 0.3) == (chat["delivered"] < chat["promised"])).all()
    # (a queue the formulas already give within AGREE keeps its configured shrinkage)
    from optimize.queueing.calibration import AGREE

    fitted = chat[(chat["promised"] - chat["delivered"]).abs() > AGREE]
    assert len(fitted) and (fitted["fitted"] - fitted["delivered"]).abs().max() < 0.002
    assert (chat["fitted"] - chat["delivered"]).abs().max() <= AGREE
    req = pd.read_csv(out / "requirements.csv")
    plan_fit = req.groupby(["channel", "language"])["shrinkage"].first()
    expected = fit.set_index(["channel", "language"])["shrinkage"]
    pd.testing.assert_series_equal(plan_fit.sort_index(), expected.reindex(plan_fit.index)
                                   .sort_index(), check_names=False, atol=1e-9)
    summary = (out / "summary.md").read_text()
    assert "## Promised and simulated" in summary and "## Calibrated shrinkage" in summary
    # the fit, kept in scenario.toml as the summary says, is what the next plan takes
    # without simulating
    toml = summary.split("```toml\n", 1)[1].split("```", 1)[0]
    assert toml.startswith("[staffing.effective_shrinkage]\n")
    scenario = (data / "scenario.toml").read_text()
    (data / "scenario.toml").write_text(scenario + "\n" + toml)
    again = tmp_path / "again"
    assert main(["plan", "--data", str(data), "--out", str(again), "--time-limit", "60",
                 "--work-limit", "4"]) == 0
    kept = pd.read_csv(again / "requirements.csv").groupby(["channel", "language"])[
        "shrinkage"].first()
    pd.testing.assert_series_equal(kept.sort_index(), expected.reindex(kept.index).sort_index(),
                                   check_names=False, atol=5e-4)


def test_a_negative_number_of_rounds_is_a_usage_error(tmp_path, capsys):
    code = main(["plan", "--data", str(tmp_path), "--out", str(tmp_path / "p"),
                 "--calibrate", "-1"])
    err = capsys.readouterr().err
    assert code == 2 and "--calibrate takes a number of rounds >= 0, got -1" in err
    assert "Traceback" not in err


def test_calibration_section_shows_each_round():
    from optimize.outputs.simulated import calibration_markdown

    base = {"channel": ["chat", "email"], "language": ["ko", "ko"], "promised": [0.9, 0.5],
            "delivered": [0.86, 0.5], "fitted": [0.86, 0.5]}
    fit = pd.concat([
        pd.DataFrame({**base, "configured_shrinkage": [0.3, 0.3], "shrinkage": [0.35, 0.3],
                      "round": 1}),
        pd.DataFrame({**base, "configured_shrinkage": [0.35, 0.3], "shrinkage": [0.372, 0.3],
                      "round": 2})])
    md = calibration_markdown(fit)
    assert "again on it, 2 times" in md and "1 of 2 queues changed." in md
    assert "| chat/ko | 90.0% | 86.0% | 30% -> 35.0% -> 37.2% |" in md
    assert "email/ko" not in md and "```toml" not in md
    # with the scenario, the table to keep: every queue off its channel's shrinkage, one
    # the scenario had calibrated before (email/ko at 0.45, unchanged here) included
    from optimize.scenario.config import parse_config

    cfg = parse_config({"channels": {"chat": {}, "email": {"kind": "deferred"}},
                        "shifts": {"templates": [{"name": "day", "length_h": 8}]}})
    again = fit.assign(configured_shrinkage=fit["configured_shrinkage"].where(
        fit["channel"] == "chat", 0.45), shrinkage=fit["shrinkage"].where(
        fit["channel"] == "chat", 0.45))
    md = calibration_markdown(again, cfg)
    assert ('[staffing.effective_shrinkage]\n"chat/ko" = 0.372\n"email/ko" = 0.450\n```'
            in md)
    assert "in place of any `[staffing.effective_shrinkage]`" in md
