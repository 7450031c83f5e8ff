"""Benchmark: vip_chat staffed on its own vs pooled with chat (``pool_with = "chat"``).

On the sample company's plan week (forecast as ``staffcast plan`` makes it when no stored
run is given: the Monday after the history, padded by a day, market scenario "typical"),
builds the requirements twice, the sample's scenario.toml as it is and with
``[channels.vip_chat] pool_with = "chat"``, and prints the required head-hours per
channel of the plan week. Then, at a few representative intervals (per language the
interval with the most VIP chats, and one with the median), simulates the staffing each
model asks for (``optimize.simulation.priority_pool``, seeded) and prints the simulated VIP and
regular-chat service levels next to the ones the models report.

With ``--schedule`` it also schedules the week once per model (``build_schedule``, the
plan's defaults but ``--workers`` threads) and prints the VIP head-hours scheduled and the
contact-weighted service levels of the coverage each model computes.

Also: 40 intervals simulated with the pooled staffing, and the textbook shared-slot shape
checked by simulation at the 8 intervals with the most VIP chats.

Run: .venv/bin/python bench/bench_vip.py [--data data/sample] [--hours 1000] [--langs en,zh,ja,tr]
                                         [--schedule --time-limit 60 --workers 1]
"""

from __future__ import annotations

import argparse
import dataclasses
import time

import numpy as np
import pandas as pd

from forecast import forecast_panel
from optimize.queueing.priority import reserved_slots
from optimize.queueing.requirements import compute_requirements
from optimize.scenario.horizon import LOCAL_PAD, forecast_window, plan_window
from optimize.scenario.load import load_scenario_dir
from optimize.simulation.priority_pool import simulate_pool

KEYS = ["interval_start", "language"]
COLS = ["contacts", "aht_s", "required_agents", "service_level"]


def plan_forecast(data: str):
    """The plan week's forecast (padded), the plan window, and the scenario."""
    sc = load_scenario_dir(data)
    data_end = sc.contacts["interval_start"].max() + pd.Timedelta(seconds=sc.interval_s)
    p0, p1 = plan_window(data_end, sc.config.horizon)
    asof, days = forecast_window(p0, p1, data_end)
    fc = forecast_panel(sc.contacts, sc.market, asof=asof, horizon_days=days,
                        scenario="typical", shock=None, jobs=1)
    fc = fc[(fc["interval_start"] >= p0 - LOCAL_PAD) & (fc["interval_start"] < p1 + LOCAL_PAD)]
    return fc.reset_index(drop=True), p0, p1, sc


def wide(req: pd.DataFrame) -> pd.DataFrame:
    """vip_chat and chat side by side per interval x language."""
    v = req[req["channel"] == "vip_chat"].set_index(KEYS)[COLS].add_suffix("_v")
    c = req[req["channel"] == "chat"].set_index(KEYS)[COLS].add_suffix("_c")
    return v.join(c)


def simulate(row, cfg, *, certified, regular, pooled, hours, seed):
    """Simulated (VIP, regular) service levels of one interval's staffing."""
    vip, chat = cfg.channels["vip_chat"], cfg.channels["chat"]
    common = dict(vip_aht_s=row.aht_s_v, regular_aht_s=row.aht_s_c, vip_target_s=vip.answer_time_s,
                  regular_target_s=chat.answer_time_s, vip_slowdown=vip.concurrency_slowdown,
                  regular_slowdown=chat.concurrency_slowdown, vip_patience_s=vip.patience_s,
                  regular_patience_s=chat.patience_s, hours=hours, seed=seed)
    if pooled:
        r = simulate_pool(certified=certified, regular=regular, vip_per_h=2 * row.contacts_v,
                          regular_per_h=2 * row.contacts_c, concurrency=chat.concurrency,
                          reserve=int(reserved_slots(vip.concurrency, chat.concurrency)), **common)
        return r.vip, r.regular
    # stand-alone: VIP on dedicated certified agents (concurrency 2), chat on its own agents
    v = simulate_pool(certified=certified, regular=0, vip_per_h=2 * row.contacts_v,
                      regular_per_h=0.0, concurrency=vip.concurrency, reserve=vip.concurrency,
                      **common)
    c = simulate_pool(certified=0, regular=regular, vip_per_h=0.0,
                      regular_per_h=2 * row.contacts_c, concurrency=chat.concurrency, reserve=0,
                      **common)
    return v.vip, c.regular


