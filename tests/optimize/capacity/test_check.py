"""Closing the loop (issue 17): the desk a plan promises for a week, scheduled; the
queues it leaves short corrected in the next round's plan."""

from __future__ import annotations

import pandas as pd
import pytest

from optimize.capacity.check import MAX_FACTOR, WeekCheck, desk_for_week, queue_factors
from optimize.capacity.config import CapacityConfig, HireProfile
from optimize.capacity.plan import CapacityPlan
from optimize.cli import main
from optimize.scenario.sample import write_sample


def _agents(n_ko: int = 10, n_en: int = 4) -> pd.DataFrame:
    rows = [{"agent_id": f"K{i}", "languages": ("ko", "en"), "channels": ("chat",),
             "timezone": "Asia/Seoul" if i else "Europe/London"} for i in range(n_ko)]
    rows += [{"agent_id": f"E{i}", "languages": ("en",), "channels": ("chat",),
              "timezone": "Europe/London"} for i in range(n_en)]
    return pd.DataFrame(rows).assign(max_hours_week=40.0, min_hours_week=32.0)


def _plan(hires: pd.DataFrame) -> CapacityPlan:
    weeks = pd.date_range("2027-01-04", periods=10, freq="7D", tz="UTC")
    return CapacityPlan(capacity=pd.DataFrame({"week_start": weeks}), hires=hires,
                        groups=pd.DataFrame(), forecast=None, efficiency=1.3,
                        profiles=(HireProfile("ko", ("ko", "en"), ("chat",)),))


def test_the_desk_keeps_the_expected_survivors_and_adds_the_hires():
    plan = _plan(pd.DataFrame({"week_start": [pd.Timestamp("2027-01-18", tz="UTC")],
                               "profile": ["ko"], "hires": [3]}))
    cap = CapacityConfig(attrition_monthly=0.0, attrition_by_language={"ko": 0.1})
    desk = desk_for_week(plan, _agents(), 9, cap)
    # ko: 10 x 0.9 ** (12 * 10 / 52) = 7.8 -> 8 kept; en keeps all 4; 3 hires
    assert (desk["agent_id"].str.startswith("K")).sum() == 8
    assert (desk["agent_id"].str.startswith("E")).sum() == 4
    hired = desk[desk["agent_id"].str.startswith("H-")]
    assert len(hired) == 3
    assert set(hired["timezone"]) == {"Asia/Seoul"}  # where most ko agents work
    assert hired["languages"].iloc[0] == ("ko", "en")
    early = desk_for_week(plan, _agents(), 1, cap)  # before the hires start
    assert not early["agent_id"].str.startswith("H-").any()
    training = desk_for_week(plan, _agents(), 4, cap)  # started 2027-01-18, trains 4 weeks
    assert not training["agent_id"].str.startswith("H-").any()
    assert desk_for_week(plan, _agents(), 6, cap)["agent_id"].str.startswith("H-").sum() == 3


def _check(shares: dict) -> WeekCheck:
    q = pd.DataFrame([{"channel": c, "language": lang, "covered_share": s}
                      for (c, lang), s in shares.items()])
    return WeekCheck(pd.Timestamp("2027-01-04", tz="UTC"), None, None, None, None, q, 0.0, 1.0)


def test_a_short_queue_gets_the_inverse_of_its_covered_share():
    f = queue_factors(_check({("chat", "ko"): 0.8, ("chat", "en"): 1.0}))
    assert f[("chat", "ko")] == pytest.approx(1.25) and f[("chat", "en")] == 1.0
    again = queue_factors(_check({("chat", "ko"): 0.9, ("chat", "en"): 1.0}), f)
    assert again[("chat", "ko")] == pytest.approx(1.25 / 0.9)
    capped = queue_factors(_check({("chat", "ko"): 0.1}))
    assert capped[("chat", "ko")] == MAX_FACTOR
    # a queue whose promise on the schedule meets its target keeps its factor
    met = _check({("vip_chat", "ko"): 0.4, ("chat", "ko"): 0.8})
    met.queues["meets_target"] = [True, False]
    kept = queue_factors(met, {("vip_chat", "ko"): 1.2})
    assert kept[("vip_chat", "ko")] == 1.2 and kept[("chat", "ko")] == pytest.approx(1.25)


