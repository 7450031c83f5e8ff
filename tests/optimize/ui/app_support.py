"""Helpers shared by the app tests: a small generated company with a stored forecast run,
and the AppTest steps every test takes (switch page, read a metric)."""

from pathlib import Path

import pandas as pd

from forecast.refresh import refresh
from optimize.scenario.load import load_scenario_dir
from optimize.scenario.sample import write_sample

ROOT = Path(__file__).resolve().parents[3]


def make_company(root: Path) -> dict[str, Path]:
    """Write a small company (en + ko, 6 weeks of history, 16 agents) under ``root/small``,
    publish one forecast run of it to ``root/store.sqlite``, and write a second company
    (en + ru) under ``root/other`` for uploads."""
    write_sample(root / "small", seed=3, weeks=6, n_agents=16, languages=("en", "ko"),
                 volume_scale=0.04)
    # No leave in this company: with few agents, the generator's leave days can leave an
    # agent unable to reach min_hours_week, which makes every schedule infeasible.
    agents = pd.read_csv(root / "small" / "agents.csv", dtype=str, keep_default_na=False)
    agents.assign(unavailable="").to_csv(root / "small" / "agents.csv", index=False)
    scenario = load_scenario_dir(root / "small")
    store = root / "store.sqlite"
    refresh(scenario.contacts, scenario.market, store, horizon_days=16, jobs=2, backtest_origins=0)
    write_sample(root / "other", seed=5, weeks=6, n_agents=30, languages=("en", "ru"),
                 volume_scale=0.1)
    return {"data": root / "small", "store": store, "other": root / "other"}


def go(at, page: str):
    """Switch the AppTest ``at`` to ``optimize/ui/<page>.py`` and run it, without errors."""
    at.switch_page(f"optimize/ui/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metric(at, label: str) -> str:
    """The shown value of the metric labelled ``label``."""
    return next(m.value for m in at.metric if m.label == label)


def number(text: str) -> float:
    """A metric's text (``"1,234 h"``) as a number."""
    return float(text.replace(",", "").replace("h", "").strip())
