"""Tables a support manager reads on the Overview and Schedule pages (pure functions).

* :func:`response_outlook`: "how long until support replies?" per channel x language,
  off-peak and at peak, from a requirements or coverage table;
* :func:`fairness`: per agent hours, shifts, night and weekend shifts of a roster.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimize.outputs.figures import peak_intervals, target_text
from optimize.outputs.labels import utc_offset
from optimize.scenario.config import LabourRules, ScenarioConfig

__all__ = ["response_outlook", "fairness", "accuracy_table", "roster_table", "volatility_ratio"]

_KEYS = ["channel", "language"]


def _weighted(df: pd.DataFrame, col: str, weight: np.ndarray, mask: np.ndarray) -> pd.Series:
    """Contact-weighted mean of ``col`` per queue over rows where ``mask`` holds."""
    v = df[col].to_numpy(dtype="float64") if col in df else np.full(len(df), np.nan)
    ok = mask & np.isfinite(v)
    w = np.where(ok, weight, 0.0)
    num = pd.Series(np.where(ok, v * w, 0.0)).groupby([df[k].to_numpy() for k in _KEYS]).sum()
    den = pd.Series(w).groupby([df[k].to_numpy() for k in _KEYS]).sum()
    return (num / den.where(den > 0)).rename(col)


def response_outlook(table: pd.DataFrame, config: ScenarioConfig) -> pd.DataFrame:
    """Expected wait per channel x language, off-peak and at peak.

    Parameters
    ----------
    table : DataFrame
        Requirements or coverage rows with ``contacts``, ``service_level``, ``asa_s`` and,
        for deferred channels, ``oldest_age_h``.
    config : ScenarioConfig
        Gives each channel's kind and target.

    An interval is *peak* for its queue as :func:`optimize.outputs.figures.peak_intervals`
    says (the busiest 10 % by contacts), the definition ``summary.md`` uses too.

    Returns
    -------
    DataFrame
        ``channel, language, kind, target, contacts, service_level, wait_offpeak_s,
        wait_peak_s, abandon_rate, reply_typical_h, reply_worst_h``; waits are
        contact-weighted mean ASA (realtime channels), reply times the contact-weighted
        mean and the maximum age of the oldest waiting contact (deferred channels).
    """
    if table.empty:
        return pd.DataFrame(columns=["channel", "language", "kind", "target", "contacts",
                                     "service_level", "wait_offpeak_s", "wait_peak_s",
                                     "abandon_rate", "reply_typical_h", "reply_worst_h"])
    df = table.reset_index(drop=True)
    w = df["contacts"].fillna(0.0).to_numpy(dtype="float64")
    peak = peak_intervals(df)
    every = np.ones(len(df), dtype=bool)
    out = pd.concat([
        pd.Series(w).groupby([df[k].to_numpy() for k in _KEYS]).sum().rename("contacts"),
        _weighted(df, "service_level", w, every),
        _weighted(df, "asa_s", w, ~peak).rename("wait_offpeak_s"),
        _weighted(df, "asa_s", w, peak).rename("wait_peak_s"),
        _weighted(df, "abandon_rate", w, every),
        _weighted(df, "oldest_age_h", w, every).rename("reply_typical_h"),
    ], axis=1)
    worst = (df["oldest_age_h"] if "oldest_age_h" in df else pd.Series(np.nan, index=df.index))
    out["reply_worst_h"] = worst.groupby([df[k].to_numpy() for k in _KEYS]).max()
    out.index = out.index.set_names(_KEYS)
    out = out.reset_index()
    kinds = {name: ch.kind for name, ch in config.channels.items()}
    out.insert(2, "kind", out["channel"].map(kinds))
    out.insert(3, "target", [target_text(config, c) for c in out["channel"]])
    realtime = out["kind"] == "realtime"
    out.loc[~realtime, ["wait_offpeak_s", "wait_peak_s", "abandon_rate"]] = np.nan
    out.loc[realtime, ["reply_typical_h", "reply_worst_h"]] = np.nan
    return out.sort_values(["kind", "channel", "language"], ascending=[False, True, True],
                           ignore_index=True)


def _minutes(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


def fairness(roster: pd.DataFrame, labour: LabourRules) -> pd.DataFrame:
    """Per agent: shifts, paid hours, night shifts and weekend shifts of a roster.

    Times are taken in each agent's own time zone (``timezone`` column). A shift is a night
    shift when it overlaps the local window ``[night_start, night_end)``; a weekend shift
    starts on a local Saturday or Sunday.

    Returns
    -------
    DataFrame
        ``agent_id, name, shifts, paid_hours, nights, weekend_shifts``, sorted by agent.
    """
    cols = ["agent_id", "name", "shifts", "paid_hours", "nights", "weekend_shifts"]
    if roster.empty:
        return pd.DataFrame(columns=cols)
    start_min = np.empty(len(roster))
    length_min = np.empty(len(roster))
    weekday = np.empty(len(roster), dtype=int)
    r = roster.reset_index(drop=True)
    s_utc = pd.to_datetime(r["start_utc"], utc=True)
    e_utc = pd.to_datetime(r["end_utc"], utc=True)
    for tz, idx in r.groupby("timezone").indices.items():  # one pass per time zone
        local = s_utc.iloc[idx].dt.tz_convert(tz)
        start_min[idx] = (local.dt.hour * 60 + local.dt.minute).to_numpy()
        weekday[idx] = local.dt.day_of_week.to_numpy()
    length_min[:] = ((e_utc - s_utc).dt.total_seconds() / 60.0).to_numpy()
    ns, ne = _minutes(labour.night_start), _minutes(labour.night_end)
    # Night windows as minute ranges relative to the start day's midnight, for the day
    # before, the day itself and the next day (a shift is at most 16 h long).
    if ns > ne:
        windows = [(ns - 1440 + d, ne + d) for d in (0, 1440, 2880)]
    else:
        windows = [(ns + d, ne + d) for d in (-1440, 0, 1440)]
    end_min = start_min + length_min
    night = np.zeros(len(r), dtype=bool)
    for lo, hi in windows:
        night |= (start_min < hi) & (end_min > lo)
    per = pd.DataFrame({
        "agent_id": r["agent_id"], "name": r.get("name", r["agent_id"]),
        "paid_hours": r["paid_hours"].astype(float), "nights": night.astype(int),
        "weekend_shifts": (weekday >= 5).astype(int), "shifts": 1,
    })
    out = per.groupby(["agent_id", "name"], as_index=False)[
        ["shifts", "paid_hours", "nights", "weekend_shifts"]].sum()
    return out[cols].sort_values("agent_id", ignore_index=True)


def accuracy_table(metrics: pd.DataFrame) -> pd.DataFrame:
    """Backtest WAPE per queue (rows) and candidate model or baseline (columns).

    ``metrics`` has one row per queue x candidate (x origin) with ``actual`` and either
    ``abs_error`` (:attr:`BacktestResult.metrics`) or ``wape`` (the pooled summary a
    forecast run stores, where ``abs_error = wape * actual``); WAPE is pooled over origins
    (sum of absolute errors / sum of actuals). An ``all queues`` row pools every queue.
    """
    if metrics.empty:
        return pd.DataFrame()
    m = metrics[metrics["channel"] != "*"]
    if "abs_error" not in m:
        m = m.assign(abs_error=m["wape"] * m["actual"])
    g = m.groupby(["channel", "language", "candidate"])[["abs_error", "actual"]].sum()
    wape = (g["abs_error"] / g["actual"].where(g["actual"] > 0)).unstack("candidate")
    tot = m.groupby("candidate")[["abs_error", "actual"]].sum()
    wape.loc[("all queues", ""), :] = tot["abs_error"] / tot["actual"].where(tot["actual"] > 0)
    wape.columns.name = None
    return wape.reset_index()


def volatility_ratio(market: pd.DataFrame, *, recent_h: int = 24, baseline_days: int = 90
                     ) -> tuple[float, float, float]:
    """Realised volatility of the last ``recent_h`` hours against its usual level.

    Volatility is the standard deviation of hourly log returns over a rolling
    ``recent_h``-hour window; the usual level is the median of that rolling value over the
    last ``baseline_days`` days. Returns ``(ratio, recent, usual)`` (volatilities in %);
    ``nan`` values when the market has too few rows.
    """
    p = market.set_index("timestamp")["price"].astype(float).sort_index()
    p = p.resample("1h").last().ffill()
    r = np.log(p).diff().dropna()
    if len(r) < 2 * recent_h:
        return float("nan"), float("nan"), float("nan")
    roll = r.rolling(recent_h).std().dropna() * 100.0
    usual = float(roll[roll.index >= roll.index[-1] - pd.Timedelta(days=baseline_days)].median())
    recent = float(roll.iloc[-1])
    return (recent / usual if usual > 0 else float("nan")), recent, usual


def roster_table(roster: pd.DataFrame, tz: str) -> pd.DataFrame:
    """The roster as a manager reads it: each shift's start and end in the display zone
    ``tz`` (with the UTC offset in the column name when it is the same all week, else in
    each cell), beside the agent's own local times; one row per shift."""
    start = pd.to_datetime(roster["start_utc"], utc=True).dt.tz_convert(tz)
    end = pd.to_datetime(roster["end_utc"], utc=True).dt.tz_convert(tz)
    offsets = pd.concat([start, end]).dt.strftime("%z").unique()
    zone = f"{tz}, {utc_offset(offsets[0])}" if len(offsets) == 1 else tz
    if zone == f"{tz}, UTC":
        zone = tz

    def agent_local(col: str) -> pd.Series:
        return roster[col].astype(str).str.slice(11, 16)

    def text(t: pd.Series) -> pd.Series:  # the offset in each cell when it changes
        cell = t.dt.strftime("%a %d %b %H:%M")
        if len(offsets) <= 1:
            return cell
        return cell + " (" + t.dt.strftime("%z").map(utc_offset) + ")"

    return pd.DataFrame({
        "agent": roster["agent_id"].astype(str) + " " + roster["name"].astype(str),
        f"start ({zone})": text(start), f"end ({zone})": text(end),
        "agent's day": roster["shift_date"].astype(str).str[:10],
        "agent's hours": agent_local("start_local") + "-" + agent_local("end_local"),
        "agent's zone": roster["timezone"].astype(str),
        "paid hours": roster["paid_hours"].astype(float),
        "shift": roster["template"].astype(str),
    }).reset_index(drop=True)

