"""Public holidays per language's market (issue 14): the sample company forecast a week
ahead from just before Christmas 2025, Lunar New Year 2026 and the May 2026 holidays (CN
Labour Day week, KR Children's Day, JP Golden Week; the only origins whose holidays the
history, from 2024-11-25, saw a year before), without and with ``[holidays]`` in
scenario.toml; daily WAPE per language over the week.

The sample's generator lowers each language's regional public holidays (the ``holidays``
package; Lunar New Year, Christmas: x0.5), so this measures whether the forecast learns a
holiday's depth from the year before. The mapping takes one country per language (en GB,
es ES), while the generator mixes markets for English (US and GB) and Spanish (ES, MX, CO).

Run: ``.venv/bin/python bench/bench_holidays.py``.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MAPPING = {"en": "GB", "zh": "CN", "ko": "KR", "vi": "VN", "ru": "RU", "es": "ES", "tr": "TR",
           "ja": "JP"}
ORIGINS = ("2025-12-20T00:00Z", "2026-02-14T00:00Z", "2026-04-29T00:00Z")


def week_wape(directory: Path, asof: pd.Timestamp) -> pd.Series:
    from forecast import forecast_panel
    from forecast.inputs import load_history_dir

    h = load_history_dir(directory)
    c = h.contacts
    fc = forecast_panel(c[c["interval_start"] < asof], h.market, asof=asof, horizon_days=7,
                        scenario="typical", jobs=2, calendar=h.calendar)
    act = c[(c["interval_start"] >= asof) & (c["interval_start"] < asof + pd.Timedelta(days=7))]
    m = fc.merge(act[["interval_start", "channel", "language", "contacts"]],
                 on=["interval_start", "channel", "language"], suffixes=("", "_actual"))
    m["day"] = m["interval_start"].dt.floor("D")
    d = m.groupby(["language", "day"])[["contacts", "contacts_actual"]].sum()
    err = (d["contacts"] - d["contacts_actual"]).abs().groupby("language").sum()
    return err / d["contacts_actual"].groupby("language").sum()


def main() -> int:
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        plain, mapped = Path(tmp) / "plain", Path(tmp) / "mapped"
        shutil.copytree(ROOT / "data" / "sample", plain)
        shutil.copytree(ROOT / "data" / "sample", mapped)
        with open(mapped / "scenario.toml", "a", encoding="utf-8") as f:
            f.write("\n[holidays]\n" + "".join(f'{k} = "{v}"\n' for k, v in MAPPING.items()))
        for asof in ORIGINS:
            t = pd.Timestamp(asof)
            rows[(f"{t:%Y-%m-%d}", "without")] = week_wape(plain, t)
            rows[(f"{t:%Y-%m-%d}", "with")] = week_wape(mapped, t)
    table = pd.DataFrame(rows)
    print("daily WAPE over the week after each origin, per language:")
    print((100 * table).round(1).to_string())
    return 0


if __name__ == "__main__":
    sys.exit(main())