def sweep(pooled: pd.DataFrame, cfg, hours: float, n_random: int = 24) -> None:
    """Pooled staffing simulated at 40 intervals: VIP-heaviest, busiest VIP, random."""
    w = pooled.assign(vip_share=pooled.contacts_v * pooled.aht_s_v
                      / (pooled.contacts_c * pooled.aht_s_c + 1.0))
    pts = pd.concat([w.sort_values("vip_share").tail(8), w.sort_values("contacts_v").tail(8),
                     w.sample(n_random, random_state=0)])
    rows = []
    for _, row in pts.iterrows():
        v, c = simulate(row, cfg, certified=int(row.required_agents_v),
                        regular=int(row.required_agents_c), pooled=True, hours=hours, seed=5)
        rows.append((v.service_level, c.service_level, row.service_level_v - v.service_level,
                     row.service_level_c - c.service_level))
    d = np.array(rows)
    print(f"\npooled staffing at {len(d)} intervals (8 VIP-heaviest pools, 8 most VIP chats, "
          f"{n_random} random; {hours:g} h each): simulated VIP SL {d[:, 0].min():.3f}-"
          f"{d[:, 0].max():.3f}, chat SL {d[:, 1].min():.3f}-{d[:, 1].max():.3f}; "
          f"model minus simulation at most {d[:, 2].max():+.3f} (VIP), {d[:, 3].max():+.3f} (chat)")


def textbook_check(pooled: pd.DataFrame, cfg, hours: float) -> None:
    """The textbook shape adapted to chat, and what the simulation says of it.

    Pool of ``N`` agents, one of them certified, every slot open to both classes, VIP
    first (``policy="shared"``): VIP waits about when the pool is full, so
    ``P(W1 > t) ~ P_wait(N) exp(-(k mu_full - lambda1) t)`` (Gross et al. sec. 3.4.2
    with the chat model's ``P_wait`` on the combined load). ``N`` = least meeting that and
    the chat target.
    """
    from optimize.queueing.chat import chat_erlang_a

    vip, chat = cfg.channels["vip_chat"], cfg.channels["chat"]
    k, s = chat.concurrency, chat.concurrency_slowdown
    aht_c = pooled["aht_s_c"].to_numpy()
    comb = (pooled["contacts_c"] * pooled["aht_s_c"] + pooled["contacts_v"] * pooled["aht_s_v"]
            ).to_numpy() / 1800.0
    lam1 = pooled["contacts_v"].to_numpy() / 1800.0
    n = np.full(len(pooled), np.nan)
    for cand in range(1, 16):
        r = chat_erlang_a(np.full(len(pooled), cand), comb, aht_c, k, s, chat.patience_s,
                          chat.answer_time_s)
        tail = np.asarray(r.p_wait) * np.exp(-(k / (aht_c * (1 + s * (k - 1))) - lam1)
                                             * vip.answer_time_s)
        ok = ((np.asarray(r.service_level) >= chat.service_level)
              & (np.asarray(r.occupancy) <= cfg.staffing.max_occupancy)
              & (tail <= 1.0 - vip.service_level))
        n = np.where(np.isnan(n) & ok, cand, n)
    res = pooled.assign(N=n)
    print(f"\ntextbook shape (shared slots, VIP first, 1 certified agent): {np.nansum(n):.0f} "
          f"productive agent-intervals for vip_chat+chat in the plan week vs "
          f"{(pooled.required_agents_v + pooled.required_agents_c).sum()} for the reserved model")
    worst = []
    for _, row in res.sort_values("contacts_v").tail(8).iterrows():
        common = dict(vip_aht_s=row.aht_s_v, regular_aht_s=row.aht_s_c, vip_target_s=vip.answer_time_s,
                      regular_target_s=chat.answer_time_s, vip_slowdown=vip.concurrency_slowdown,
                      regular_slowdown=s, vip_patience_s=vip.patience_s,
                      regular_patience_s=chat.patience_s, hours=hours, seed=5)
        r = simulate_pool(certified=1, regular=int(row.N) - 1, vip_per_h=2 * row.contacts_v,
                          regular_per_h=2 * row.contacts_c, concurrency=k, reserve=0,
                          policy="shared", **common)
        worst.append((r.vip.service_level, r.regular.service_level))
    d = np.array(worst)
    print(f"  simulated at the 8 intervals with the most VIP chats: VIP SL {d[:, 0].min():.3f}-"
          f"{d[:, 0].max():.3f} (target {vip.service_level:g}), chat SL {d[:, 1].min():.3f}-"
          f"{d[:, 1].max():.3f}")


