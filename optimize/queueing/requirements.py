"""Forecast table -> requirements table, and staffed agents -> coverage table.

Per channel kind (``ScenarioConfig.channels[name].kind``):

* ``realtime`` with ``concurrency == 1``: Erlang C or Erlang A (``model``) per queue x
  interval, with the service target and ``staffing.max_occupancy`` cap.
* ``realtime`` with ``concurrency > 1``: the state-dependent chat model of
  :mod:`optimize.queueing.chat` (Erlang A patience; ``erlang_c`` channels use a patience of
  10^4 handle times, which is Erlang C to within 1% at any practical staffing).
* ``deferred``: the FIFO backlog model of :mod:`optimize.queueing.backlog`; ``response_share``
  of each interval's contacts answered within ``response_window_h``. The horizon is
  treated as periodic (a steady state): it is preceded by a copy of its own last response
  window, so the first day does not start with an empty inbox, and followed by a copy of
  its first, so the last day's deadlines are enforced and measured. Whole agents are
  rounded cumulatively (:func:`optimize.queueing.backlog.integer_agents`), not per interval.
  The coverage of a roster (``evaluate_staffing(..., roster=activities)``) evaluates them
  on the roster's work instead (:mod:`optimize.queueing.roster_backlog`), with the
  configured shrinkage lost as ``shrinkage_mode`` says, not the forecast's column.

``required_agents`` are productive agents (integer); ``required_agents_exact`` is the
fractional crossing point between ``required_agents - 1`` and ``required_agents``
(linear interpolation of the service level, resp. occupancy, whichever binds; for
deferred channels the fluid capacity), so that pooling queues later does not add up
rounding. Shrinkage (per channel, or a ``shrinkage`` column in the forecast for
per-interval values) is reported separately: ``required_scheduled = required_agents /
(1 - shrinkage)``.

Pooled priority channels (``pool_with``, :mod:`optimize.queueing.pooling`): a VIP channel
answered first by certified agents inside each language's pool of another real-time
channel; its rows and the pool's rows are replaced by the reserved-capacity model of
:mod:`optimize.queueing.priority`, here and in :func:`evaluate_staffing`.

Overflow after a wait (``[overflow]`` between real-time queues,
:mod:`optimize.queueing.overflow`): the requirements plan, per interval, whether a queue
is staffed on its own or left to its overflow (its contacts then planned on the target,
with the time they have left as a second target there: ``planned_contacts,
planned_aht_s, planned_answer_s``); the metrics here and in :func:`evaluate_staffing`
are the overflow model's for the queues involved.

Forecast uncertainty: with ``quantile="contacts_pNN"`` the queue is staffed to that
column (interpolated from ``contacts_p10/p50/p90`` under a normal approximation when the
column is absent) and ``p_meet_target`` is reported: the largest volume the staffing can
absorb while meeting the target (bisection on volume) is located within a normal
distribution with mean ``contacts`` and ``sigma = (p90 - p10) / (2 * 1.2816)``.
Poisson noise within an interval is already part of the queueing model. Deferred rows
get NaN there (their target spans many intervals).
"""

from __future__ import annotations

import logging
import re

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri

from optimize.queueing.backlog import integer_agents, required_capacity, simulate_backlog
from optimize.queueing.fallback import fallback_rules, fallback_service, plan_fallback
from optimize.queueing.metrics import agents_for_target, channel_metrics, interpolated_metrics
from optimize.queueing.overflow import (
    counted_rules,
    overflow_metrics,
    plan_overflow,
    row_targets,
)
from optimize.queueing.pooling import apply_pooling
from optimize.queueing.roster_backlog import roster_deferred
from optimize.queueing.routing import open_mask
from optimize.scenario.config import ChannelConfig, ScenarioConfig

__all__ = ["NEGLIGIBLE_CONTACTS", "compute_requirements", "evaluate_staffing", "infer_interval_s"]

logger = logging.getLogger(__name__)

KEYS = ["interval_start", "channel", "language"]
_COLUMNS = KEYS + ["contacts", "aht_s", "workload_erlangs", "required_agents_exact",
                   "required_agents", "shrinkage", "required_scheduled", "service_level",
                   "asa_s", "abandon_rate", "occupancy", "backlog", "oldest_age_h"]
