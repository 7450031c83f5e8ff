"""Forecast ONE queue: a pure function of one queue's history (the scale-out seam).

:func:`forecast_queue` takes a :class:`QueueInput` (plain arrays, picklable) and returns a
:class:`QueueForecast`. It leaves closed, outlying and special days out of the history
(and scales it to a new level after a level shift), runs every candidate on a few weekly
validation origins inside the history, chooses one by :func:`forecast.choice.choose_model`
on its errors per validation day (unless a model is fixed), calibrates the
negative-binomial dispersion of the quantiles on the chosen model's validation errors,
and applies the intraday update when the forecast starts inside a day.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

import numpy as np

from forecast.aht import aht_forecast
from forecast.candidates import CANDIDATES
from forecast.choice import MKT, Choice, choose_model, pool_members
from forecast.closures import catch_up, closed_days, fill_closed, outlier_days
from forecast.models import nb_dispersion
from forecast.shifts import level_shift

__all__ = ["QueueInput", "QueueForecast", "forecast_queue", "candidate_names",
           "intraday_update", "intraday_weight"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class QueueInput:
    """One queue's history and what to forecast.

    ``contacts``/``aht_s`` end at ``asof``. The last ``seen_today`` of them belong to the
    day in progress: models are fitted on the history before that day and the seen part
    drives the intraday update. ``mult_hist``/``mult_future`` are market multipliers per
    interval (history, and the ``n_future`` forecast intervals); ``None`` without market.
    ``mult_valid`` holds, per validation week (most recent first), the multiplier expected
    ex ante at that week's origin under the same scenario, so that market-aware candidates
    are validated the way they will be used; ``None`` validates them with the realised
    market (ex post). ``closed_hist`` marks days of the history (whole days before the day
    in progress, counted back from it as in :func:`forecast.closures.closed_days`) known
    to be closed, ``special_hist`` the days known to be otherwise unusual (holidays,
    events): both are left out of the fits, only closed days are followed by a catch-up;
    ``closed_future`` the days from the day in progress on that will be closed (forecast
    as zero).
    """

    channel: str
    language: str
    contacts: np.ndarray
    aht_s: np.ndarray
    spd: int
    n_future: int
    seen_today: int = 0
    mult_hist: np.ndarray | None = None
    mult_future: np.ndarray | None = None
    mult_valid: tuple[np.ndarray, ...] | None = None
    closed_hist: np.ndarray | None = None
    special_hist: np.ndarray | None = None
    closed_future: np.ndarray | None = None


@dataclass(frozen=True)
class QueueForecast:
    """Result for one queue: the chosen model's mean, its dispersion and the AHT forecast.

    ``candidates`` maps every candidate evaluated to ``(mean, phi)`` when requested (for
    backtests), else it is empty. ``validation_wape`` holds each candidate's WAPE on the
    internal validation weeks (only the model's when it is fixed), ``choice`` the rule's decision and its figures
    (:class:`forecast.choice.Choice`). ``found_closed`` lists the days of the history found
    empty on a normally busy weekday (days before the day in progress: 1 is the day
    before) and treated as closed; ``found_outliers`` those far busier than their weekday
    (:func:`forecast.closures.outlier_days`), left out in the same way; ``found_shift``
    a lasting step in the level (:func:`forecast.shifts.level_shift`: the new level's
    days, ratio), before which the history was scaled to the new level.
    """

    channel: str
    language: str
    model: str
    mean: np.ndarray
    phi: float
    aht_s: np.ndarray
    validation_wape: dict[str, float] = field(default_factory=dict)
    candidates: dict[str, tuple[np.ndarray, float]] = field(default_factory=dict)
    found_closed: tuple[int, ...] = ()
    choice: Choice | None = None
    found_outliers: tuple[int, ...] = ()
    found_shift: tuple[int, float] | None = None


def candidate_names(market: bool) -> list[str]:
    """Candidates evaluated per queue: the base candidates, plus ``+mkt`` variants."""
    base = list(CANDIDATES)
    return base + [b + MKT for b in base] if market else base


def _run_all(y: np.ndarray, mh: np.ndarray | None, mf: np.ndarray | None, spd: int, n: int,
             names: list[str]) -> dict[str, np.ndarray]:
    """Forecast every name in ``names`` (candidates and pools of them,
    :func:`forecast.choice.pool_members`); market variants deflate, forecast, re-inflate."""
    parsed = {nm: pool_members(nm) for nm in names}
    need = {(b, mkt) for members, mkt in parsed.values() for b in members}
    variants = [(False, y)] + ([(True, y / mh)] if mh is not None else [])
    base: dict[tuple[str, bool], np.ndarray] = {}
    for mkt, series in variants:
        for b in CANDIDATES:
            if (b, mkt) in need:
                f = CANDIDATES[b](series, spd, n)
                base[b, mkt] = f * mf if mkt else f
    return {nm: base[members[0], mkt] if len(members) == 1
            else np.mean([base[b, mkt] for b in members], axis=0)
            for nm, (members, mkt) in parsed.items()}


def intraday_update(fc_seen: np.ndarray, actual_seen: np.ndarray, fc_rest_of_day: np.ndarray,
                    *, weight: float = 1.0, prior: float | None = None) -> np.ndarray:
    """Scale the rest of the day by the day's shrunk actual-to-forecast ratio.

    ``ratio = ((actual + prior) / (forecast + prior)) ** weight``, clipped to [0.25, 4];
    ``prior`` defaults to max(5, 10 % of the seen forecast) contacts, so a few stray
    contacts on a quiet morning do not swing the afternoon; ``weight`` in [0, 1] is how
    much of the morning's surprise persists (see :func:`intraday_weight`).
    """
    f, a = float(np.sum(fc_seen)), float(np.sum(actual_seen))
    c = max(5.0, 0.1 * f) if prior is None else prior
    ratio = float(np.clip(((a + c) / (f + c)) ** weight, 0.25, 4.0))
    return np.asarray(fc_rest_of_day, dtype=float) * ratio


def intraday_weight(actual: np.ndarray, fc: np.ndarray, spd: int, seen: int) -> float:
    """How much of a morning's surprise carries into the rest of the day, from past days.

    ``actual``/``fc`` cover whole days (validation weeks). With ``m``/``r`` the log
    actual-to-forecast ratios (shrunk as in :func:`intraday_update`) of the first ``seen``
    intervals and of the rest of each day, returns the least-squares slope of ``r`` on
    ``m`` through the origin, clipped to [0, 1]: 0 when mornings say nothing about
    afternoons (then the update does nothing), 1 when the whole day moves together.
    """
    a = np.asarray(actual, dtype=float).reshape(-1, spd)
    f = np.asarray(fc, dtype=float).reshape(-1, spd)

    def logratio(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        sx, sy = x.sum(axis=1), y.sum(axis=1)
        c = np.maximum(5.0, 0.1 * sy)
        return np.log((sx + c) / (sy + c))

    m, r = logratio(a[:, :seen], f[:, :seen]), logratio(a[:, seen:], f[:, seen:])
    den = float(np.sum(m * m))
    return float(np.clip(np.sum(m * r) / den, 0.0, 1.0)) if den > 0 else 0.0


def _wape(actual: np.ndarray, fc: np.ndarray) -> float:
    s = float(np.sum(actual))
    return float(np.sum(np.abs(actual - fc))) / s if s > 0 else float(np.sum(np.abs(fc)))


def _days_back(mask: np.ndarray | None, n_days: int) -> np.ndarray | None:
    """A day mask counted back from the day in progress, fitted to ``n_days`` whole days."""
    if mask is None:
        return None
    out = np.zeros(n_days, dtype=bool)
    k = np.asarray(mask, dtype=bool)[-n_days:] if n_days else np.zeros(0, dtype=bool)
    out[n_days - len(k):] = k
    return out


def forecast_queue(q: QueueInput, *, model: str | None = None, validation_weeks: int = 5,
                   keep_all: bool = False) -> QueueForecast:
    """Forecast one queue.

    Parameters
    ----------
    q : QueueInput
        The queue's history and horizon.
    model : str | None
        Fix the model (a name from :func:`candidate_names`, or a pool ``avg(a,b)``);
        ``None`` chooses by :func:`forecast.choice.choose_model` on the validation days.
        A ``+mkt`` name without market data falls back to the plain model.
    validation_weeks : int
        Weekly origins inside the history used for the choice and the dispersion.
    keep_all : bool
        Keep every candidate's forecast (for backtests).
    """
    spd, p = q.spd, 7 * q.spd
    has_mkt = q.mult_hist is not None and q.mult_future is not None
    names = candidate_names(has_mkt)
    if model is not None:
        if not has_mkt:
            model = model.removesuffix(MKT)
        pool_members(model)  # raises on a name that is no candidate nor pool of them
    y_all = np.asarray(q.contacts, dtype=float)
    cut_fit = len(y_all) - q.seen_today
    known, special = (_days_back(m, cut_fit // spd) for m in (q.closed_hist, q.special_hist))
    closed = closed_days(y_all[:cut_fit], spd, known)
    extra = closed & ~(known if known is not None else False) \
        & ~(special if special is not None else False)  # declared days are not "found"
    found = tuple(int(len(closed) - i) for i in np.flatnonzero(extra))
    # closed days, and the catch-up days right after them, are left out: filled with
    # usual days for every fit, and out of the validation errors (a zero there would
    # reward a model for forecasting closures, a catch-up day for over-forecasting);
    # holidays and events too, without a catch-up after them
    after, _ = catch_up(y_all[:cut_fit], spd, closed)
    unusual = closed | after if special is None else closed | after | special
    # days far busier than their weekday, with no market move to explain them, too
    deflated = (y_all[:cut_fit] / np.asarray(q.mult_hist, dtype=float)[:cut_fit] if has_mkt
                else y_all[:cut_fit])
    spikes = outlier_days(deflated, spd, unusual)
    unusual = unusual | spikes
    high = tuple(int(len(closed) - i) for i in np.flatnonzero(spikes))
    # a lasting step in the level: the history before it is scaled to the new level
    # first, so that the fills below and the catch-up factor are read at one level
    y = np.asarray(y_all[:cut_fit], dtype=float).copy()
    shift = level_shift(deflated, spd, unusual)
    if shift is not None:
        y[:len(y) - shift[0] * spd] *= shift[1]
    _, catch = catch_up(y, spd, closed)
    y = fill_closed(y, spd, unusual)
    is_open = np.ones(len(y), dtype=bool)
    is_open[len(y) - len(closed) * spd:] = np.repeat(~unusual, spd)
    mh = np.asarray(q.mult_hist, dtype=float) if has_mkt else None

    # validation: weekly origins inside the history, one-week horizon; a fixed model
    # (and, without keep_all, nothing else) is validated only for its band and update
    check = names if model is None else [model] if not keep_all else [*names, model]
    check = list(dict.fromkeys(check))
    errs: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {nm: [] for nm in check}
    day_err: dict[str, list[np.ndarray]] = {nm: [] for nm in check}
    day_act: list[np.ndarray] = []
    for v in range(1, validation_weeks + 1):
        cut = cut_fit - v * p
        if cut < 14 * spd:
            break
        act = y[cut:cut + p]
        keep_v = is_open[cut:cut + p]
        open_day = keep_v.reshape(7, spd).any(axis=1)
        day_act.append((act * keep_v).reshape(7, spd).sum(axis=1)[open_day])
        mf_val = None
        if has_mkt:
            mv = q.mult_valid
            mf_val = mv[v - 1] if mv is not None and v <= len(mv) else mh[cut:cut + p]
        fcs = _run_all(y[:cut], mh[:cut] if has_mkt else None, mf_val, spd, p, check)
        for nm, f in fcs.items():
            errs[nm].append((act[keep_v], f[keep_v]))
            day_err[nm].append((np.abs(act - f) * keep_v).reshape(7, spd).sum(axis=1)[open_day])
    wape = {nm: _wape(np.concatenate([a for a, _ in e]), np.concatenate([f for _, f in e]))
            for nm, e in errs.items() if e}
    daily = {nm: np.concatenate(e) for nm, e in day_err.items() if e and nm in names}
    choice = choose_model(daily, np.concatenate(day_act) if day_act else np.zeros(0), has_mkt)
    if model is None:
        model = choice.model
        if model not in errs and errs:  # a pool: its validation forecasts from its members'
            members, mkt = pool_members(model)
            parts = [errs[b + MKT if mkt else b] for b in members]
            errs[model] = [(week[0][0], np.mean([f for _, f in week], axis=0))
                           for week in zip(*parts, strict=True)]
            wape[model] = _wape(np.concatenate([a for a, _ in errs[model]]),
                                np.concatenate([f for _, f in errs[model]]))
            choice = replace(choice, wape=wape[model])  # the pool's own, not the bound
    else:
        nan = float("nan")
        choice = Choice(model, "fixed", wape.get(model, nan), "", nan, "", nan, nan,
                        int(sum(len(a) for a in day_act)))

    # final fit from the start of the current day
    n = q.seen_today + q.n_future
    mf = None
    if has_mkt:
        mf = np.concatenate([mh[cut_fit:], np.asarray(q.mult_future, dtype=float)])
    keep = list(dict.fromkeys([*names, model])) if keep_all else [model]
    fcs = _run_all(y, mh[:cut_fit] if has_mkt else None, mf, spd, n, keep)
    if q.seen_today:
        s, rest = q.seen_today, max(0, min(spd, n) - q.seen_today)
        for nm, f in fcs.items():
            e = errs.get(nm) or []
            w = intraday_weight(np.concatenate([a for a, _ in e]),
                                np.concatenate([f for _, f in e]), spd, s) if e else 0.0
            f[s:s + rest] = intraday_update(f[:s], y_all[cut_fit:], f[s:s + rest], weight=w)
            fcs[nm] = f[s:]

    def phi_of(nm: str) -> float:
        e = errs.get(nm) or []
        if not e:
            return 0.0
        return nb_dispersion(np.concatenate([a for a, _ in e]), np.concatenate([f for _, f in e]))

    future = (np.zeros(0, bool) if q.closed_future is None
              else np.asarray(q.closed_future, dtype=bool))
    yesterday = bool(len(closed) and closed[-1]) and not q.seen_today  # (else the
    if future.any() or yesterday:  # intraday update has seen today's catch-up already)
        # a closed day ahead is zero; the open day after a closure (ahead, or yesterday)
        # gets the catch-up the history showed
        prev = np.concatenate([[yesterday], future])
        for f in fcs.values():
            day = (np.arange(len(f)) + q.seen_today) // spd
            shut = day < len(future)
            shut[shut] = future[day[shut]]
            back = day < len(prev)
            back[back] = prev[day[back]]
            f[back & ~shut] *= catch
            f[shut] = 0.0
    aht = aht_forecast(q.aht_s, q.contacts, spd, q.n_future)
    cands = {nm: (f, phi_of(nm)) for nm, f in fcs.items() if nm in names} if keep_all else {}
    return QueueForecast(q.channel, q.language, model, fcs[model], phi_of(model), aht,
                         wape, cands, found, choice, high, shift)