def schedule_both(reqs, fc, configs, sc, p0, p1, time_limit, workers) -> None:
    """One schedule per model; VIP head-hours scheduled and week service levels."""
    from optimize.queueing.requirements import evaluate_staffing
    from optimize.scheduling import build_schedule

    print(f"\nschedule (time limit {time_limit:g} s, {workers} worker(s), seed 0), plan week:")
    print(f"{'model':<8} {'status':<9} {'gap':>6} {'VIP h sched':>11} {'VIP SL':>7} "
          f"{'chat SL':>7} {'VIP+chat SL':>11}")
    for label, cfg in configs.items():
        t = time.perf_counter()
        res = build_schedule(reqs[label], sc.agents, cfg, start=p0.date(), weeks=1,
                             time_limit_s=time_limit, seed=0, workers=workers)
        cov = evaluate_staffing(fc, res.staffed, cfg, interval_s=sc.interval_s, window=(p0, p1))
        cov = cov.merge(fc[["interval_start", "channel", "language", "contacts"]],
                        on=["interval_start", "channel", "language"])
        sl = {}
        for ch in ("vip_chat", "chat", ("vip_chat", "chat")):
            c = cov[cov["channel"].isin([ch] if isinstance(ch, str) else ch)]
            sl[ch] = float((c["service_level"] * c["contacts"]).sum() / c["contacts"].sum())
        vip_h = cov.loc[cov["channel"] == "vip_chat", "scheduled_agents"].sum() * sc.interval_s / 3600
        print(f"{label:<8} {res.status:<9} {100 * res.gap:>5.1f}% {vip_h:>11.0f} "
              f"{sl['vip_chat']:>7.3f} {sl['chat']:>7.3f} {sl[('vip_chat', 'chat')]:>11.3f}"
              f"   ({time.perf_counter() - t:.0f} s)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="data/sample")
    ap.add_argument("--hours", type=float, default=1000.0, help="simulated hours per point")
    ap.add_argument("--langs", default="en,zh,ja,tr")
    ap.add_argument("--schedule", action="store_true", help="also schedule once per model")
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--workers", type=int, default=1)
    args = ap.parse_args()

    t0 = time.perf_counter()
    fc, p0, p1, sc = plan_forecast(args.data)
    print(f"plan week {p0.date()}..{(p1 - pd.Timedelta(days=1)).date()}, forecast in "
          f"{time.perf_counter() - t0:.1f} s")
    cfg = sc.config
    chans = dict(cfg.channels)
    chans["vip_chat"] = dataclasses.replace(chans["vip_chat"], pool_with="chat")
    pooled_cfg = dataclasses.replace(cfg, channels=chans)

    reqs = {}
    print(f"\n{'model':<10} {'vip_chat':>9} {'chat':>8} {'email':>8} {'social':>8} {'total':>8}"
          "   (required head-hours, plan week)")
    for label, c in (("alone", cfg), ("pooled", pooled_cfg)):
        t = time.perf_counter()
        req = compute_requirements(fc, c, interval_s=sc.interval_s)
        dt = time.perf_counter() - t
        req = req[(req["interval_start"] >= p0) & (req["interval_start"] < p1)]
        hh = req.groupby("channel")["required_scheduled"].sum() * sc.interval_s / 3600.0
        reqs[label] = req
        print(f"{label:<10} {hh['vip_chat']:>9.0f} {hh['chat']:>8.0f} {hh['email']:>8.0f} "
              f"{hh['social']:>8.0f} {hh.sum():>8.0f}   ({dt:.2f} s)")
    vip_cert = sc.agents["vip"].astype(bool)
    print(f"VIP-certified agents: {int(vip_cert.sum())} of {len(sc.agents)}, at most "
          f"{sc.agents.loc[vip_cert, 'max_hours_week'].sum():.0f} paid hours a week")

    alone, pooled = wide(reqs["alone"]), wide(reqs["pooled"])
    print(f"\nsimulated {args.hours:g} h per point (seeded); SL = answered within target / arrivals")
    print(f"{'interval':<17} {'lang':<4} {'vip/30m':>7} {'chat/30m':>8} | {'alone m+n':>9} "
          f"{'VIP sim':>7} {'chat sim':>8} | {'pooled m+n':>10} {'VIP model':>9} {'VIP sim':>7} "
          f"{'chat model':>10} {'chat sim':>8}")
    for lang in args.langs.split(","):
        sub = pooled.xs(lang, level="language").sort_values("contacts_v")
        for ts in (sub.index[-1], sub.index[len(sub) // 2]):
            p, a = pooled.loc[(ts, lang)], alone.loc[(ts, lang)]
            va, ca = simulate(a, cfg, certified=int(a.required_agents_v),
                              regular=int(a.required_agents_c), pooled=False, hours=args.hours, seed=1)
            vp, cp = simulate(p, cfg, certified=int(p.required_agents_v),
                              regular=int(p.required_agents_c), pooled=True, hours=args.hours, seed=1)
            print(f"{ts:%a %d %H:%M}Z{'':<4} {lang:<4} {p.contacts_v:>7.2f} {p.contacts_c:>8.2f} | "
                  f"{int(a.required_agents_v)}+{int(a.required_agents_c):<7} {va.service_level:>7.3f} "
                  f"{ca.service_level:>8.3f} | {int(p.required_agents_v)}+{int(p.required_agents_c):<8} "
                  f"{p.service_level_v:>9.3f} {vp.service_level:>7.3f} {p.service_level_c:>10.3f} "
                  f"{cp.service_level:>8.3f}")
    se = np.sqrt(0.9 * 0.1 / (2 * 0.2 * args.hours))
    print(f"(VIP sim standard error ~{se:.3f} at 0.2 VIP chats per 30 min and SL 0.9; "
          "m = VIP-certified agents, n = other chat agents, productive)")
    sweep(pooled, cfg, hours=400.0)
    textbook_check(pooled, cfg, hours=400.0)
    if args.schedule:
        schedule_both(reqs, fc, {"alone": cfg, "pooled": pooled_cfg}, sc, p0, p1,
                      args.time_limit, args.workers)


if __name__ == "__main__":
    main()