_COVERAGE = KEYS + ["required_agents", "scheduled_agents", "service_level", "asa_s",
                    "abandon_rate", "occupancy", "backlog", "oldest_age_h"]
_Z90 = 1.2815515655446004
#: contacts per interval below this count as none (no work, nobody required)
NEGLIGIBLE_CONTACTS = 1e-9


def infer_interval_s(starts: pd.Series) -> int:
    """Interval length in seconds: the smallest spacing between distinct ``interval_start``."""
    values = pd.DatetimeIndex(pd.to_datetime(starts, utc=True).unique()).sort_values()
    if values.size < 2:
        raise ValueError("cannot infer the interval length from fewer than two interval_start "
                         "values; pass interval_s")
    return int((values[1:] - values[:-1]).min().total_seconds())


def _prepare(forecast: pd.DataFrame, config: ScenarioConfig, interval_s: int | None,
             quantile: str | None) -> tuple[pd.DataFrame, int]:
    missing = [c for c in KEYS + ["contacts", "aht_s"] if c not in forecast.columns]
    if missing:
        raise ValueError(f"forecast is missing column(s) {missing}")
    unknown = sorted(set(forecast["channel"]) - set(config.channels))
    if unknown:
        raise ValueError(f"forecast channel(s) {unknown} not in scenario.toml channels "
                         f"{sorted(config.channels)}")
    df = forecast.copy()
    df["interval_start"] = pd.to_datetime(df["interval_start"], utc=True)
    step = infer_interval_s(df["interval_start"]) if interval_s is None else int(interval_s)
    if step <= 0:
        raise ValueError(f"interval_s must be > 0, got {step!r}")
    df["volume"] = _volume(df, quantile)
    if (df["volume"] < 0).any() or df["volume"].isna().any():
        bad = df.loc[(df["volume"] < 0) | df["volume"].isna(), "volume"].iloc[0]
        raise ValueError(f"contacts must be >= 0, got {bad!r}")
    # a billionth of a contact is none: a subnormal load overflows the Erlang A terms
    df["volume"] = df["volume"].where(df["volume"] >= NEGLIGIBLE_CONTACTS, 0.0)
    aht = df["aht_s"].astype(float)
    aht = aht.fillna(df.assign(a=aht).groupby(["channel", "language"])["a"].transform("median"))
    # no contacts -> no handle time: borrow the queue's, else the channel's median (else 300 s)
    aht = aht.fillna(df.assign(a=aht).groupby("channel")["a"].transform("median")).fillna(300.0)
    if (aht <= 0).any():
        raise ValueError(f"aht_s must be > 0, got {float(aht[aht <= 0].iloc[0])!r}")
    df["aht_eff"] = aht
    # the forecast's own (a calibration's) where it has one, else the scenario's; a
    # calibrated forecast joined to a new one (replan) has it only in part
    missing = df["shrinkage"].isna() if "shrinkage" in df.columns \
        else pd.Series(True, index=df.index)
    if missing.any():
        pairs = df.loc[missing, ["channel", "language"]].drop_duplicates()
        own = {(c, lang): config.formula_shrinkage(c, lang)
               for c, lang in zip(pairs["channel"], pairs["language"], strict=True)}
        df.loc[missing, "shrinkage"] = [own[q] for q in zip(
            df.loc[missing, "channel"], df.loc[missing, "language"], strict=True)]
        df["shrinkage"] = df["shrinkage"].astype(float)
    bad = ~df["shrinkage"].between(0.0, 0.95)
    if bad.any():
        raise ValueError(f"shrinkage must be in [0, 0.95], got {df.loc[bad, 'shrinkage'].iloc[0]!r}")
    return df.sort_values(KEYS[1:] + KEYS[:1], kind="stable").reset_index(drop=True), step


