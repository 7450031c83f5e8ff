"""Service measures from simulated contacts, over replications, beside the plan's promise.

Every figure is an aggregation of the per-contact records of
:func:`optimize.simulation.engine.simulate_once`, with the definitions of the queueing
engine: service level is the share of *offered* contacts answered within the target
(answer time for real-time queues, response window for deferred ones; abandoned contacts
count as not answered), ``asa_s`` the mean wait of the answered, ``abandon_rate`` the
abandoned share, ``backlog`` the contacts waiting at the interval's end, ``occupancy``
the share of the agents' contact slots in use.

Replications are summarised by their mean and a 95% interval for the mean
(``mean +- 1.96 sd / sqrt(reps)``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimize.simulation.desk import Desk
from optimize.simulation.engine import Replication

__all__ = ["MEASURES", "interval_counts", "interval_table", "promise_table", "queue_table"]

MEASURES = ("service_level", "asa_s", "abandon_rate", "backlog", "occupancy")
Z95 = 1.959963984540054


def interval_counts(desk: Desk, rep: Replication) -> dict[str, np.ndarray]:
    """Counts of one replication per queue x interval (arrays of shape (Q, T))."""
    r = rep.records
    q, t = r["queue"].to_numpy(), r["interval"].to_numpy()
    wait = (r["start_s"] - r["arrival_s"]).to_numpy()
    answered = np.isfinite(wait)
    within = answered & (wait <= desk.target_s[q] + 1e-9)
    shape = desk.contacts.shape

    def count(mask, values=None):
        out = np.zeros(shape)
        np.add.at(out, (q[mask], t[mask]), 1.0 if values is None else values[mask])
        return out

    return {"offered": count(np.ones(len(q), bool)), "answered": count(answered),
            "within": count(within), "abandoned": count(r["abandoned"].to_numpy()),
            "wait_s": count(answered, wait), "backlog": rep.backlog,
            "busy_s": rep.busy_s, "staffed_s": rep.staffed_s}


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def _measures(k: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {"contacts": k["offered"], "service_level": _ratio(k["within"], k["offered"]),
            "asa_s": _ratio(k["wait_s"], k["answered"]),
            "abandon_rate": _ratio(k["abandoned"], k["offered"]), "backlog": k["backlog"],
            # occupancy only where at least one slot-second was staffed
            "occupancy": _ratio(k["busy_s"], np.where(k["staffed_s"] >= 1.0, k["staffed_s"], 0.0))}


def _summarise(per_rep: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Mean and 95% interval bounds over replications (NaN-aware), per measure."""
    out = {}
    for name in per_rep[0]:
        x = np.stack([m[name] for m in per_rep])
        n = np.sum(np.isfinite(x), axis=0)
        filled = np.where(np.isfinite(x), x, 0.0)
        mean = np.where(n > 0, filled.sum(axis=0) / np.maximum(n, 1), np.nan)
        dev = np.where(np.isfinite(x), x - mean, 0.0)
        sd = np.sqrt((dev ** 2).sum(axis=0) / np.maximum(n - 1, 1))
        half = np.where(n > 1, Z95 * sd / np.sqrt(np.maximum(n, 1)), np.nan)
        out[name], out[f"{name}_lo"], out[f"{name}_hi"] = mean, mean - half, mean + half
    return out


def interval_table(desk: Desk, counts: list[dict[str, np.ndarray]]) -> pd.DataFrame:
    """``simulation.csv``: per interval x queue, each measure's mean and 95% interval."""
    s = _summarise([_measures(k) for k in counts])
    n_q, n_t = desk.contacts.shape
    starts = desk.start + pd.to_timedelta(np.arange(n_t) * desk.interval_s, unit="s")
    table = pd.DataFrame({
        "interval_start": np.tile(starts, n_q),
        "channel": np.repeat([c for c, _ in desk.queues], n_t),
        "language": np.repeat([lang for _, lang in desk.queues], n_t),
    })
    for name in ("contacts", *MEASURES):
        for suffix in ("", "_lo", "_hi"):
            if name == "contacts" and suffix:
                continue
            table[name + suffix] = s[name + suffix].ravel()
    return table


def queue_table(desk: Desk, counts: list[dict[str, np.ndarray]]) -> pd.DataFrame:
    """Per queue over the whole period (contact-weighted), mean and 95% interval."""
    per_rep = []
    for k in counts:
        tot = {name: v.sum(axis=1, keepdims=True) for name, v in k.items() if name != "backlog"}
        tot["backlog"] = k["backlog"].mean(axis=1, keepdims=True)
        per_rep.append(_measures(tot))
    s = _summarise(per_rep)
    table = pd.DataFrame({"channel": [c for c, _ in desk.queues],
                          "language": [lang for _, lang in desk.queues],
                          "kind": np.where(desk.deferred, "deferred", "realtime")})
    for name, v in s.items():
        table[name] = v.ravel()
    return table


def promise_table(queues: pd.DataFrame, promised: pd.DataFrame, *,
                  tolerance: float = 0.02) -> pd.DataFrame:
    """Promised beside simulated service level, per queue.

    Parameters
    ----------
    queues : DataFrame
        :func:`queue_table` (simulated, per channel x language).
    promised : DataFrame
        The plan's own per-queue figures, ``channel, language, service_level`` (the
        contact-weighted coverage, :func:`optimize.outputs.summary.queue_outlook`: the same
        numbers ``summary.md`` shows).
    tolerance : float
        ``over_promise`` is True where the promise exceeds the simulated mean by more.

    Returns
    -------
    DataFrame
        ``queues`` with ``promised_service_level``, ``difference`` (promised - simulated)
        and ``over_promise``.
    """
    p = promised[["channel", "language", "service_level"]].rename(
        columns={"service_level": "promised_service_level"})
    out = queues.merge(p, on=["channel", "language"], how="left")
    out["difference"] = out["promised_service_level"] - out["service_level"]
    out["over_promise"] = out["difference"] > tolerance
    return out
