"""Calibrating the formulas to what a roster delivers: an effective shrinkage per queue.

The coverage formulas (:func:`optimize.queueing.requirements.evaluate_staffing`) take
shrinkage as a steady haircut on the heads on schedule. When a simulation of the same
roster (heads that come and go, queues carried between intervals) delivers a different
service level, :func:`effective_shrinkage` finds, per queue, the shrinkage at which the
formulas give the simulated figure on that roster. Put in the forecast's ``shrinkage``
column, it makes the requirements ask for the heads the simulated desk needs, and the
coverage promise what the simulation delivers. Email and social are fitted the same way,
to the promise the roster model makes on the roster (:func:`calibration_targets`).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from optimize.queueing.requirements import evaluate_staffing
from optimize.scenario.config import ScenarioConfig

__all__ = ["AGREE", "MAX_SHRINKAGE", "SATURATED", "calibration_targets", "effective_shrinkage",
           "with_shrinkage"]

log = logging.getLogger(__name__)

KEYS = ["interval_start", "channel", "language"]
MAX_SHRINKAGE = 0.9  # the bisection's upper end (a fit that ends here is not kept)
AGREE = 0.005  # formulas within this of the delivered service level need no correction
SATURATED = 0.02  # a deferred promise this close to 0 or 1 is not fitted (see calibration_targets)


def _queue_sl(coverage: pd.DataFrame, contacts: pd.DataFrame) -> pd.Series:
    """Contact-weighted service level per (channel, language) (the outlook's weighting)."""
    df = coverage.merge(contacts, on=KEYS, how="left")
    w = df["contacts"].fillna(0.0).astype(float) * df["service_level"].notna()
    num = (df["service_level"].fillna(0.0) * w).groupby([df["channel"], df["language"]]).sum()
    den = w.groupby([df["channel"], df["language"]]).sum()
    return num / den.where(den > 0)


def calibration_targets(comparison: pd.DataFrame, config: ScenarioConfig) -> pd.DataFrame:
    """What each queue's fluid formulas are fitted to, ``channel, language, service_level``.

    Real-time queues: the simulated service level (``comparison``'s ``service_level``,
    :func:`optimize.simulation.promise_table`). Email and social: the plan's own promise
    (``promised_service_level``), which the roster model computes on the roster
    (:mod:`optimize.queueing.roster_backlog`), so that the fluid requirements ask for
    the capacity a roster of heads that come and go needs; not where that promise is
    within ``SATURATED`` of 0 or 1 (a queue with hardly a reply in time, or every reply,
    says nothing of how far it is from its edge: NaN, not fitted).
    """
    deferred = comparison["channel"].map(lambda c: config.channels[c].kind == "deferred")
    roster = comparison["promised_service_level"]
    inner = roster.between(SATURATED, 1.0 - SATURATED)
    target = np.where(deferred, np.where(inner, roster, np.nan), comparison["service_level"])
    return pd.DataFrame({"channel": comparison["channel"], "language": comparison["language"],
                         "service_level": target})


def effective_shrinkage(forecast: pd.DataFrame, staffed: pd.DataFrame, config: ScenarioConfig,
                        delivered: pd.DataFrame, *, interval_s: int,
                        window: tuple[pd.Timestamp, pd.Timestamp],
                        kinds: tuple[str, ...] = ("realtime",),
                        iterations: int = 14) -> pd.DataFrame:
    """The shrinkage per queue at which the formulas give the ``delivered`` service level.

    Parameters
    ----------
    forecast : DataFrame
        The plan's forecast (``interval_start, channel, language, contacts, aht_s``, and
        the ``shrinkage`` the plan was made with, if any: a previous round's fit).
    staffed : DataFrame
        ``interval_start, channel, language, scheduled_agents``: the roster's heads.
    config : ScenarioConfig
    delivered : DataFrame
        ``channel, language, service_level``: what the roster delivers (e.g. simulated),
        contact-weighted over ``window``.
    interval_s : int
    window : (Timestamp, Timestamp)
        The plan weeks.
    kinds : tuple of str
        Channel kinds calibrated (default: real-time only). ``plan --calibrate`` fits
        email and social too, to the roster model's promise (:func:`calibration_targets`):
        their promise no longer comes from the fluid model, so a fitted shrinkage only
        makes the fluid requirements ask for the capacity the roster needs.
    iterations : int
        Bisection steps on [0, MAX_SHRINKAGE] (14: to about 0.0001).

    Returns
    -------
    DataFrame
        ``channel, language, configured_shrinkage`` (the plan's: the forecast's
        ``shrinkage`` column per queue, else the scenario's), ``shrinkage`` (the fitted
        one), ``promised`` (the formulas' service level at the configured shrinkage),
        ``delivered``, and ``fitted`` (at the fitted shrinkage). A queue the formulas
        already give within ``AGREE`` keeps its configured shrinkage, and so does one whose
        fit ends at a bound of [0, MAX_SHRINKAGE] (the shrinkage is not what the formulas
        miss there).
    """
    t0, t1 = window
    fc = forecast[(forecast["interval_start"] >= t0) & (forecast["interval_start"] < t1)]
    fc = fc.reset_index(drop=True)
    queue = pd.MultiIndex.from_frame(fc[["channel", "language"]])
    queues = queue.unique()
    if "shrinkage" in fc.columns:  # the plan's own (a previous round's fit, say)
        configured = fc.groupby(["channel", "language"])["shrinkage"].mean().reindex(queues)
        configured = configured.fillna(pd.Series([config.formula_shrinkage(c, lg)
                                                  for c, lg in queues],
                                                 index=queues)).to_numpy(dtype=float)
    else:
        configured = np.array([config.formula_shrinkage(c, lg) for c, lg in queues])
    target = delivered.set_index(["channel", "language"])["service_level"].reindex(queues)
    contacts = fc[KEYS + ["contacts"]]

    def sl_at(shrink: np.ndarray) -> np.ndarray:
        per_row = pd.Series(shrink, index=queues).reindex(queue).to_numpy()
        cov = evaluate_staffing(fc.assign(shrinkage=per_row), staffed, config,
                                interval_s=interval_s, window=window)
        return _queue_sl(cov, contacts).reindex(queues).to_numpy()

    promised = sl_at(configured)
    lo, hi = np.zeros(len(queues)), np.full(len(queues), MAX_SHRINKAGE)
    goal = target.to_numpy()
    kind = np.array([config.channels[c].kind for c, _ in queues])
    known = np.isfinite(goal) & np.isin(kind, list(kinds))
    for _ in range(iterations):
        mid = (lo + hi) / 2.0
        got = sl_at(np.where(known, mid, configured))
        too_good = got > goal  # service falls with shrinkage: shrink more
        lo = np.where(known & too_good, mid, lo)
        hi = np.where(known & ~too_good, mid, hi)
    # a queue the formulas already get right (within half a point; saturated ones at 0 or
    # 100% among them) keeps its configured shrinkage
    keep = ~known | (np.abs(promised - np.where(known, goal, 0.0)) <= AGREE)
    mid = (lo + hi) / 2.0
    # so does one whose fit ends at a bound: the shrinkage is not what the formulas miss
    # there. A fallback's source, whose target answers what it does not (social/ko: 100 %
    # promised at any shrinkage, 96.7 % by its roster model), would otherwise ask ten
    # times its heads at 0.9, as would a queue the roster left unserved
    at_bound = known & ~keep & ((mid > MAX_SHRINKAGE - 1e-3) | (mid < 1e-3))
    if at_bound.any():
        log.warning("calibration: %s kept their shrinkage: a fit at %g or 0 is not what the "
                    "formulas miss there", ", ".join(f"{c}/{lg}" for (c, lg), b
                                                     in zip(queues, at_bound, strict=True) if b),
                    MAX_SHRINKAGE)
    keep |= at_bound
    fitted_s = np.where(keep, configured, mid)
    return pd.DataFrame({"channel": [c for c, _ in queues], "language": [lg for _, lg in queues],
                         "configured_shrinkage": configured, "shrinkage": fitted_s,
                         "promised": promised, "delivered": goal,
                         "fitted": sl_at(fitted_s)})


def with_shrinkage(forecast: pd.DataFrame, fit: pd.DataFrame,
                   config: ScenarioConfig) -> pd.DataFrame:
    """``forecast`` with a ``shrinkage`` column: each queue's fitted shrinkage, the
    configured one for a queue ``fit`` does not name."""
    per_queue = fit.set_index(["channel", "language"])["shrinkage"]
    idx = pd.MultiIndex.from_frame(forecast[["channel", "language"]])
    own = per_queue.reindex(idx).to_numpy()
    configured = pd.Series([config.formula_shrinkage(c, lg) for c, lg in idx.unique()],
                           index=idx.unique()).reindex(idx).to_numpy(dtype=float)
    return forecast.assign(shrinkage=np.where(np.isfinite(own), own, configured))