def _volume(df: pd.DataFrame, quantile: str | None) -> pd.Series:
    if quantile is None:
        return df["contacts"].astype(float)
    if quantile in df.columns:
        return df[quantile].astype(float)
    match = re.fullmatch(r"contacts_p(\d{1,2})", quantile)
    if not match or not {"contacts_p10", "contacts_p90"} <= set(df.columns):
        raise ValueError(f"quantile {quantile!r} is not a forecast column and cannot be "
                         "interpolated (expected contacts_pNN with contacts_p10/contacts_p90)")
    sigma, center = _sigma(df), df.get("contacts_p50", df["contacts"]).astype(float)
    return np.maximum(center + sigma * ndtri(int(match.group(1)) / 100.0), 0.0)


def _sigma(df: pd.DataFrame) -> pd.Series:
    return np.maximum(df["contacts_p90"].astype(float) - df["contacts_p10"].astype(float),
                      0.0) / (2.0 * _Z90)


# --------------------------------------------------------------------------- realtime

def _realtime(df: pd.DataFrame, ch: ChannelConfig, step: int, max_occ: float,
              extra: tuple[tuple[np.ndarray, np.ndarray], ...] = ()) -> pd.DataFrame:
    """Real-time rows; ``extra``: further ``(target_s, target_sl)`` per row that the
    agents must also meet (those of the contacts overflowing to the queue)."""
    load = (df["volume"] * df["aht_eff"] / step).to_numpy()
    aht = df["aht_eff"].to_numpy()
    fn = channel_metrics(ch)
    n = agents_for_target(ch, load, aht, ch.answer_time_s, ch.service_level, max_occ)
    for t, sl in extra:
        n = np.maximum(n, agents_for_target(ch, load, aht, t, sl, max_occ))
    n = np.asarray(n, dtype=float)
    at_n, below = fn(n, load, aht), fn(np.maximum(n - 1, 0), load, aht)
    with np.errstate(divide="ignore", invalid="ignore"):
        f_occ = (below["occupancy"] - max_occ) / (below["occupancy"] - at_n["occupancy"])
    f = np.where(below["occupancy"] <= max_occ, 0.0, np.nan_to_num(f_occ, nan=1.0))
    targets = [(at_n["service_level"], below["service_level"], ch.service_level)]
    for t, sl in extra:
        fn_t = channel_metrics(ch, t)
        targets.append((fn_t(n, load, aht)["service_level"],
                        fn_t(np.maximum(n - 1, 0), load, aht)["service_level"], sl))
    for hi, lo, sl in targets:
        with np.errstate(divide="ignore", invalid="ignore"):
            f_sl = (sl - lo) / (hi - lo)
        f = np.maximum(f, np.where(lo >= sl, 0.0, np.nan_to_num(f_sl, nan=1.0)))
    exact = np.where(n > 0, n - 1 + np.clip(f, 0.0, 1.0), 0.0)
    out = pd.DataFrame({"required_agents_exact": exact, "required_agents": n.astype(np.int64),
                        **at_n, "backlog": np.nan, "oldest_age_h": np.nan}, index=df.index)
    if "p_meet" in df.columns:
        out["p_meet_target"] = _p_meet(df, fn, n, ch, max_occ, step)
    return out


def _p_meet(df, fn, n, ch, max_occ, step) -> np.ndarray:
    """P(actual volume <= largest volume the staffing absorbs at target), normal approx."""
    if not {"contacts_p10", "contacts_p90"} <= set(df.columns):
        return np.full(len(df), np.nan)  # no spread to measure against
    aht = df["aht_eff"].to_numpy()
    lo = np.zeros(len(df))
    hi = np.maximum(df["contacts"].to_numpy(dtype=float) * 4.0, 10.0) + 8.0 * _sigma(df).to_numpy()
    for _ in range(30):  # volume to ~1e-9 of the bracket
        mid = (lo + hi) / 2.0
        m = fn(n, mid * aht / step, aht)
        ok = (m["service_level"] >= ch.service_level) & (m["occupancy"] <= max_occ + 1e-12)
        lo, hi = np.where(ok, mid, lo), np.where(ok, hi, mid)
    mu, sigma = df["contacts"].to_numpy(dtype=float), _sigma(df).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        p = ndtr((lo - mu) / sigma)
    return np.where(sigma > 0, p, (lo >= mu).astype(float))


# --------------------------------------------------------------------------- deferred

