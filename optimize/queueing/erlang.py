"""Queueing formulas for real-time channels: Erlang B, Erlang C and Erlang A (M/M/n+M).

Every function broadcasts over all its arguments (scalars or numpy arrays) and works in
seconds. ``load`` is the offered load in Erlangs, ``contacts * aht_s / interval_s``.

Numerics
--------
Erlang B is computed from the Poisson terms in log space,
``B(n, a) = exp(log pmf(n; a) - log Q(n + 1, a))`` with ``Q`` the regularised upper
incomplete gamma function (``scipy.special.gammaincc``); where ``Q`` underflows
(``n`` far below ``a``) the convergent series ``1/B = sum_j n!/(n-j)! / a**j`` is used.
Staffing searches start from one gamma-function evaluation and then step upwards with
the stable recursion ``B(n) = a B(n-1) / (n + a B(n-1))``. Results stay finite for loads
up to 5,000 Erlangs and 10,000 agents. In Erlang A, ``log A`` is a difference of terms of
size ``x log y``: results match a brute-force birth-death chain to ~1e-8 (relative) for
``patience_s / aht_s`` up to 10^4; beyond that precision degrades (~1e-4 at 10^5-10^6,
where Erlang C is the better model anyway).

Erlang A (Palm 1946; Garnett, Mandelbaum & Reiman 2002; formulas as summarised by
Mandelbaum & Zeltyn, "The M/M/n+G queue: summary of performance measures") adds
exponential patience with mean ``patience_s``. With ``x = n mu / theta`` and
``y = lambda / theta`` it uses ``A(x, y) = x e^y y^-x gamma(x, y)`` (lower incomplete
gamma), evaluated in log space: ``P(W>0) = E A / (1 + (A - 1) E)`` with ``E`` Erlang B,
``P(Ab | W>0) = 1 - (1 - 1/A) / rho``. Given a wait, the virtual wait satisfies
``P(V > t) = P(x, y e^{-theta t}) / P(x, y)`` (``P`` regularised lower incomplete gamma),
hence ``E[V] = (1/x - d log A / dx) / theta`` (central difference in ``x``), and the share
answered within ``t`` is ``(x/y) [(1 - 1/A(y)) - R (1 - 1/A(z))]`` with
``z = y e^{-theta t}`` and ``R`` the ratio above. Definitions: :class:`ErlangAResult`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from scipy.special import gammainc, gammaincc, gammaln, xlogy

from optimize.queueing.arrays import as_arrays, check_range, scalar_or_array

__all__ = [
    "ErlangAResult",
    "erlang_b",
    "erlang_c",
    "service_level",
    "asa",
    "occupancy",
    "agents_for_service_level",
    "servers_for_blocking",
    "erlang_a",
    "agents_for_service_level_a",
    # unchecked kernels and the search helper shared with chat.py and priority.py
    "erlang_b_array",
    "erlang_c_from_b",
    "log_a",
    "smallest_meeting",
]

logger = logging.getLogger(__name__)

_TINY = 1e-280
_MAX_STEPS = 1_000_000


# --------------------------------------------------------------------------- Erlang B / C

def erlang_b_array(n: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Erlang B without validation (``n >= 0``, ``a >= 0``, any shape)."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        q = gammaincc(n + 1.0, a)
        b = np.exp(xlogy(n, a) - a - gammaln(n + 1.0) - np.log(q))
    b = np.where(n == 0, 1.0, np.where(a == 0, 0.0, b))
    fallback = (q <= _TINY) & (n > 0) & (a > 0)
    if np.any(fallback):  # n far below a: 1/B = 1 + n/a + n(n-1)/a^2 + ... converges fast
        nf, af = n[fallback], a[fallback]
        term, total = np.ones_like(nf), np.ones_like(nf)
        for j in range(1, 400):
            term = term * np.maximum(nf - j + 1, 0.0) / af
            total += term
            if np.all(term < 1e-17 * total):
                break
        b[fallback] = 1.0 / total
    return np.clip(b, 0.0, 1.0)


def erlang_b(servers, load):
    """Blocking probability of an M/M/n/n loss system (Erlang B).

    Parameters
    ----------
    servers : array_like
        Number of servers ``n >= 0`` (non-integers use the gamma-function extension).
    load : array_like
        Offered load in Erlangs, ``>= 0``.

    Returns
    -------
    float or ndarray
        Probability that an arrival finds all servers busy.
    """
    n, a = as_arrays(servers=servers, load=load)
    check_range("servers", n, low=0.0)
    check_range("load", a, low=0.0)
    return scalar_or_array(erlang_b_array(n, a))


def erlang_c_from_b(n: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        c = n * b / (n - a * (1.0 - b))
    return np.where(a == 0, 0.0, np.where(a >= n, 1.0, np.clip(c, 0.0, 1.0)))


def erlang_c(agents, load):
    """Probability that a contact has to wait in an M/M/n queue (Erlang C).

    Returns 1.0 when ``load >= agents`` (the queue grows without bound) and 0.0 when
    ``load == 0`` (no arrivals, nobody waits).
    """
    n, a = as_arrays(agents=agents, load=load)
    check_range("agents", n, low=0.0)
    check_range("load", a, low=0.0)
    return scalar_or_array(erlang_c_from_b(n, a, erlang_b_array(n, a)))


def _sl_c(n, a, aht, t, c):
    with np.errstate(over="ignore", invalid="ignore"):
        sl = 1.0 - c * np.exp(-(n - a) * t / aht)
    return np.where(a == 0, 1.0, np.where(a >= n, 0.0, np.clip(sl, 0.0, 1.0)))


def service_level(agents, load, aht_s, target_s):
    """Share of contacts answered within ``target_s`` seconds (Erlang C).

    ``1 - C(n, a) * exp(-(n - a) * target_s / aht_s)``; 0.0 when overloaded
    (``load >= agents``), 1.0 when ``load == 0``.
    """
    n, a, aht, t = as_arrays(agents=agents, load=load, aht_s=aht_s, target_s=target_s)
    check_range("agents", n, low=0.0)
    check_range("load", a, low=0.0)
    check_range("aht_s", aht, low=0.0, low_ok=False)
    check_range("target_s", t, low=0.0)
    return scalar_or_array(_sl_c(n, a, aht, t, erlang_c_from_b(n, a, erlang_b_array(n, a))))


def asa(agents, load, aht_s):
    """Mean wait over all contacts in seconds (Erlang C): ``C * aht_s / (n - a)``.

    ``inf`` when overloaded, 0.0 when ``load == 0``.
    """
    n, a, aht = as_arrays(agents=agents, load=load, aht_s=aht_s)
    check_range("agents", n, low=0.0)
    check_range("load", a, low=0.0)
    check_range("aht_s", aht, low=0.0, low_ok=False)
    c = erlang_c_from_b(n, a, erlang_b_array(n, a))
    with np.errstate(divide="ignore", invalid="ignore"):
        w = c * aht / (n - a)
    return scalar_or_array(np.where(a == 0, 0.0, np.where(a >= n, np.inf, w)))


def occupancy(agents, load):
    """Busy share of the agents, ``min(load / agents, 1)`` (0.0 when ``load == 0``)."""
    n, a = as_arrays(agents=agents, load=load)
    check_range("agents", n, low=0.0)
    check_range("load", a, low=0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        occ = np.minimum(a / n, 1.0)
    return scalar_or_array(np.where(a == 0, 0.0, occ))


def agents_for_service_level(load, aht_s, target_s, target_sl, max_occupancy=1.0):
    """Smallest integer number of agents meeting a service level and an occupancy cap.

    Starts at ``max(floor(load) + 1, ceil(load / max_occupancy))`` (one gamma-function
    evaluation) and steps up with the Erlang B recursion, only for the rows still
    short of the target. ``load == 0`` needs 0 agents.

    Returns
    -------
    int or ndarray of int64
    """
    a, aht, t, sl, occ = as_arrays(load=load, aht_s=aht_s, target_s=target_s,
                                 target_sl=target_sl, max_occupancy=max_occupancy)
    check_range("load", a, low=0.0)
    check_range("aht_s", aht, low=0.0, low_ok=False)
    check_range("target_s", t, low=0.0)
    check_range("target_sl", sl, low=0.0, high=1.0)
    check_range("max_occupancy", occ, low=0.0, low_ok=False, high=1.0)
    shape = a.shape
    a, aht, t, sl, occ = (v.ravel() for v in (a, aht, t, sl, occ))
    n = np.maximum(np.floor(a) + 1.0, np.ceil(a / occ * (1.0 - 1e-12)))  # 8.5/0.85 -> 10
    n = np.where(a == 0, 0.0, n)
    b = erlang_b_array(n, a)
    idx = np.flatnonzero(a > 0)
    for _ in range(_MAX_STEPS):
        if idx.size == 0:
            break
        ni, ai = n[idx], a[idx]
        ok = _sl_c(ni, ai, aht[idx], t[idx], erlang_c_from_b(ni, ai, b[idx])) >= sl[idx]
        idx = idx[~ok]
        n[idx] += 1.0
        bi = b[idx]
        b[idx] = a[idx] * bi / (n[idx] + a[idx] * bi)
    result = n.astype(np.int64).reshape(shape)
    return int(result) if result.ndim == 0 else result


def servers_for_blocking(load, max_blocking):
    """Smallest number of servers whose Erlang B blocking is ``<= max_blocking``."""
    a, p = as_arrays(load=load, max_blocking=max_blocking)
    check_range("load", a, low=0.0)
    check_range("max_blocking", p, low=0.0, low_ok=False, high=1.0)
    shape = a.shape
    a, p = a.ravel(), p.ravel()
    # Start below the answer (B < 1/2 needs roughly n > a - sqrt(a)) and step upwards.
    n = np.maximum(np.floor(a - 3.0 * np.sqrt(a)) - 1.0, 0.0)
    b = erlang_b_array(n, a)
    idx = np.flatnonzero(b > p)
    for _ in range(_MAX_STEPS):
        if idx.size == 0:
            break
        n[idx] += 1.0
        bi = b[idx]
        b[idx] = a[idx] * bi / (n[idx] + a[idx] * bi)
        idx = idx[b[idx] > p[idx]]
    result = n.astype(np.int64).reshape(shape)
    return int(result) if result.ndim == 0 else result


# --------------------------------------------------------------------------- Erlang A

@dataclass(frozen=True)
class ErlangAResult:
    """Stationary measures of an Erlang A (M/M/n+M) queue; arrays broadcast like the inputs.

    Attributes
    ----------
    p_wait : probability that an arrival finds all agents busy (and so waits).
    p_abandon : share of all arrivals that abandon before being answered.
    occupancy : busy share of the agents, carried load only: ``load * (1 - p_abandon) / n``.
    asa_s : mean time in queue over all arrivals, abandoners included (until they leave),
        ``p_abandon * patience_s``.
    service_level : share of all arrivals answered within ``target_s``; abandoners count
        as misses (even those who left before ``target_s``).
    service_level_answered : share of answered contacts answered within ``target_s``.
    service_level_virtual : ``P(V <= target_s)`` for the virtual wait ``V`` of a customer
        with infinite patience (the convention of some commercial calculators).
    virtual_asa_s : ``E[V]``, mean virtual wait.
    """

    p_wait: np.ndarray | float
    p_abandon: np.ndarray | float
    occupancy: np.ndarray | float
    asa_s: np.ndarray | float
    service_level: np.ndarray | float
    service_level_answered: np.ndarray | float
    service_level_virtual: np.ndarray | float
    virtual_asa_s: np.ndarray | float


def log_a(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``log A(x, y)``, ``A = 1 + sum_j y^j / ((x+1)...(x+j))``, stable for large x, y."""
    with np.errstate(divide="ignore", invalid="ignore", under="ignore"):
        p = gammainc(x, y)
        out = y - xlogy(x, y) + gammaln(x + 1.0) + np.log(p)
    series = (p <= _TINY) | (y == 0)
    if np.any(series):  # y well below x: the series converges geometrically
        xs, ys = x[series], y[series]
        term, total = np.ones_like(xs), np.ones_like(xs)
        for j in range(1, 200_000):
            term = term * ys / (xs + j)
            total += term
            if np.all(term < 1e-17 * total):
                break
        out[series] = np.log(total)
    return out


