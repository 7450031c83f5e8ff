"""Supply (issue 17, part 3) and the capacity settings: attrition, leave, training and
ramp-up in expected hours; bad settings refused with one clear line."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from forecast.inputs.problems import InputError
from optimize.capacity.config import CapacityConfig, HireProfile, capacity_config, default_profiles
from optimize.capacity.supply import covers, hire_yield, supply_hours, survival


def _agents() -> pd.DataFrame:
    return pd.DataFrame({
        "agent_id": ["A", "B", "C"], "languages": [("ko", "en"), ("ko", "en"), ("en",)],
        "channels": [("chat", "email"), ("email", "chat"), ("chat", "vip_chat")],
        "max_hours_week": [40.0, 40.0, 24.0], "vip": [False, False, True],
        "unavailable": [(), tuple(dt.date(2027, 1, 4) + dt.timedelta(days=k) for k in range(5)),
                        ()]})


WEEKS = pd.date_range("2027-01-04", periods=4, freq="7D", tz="UTC")


def test_same_skills_are_one_group_and_leave_takes_its_week():
    groups, hours = supply_hours(_agents(), WEEKS, CapacityConfig(attrition_monthly=0.0))
    assert groups["profile"].tolist() == ["en|chat+vip_chat|vip", "ko+en|chat+email|-"]
    assert groups["agents"].tolist() == [1, 2]
    np.testing.assert_allclose(hours[1], [40.0, 80.0, 80.0, 80.0])  # B on leave all week 1
    np.testing.assert_allclose(hours[0], 24.0)


def test_attrition_is_monthly_and_per_language():
    cfg = CapacityConfig(attrition_monthly=0.0, attrition_by_language={"ko": 0.05})
    _, hours = supply_hours(_agents(), WEEKS, cfg)
    np.testing.assert_allclose(hours[0], 24.0)
    assert survival(0.05, np.array([52 / 12]))[0] == pytest.approx(0.95)
    assert hours[1, 3] == pytest.approx(80.0 * 0.95 ** (12 * 4 / 52))


def test_a_hire_trains_then_ramps_up():
    cfg = CapacityConfig(training_weeks=2, ramp_weeks=2, ramp_share=0.5, attrition_monthly=0.0)
    y = hire_yield(HireProfile("ko", ("ko", "en"), ("chat",)), 7, cfg)
    assert y[1].tolist() == [0, 0, 0, 20.0, 20.0, 40.0, 40.0]
    assert (np.tril(y, -1) == 0).all()  # nothing before the start


def test_vip_channels_need_the_certification():
    from optimize.scenario import load_config

    q = pd.DataFrame({"channel": ["chat", "vip_chat", "email"], "language": ["en"] * 3})
    cfg = load_config("data/sample/scenario.toml")
    assert covers(("en",), ("chat", "vip_chat"), False, q, cfg).tolist() == [True, False, False]
    assert covers(("en",), ("chat", "vip_chat"), True, q, cfg).tolist() == [True, True, False]


def test_default_profiles_pair_each_language_with_english():
    p = default_profiles(["en", "ko"], {"chat": False, "vip_chat": True})
    assert [(x.name, x.languages, x.channels, x.vip) for x in p] == [
        ("en", ("en",), ("chat",), False), ("en-vip", ("en",), ("chat", "vip_chat"), True),
        ("ko", ("ko", "en"), ("chat",), False),
        ("ko-vip", ("ko", "en"), ("chat", "vip_chat"), True)]


@pytest.mark.parametrize("kw, message", [
    ({"attrition_monthly": 1.5}, "attrition_monthly must be a monthly share"),
    ({"attrition_by_language": {"ko": -0.1}}, "attrition_by_language.ko"),
    ({"ramp_share": 2.0}, "ramp_share"),
    ({"min_class_size": 12, "max_hires_per_week": 10}, "min_class_size 12"),
    ({"efficiency": 0.5}, "efficiency"),
])
def test_bad_settings_are_refused(kw, message):
    with pytest.raises(ValueError, match=message):
        CapacityConfig(**kw)


def test_profiles_and_horizon_are_checked_against_the_desk():
    cfg = CapacityConfig(profiles=(HireProfile("de", ("de",), ("chat",)),))
    with pytest.raises(ValueError, match=r"unknown language\(s\) \['de'\]"):
        cfg.check_against(["en", "ko"], ["chat"], 26)
    with pytest.raises(ValueError, match="training period"):
        CapacityConfig(training_weeks=30).check_against(["en"], ["chat"], 26)


def test_the_capacity_table_reports_every_bad_key():
    with pytest.raises(InputError) as exc:
        capacity_config({"attrition": 0.1, "training_weeks": "four",
                         "profiles": [{"name": "x", "languages": [], "channels": ["chat"]}]})
    text = "\n".join(str(p) for p in exc.value.problems)
    assert "capacity.attrition" in text and "unknown key" in text
    assert "capacity.training_weeks" in text and "expected a number" in text
    assert "capacity.profiles[0]" in text
    assert capacity_config(None) == CapacityConfig()


def test_hours_of_operation_move_the_closed_queues_hours_where_they_route(sample_dir):
    """A closed queue needs nobody: the weekly hours follow its contacts (as in the plan)."""
    import dataclasses

    from forecast.longrange import forecast_weeks, week_pattern
    from optimize.capacity.demand import weekly_requirements
    from optimize.scenario.hours import QueueHours
    from optimize.scenario.load import load_scenario_dir

    s = load_scenario_dir(sample_dir)
    fc = forecast_weeks(s.contacts, s.interval_s, 1)
    pattern = week_pattern(s.contacts, s.interval_s)
    plain = dataclasses.replace(s.config, hours=(), overflow=())  # the sample's routing off
    base, _ = weekly_requirements(fc.table, pattern, plain, s.interval_s)
    hours = (QueueHours("chat", "vi", 8 * 60, 24 * 60, "Asia/Ho_Chi_Minh", ("chat", "en")),)
    routed, _ = weekly_requirements(fc.table, pattern,
                                    dataclasses.replace(plain, hours=hours), s.interval_s)
    b = base.set_index(["channel", "language"])["required_hours"]
    r = routed.set_index(["channel", "language"])["required_hours"]
    assert r[("chat", "vi")] < 0.8 * b[("chat", "vi")]  # closed 00:00-08:00 local
    assert r[("chat", "en")] > b[("chat", "en")]
    assert r.drop([("chat", "vi"), ("chat", "en")]).equals(b.drop([("chat", "vi"), ("chat", "en")]))
