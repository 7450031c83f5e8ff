"""Model choice that does not flip: one rule for a queue's own validation and the backtest.

On real data a few validation weeks cannot separate candidates whose errors differ by less
than the noise, and picking the lowest error then flips from day to day between models
(issue 14 measured it). :func:`choose_model` takes each candidate's absolute error per
validation day and applies, in order:

1. the lowest pooled WAPE wins; a plain winner yields to its market-aware variant when
   that is within :data:`MKT_TOLERANCE` (calm validation weeks cannot show the market
   effect, whose value lies in the surges);
2. every candidate of the winner's kind (market-aware or plain) that is not *clearly*
   worse than the winner joins it in a pool: a paired test on the daily absolute errors
   (Diebold & Mariano 1995) with ``t <= -`` :data:`CLEAR_T` is clearly worse. A pool of
   one is the winner alone; a larger one is forecast by the equal-weight mean of its
   members, written ``avg(a,b)`` (``avg(a,b)+mkt``): "forecast pooling", which on noisy
   series is at least as accurate as the single pick and moves less between origins
   (Kourentzes, Barrow & Petropoulos 2019, "Another look at forecast selection and
   combination: evidence from forecast pooling", Int. J. Production Economics 209);
3. never a model whose validation WAPE is worse than the best baseline's (``snaive``,
   ``mean4w``): members worse than it stay out of the pool, so the pool's error, which
   is at most the mean of its members' errors, is no worse than the baseline's, and a
   market-aware variant above it does not replace its plain winner.

The :class:`Choice` keeps the figures behind the decision, so that a run can record why
each queue got its model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from forecast.candidates import BASELINES, CANDIDATES

__all__ = ["Choice", "choose_model", "default_model", "pooled_name", "pool_members",
           "CLEAR_T", "MKT", "MKT_TOLERANCE"]

MKT = "+mkt"  # suffix of the market-aware variant of a candidate
#: A plain winner yields to its market-aware variant when that is at most this much worse
#: (relative validation WAPE).
MKT_TOLERANCE = 0.02
#: A candidate is clearly worse than the winner when the paired t statistic of the
#: winner's daily absolute errors minus its own is at most ``-CLEAR_T``.
CLEAR_T = 2.0


def pooled_name(members: Sequence[str], market: bool) -> str:
    """``avg(a,b)`` (``+mkt``) for a pool of base candidates; a single member's own name."""
    order = [c for c in CANDIDATES if c in members]
    name = order[0] if len(order) == 1 else f"avg({','.join(order)})"
    return name + MKT if market else name


def pool_members(name: str) -> tuple[tuple[str, ...], bool]:
    """The base candidates behind a model name and whether it is market-aware:
    ``"avg(mean8w,ets_profile)+mkt"`` -> ``(("mean8w", "ets_profile"), True)``.

    Raises
    ------
    ValueError
        If the name is neither a candidate nor a pool of candidates.
    """
    market = name.endswith(MKT)
    base = name.removesuffix(MKT)
    if base.startswith("avg(") and base.endswith(")"):
        members = tuple(base[4:-1].split(","))
    else:
        members = (base,)
    unknown = [m for m in members if m not in CANDIDATES]
    if unknown or not members:
        raise ValueError(f"unknown model {name!r}: models are {list(CANDIDATES)}, their "
                         f"'{MKT}' variants and pools avg(a,b,...)")
    return members, market