def erlang_a(agents, load, aht_s, patience_s, target_s) -> ErlangAResult:
    """Erlang A (M/M/n+M): exponential service and exponential patience.

    Parameters
    ----------
    agents : array_like
        Number of agents ``n >= 0``.
    load : array_like
        Offered load in Erlangs (``lambda * aht_s``), ``>= 0``.
    aht_s, patience_s : array_like
        Mean handle time and mean patience, seconds, ``> 0``.
    target_s : array_like
        Answer-time target, seconds, ``>= 0``.

    Returns
    -------
    ErlangAResult
        See the class for the definition of each measure.
    """
    n, a, aht, pat, t = as_arrays(agents=agents, load=load, aht_s=aht_s,
                                patience_s=patience_s, target_s=target_s)
    check_range("agents", n, low=0.0)
    check_range("load", a, low=0.0)
    check_range("aht_s", aht, low=0.0, low_ok=False)
    check_range("patience_s", pat, low=0.0, low_ok=False)
    check_range("target_s", t, low=0.0)
    shape = n.shape
    n, a, aht, pat, t = (v.ravel() for v in (n, a, aht, pat, t))
    live = (n > 0) & (a > 0)
    ns, as_, ahts, pats, ts = n[live], a[live], aht[live], pat[live], t[live]
    x, y = ns * pats / ahts, as_ * pats / ahts
    eb = erlang_b_array(ns, as_)
    log_ay = log_a(x, y)
    inv_a = np.exp(-log_ay)
    pw = eb / (inv_a + eb - inv_a * eb)
    rho = as_ / ns
    pab = pw * np.clip(1.0 - (1.0 - inv_a) / rho, 0.0, 1.0)
    z = y * np.exp(-ts / pats)
    log_az = log_a(x, z)
    with np.errstate(over="ignore", under="ignore"):
        ratio = np.exp(np.minimum(-x * ts / pats + (y - z) + log_az - log_ay, 0.0))
    served_within = (x / y) * ((1.0 - inv_a) - ratio * -np.expm1(-log_az))
    sl = (1.0 - pw) + pw * np.clip(served_within, 0.0, 1.0)
    h = np.minimum(1e-3 * (np.abs(x - y) + np.sqrt(x) + 1.0), 0.5 * x)
    dlog = (log_a(x + h, y) - log_a(x - h, y)) / (2.0 * h)
    v_cond = pats * np.maximum(1.0 / x - dlog, 0.0)

    def fill(values: np.ndarray, no_agents: float, no_load: float) -> np.ndarray:
        out = np.where(a == 0, no_load, no_agents).astype(float)
        out[live] = values
        return scalar_or_array(out.reshape(shape))

    with np.errstate(divide="ignore", invalid="ignore"):
        sl_ans = np.where(pab < 1.0, sl / (1.0 - pab), 0.0)
    return ErlangAResult(
        p_wait=fill(pw, 1.0, 0.0),
        p_abandon=fill(pab, 1.0, 0.0),
        occupancy=fill(rho * (1.0 - pab), 0.0, 0.0),
        asa_s=_fill_asa(pab * pats, a, pat, live, shape),
        service_level=fill(sl, 0.0, 1.0),
        service_level_answered=fill(np.clip(sl_ans, 0.0, 1.0), 0.0, 1.0),
        service_level_virtual=fill(np.clip(1.0 - pw * ratio, 0.0, 1.0), 0.0, 1.0),
        virtual_asa_s=fill(pw * v_cond, np.inf, 0.0),
    )


