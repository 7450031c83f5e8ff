"""``staffcast capacity`` (issue 17) on the sample company: the files and their figures
agree, what-ifs move the plan the right way, bad input is one line and exit 2."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from optimize.capacity.report import by_language
from optimize.cli import main


@pytest.fixture(scope="module")
def planned(sample_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("capacity")
    code = main(["capacity", "--data", str(sample_dir), "--weeks", "12", "--out", str(out),
                 "--work-limit", "5"])
    assert code == 0
    return out


def _read(path):
    return pd.read_csv(path, parse_dates=["week_start"])


def test_the_plan_writes_its_four_files_with_the_contract_columns(planned):
    cap = _read(planned / "capacity.csv")
    assert {"week_start", "channel", "language", "contacts", "contacts_p10", "contacts_p90",
            "required_hours", "required_fte", "available_fte_today", "available_fte_plan",
            "short_fte_today", "short_fte_plan", "service_level_today",
            "service_level_plan"} <= set(cap.columns)
    assert cap["week_start"].nunique() == 12 and len(cap) == 12 * 32
    hires = pd.read_csv(planned / "hires.csv", parse_dates=["week_start", "decide_by"])
    assert {"profile", "hires", "decide_by", "fully_productive_from"} <= set(hires.columns)
    md = (planned / "capacity.md").read_text()
    assert "paid h per required h, measured on the week of 2026-11-16" in md
    assert (planned / "supply.csv").is_file()


def test_the_figures_agree_with_each_other(planned):
    cap = _read(planned / "capacity.csv")
    # available + short = required, today and with the plan (hours are served or short)
    for k in ("today", "plan"):
        gap = cap["available_fte_" + k] + cap["short_fte_" + k] - cap["required_fte"]
        assert gap.abs().max() < 1e-4
    # hires only add hours: per week the plan is short by no more than today, and in the
    # weeks before the first hire works (lead time + training) it is the same desk
    week = cap.groupby("week_start")[["short_fte_today", "short_fte_plan"]].sum()
    assert (week["short_fte_plan"] <= week["short_fte_today"] + 1e-6).all()
    early = cap[cap["week_start"] < cap["week_start"].min() + pd.Timedelta(weeks=8)]
    assert (early["short_fte_plan"] - early["short_fte_today"]).abs().max() < 1e-9
    lang = by_language(cap)
    assert lang["required_fte"].sum() == pytest.approx(cap["required_fte"].sum())
    hires = pd.read_csv(planned / "hires.csv", parse_dates=["week_start", "decide_by"])
    first = cap["week_start"].min()
    assert (hires["decide_by"] >= first).all()  # no decision in the past
    assert (hires.groupby("week_start")["hires"].sum() <= 10).all()


def test_what_ifs_move_the_plan_the_right_way(sample_dir, tmp_path):
    def total(*extra):
        out = tmp_path / "-".join(extra or ("base",)).replace("=", "")
        assert main(["capacity", "--data", str(sample_dir), "--weeks", "4", "--out", str(out),
                     "--efficiency", "1.3", "--lead-time", "1", "--training-weeks", "1",
                     *extra]) == 0
        return _read(out / "capacity.csv")

    base = total()
    surge = total("--surge", "2026-12-02:2")  # a Wednesday: its week and the next
    calm = total("--deflection", "chat=0.3")
    added = total("--add", "ko:4")
    hot = surge["regime"] == "stressed"
    assert sorted(surge.loc[hot, "week_start"].dt.date.astype(str).unique()) == [
        "2026-11-30", "2026-12-07"]
    assert set(surge.loc[~hot, "regime"]) == {"typical"}
    assert surge.loc[hot, "required_fte"].sum() > 1.1 * base.loc[hot, "required_fte"].sum()
    # the other weeks barely move (an email backlog of a busy week spills into the next)
    assert surge.loc[~hot, "required_fte"].sum() == pytest.approx(
        base.loc[~hot, "required_fte"].sum(), rel=0.01)
    assert calm["required_fte"].sum() < base["required_fte"].sum()
    ko = lambda df: df.loc[df["language"] == "ko", "short_fte_today"].sum()  # noqa: E731
    assert ko(added) < ko(base)
    # without the sample's routing every VIP language is staffed on its own and English
    # VIP no longer takes their chats
    alone = total("--no-overflow", "all")
    vip = lambda df, en: df.loc[(df["channel"] == "vip_chat")  # noqa: E731
                                & ((df["language"] == "en") == en), "required_fte"].sum()
    assert vip(alone, False) > 1.5 * vip(base, False)
    assert vip(alone, True) < vip(base, True)
    # a longer wait before Korean VIP chats go to English asks more of Korean VIP agents
    later = total("--overflow", "vip_chat/ko=vip_chat/en@15")
    vip_ko = lambda df: df.loc[(df["channel"] == "vip_chat")  # noqa: E731
                               & (df["language"] == "ko"), "required_fte"].sum()
    assert vip_ko(later) >= vip_ko(base)


@pytest.mark.parametrize("extra, message", [
    (["--attrition", "1.5"], "attrition_monthly must be a monthly share in [0, 1)"),
    (["--weeks", "2"], "4 to 52 weeks"),
    (["--training-weeks", "30"], "training period"),
    (["--deflection", "chat"], "expected NAME=NUMBER"),
    (["--add", "xx:2"], "unknown profile(s) ['xx']"),
    (["--surge", "soon"], "expected DATE[:WEEKS]"),
    (["--overflow", "vip_chat/ko"], "expected QUEUE=TARGET@SECONDS"),
    (["--overflow", "vip_chat/ko=vip_chat/ko@5"], "cannot overflow to itself"),
    (["--overflow", "vip_chat/en=vip_chat/ko@5"], "circle"),
    (["--no-overflow", "chat/en"], "no such rule"),
])
def test_bad_input_is_one_line_and_exit_2(sample_dir, tmp_path, capsys, extra, message):
    out = tmp_path / "out"
    out.mkdir()
    (out / "capacity.csv").write_text("earlier good output")
    code = main(["capacity", "--data", str(sample_dir), "--out", str(out), "--weeks", "12",
                 "--efficiency", "1.3", *extra])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err
    assert (out / "capacity.csv").read_text() == "earlier good output"


def test_a_profile_with_an_unknown_language_in_scenario_toml_is_bad_input(sample_dir, tmp_path,
                                                                         capsys):
    d = tmp_path / "desk"
    shutil.copytree(sample_dir, d)
    with open(d / "scenario.toml", "a", encoding="utf-8") as f:
        f.write('\n[capacity]\nattrition_monthly = 0.03\n\n[[capacity.profiles]]\n'
                'name = "german"\nlanguages = ["de"]\nchannels = ["chat"]\n')
    code = main(["capacity", "--data", str(d), "--out", str(tmp_path / "o"), "--weeks", "12",
                 "--efficiency", "1.3"])
    err = capsys.readouterr().err
    assert code == 2 and "profile 'german' names unknown language(s) ['de']" in err