def test_staffcast_capacity_calibrate_writes_its_checks(tmp_path):
    d = tmp_path / "desk"
    write_sample(d, seed=3, weeks=14, n_agents=16, languages=("en", "ko"), volume_scale=0.04)
    agents = pd.read_csv(d / "agents.csv", dtype=str, keep_default_na=False)
    agents.assign(unavailable="").to_csv(d / "agents.csv", index=False)
    out = tmp_path / "out"
    code = main(["capacity", "--data", str(d), "--weeks", "10", "--out", str(out),
                 "--efficiency", "1.3", "--lead-time", "1", "--training-weeks", "1",
                 "--ramp-weeks", "1", "--calibrate", "1", "--check-work-limit", "5",
                 "--simulate", "2"])
    assert code == 0
    checks = pd.read_csv(out / "check.csv")
    assert sorted(checks["round"].unique()) == [0, 1]
    assert checks["covered_share"].between(0, 1).all()
    first = checks[checks["round"] == 0]
    assert (first["queue_factor"] == 1.0).all()  # round 0 checks the uncorrected plan
    second = checks[checks["round"] == 1].set_index(["channel", "language"])
    assert first["service_level"].between(0, 1).all()
    for r in first.itertuples():  # a queue meeting its target on the schedule: not corrected
        want = 1.0 if r.meets_target else min(1.0 / max(r.covered_share, 1 / MAX_FACTOR),
                                              MAX_FACTOR)
        assert second.loc[(r.channel, r.language), "queue_factor"] == pytest.approx(want)
    # round 1 was planned with each queue's shrinkage fitted to the simulated check week:
    # a level in [0, 0.9], not the configured 30 % everywhere
    assert (first["shrinkage"] == 0.3).all()
    assert second["shrinkage"].between(0.0, 0.9).all()
    assert (second["shrinkage"] != 0.3).any()
    cap = pd.read_csv(out / "capacity.csv")
    assert "queue_factor" in cap.columns
    assert "Check on the scheduler" in (out / "capacity.md").read_text()


def test_fitted_shrinkage_raises_only_its_queues_hours(tmp_path):
    from forecast.longrange import forecast_weeks, week_pattern
    from optimize.capacity.demand import weekly_requirements
    from optimize.scenario.config import load_config

    d = tmp_path / "desk"
    write_sample(d, seed=3, weeks=6, n_agents=16, languages=("en", "ko"), volume_scale=0.2)
    contacts = pd.read_csv(d / "contacts.csv.gz", parse_dates=["interval_start"])
    cfg = load_config(d / "scenario.toml")
    fc = forecast_weeks(contacts, 1800, 1)
    pattern = week_pattern(contacts, 1800)
    base, _ = weekly_requirements(fc.table, pattern, cfg, 1800)
    fit = pd.DataFrame({"channel": ["chat"], "language": ["ko"], "shrinkage": [0.5]})
    got, req = weekly_requirements(fc.table, pattern, cfg, 1800, shrinkage=fit)
    b = base.groupby(["channel", "language"])["required_hours"].sum()
    g = got.groupby(["channel", "language"])["required_hours"].sum()
    # the same productive agents on schedule at 50 % instead of 30 % shrinkage
    assert g[("chat", "ko")] == pytest.approx(b[("chat", "ko")] * 0.7 / 0.5)
    assert g.drop(("chat", "ko")).equals(b.drop(("chat", "ko")))
    assert set(req.loc[req["language"] == "ko"].query("channel == 'chat'")["shrinkage"]) == {0.5}


def test_email_and_social_are_raised_only_where_they_miss():
    from optimize.capacity.check import raised_only_where_missed
    from optimize.scenario.config import ChannelConfig, ScenarioConfig, ShiftRules

    cfg = ScenarioConfig(channels={
        "chat": ChannelConfig(name="chat"),
        "email": ChannelConfig(name="email", kind="deferred", response_share=0.9)},
        shifts=ShiftRules(templates=()))
    fit = pd.DataFrame({
        "channel": ["email", "email", "email", "chat"], "language": ["en", "ko", "ru", "en"],
        "configured_shrinkage": 0.3, "shrinkage": [0.5, 0.5, 0.2, 0.5],
        "promised": [1.0, 0.95, 0.9, 0.9], "delivered": [0.97, 0.8, 0.95, 0.95],
        "fitted": [0.97, 0.8, 0.95, 0.95]})
    out = raised_only_where_missed(fit, cfg)
    # email/en holds (97 % >= 90 %): not raised; email/ko misses: raised; a lower fit and
    # the real-time queue are left as fitted
    assert out["shrinkage"].tolist() == [0.3, 0.5, 0.2, 0.5]
    assert out["fitted"].tolist() == [1.0, 0.8, 0.95, 0.95]