def _fill_asa(values, a, pat, live, shape):
    """ASA over all arrivals: with no agents everybody waits out their patience."""
    out = np.where(a == 0, 0.0, pat)
    out[live] = values
    return scalar_or_array(out.reshape(shape))


def agents_for_service_level_a(load, aht_s, patience_s, target_s, target_sl,
                               max_occupancy=1.0):
    """Smallest number of agents meeting an Erlang A service level and occupancy cap.

    The service level is :attr:`ErlangAResult.service_level` (abandoners count as
    misses). Vectorised bisection: every step evaluates :func:`erlang_a` once for all
    rows. ``load == 0`` needs 0 agents.
    """
    a, aht, pat, t, sl, occ = as_arrays(load=load, aht_s=aht_s, patience_s=patience_s,
                                      target_s=target_s, target_sl=target_sl,
                                      max_occupancy=max_occupancy)
    check_range("target_sl", sl, low=0.0, high=1.0)
    check_range("max_occupancy", occ, low=0.0, low_ok=False, high=1.0)
    check_range("load", a, low=0.0)

    def meets(n: np.ndarray) -> np.ndarray:
        r = erlang_a(n, a, aht, pat, t)
        return (np.asarray(r.service_level) >= sl) & (np.asarray(r.occupancy) <= occ)

    return smallest_meeting(meets, a, a)


