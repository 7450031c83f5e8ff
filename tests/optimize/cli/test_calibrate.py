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
                                 "promised", "delivered", "fitted"]
    assert (fit["configured_shrinkage"] == 0.3).all()
    deferred = fit["channel"].isin(["email", "social"])
    assert (fit.loc[deferred, "shrinkage"] == 0.3).all()  # only real-time queues are fitted
    chat = fit[fit["channel"] == "chat"]
    # where this roster's chat delivers less in simulation than the formulas promised, the
    # fitted shrinkage is higher (lower where it delivers more), and at it the formulas
    # give the simulated level
    assert (chat["delivered"] != chat["promised"]).all()
    assert ((chat["shrinkage"] > 0.3) == (chat["delivered"] < chat["promised"])).all()
    assert (chat["fitted"] - chat["delivered"]).abs().max() < 0.002
    req = pd.read_csv(out / "requirements.csv")
    plan_fit = req.groupby(["channel", "language"])["shrinkage"].first()
    expected = fit.set_index(["channel", "language"])["shrinkage"]
    pd.testing.assert_series_equal(plan_fit.sort_index(), expected.reindex(plan_fit.index)
                                   .sort_index(), check_names=False, atol=1e-9)
    summary = (out / "summary.md").read_text()
    assert "## Promised and simulated" in summary and "## Calibrated shrinkage" in summary