def _grid(df: pd.DataFrame, column: str, times: pd.DatetimeIndex) -> np.ndarray:
    wide = df.pivot_table(index="language", columns="interval_start", values=column,
                          aggfunc="sum", sort=True)
    return wide.reindex(columns=times, fill_value=0.0).fillna(0.0).to_numpy(dtype=float)


def _deferred(df: pd.DataFrame, ch: ChannelConfig, step: int, agents: pd.Series | None,
              config: ScenarioConfig) -> pd.DataFrame:
    times = pd.DatetimeIndex(sorted(df["interval_start"].unique()))
    langs = sorted(df["language"].unique())
    arrivals = _grid(df, "volume", times)
    aht = _grid(df.assign(aht_eff=df["aht_eff"]), "aht_eff", times)
    aht = np.where(aht > 0, aht, np.nanmedian(df["aht_eff"]))
    window = max(ch.response_window_h * 3600.0, float(step))
    t = arrivals.shape[1]
    warm = min(int(np.ceil(window / step)), t)

    def periodic(x: np.ndarray) -> np.ndarray:  # [last window | horizon | first window]
        return np.concatenate([x[:, t - warm:], x, x[:, :warm]], axis=1)

    ext_a = offered = periodic(arrivals)
    aht_p = periodic(aht)
    rules = tuple(o for o in fallback_rules(config, step) if o.channel == ch.name
                  and o.language in langs and o.to[1] in langs)
    if agents is None:
        if rules:
            hours = {h.language: h for h in config.hours if h.channel == ch.name}
            is_open = periodic(np.vstack([
                open_mask(pd.Series(times), hours[lang]) if lang in hours
                else np.ones(t, dtype=bool) for lang in langs]))
            cap, offered = plan_fallback(ext_a, aht_p, langs, rules, is_open, step, window,
                                         ch.response_share)
        else:
            cap = required_capacity(ext_a, step, window, ch.response_share)
        n = integer_agents(offered, cap, aht_p, step)[:, warm:warm + t]
        exact = cap[:, warm:warm + t] * aht / step
    else:
        n = _grid(df.assign(agents=agents.to_numpy()), "agents", times)
        exact = n
    offered, answer, sources = fallback_service(offered, periodic(n * step / aht), aht_p, langs,
                                                rules, step, window, staffed=agents is not None)
    res = simulate_backlog(offered, answer, step, window)
    res = {k: getattr(res, k)[:, warm:warm + t] for k in
           ("within_window", "mean_delay_s", "occupancy", "backlog", "oldest_age_h")}
    for x, got in sources.items():  # a fallback's source: answered, or moved on (overflow.py)
        res["within_window"][x] = got["within"][warm:warm + t]
        res["occupancy"][x] = got["occupancy"][warm:warm + t]
        res["mean_delay_s"][x] = res["mean_delay_s"][x] + got["extra_delay_s"][warm:warm + t]
    wide = {"required_agents_exact": exact, "required_agents": n,
            "service_level": res["within_window"], "asa_s": res["mean_delay_s"],
            "abandon_rate": np.zeros_like(n), "occupancy": res["occupancy"],
            "backlog": res["backlog"], "oldest_age_h": res["oldest_age_h"]}
    long = pd.DataFrame({k: v.ravel() for k, v in wide.items()})
    long["language"] = np.repeat(langs, len(times))
    long["interval_start"] = np.tile(times, len(langs))
    merged = df[["interval_start", "language"]].merge(long, on=["interval_start", "language"],
                                                      how="left")
    merged.index = df.index
    merged["required_agents"] = merged["required_agents"].round().astype(np.int64)
    if "p_meet" in df.columns:
        merged["p_meet_target"] = np.nan
    return merged.drop(columns=["interval_start", "language"])


