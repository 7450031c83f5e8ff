"""Spare heads go where they are owed: short queues now, deferred backlog later.

The model prices every queue x interval on its own (:mod:`optimize.scheduling.problem.penalty`),
so a deferred queue's interval left short stays short even where, hours later, agents
who may serve it are on a queue that has more heads than it needs (the allocation caps
each queue at its interval's requirement; the dealing of whole agents to queues,
:func:`~optimize.scheduling.activities.assign.allocate_queues`, puts the rest somewhere, and the
breaks as placed leave some queues short and others over). A real desk answers that
backlog then. This step works on the dealt agents, after the search, interval by
interval:

* what each queue is owed: a real-time queue its shortfall in the interval; a deferred
  queue also its backlog, the shortfall carried forward
  ``B_t = max(0, B_{t-1} + required_t - staffed_t)`` (heads x intervals; the requirement
  of a deferred queue is the backlog model's level-rate profile, which never works ahead
  of arrivals, so neither does this);
* queues in priority order (VIP chat, chat, social, email in the sample): while a queue
  is owed, an agent skilled for it moves to it from a queue that keeps at least its
  requirement without that agent (a deferred queue only when it still owes nothing
  without the agent, backlog included), from the queue with the most heads to spare
  first.

So no queue is made short by a move: shifts, breaks and the model's objective and bound
are unchanged, and every queue keeps its requirement wherever it had it; agents who were
surplus work where they are owed instead. Measured on the sample company's plan week
(``bench/bench_catchup.py``, one cached search; bench/README.md "Deferred backlog caught
up by spare heads"), contact-weighted service level: social en 0.24 -> 1.00, zh 0.08 ->
0.96, ru 0.04 -> 0.53; email zh 0.06 -> 0.30, ja 0.04 -> 0.26; chat es 0.863 -> 0.885,
ja 0.812 -> 0.832, zh 0.898 -> 0.894 (the only loss above 0.1 point); VIP chat +0.0 to
+0.3 points. Deferred queues alone first (measured too) gave them more (email ja 0.96,
zh 1.00) but took chat's surplus without filling chat's short intervals (chat en 0.908
-> 0.892): the priority order is the scenario's.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimize.scenario.config import ScenarioConfig
from optimize.scheduling.activities.assign import work_minutes
from optimize.scheduling.problem.inputs import Grid, Queues, SkillGroups

__all__ = ["catch_up", "backlog_surplus"]

_EPS = 1e-9


def catch_up(queue_of: dict[tuple[int, int], int], shifts: pd.DataFrame,
             breaks: pd.DataFrame, groups: SkillGroups, queues: Queues,
             config: ScenarioConfig, grid: Grid
             ) -> tuple[dict[tuple[int, int], int], np.ndarray]:
    """``queue_of`` (queue per (shift, interval), as dealt) with spare agents moved to
    the queues they are owed at (module docstring), as a new dict, and the head-hours
    each queue gained, net per interval (shape ``(queues,)``)."""
    deferred = np.array([config.channels[c].kind == "deferred" for c in queues.channel],
                        dtype=bool)
    n_q = len(queues.channel)
    moved = np.zeros(n_q)
    if not queue_of:
        return dict(queue_of), moved
    i, t, mins = work_minutes(shifts, breaks, grid)
    q = np.array([queue_of.get((a, b), -1) for a, b in zip(i.tolist(), t.tolist(),
                                                            strict=True)], dtype=int)
    on = q >= 0
    i, t, p, q = i[on], t[on], mins[on] / grid.step_min, q[on]
    staffed = np.zeros((n_q, grid.n))
    np.add.at(staffed, (q, t), p)
    dealt = staffed.copy()
    skilled = np.zeros((groups.n, n_q), dtype=bool)
    for g, sk in enumerate(groups.skills):
        skilled[g, list(sk)] = True
    g_of = groups.of_agent[shifts["agent"].to_numpy()[i]]
    order = [int(d) for d in np.lexsort((np.arange(n_q), -np.asarray(queues.priority)))]
    required = queues.required
    backlog = np.zeros(n_q)
    by_t = np.searchsorted(t, np.arange(grid.n + 1), sorter=np.argsort(t, kind="stable"))
    rows_by_t = np.argsort(t, kind="stable")
    out = dict(queue_of)
    for tt in range(grid.n):  # sequential: each interval's backlog depends on the last
        owed = backlog + required[:, tt] - staffed[:, tt]
        here = rows_by_t[by_t[tt]:by_t[tt + 1]]
        for d in order:
            if owed[d] <= _EPS or not len(here):
                continue
            cand = here[skilled[g_of[here], d] & (q[here] != d)]
            c = q[cand]
            cand = cand[np.where(deferred[c], owed[c] + p[cand] <= _EPS,
                                 staffed[c, tt] - required[c, tt] - p[cand] >= -_EPS)]
            for r in cand[np.argsort(-(staffed[q[cand], tt] - required[q[cand], tt]),
                                     kind="stable")].tolist():
                c = q[r]
                keeps = (owed[c] + p[r] <= _EPS if deferred[c]  # still owes nothing
                         else staffed[c, tt] - required[c, tt] - p[r] >= -_EPS)
                if not keeps:
                    continue
                staffed[c, tt] -= p[r]
                staffed[d, tt] += p[r]
                owed[c] += p[r]
                owed[d] -= p[r]
                q[r] = d
                out[int(i[r]), tt] = d
                if owed[d] <= _EPS:
                    break
        backlog = np.where(deferred, np.clip(owed, 0.0, None), 0.0)
    # net heads gained per queue and interval (a queue that received more than it was
    # owed may pass a head on to a lower-priority one in the same interval)
    moved = np.clip(staffed - dealt, 0.0, None).sum(axis=1) * grid.step_min / 60
    return out, moved


def backlog_surplus(staffed: np.ndarray, required: np.ndarray) -> np.ndarray:
    """Heads beyond the requirement that are not working off an earlier shortfall.

    Per row (a deferred queue), with the shortfall carried forward
    ``B_t = max(0, B_{t-1} + required_t - staffed_t)``, the surplus is
    ``max(0, staffed_t - required_t - B_{t-1})``: catching up is not over-staffing.
    """
    staffed = np.asarray(staffed, dtype=float)
    required = np.asarray(required, dtype=float)
    out = np.zeros_like(staffed)
    carried = np.zeros(staffed.shape[0])
    for t in range(staffed.shape[1]):  # the Lindley recursion, vectorised across rows
        net = staffed[:, t] - required[:, t] - carried
        out[:, t] = np.clip(net, 0.0, None)
        carried = np.clip(-net, 0.0, None)
    return out
