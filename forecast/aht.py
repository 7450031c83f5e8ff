"""Handle-time forecast: a shrunk, contact-weighted interval-of-week profile.

For each interval of the week the forecast is the contact-weighted mean ``aht_s`` over the
last ``weeks`` weeks, shrunk towards the queue's overall weighted mean with weight
``n / (n + prior)`` where ``n`` is the number of contacts behind it. Thin intervals (night,
sparse languages) therefore inherit the queue mean instead of a noisy few values.
"""

from __future__ import annotations

import numpy as np

__all__ = ["aht_forecast"]


def aht_forecast(aht_s: np.ndarray, contacts: np.ndarray, spd: int, n: int, *,
                 weeks: int = 8, prior: float = 30.0) -> np.ndarray:
    """Forecast ``aht_s`` for the ``n`` intervals following the history.

    Parameters
    ----------
    aht_s, contacts : np.ndarray
        History per interval (``aht_s`` NaN where ``contacts`` is 0).
    spd : int
        Intervals per day.
    n : int
        Intervals to forecast.
    weeks : int
        Weeks of history in the profile.
    prior : float
        Contacts' worth of weight given to the overall mean.

    Returns
    -------
    np.ndarray
        Positive floats, or NaN everywhere when the history has no handled contact.
    """
    p = 7 * spd
    c_all = np.asarray(contacts, dtype=float)
    a_all = np.asarray(aht_s, dtype=float)
    w = max(1, min(weeks, len(c_all) // p))
    c = c_all[len(c_all) - w * p:]
    a = a_all[len(a_all) - w * p:]
    ok = (c > 0) & np.isfinite(a)
    work = np.where(ok, a * c, 0.0).reshape(w, p).sum(axis=0)
    cnt = np.where(ok, c, 0.0).reshape(w, p).sum(axis=0)
    if cnt.sum() > 0:
        overall = work.sum() / cnt.sum()
    else:
        ok_all = (c_all > 0) & np.isfinite(a_all)
        if not ok_all.any():
            return np.full(n, np.nan)
        overall = float(np.sum(a_all[ok_all] * c_all[ok_all]) / np.sum(c_all[ok_all]))
    prof = (work + prior * overall) / (cnt + prior)
    return prof[np.arange(n) % p]