@dataclass(frozen=True)
class Choice:
    """A queue's model and the validation figures it was chosen on.

    ``reason`` is ``lowest`` (the winner, clearly better than every candidate it was
    compared with), ``pool`` (the mean of the winner and the candidates not clearly
    worse), ``fixed`` (given, not chosen) or ``no validation`` (too little history: the
    default). The winner is compared with the candidates of its kind (market-aware or
    plain) no worse than the best baseline. WAPEs are pooled over ``days`` validation
    days; ``wape`` of a pool is its own where its forecasts were at hand (a queue's
    validation), else the mean of its members' (an upper bound of its own: the backtest's
    daily sums). ``t`` is the largest paired statistic of the winner against those it was
    compared with (the closest of them; NaN when none).
    """

    model: str
    reason: str
    wape: float
    best: str
    best_wape: float
    baseline: str
    baseline_wape: float
    t: float
    days: int

    def as_row(self) -> dict[str, object]:
        """The choice as a flat record (for tables and the run store)."""
        return {"model": self.model, "reason": self.reason, "validation_wape": self.wape,
                "best": self.best, "best_wape": self.best_wape, "baseline": self.baseline,
                "baseline_wape": self.baseline_wape,
                "t_closest": float(np.clip(self.t, -1e3, 1e3)),  # (JSON has no infinity)
                "validation_days": self.days}


def default_model(market: bool) -> str:
    """The model of a queue without validation: the 4-week mean (market-aware with market)."""
    return "mean4w" + MKT if market else "mean4w"


def _paired_t(a: np.ndarray, b: np.ndarray) -> float:
    """t statistic of the mean of ``a - b`` (NaN with fewer than 3 days or no variation)."""
    d = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    if len(d) < 3:
        return float("nan")
    sd = float(np.std(d, ddof=1))
    if sd == 0.0:  # the same difference every day: as clear as it gets, either way
        return float(np.sign(np.mean(d)) * np.inf) if np.mean(d) != 0.0 else 0.0
    return float(np.mean(d) / (sd / np.sqrt(len(d))))


def choose_model(abs_error: Mapping[str, np.ndarray], actual: np.ndarray, market: bool, *,
                 tolerance: float | None = None, clear_t: float | None = None) -> Choice:
    """Choose a queue's model from its validation days (module docstring's rule).

    Parameters
    ----------
    abs_error : Mapping[str, np.ndarray]
        Candidate name (:data:`forecast.candidates.CANDIDATES`, ``+mkt`` variants) ->
        absolute error summed per validation day, ``(days,)``; every array on the same
        days.
    actual : np.ndarray
        Actual volume per validation day, ``(days,)``.
    market : bool
        Whether market-aware variants (``+mkt``) were scored.
    tolerance, clear_t : float, optional
        :data:`MKT_TOLERANCE` and :data:`CLEAR_T` by default.
    """
    tol = MKT_TOLERANCE if tolerance is None else tolerance
    clear = CLEAR_T if clear_t is None else clear_t
    act = np.asarray(actual, dtype=float)
    days = int(len(act))
    nan = float("nan")
    if not abs_error or days == 0:
        return Choice(default_model(market), "no validation", nan, "", nan, "", nan, nan, 0)
    total = float(act.sum())
    err = {nm: np.asarray(e, dtype=float) for nm, e in abs_error.items()}
    wape = {nm: float(e.sum()) / total if total > 0 else float(e.sum()) for nm, e in err.items()}
    best = min(wape, key=wape.get)
    bases = [b for b in BASELINES if b in wape]
    base = min(bases, key=wape.get) if bases else ""
    limit = wape[base] if base else np.inf
    win = best
    alt = wape.get(best + MKT, np.inf)
    if market and not best.endswith(MKT) and alt <= wape[best] * (1 + tol) and alt <= limit:
        win = best + MKT  # (never above the best baseline: then the plain winner stays)
    mkt = win.endswith(MKT)
    kin = [nm for nm in err if nm != win and nm.endswith(MKT) == mkt and wape[nm] <= limit]
    t_of = {nm: _paired_t(err[win], err[nm]) for nm in kin}
    pool = [win] + [nm for nm in kin if not t_of[nm] <= -clear]
    t = max(t_of.values()) if t_of else nan
    if len(pool) == 1:
        model, reason = win, "lowest"
    else:
        model, reason = pooled_name([nm.removesuffix(MKT) for nm in pool], mkt), "pool"
    chosen = float(np.mean([wape[nm] for nm in pool]))
    return Choice(model, reason, chosen, best, wape[best], base, limit if base else nan, t,
                  days)
