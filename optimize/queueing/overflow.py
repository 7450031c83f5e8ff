"""Overflow after a wait in the requirements and the coverage (``[overflow]`` in scenario.toml).

Counted here: rules from one real-time queue to another whose channels are not pooled
(``pool_with``); fallbacks between deferred queues are :mod:`optimize.queueing.fallback`'s
(their promise on a roster is :mod:`optimize.queueing.roster_backlog`'s). The others
(between a real-time and a deferred queue, or to or from a pooled channel) are played by
the simulator only (:mod:`optimize.simulation.engine`). Overflow has no exact formula; the approximations
are checked against the simulator (``tests/optimize/queueing/test_overflow.py``,
``test_fallback.py``, bench/README.md).

**Coverage** (:func:`overflow_metrics`), per interval, for a rule ``A -> B`` after ``d``
seconds with handle-time factor ``f``:

* A's agents ``n_A`` work A's queue in A's own model. The share of A's arrivals still
  without an agent at ``d`` is ``o = P(V_A > d) exp(-d / patience_A)``, ``V_A`` the wait
  of A's model for a contact that never leaves (``o = exp(-d / patience_A)`` with nobody
  on A). The model's queue ignores that the moved contacts shorten it, so ``o`` errs
  high: B is charged a little more work and A credited a little less.
* B takes ``o lambda_A`` more contacts at ``f aht_A``: its measures are its model's at the
  summed load (the handle time contact-weighted) and its own heads, as if the moved
  contacts arrived as Poisson (they come in bursts, when A is busy).
* An A contact is answered within its target ``T_A`` if A answers it within
  ``min(T_A, d)``, or it moves and B answers it within the ``T_A - d`` left:
  ``SL_A = SL_A(min(T_A, d)) + o SL_B(T_A - d)``, B's model at the shorter target (B's
  patience stands for the rest of A's). A's abandonment is ``P(V_A > d)
  (1 - exp(-d/patience_A)) + o abandon_B``, its mean wait ``(1 - o) min(wait_A, d) + o (d
  + wait_B)`` and its occupancy the model's at the load A keeps, ``(1 - o) lambda_A``:
  rough, the service level is what the plan is held to.
* Chains (``A -> B -> C``) move the load along, and a moved contact's service counts
  B's rule too: ``SL_B(t)`` above is B's own formula at ``t``, and ``abandon_B`` and
  ``wait_B`` are B's row after its own rule (targets are written first). The
  requirements never leave B to C in an interval where B holds A's planned contacts, so
  in a planned chain B is staffed and C is its safety valve.
* ``move_when_unstaffed``: in the interpolation between whole agents, the "no agent"
  term (weight ``1 - n_A`` below one productive agent) moves every contact at once, with
  all of ``T_A`` left: ``SL_A(0) = SL_B(T_A)``, no abandonment in A.

**Requirements** (:func:`plan_overflow`), per interval and rule, sources first: either A
is staffed on its own (its requirement as if it had no overflow; B takes the share ``o``
left at that staffing) or A is asked for nobody and B takes every A contact that is still
there at ``d`` (``exp(-d / patience_A)`` of them) and must answer them within ``T_A - d``
at ``SL*_A / exp(-d / patience_A)``, a second target on B's rows (with
``move_when_unstaffed``: all of them, within ``T_A`` at ``SL*_A``). The option with fewer
heads on schedule is planned; a tie goes to the overflow, which asks nothing of A's
(thinner) skill. The overflow is not an option where ``T_A < d`` or that second target
exceeds 1 (too many give up during the wait; neither applies with
``move_when_unstaffed``, where nobody waits), nor for a rule with ``keep_staffed`` (a
manager who wants the language served in its own language whenever its queue is open: a
large team absorbs a small one's load at fewer heads, so the cheaper option alone would
leave it to translation all day). Neither option mixes (some A agents and a planned
overflow for the rest); the coverage counts whatever the schedule staffs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimize.queueing.metrics import (
    agents_for_target,
    channel_metrics,
    interpolated_metrics,
    waited_past,
)
from optimize.scenario.config import ChannelConfig, ScenarioConfig
from optimize.scenario.overflow import Overflow

__all__ = ["PlannedOverflow", "counted_rules", "overflow_metrics", "plan_overflow",
           "row_targets"]


@dataclass(frozen=True)
class PlannedOverflow:
    """What :func:`plan_overflow` planned: the routed volumes and the targets they carry.

    ``volume`` and ``aht_s`` are per row of the input; ``targets`` holds per rule
    ``(rows, target_s, target_sl)``: rows of the target queue whose agents must also
    answer ``target_sl`` of the moved contacts within ``target_s``; ``answer_s`` per row
    the shortest of those answer times (NaN: the queue's own target only).
    """

    volume: np.ndarray
    aht_s: np.ndarray
    targets: tuple[tuple[np.ndarray, float, float], ...]
    answer_s: np.ndarray


def counted_rules(config: ScenarioConfig) -> tuple[Overflow, ...]:
    """The overflow rules the requirements and the coverage count, sources first."""
    def counted(channel: str) -> bool:
        ch = config.channels.get(channel)
        return ch is not None and ch.kind == "realtime" and ch.pool_with is None and not any(
            c.pool_with == channel for c in config.channels.values())

    rules = [o for o in config.overflow if counted(o.channel) and counted(o.to[0])]
    ordered: list[Overflow] = []
    while rules:  # a rule after every rule into its source (the scenario has no circle)
        ready = [o for o in rules if not any(r.to == (o.channel, o.language) for r in rules)]
        ready = ready or rules[:1]
        ordered += ready
        rules = [o for o in rules if o not in ready]
    return tuple(ordered)


def _reach(ch: ChannelConfig, after_s: float) -> float:
    """Share of contacts still waiting (not given up) at ``after_s``."""
    return math.exp(-after_s / ch.patience_s) if ch.model == "erlang_a" else 1.0


def _pairs(df: pd.DataFrame, rules: tuple[Overflow, ...]
           ) -> dict[Overflow, tuple[np.ndarray, np.ndarray]]:
    """Per rule, row positions of its source and, per source row, of its target's same
    interval (source rows without a target row are left out)."""
    # queue codes and int64 times: a MultiIndex of the strings, or a tz-aware column's
    # object array, is slow at this scale (tens of rules on a year of intervals)
    queue = df["channel"].astype(str) + "/" + df["language"].astype(str)
    codes, names = pd.factorize(queue)
    code_of = {n: i for i, n in enumerate(names)}
    t = pd.DatetimeIndex(df["interval_start"]).asi8
    t_codes, _ = pd.factorize(t)
    width = int(t_codes.max(initial=0)) + 1
    key = codes.astype(np.int64) * width + t_codes
    order = np.argsort(key, kind="stable")
    out = {}
    for rule in rules:
        src = np.flatnonzero(codes == code_of.get(rule.name, -1))
        to = code_of.get("/".join(rule.to), -1)
        if to < 0 or src.size == 0:
            out[rule] = (src[:0], src[:0])
            continue
        want = to * width + t_codes[src]
        k = np.minimum(np.searchsorted(key, want, sorter=order), key.size - 1)
        dst = order[k]
        hit = key[dst] == want
        out[rule] = (src[hit], dst[hit])
    return out


def row_targets(rows: np.ndarray, targets) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """``(target_s, target_sl)`` per row of ``rows`` (positions) for each planned target
    (:attr:`PlannedOverflow.targets`) touching them (``target_sl = 0``, met by anyone,
    elsewhere)."""
    out = []
    for where, t, sl in targets:
        hit = np.isin(rows, where)
        if hit.any():
            out.append((np.full(rows.size, t), np.where(hit, sl, 0.0)))
    return tuple(out)


def _agents(ch: ChannelConfig, vol, aht, step: int, extra, max_occ: float) -> np.ndarray:
    load = vol * aht / step
    n = agents_for_target(ch, load, aht, ch.answer_time_s, ch.service_level, max_occ)
    for t, sl in extra:
        n = np.maximum(n, agents_for_target(ch, load, aht, t, sl, max_occ))
    return np.asarray(n, dtype=float)


def _merge(vol, aht, add_vol, add_aht) -> tuple[np.ndarray, np.ndarray]:
    """Volume and contact-weighted handle time of two streams."""
    total = vol + add_vol
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(total > 0, (vol * aht + add_vol * add_aht) / total, aht)
    return total, mean


def plan_overflow(df: pd.DataFrame, config: ScenarioConfig, step: int) -> PlannedOverflow:
    """Plan each interval's overflow (module docstring) on a prepared forecast.

    ``df`` has ``interval_start, channel, language, volume, aht_eff, shrinkage``.
    """
    vol = df["volume"].to_numpy(dtype=float).copy()
    aht = df["aht_eff"].to_numpy(dtype=float).copy()
    keep = 1.0 - df["shrinkage"].to_numpy(dtype=float)
    max_occ = config.staffing.max_occupancy
    targets: list[tuple[np.ndarray, float, float]] = []
    answer = np.full(len(df), np.nan)
    rules = counted_rules(config)
    found = _pairs(df, rules)
    for rule in rules:
        a, b = found[rule]
        ch_a, ch_b = config.channels[rule.channel], config.channels[rule.to[0]]
        reach = _reach(ch_a, rule.after_s)
        n_a = _agents(ch_a, vol[a], aht[a], step, row_targets(a, targets), max_occ)
        left = reach * waited_past(ch_a, rule.after_s)(n_a, vol[a] * aht[a] / step, aht[a])
        own_v, own_h = _merge(vol[b], aht[b], left * vol[a], rule.aht_factor * aht[a])
        n_own = _agents(ch_b, own_v, own_h, step, row_targets(b, targets), max_occ)
        # left to the overflow, A has nobody on it: a rule that then moves contacts at once
        # hands B all of them with A's whole answer time
        wait = 0.0 if rule.move_when_unstaffed else rule.after_s
        reach_all = _reach(ch_a, wait)
        all_v, all_h = _merge(vol[b], aht[b], reach_all * vol[a], rule.aht_factor * aht[a])
        t_left, sl_need = ch_a.answer_time_s - wait, ch_a.service_level / reach_all
        possible = t_left >= 0 and sl_need <= 1.0 and not rule.keep_staffed
        go = np.zeros(a.size, dtype=bool)
        if possible:
            extra = row_targets(b, targets) + ((np.full(b.size, t_left), np.full(b.size, sl_need)),)
            n_all = _agents(ch_b, all_v, all_h, step, extra, max_occ)
            go = (vol[a] > 0) & (n_all / keep[b] <= n_a / keep[a] + n_own / keep[b] + 1e-9)
            # a queue holding other queues' moved contacts keeps its agents: the plan makes
            # one move per contact (module docstring), so it is not passed further on
            go &= ~np.isin(a, np.concatenate([w for w, _, _ in targets] or [np.zeros(0, int)]))
        vol[b], aht[b] = np.where(go, all_v, own_v), np.where(go, all_h, own_h)
        vol[a[go]] = 0.0
        if go.any():
            targets.append((b[go], t_left, sl_need))
            answer[b[go]] = np.fmin(answer[b[go]], t_left)
    return PlannedOverflow(vol, aht, tuple(targets), answer)


def _unstaffed(rule: Overflow, agents: np.ndarray) -> np.ndarray:
    """Weight of "nobody on the queue" in the interpolation between whole agents (``1 -
    agents`` below one agent) for a rule that then moves contacts at once; else 0."""
    if not rule.move_when_unstaffed:
        return np.zeros(agents.shape)
    return np.clip(1.0 - agents, 0.0, 1.0)


def overflow_metrics(df: pd.DataFrame, metrics: pd.DataFrame, config: ScenarioConfig,
                     step: int, agents: np.ndarray) -> pd.DataFrame:
    """``metrics`` with the rows of queues in counted overflow rules replaced by the
    coverage model of the module docstring.

    ``df`` is the prepared forecast (``volume, aht_eff`` per row, before any overflow),
    ``agents`` the productive agents per row (fractional: linear between whole agents).
    """
    rules = counted_rules(config)
    if not rules:
        return metrics
    vol = df["volume"].to_numpy(dtype=float)
    aht = df["aht_eff"].to_numpy(dtype=float)
    agents = np.asarray(agents, dtype=float)
    in_vol, in_work = np.zeros(len(df)), np.zeros(len(df))
    past = np.zeros(len(df))  # P(V > after_s) per source row
    waited = np.zeros(len(df))  # share moved after waiting after_s
    share = np.zeros(len(df))  # o per source row: waited, plus moved at once when unstaffed
    idle = np.zeros(len(df))  # weight of "nobody on the queue" (move_when_unstaffed)
    pairs = _pairs(df, rules)
    for rule in rules:
        a, b = pairs[rule]
        tot_v, tot_h = _merge(vol[a], aht[a], in_vol[a], _mean(in_work[a], in_vol[a]))
        ch_a = config.channels[rule.channel]
        past[a] = interpolated_metrics(
            lambda n, ld, h, ch=ch_a, d=rule.after_s: {"p": waited_past(ch, d)(n, ld, h)},
            agents[a], tot_v * tot_h / step, tot_h)["p"]
        reach = _reach(ch_a, rule.after_s)
        waited[a] = reach * past[a]
        idle[a] = _unstaffed(rule, agents[a])
        # with nobody on the queue the interpolation's "0 agents" term moves all, at once
        share[a] = waited[a] + idle[a] * (1.0 - reach)
        in_vol[b] += share[a] * tot_v
        in_work[b] += share[a] * tot_v * tot_h * rule.aht_factor
    tot_v, tot_h = _merge(vol, aht, in_vol, _mean(in_work, in_vol))
    out = metrics.copy()
    names = ["service_level", "asa_s", "abandon_rate", "occupancy"]
    queues = {(o.channel, o.language) for o in rules} | {o.to for o in rules}
    for ch_name, lang in queues:
        rows = np.flatnonzero(((df["channel"] == ch_name) & (df["language"] == lang)).to_numpy())
        ch = config.channels[ch_name]
        m = interpolated_metrics(channel_metrics(ch), agents[rows], tot_v[rows] * tot_h[rows] / step, tot_h[rows])
        kept = interpolated_metrics(channel_metrics(ch), agents[rows],
                   (1.0 - share[rows]) * tot_v[rows] * tot_h[rows] / step, tot_h[rows])
        m["occupancy"] = kept["occupancy"]
        for name in names:
            out.iloc[rows, out.columns.get_loc(name)] = m[name]
    rule_of = {(o.channel, o.language): o for o in rules}

    def within(queue: tuple[str, str], rows: np.ndarray, t: float) -> np.ndarray:
        """Service level within ``t`` of contacts offered at ``rows`` of ``queue``, counting
        the queue's own rule (a chain: ``A -> B -> C`` follows B's move to C)."""
        ch = config.channels[queue[0]]
        load = tot_v[rows] * tot_h[rows] / step
        rule = rule_of.get(queue)
        d = np.inf if rule is None else rule.after_s
        # answered by the queue's own agents within t (and before the move at d) ...
        sl = interpolated_metrics(channel_metrics(ch, min(t, d)), agents[rows], load,
                                  tot_h[rows])["service_level"]
        if rule is None:
            return sl
        # ... or moved at d and answered on within the t - d left
        there = onward(rule, rows, t - d) if t >= d else np.zeros(rows.size)
        sl = sl + waited[rows] * there
        if rule.move_when_unstaffed:
            # the "0 agents" term: everything moves at once, with all of t left
            sl = sl + idle[rows] * (onward(rule, rows, t) - there * _reach(ch, d))
        return sl

    def onward(rule: Overflow, rows: np.ndarray, t: float) -> np.ndarray:
        """Service level within ``t`` at the rule's target of the contacts moved from
        ``rows`` (0 where the target has no row for the interval)."""
        src, dst = pairs[rule]
        res = np.zeros(rows.size)
        if src.size == 0:
            return res
        k = np.minimum(np.searchsorted(src, rows), src.size - 1)
        found = src[k] == rows
        if found.any():
            res[found] = within(rule.to, dst[k[found]], t)
        return res

    # targets first: a source reads its target's row with the target's own rule applied
    for rule in reversed(rules):
        a, b = pairs[rule]
        ch_a = config.channels[rule.channel]
        reach, w0 = _reach(ch_a, rule.after_s), idle[a]
        sl = within((rule.channel, rule.language), a, ch_a.answer_time_s)
        at_b = out.iloc[b]
        ab_b = at_b["abandon_rate"].to_numpy(dtype=float)
        wait = _wait(ch_a, rule, at_b["asa_s"].to_numpy(dtype=float))
        values = {
            "service_level": np.clip(sl, 0.0, 1.0),
            # the "0 agents" term moved at once: nobody gives up in the empty queue
            "abandon_rate": np.clip(past[a] * (1.0 - reach) + waited[a] * ab_b
                                    - w0 * (1.0 - reach) * (1.0 - ab_b), 0.0, 1.0),
            "asa_s": interpolated_metrics(wait, agents[a], tot_v[a] * tot_h[a] / step,
                                          tot_h[a])["asa_s"],
        }
        for name, v in values.items():
            out.iloc[a, out.columns.get_loc(name)] = v
    return out


def _wait(ch: ChannelConfig, rule: Overflow, wait_b: np.ndarray):
    """The source's mean wait at whole agents ``n`` (rough; the service level is what the
    plan is held to): ``(1 - o) min(wait_A, d) + o (d + wait_B)``, ``o`` the share moved
    after ``d``; with nobody on a ``move_when_unstaffed`` queue, ``wait_B``."""
    d, reach = rule.after_s, _reach(ch, rule.after_s)

    def fn(n, load, aht):
        o = reach * waited_past(ch, d)(n, load, aht)
        own = channel_metrics(ch)(n, load, aht)["asa_s"]
        with np.errstate(invalid="ignore"):
            w = (1.0 - o) * np.minimum(own, d) + np.where(o > 0, o * (d + wait_b), 0.0)
        if rule.move_when_unstaffed:
            w = np.where(np.asarray(n) == 0, wait_b, w)
        return {"asa_s": w}

    return fn


def _mean(work: np.ndarray, vol: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(vol > 0, work / vol, 0.0)
