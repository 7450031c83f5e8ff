"""The forecast's track record: published runs scored against the actuals that came later.

Each refresh (:func:`forecast.refresh.refresh`) scores every earlier run of the store on
the contacts that have arrived since the run's origin, per queue and horizon (days ahead
of the origin: ``1``, ``2-7``, ``8-14``, ``15+``), and keeps the scores in the store's
``run_scores`` table (replaced as more actuals arrive). A manager reads them with
``staffcast runs --accuracy`` and on the app's Forecast page: how far off the published
forecasts were, whether they drift (bias), and whether the P10-P90 band held 80% of the
intervals.

Measures per run x queue x horizon, over the intervals with an actual: ``wape`` (sum of
absolute errors / sum of actuals), ``mape`` (mean absolute percentage error over the
intervals with a non-zero actual; it explodes on quiet intervals, so read it on busy
queues), ``bias`` (sum of errors / sum of actuals, > 0 is over-forecast), ``coverage``
(share of intervals inside P10-P90), ``intervals`` and ``actual``.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from forecast.store.db import connect, read_snapshot, write_transaction
from forecast.store.runs import iso_utc, list_runs, load_forecast

__all__ = ["HORIZONS", "SCORE_COLUMNS", "load_scores", "score_run", "score_runs",
           "track_record"]

#: horizon buckets: (label, first day ahead, last day ahead)
HORIZONS = (("1", 1, 1), ("2-7", 2, 7), ("8-14", 8, 14), ("15+", 15, 10_000))
SCORE_COLUMNS = ("run_id", "channel", "language", "horizon", "wape", "mape", "bias",
                 "coverage", "intervals", "actual", "scored_through")
_KEYS = ["interval_start", "channel", "language"]


def _bucket(days_ahead: np.ndarray) -> np.ndarray:
    out = np.full(len(days_ahead), "", dtype=object)
    for label, lo, hi in HORIZONS:
        out[(days_ahead >= lo) & (days_ahead <= hi)] = label
    return out


def score_run(forecast: pd.DataFrame, contacts: pd.DataFrame, asof: pd.Timestamp
              ) -> pd.DataFrame:
    """Scores of one run's ``forecast`` (the forecast table) against ``contacts`` (the
    contacts table), per queue and horizon bucket; empty when no actual has arrived."""
    both = forecast[_KEYS + ["contacts", "contacts_p10", "contacts_p90"]].merge(
        contacts[_KEYS + ["contacts"]].rename(columns={"contacts": "actual"}), on=_KEYS)
    both = both[both["interval_start"] >= asof]
    if both.empty:
        return pd.DataFrame(columns=list(SCORE_COLUMNS[1:-1]))
    ahead = ((both["interval_start"] - asof.floor("D")) // pd.Timedelta(days=1)).to_numpy() + 1
    a, f = both["actual"].to_numpy(float), both["contacts"].to_numpy(float)
    inside = (both["contacts_p10"].to_numpy(float) <= a) & (a <= both["contacts_p90"].to_numpy(float))
    ape = np.where(a > 0, np.abs(f - a) / np.where(a > 0, a, 1.0), np.nan)
    frame = pd.DataFrame({"channel": both["channel"].to_numpy(), "language": both["language"].to_numpy(),
                          "horizon": _bucket(ahead), "abs": np.abs(f - a), "err": f - a,
                          "a": a, "ape": ape, "inside": inside})
    g = frame.groupby(["channel", "language", "horizon"], sort=True)
    out = pd.DataFrame({"actual": g["a"].sum(), "abs": g["abs"].sum(), "err": g["err"].sum(),
                        "mape": g["ape"].mean(), "coverage": g["inside"].mean(),
                        "intervals": g.size()})
    s = out["actual"].where(out["actual"] > 0)
    out["wape"], out["bias"] = out["abs"] / s, out["err"] / s
    return out.reset_index()[list(SCORE_COLUMNS[1:-1])]


def score_runs(store: str | os.PathLike, contacts: pd.DataFrame) -> pd.DataFrame:
    """Score the runs of ``store`` on ``contacts`` and keep the scores (one transaction;
    a run's earlier scores are replaced). A run already scored through the end of
    ``contacts`` (or through its own horizon) is skipped. Returns the scores written."""
    end = contacts["interval_start"].max()
    # the data's interval: a run's last interval starts one interval before its end
    gaps = contacts["interval_start"].drop_duplicates().sort_values().diff().dropna()
    step = gaps.min() if len(gaps) else pd.Timedelta(hours=1)
    with read_snapshot(store) as conn:
        done = dict(conn.execute("SELECT run_id, MAX(scored_through) FROM run_scores "
                                 "GROUP BY run_id").fetchall())
    t = contacts["interval_start"]
    frames = []
    for run in list_runs(store):
        run_end = run.asof + pd.Timedelta(days=run.horizon_days)
        if run.asof > end or (run.run_id in done and pd.Timestamp(done[run.run_id]) >= min(
                end, run_end - step)):
            continue  # nothing new to score it on
        window = contacts[(t >= run.asof) & (t < run_end)]
        scores = score_run(load_forecast(store, run.run_id), window, run.asof)
        if len(scores):
            frames.append(scores.assign(run_id=run.run_id, scored_through=iso_utc(end)))
    if not frames:
        return pd.DataFrame(columns=list(SCORE_COLUMNS))
    out = pd.concat(frames, ignore_index=True)[list(SCORE_COLUMNS)]
    rows = [tuple(None if isinstance(v, float) and not np.isfinite(v) else v for v in r)
            for r in out.itertuples(index=False)]
    with connect(store) as conn, write_transaction(conn):
        conn.executemany("DELETE FROM run_scores WHERE run_id = ?",
                         [(r,) for r in out["run_id"].unique()])
        conn.executemany(f"INSERT INTO run_scores ({', '.join(SCORE_COLUMNS)}) VALUES "
                         f"({', '.join('?' * len(SCORE_COLUMNS))})", rows)
    return out


def load_scores(store: str | os.PathLike) -> pd.DataFrame:
    """Every stored score (empty when the store has none)."""
    with read_snapshot(store) as conn:
        rows = conn.execute(f"SELECT {', '.join(SCORE_COLUMNS)} FROM run_scores").fetchall()
    return pd.DataFrame(rows, columns=list(SCORE_COLUMNS)).astype(
        {c: float for c in ("wape", "mape", "bias", "coverage", "actual")})


def track_record(scores: pd.DataFrame) -> pd.DataFrame:
    """Per run and horizon, all queues pooled: ``wape``, ``bias`` and ``coverage`` (weighted
    by actuals and intervals), the runs in the order of their ids (creation time)."""
    if scores.empty:
        return pd.DataFrame(columns=["run_id", "horizon", "wape", "bias", "coverage",
                                     "intervals", "actual"])
    s = scores.assign(abs=scores["wape"].fillna(0) * scores["actual"],
                      err=scores["bias"].fillna(0) * scores["actual"],
                      inside=scores["coverage"] * scores["intervals"])
    g = s.groupby(["run_id", "horizon"], sort=False)
    out = pd.DataFrame({"abs": g["abs"].sum(), "err": g["err"].sum(), "inside": g["inside"].sum(),
                        "intervals": g["intervals"].sum(), "actual": g["actual"].sum()})
    out["wape"] = out["abs"] / out["actual"].where(out["actual"] > 0)
    out["bias"] = out["err"] / out["actual"].where(out["actual"] > 0)
    out["coverage"] = out["inside"] / out["intervals"]
    order = {label: i for i, (label, _, _) in enumerate(HORIZONS)}
    out = out.reset_index()
    out = out.assign(_h=out["horizon"].map(order)).sort_values(["run_id", "_h"])
    return out[["run_id", "horizon", "wape", "bias", "coverage", "intervals", "actual"]
               ].reset_index(drop=True)
