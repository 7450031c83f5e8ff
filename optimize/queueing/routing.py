"""Route the forecast by hours of operation before any requirement is computed.

Outside a queue's hours (:mod:`optimize.scenario.hours`) its contacts are added to its
``closed_to`` queue in the same interval (handle time: the contact-weighted mean of the
two), or dropped when it is closed to ``none``; the closed queue keeps rows with zero
contacts, so nothing is required of it. Chains are followed (``chat/vi -> chat/th ->
chat/en`` when both are closed). Quantile columns (``contacts_p10/p50/p90``) are moved
with the mean: the moved P10 and P90 are added to the target's, which treats the two
queues' deviations as moving together (a band no narrower than the truth).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimize.scenario.hours import QueueHours

__all__ = ["open_mask", "route_hours"]

_VOLUME = ("contacts", "contacts_p10", "contacts_p50", "contacts_p90")


def open_mask(starts: pd.Series, hours: QueueHours) -> np.ndarray:
    """True where the interval starting at ``starts`` (UTC) is inside the queue's hours."""
    local = pd.DatetimeIndex(pd.to_datetime(starts, utc=True)).tz_convert(hours.timezone)
    minute = (local.hour * 60 + local.minute).to_numpy()
    weekday = local.day_of_week.to_numpy()
    a, b = hours.open_min, hours.close_min
    days = np.isin(weekday, hours.days)
    if a < b:
        return days & (minute >= a) & (minute < b)
    # past midnight: the early part belongs to the window opened the day before
    yesterday = np.isin((weekday - 1) % 7, hours.days)
    return (days & (minute >= a)) | (yesterday & (minute < b))


def _order(hours: tuple[QueueHours, ...]) -> list[QueueHours]:
    """Sources before their targets (the closed_to graph has no circle; config checks)."""
    by_queue = {(h.channel, h.language): h for h in hours}
    done: list[QueueHours] = []

    def visit(h: QueueHours, path: tuple) -> None:
        if h in done or h in path:
            return
        for other in hours:  # every queue closed to h comes first
            if other.closed_to == (h.channel, h.language):
                visit(other, (*path, h))
        done.append(h)

    for h in by_queue.values():
        visit(h, ())
    return done


def route_hours(forecast: pd.DataFrame, hours: tuple[QueueHours, ...]
                ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Move each closed queue's volume to its ``closed_to`` queue, interval by interval.

    Parameters
    ----------
    forecast : DataFrame
        The forecast table (``interval_start, channel, language, contacts, aht_s``, and
        optionally the quantile columns).
    hours : tuple of QueueHours
        ``ScenarioConfig.hours``.

    Returns
    -------
    (DataFrame, DataFrame)
        The routed forecast (same rows and columns, a fresh index), and per closed queue the contacts
        moved: ``channel, language, closed_to, contacts`` (``closed_to`` empty: not
        offered).

    Raises
    ------
    ValueError
        When a ``closed_to`` queue has no rows in the forecast.
    """
    if not hours or forecast.empty:
        return forecast, pd.DataFrame(columns=["channel", "language", "closed_to", "contacts"])
    fc = forecast.reset_index(drop=True)
    vols = [c for c in _VOLUME if c in fc.columns]
    fc[vols] = fc[vols].astype(float)
    key = fc["channel"] + "/" + fc["language"]
    known = set(key)
    moved = []
    for h in _order(hours):
        rows = np.flatnonzero((key == h.name).to_numpy())
        if len(rows) == 0:
            continue
        closed = rows[~open_mask(fc["interval_start"].iloc[rows], h)]
        total = float(fc["contacts"].iloc[closed].sum())
        if h.closed_to is not None:
            target = "/".join(h.closed_to)
            if target not in known:
                raise ValueError(f"hours of {h.name}: closed_to {target} has no forecast rows; "
                                 "forecast that queue too")
            dest = fc.index[(key == target).to_numpy()]
            where = pd.Series(dest, index=fc.loc[dest, "interval_start"].to_numpy())
            to = where.reindex(fc["interval_start"].iloc[closed].to_numpy()).to_numpy()
            ok = ~pd.isna(to)
            src, dst = fc.index[closed][ok], to[ok].astype(int)
            n_src, n_dst = fc.loc[src, "contacts"].to_numpy(), fc.loc[dst, "contacts"].to_numpy()
            a_src = fc.loc[src, "aht_s"].to_numpy(dtype=float)
            a_dst = fc.loc[dst, "aht_s"].to_numpy(dtype=float)
            both = n_src + n_dst
            with np.errstate(invalid="ignore", divide="ignore"):
                mix = (np.nan_to_num(a_src) * n_src + np.nan_to_num(a_dst) * n_dst) / both
            fc.loc[dst, "aht_s"] = np.where(both > 0, mix, np.where(np.isnan(a_dst), a_src,
                                                                        a_dst))
            for c in vols:
                fc.loc[dst, c] = fc.loc[dst, c].to_numpy() + fc.loc[src, c].to_numpy()
        fc.iloc[closed, [fc.columns.get_loc(c) for c in vols]] = 0.0
        moved.append({"channel": h.channel, "language": h.language,
                      "closed_to": "" if h.closed_to is None else "/".join(h.closed_to),
                      "contacts": total})
    return fc, pd.DataFrame(moved)