def smallest_meeting(meets, load: np.ndarray, eff_load: np.ndarray, limit: int = 100_000):
    """Smallest integer ``n >= 0`` per row with ``meets(n)`` true (``meets`` monotone in n).

    Vectorised: doubles an upper bound from ``eff_load + 3 sqrt(eff_load) + 1``, then
    bisects all rows at once. Rows with ``load == 0`` need 0. Raises ``ValueError`` past
    ``limit`` agents.
    """
    lo = np.full(load.shape, -1.0)  # exclusive: known (or assumed) to fail
    hi = np.maximum(np.ceil(eff_load + 3.0 * np.sqrt(eff_load) + 1.0), 1.0)
    for _ in range(64):
        ok = meets(hi) | (load == 0)
        if np.all(ok):
            break
        if np.max(hi) > limit:
            raise ValueError(f"no staffing up to {limit:,} agents meets the target for load "
                             f"{float(load[~ok][0])!r}")
        lo, hi = np.where(ok, lo, hi), np.where(ok, hi, 2.0 * hi)
    while np.any(hi - lo > 1):
        mid = np.floor((lo + hi) / 2.0)
        ok = meets(np.maximum(mid, 0.0))
        hi, lo = np.where(ok, mid, hi), np.where(ok, lo, mid)
    result = np.where(load == 0, 0, hi).astype(np.int64)
    return int(result) if result.ndim == 0 else result