def _on_roster(df: pd.DataFrame, metrics: pd.DataFrame, roster: pd.DataFrame,
               config: ScenarioConfig, step: int, deferred: np.ndarray) -> pd.DataFrame:
    """Deferred rows (``deferred``, per row of ``df``) of ``metrics`` replaced by
    :func:`roster_deferred` on ``roster``."""
    t0 = df["interval_start"].min()
    slot = ((df["interval_start"] - t0) / pd.Timedelta(seconds=step)).round().astype(int).to_numpy()
    queues = sorted(set(zip(df["channel"], df["language"], strict=True)))
    qi = {q: i for i, q in enumerate(queues)}
    row = np.array([qi[q] for q in zip(df["channel"], df["language"], strict=True)], dtype=int)
    grid = {}
    for name, values in (("volume", df["volume"]), ("aht_s", df["aht_eff"]),
                         ("heads", df["scheduled_agents"]), ("occupancy", metrics["occupancy"])):
        grid[name] = np.zeros((len(queues), int(slot.max()) + 1))
        grid[name][row, slot] = values.to_numpy(dtype=float)
    grid["aht_s"] = np.where(grid["aht_s"] > 0, grid["aht_s"], float(df["aht_eff"].median()))
    work = roster[roster["activity"] == "work"] if "activity" in roster.columns else roster
    got = roster_deferred(grid, queues, work, config, start=t0, interval_s=step)
    out = metrics.copy()
    for name, values in got.items():
        out.loc[deferred, name] = values[row[deferred], slot[deferred]]
    return out


# --------------------------------------------------------------------------- public API

def compute_requirements(forecast: pd.DataFrame, config: ScenarioConfig, *,
                         interval_s: int | None = None, quantile: str | None = None) -> pd.DataFrame:
    """Requirements table (``docs/contract.md``) for a forecast table.

    Parameters
    ----------
    forecast : DataFrame
        ``interval_start, channel, language, contacts, aht_s`` and optionally
        ``contacts_p10/p50/p90`` and a per-interval ``shrinkage``.
    config : ScenarioConfig
    interval_s : int, optional
        Interval length; inferred from the spacing of ``interval_start`` when None.
    quantile : str, optional
        Staff to this volume column (e.g. ``"contacts_p80"``) instead of ``contacts``,
        and report ``staffed_contacts`` and ``p_meet_target`` (see module docstring).

    Returns
    -------
    DataFrame
        One row per forecast row, columns of the requirements table.
    """
    df, step = _prepare(forecast, config, interval_s, quantile)
    if quantile is not None:
        df["p_meet"] = True
    planned = plan_overflow(df, config, step) if counted_rules(config) else None
    work = df if planned is None else df.assign(volume=planned.volume, aht_eff=planned.aht_s)
    parts = []
    for name, part in work.groupby("channel", sort=False):
        ch = config.channels[name]
        if ch.kind == "deferred":
            parts.append(_deferred(part, ch, step, None, config))
        else:
            extra = () if planned is None else row_targets(part.index.to_numpy(), planned.targets)
            parts.append(_realtime(part, ch, step, config.staffing.max_occupancy, extra))
    metrics = apply_pooling(work, pd.concat(parts).loc[df.index], config, step)
    if planned is not None:  # the promise: the coverage model at the required agents
        metrics = overflow_metrics(df, metrics, config, step,
                                   metrics["required_agents"].to_numpy(dtype=float))
    out = df[KEYS + ["contacts", "shrinkage"]].copy()
    out["aht_s"] = df["aht_eff"]
    out["workload_erlangs"] = df["volume"] * df["aht_eff"] / step
    out = out.join(metrics)
    out["required_scheduled"] = out["required_agents"] / (1.0 - out["shrinkage"])
    cols = list(_COLUMNS)
    if planned is not None:  # in the forecast's mean terms when staffed to a quantile
        volume, contacts = df["volume"].to_numpy(), df["contacts"].to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(volume > 0, contacts / volume, 1.0)
        out["planned_contacts"] = np.where(volume > 0, planned.volume * ratio, planned.volume)
        out["planned_aht_s"] = planned.aht_s
        own = df["channel"].map(lambda c: config.channels[c].answer_time_s).to_numpy(float)
        out["planned_answer_s"] = np.fmin(own, planned.answer_s)
        cols += ["planned_contacts", "planned_aht_s", "planned_answer_s"]
    if quantile is not None:
        out["staffed_contacts"] = df["volume"]
        cols += ["staffed_contacts", "p_meet_target"]
    logger.info("requirements: %d rows, %d queues, interval %d s", len(out),
                out.groupby(["channel", "language"]).ngroups, step)
    return out[cols].sort_values(KEYS).reset_index(drop=True)


