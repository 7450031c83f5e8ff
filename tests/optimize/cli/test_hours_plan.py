"""Hours of operation end to end: a queue closed at night requires nobody then, and its
contacts are planned for where they go (issue 16, part 1)."""

from __future__ import annotations

import pandas as pd
import pytest

from optimize.cli import main
from optimize.scenario.sample import write_sample

HOURS = '''
[hours."chat/ko"]
open = "08:00-20:00"
timezone = "Asia/Seoul"
closed_to = "chat/en"
'''


@pytest.fixture(scope="module")
def company(tmp_path_factory):
    data = tmp_path_factory.mktemp("hours") / "small"
    write_sample(data, seed=3, weeks=6, n_agents=16, languages=("en", "ko"), volume_scale=0.04)
    agents = pd.read_csv(data / "agents.csv", dtype=str, keep_default_na=False)
    agents.assign(unavailable="").to_csv(data / "agents.csv", index=False)  # no leave days
    return data


def test_closed_queue_requires_nobody_and_its_contacts_move(company, tmp_path):
    plain = tmp_path / "plain"
    assert main(["plan", "--data", str(company), "--out", str(plain), "--time-limit", "60",
                 "--work-limit", "3"]) == 0
    with open(company / "scenario.toml", "a") as f:
        f.write(HOURS)
    out = tmp_path / "hours"
    assert main(["plan", "--data", str(company), "--out", str(out), "--time-limit", "60",
                 "--work-limit", "3"]) == 0
    req = pd.read_csv(out / "requirements.csv")
    req["interval_start"] = pd.to_datetime(req["interval_start"], utc=True)
    ko = req[(req["channel"] == "chat") & (req["language"] == "ko")]
    local = ko["interval_start"].dt.tz_convert("Asia/Seoul").dt.hour
    closed = ko[(local < 8) | (local >= 20)]
    assert len(closed) and (closed["contacts"] == 0).all()
    assert (closed["required_agents"] == 0).all()
    assert (ko.loc[~ko.index.isin(closed.index), "contacts"] > 0).any()
    before = pd.read_csv(plain / "requirements.csv")
    both = lambda df: df[df["channel"] == "chat"]["contacts"].sum()  # noqa: E731
    assert both(req) == pytest.approx(both(before))  # moved, not lost
    acts = pd.read_csv(out / "activities.csv", keep_default_na=False)
    acts["start_utc"] = pd.to_datetime(acts["start_utc"], utc=True)
    on_ko = acts[(acts["channel"] == "chat") & (acts["language"] == "ko")]
    hour = on_ko["start_utc"].dt.tz_convert("Asia/Seoul").dt.hour
    assert ((hour >= 8) & (hour < 20)).mean() > 0.9  # Korean chat staffed in its hours
    assert "## Hours of operation" in (out / "summary.md").read_text()


def test_closed_hours_sent_where_nobody_may_answer_are_bad_input(company, tmp_path, capsys):
    d = tmp_path / "desk"
    d.mkdir()
    for f in company.iterdir():
        (d / f.name).write_bytes(f.read_bytes())
    text = (d / "scenario.toml").read_text().replace('closed_to = "chat/en"',
                                                     'closed_to = "email/ja"')
    (d / "scenario.toml").write_text(text if "email/ja" in text else text + HOURS.replace(
        "chat/en", "email/ja"))
    assert main(["validate", "--data", str(d)]) == 2
    assert "no agent in agents.csv may take email/ja" in capsys.readouterr().err