def evaluate_staffing(forecast: pd.DataFrame, staffed: pd.DataFrame, config: ScenarioConfig, *,
                      interval_s: int | None = None,
                      window: tuple[pd.Timestamp, pd.Timestamp] | None = None,
                      roster: pd.DataFrame | None = None) -> pd.DataFrame:
    """Coverage table: service at the scheduled staffing (the reverse calculation).

    ``staffed`` has ``interval_start, channel, language, scheduled_agents`` (heads on the
    schedule working that queue, not on break; missing rows mean 0). Productive agents
    are ``scheduled_agents * (1 - shrinkage)``; real-time metrics at fractional agents
    are interpolated linearly between the neighbouring integers. ``window = (start, end)``
    evaluates only intervals in ``[start, end)``: use the plan's weeks, since the padding
    around a plan has no planned neighbouring shifts and would show a false shortfall
    (and seed a false email backlog into the week).

    ``roster`` (the schedule's activities: ``agent_id, start_utc, end_utc, activity,
    channel, language``) evaluates email and social on the roster itself
    (:mod:`optimize.queueing.roster_backlog`: heads that come and go, the time lost
    switching from chat, Poisson arrivals, the week preceded by the backlog it leaves)
    instead of the fluid model on the heads; without it (a staffing with no roster yet)
    the fluid model answers.
    """
    if window is not None:
        t0, t1 = (pd.Timestamp(t) for t in window)
        forecast = forecast[(forecast["interval_start"] >= t0) & (forecast["interval_start"] < t1)]
        staffed = staffed[(staffed["interval_start"] >= t0) & (staffed["interval_start"] < t1)]
    need = KEYS + ["scheduled_agents"]
    missing = [c for c in need if c not in staffed.columns]
    if missing:
        raise ValueError(f"staffed is missing column(s) {missing}")
    req = compute_requirements(forecast, config, interval_s=interval_s)
    df, step = _prepare(forecast, config, interval_s, None)
    st = staffed[need].copy()
    st["interval_start"] = pd.to_datetime(st["interval_start"], utc=True)
    st = st.groupby(KEYS, as_index=False)["scheduled_agents"].sum()
    df = df.merge(st, on=KEYS, how="left")
    df["scheduled_agents"] = df["scheduled_agents"].fillna(0.0).astype(float)
    if (df["scheduled_agents"] < 0).any():
        raise ValueError(f"scheduled_agents must be >= 0, got "
                         f"{float(df.loc[df['scheduled_agents'] < 0, 'scheduled_agents'].iloc[0])!r}")
    productive = df["scheduled_agents"] * (1.0 - df["shrinkage"])
    parts = []
    for name, part in df.groupby("channel", sort=False):
        ch = config.channels[name]
        if ch.kind == "deferred":
            m = _deferred(part, ch, step, productive.loc[part.index], config)
        else:
            load = (part["volume"] * part["aht_eff"] / step).to_numpy()
            aht = part["aht_eff"].to_numpy()
            m = pd.DataFrame(interpolated_metrics(channel_metrics(ch), productive.loc[part.index].to_numpy(),
                                           load, aht), index=part.index)
            m["backlog"] = np.nan
            m["oldest_age_h"] = np.nan
        parts.append(m[["service_level", "asa_s", "abandon_rate", "occupancy", "backlog",
                        "oldest_age_h"]])
    metrics = pd.concat(parts).loc[df.index]
    deferred = (df["channel"].map(lambda c: config.channels[c].kind) == "deferred").to_numpy()
    if roster is not None and deferred.any():
        metrics = _on_roster(df, metrics, roster, config, step, deferred)
    metrics = apply_pooling(df, metrics, config, step, productive)
    metrics = overflow_metrics(df, metrics, config, step, productive.to_numpy(dtype=float))
    out = df[KEYS + ["scheduled_agents"]].join(metrics)
    out = out.merge(req[KEYS + ["required_agents"]], on=KEYS, how="left")
    return out[_COVERAGE].sort_values(KEYS).reset_index(drop=True)
