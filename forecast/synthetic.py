r"""Synthetic history of a crypto exchange's support desk: a market and its inquiries.

Two pure generators, deterministic for a seed. All times are UTC; ``h`` counts hours.

Market (:func:`generate_market`, hourly)
    GARCH(1,1) log returns with Student-t(4) shocks, jump episodes and a slow pull to a
    trend::

        sigma2[h] = omega + alpha * r[h-1]**2 + beta * sigma2[h-1]
        r[h]      = sqrt(sigma2[h]) * z[h] + jump[h] + kappa * (trend[h] - logp[h-1])
        logp[h]   = logp[h-1] + r[h],      price = exp(logp)

    ``omega = SIGMA_H**2 * (1 - alpha - beta)`` (``SIGMA_H``: 55 % a year), ``z`` a
    unit-variance t(4) draw, ``trend`` log-linear between ``PRICE_START`` and ``PRICE_END``.
    ``jump`` spreads a crash (-15 to -25 %) or a rally (+10 to +20 %) over 3-8 hours; the
    jumps feed ``sigma2`` so volatility clusters after them. Traded volume is
    ``V0 * (sigma/SIGMA_H)**0.9 * exp(0.35*|z| + N(0, 0.25))`` times a US-open bump.

Inquiries (:func:`generate_contacts`, 30-min intervals ``t``, queue ``q = (c, l)``)
    Stress ``u[h] = |r[h]| / median|r|`` from the market's hourly log returns, smoothed per
    channel with a lag ``L_c`` and a half-life ``H_c`` (``a_c = 2**(-1/H_c)``)::

        S_c[h] = a_c * S_c[h-1] + (1 - a_c) * u[h - L_c]
        E_c[h] = min(max(S_c[h] / median(S_c) - 1, 0), E_MAX)
        lambda[q,t] = B[q] * scale * exp(g_l * years_to_end(t))
                      * sum_z w_z * D_c(local_hour_z) * W_c(local_weekday_z) * Hol_z(local_date_z)
                      * (1 + k_c * s_l * E_c[t])
        contacts[q,t] ~ Poisson(lambda[q,t] * eps[l,day] * gamma[q,t])

    ``B`` is the baseline level at ``end`` (language share x channel share x
    ``CONTACTS_PER_INTERVAL``), ``g_l`` the yearly growth, ``z`` the language's time zones
    with weights ``w_z`` (English mixes the Americas and Europe), ``D`` a daily profile
    (crypto chat: late morning and evening peaks; email: office hours), ``W`` a weekly
    pattern (weekend dip), ``Hol`` the regional holiday factor from the ``holidays``
    package (Lunar New Year, Eid, Christmas: 0.5; New Year's Day 0.75; other public
    holidays 0.85; Ramadan in Turkey 0.93), ``k_c`` the channel's surge gain (social and VIP chat react most, email
    least) and ``s_l`` the language's sensitivity. ``eps`` is a log-normal day effect per
    language (sd ``DAY_SD``); ``gamma ~ Gamma(PHI, 1/PHI)`` makes the counts negative
    binomial.

    Handle time: ``aht[q,t] = A_c * f_l * (1 + 0.06 * min(E_c[t], 3)) * exp(N(-v/2, v))``
    with ``v = log(1 + CV**2 / contacts)`` (the mean of ``contacts`` log-normal handle
    times), rounded to 0.1 s and empty when no contact arrived.
"""

from __future__ import annotations

import datetime as dt
import logging
import zlib
from dataclasses import dataclass

import holidays
import numpy as np
import pandas as pd
from scipy.signal import lfilter

__all__ = [
    "LanguageProfile",
    "ChannelProfile",
    "LANGUAGES",
    "CHANNELS",
    "DEFAULT_LANGUAGES",
    "generate_market",
    "generate_contacts",
    "surge_index",
    "stream",
]

log = logging.getLogger(__name__)

# ----------------------------------------------------------------------------- market
SIGMA_H = 0.55 / np.sqrt(24 * 365)  # long-run hourly volatility of log returns
GARCH_ALPHA, GARCH_BETA, T_DOF = 0.05, 0.935, 4.0
KAPPA = 1.0 / (24 * 60)  # pull to the trend: 60-day time scale
PRICE_START, PRICE_END = 38_000.0, 72_000.0  # trend level at the start and the end (USD)
CRASHES_PER_YEAR, RALLIES_PER_YEAR = 2.5, 2.5
VOLUME_BTC_H = 1_200.0  # typical traded volume per hour
BURN_IN_H = 500

# ----------------------------------------------------------------------------- inquiries
INTERVAL = pd.Timedelta(minutes=30)
CONTACTS_PER_INTERVAL = 75.0  # all queues, baseline at `end`: Erlang requirements of an
# ordinary week, thin-queue floors included, come to ~88% of 150 agents' contract hours
E_MAX = 4.0  # cap of the surge excess
PHI = 40.0  # gamma-Poisson shape (negative binomial overdispersion)
DAY_SD = 0.07  # sd of the log day effect per language
CV = 0.6  # coefficient of variation of one contact's handle time


@dataclass(frozen=True)
class LanguageProfile:
    """Where a language's customers live and how they behave.

    ``zones`` holds ``(IANA zone, holidays country code, weight)``; ``share`` is the
    language's share of all contacts at ``end``; ``vip`` scales its VIP-chat share.
    """

    code: str
    zones: tuple[tuple[str, str, float], ...]
    share: float
    growth: float  # per year, log scale
    vip: float = 1.0
    surge: float = 1.0  # sensitivity to market stress
    aht: float = 1.0  # handle time factor


@dataclass(frozen=True)
class ChannelProfile:
    """A channel's share, handle time and reaction to market stress."""

    name: str
    share: float
    aht_s: float
    gain: float  # k_c: extra volume per unit of stress excess
    lag_h: int
    half_life_h: float
    office_hours: bool = False  # email: office-hours daily profile, deeper weekend dip


LANGUAGES: dict[str, LanguageProfile] = {p.code: p for p in (
    LanguageProfile("en", (("America/New_York", "US", 0.45), ("Europe/London", "GB", 0.55)),
                    0.33, 0.25),
    LanguageProfile("zh", (("Asia/Shanghai", "CN", 1.0),), 0.14, 0.20, vip=1.6, aht=1.05),
    LanguageProfile("ko", (("Asia/Seoul", "KR", 1.0),), 0.12, 0.35, vip=1.4, surge=1.2,
                    aht=0.95),
    LanguageProfile("vi", (("Asia/Ho_Chi_Minh", "VN", 1.0),), 0.07, 0.50, vip=0.5, aht=1.1),
    LanguageProfile("ru", (("Europe/Moscow", "RU", 1.0),), 0.09, 0.15, aht=1.05),
    LanguageProfile("es", (("Europe/Madrid", "ES", 0.4), ("America/Mexico_City", "MX", 0.3),
                           ("America/Bogota", "CO", 0.3)), 0.09, 0.40, vip=0.8),
    LanguageProfile("tr", (("Europe/Istanbul", "TR", 1.0),), 0.08, 0.45, vip=0.5, surge=1.1,
                    aht=1.1),
    LanguageProfile("ja", (("Asia/Tokyo", "JP", 1.0),), 0.06, 0.30, vip=1.2, surge=0.9,
                    aht=1.15),
    # extra languages for variants (not in the default sample)
    LanguageProfile("de", (("Europe/Berlin", "DE", 1.0),), 0.05, 0.25),
    LanguageProfile("fr", (("Europe/Paris", "FR", 1.0),), 0.05, 0.25),
    LanguageProfile("pt", (("America/Sao_Paulo", "BR", 1.0),), 0.06, 0.40, vip=0.6),
    LanguageProfile("id", (("Asia/Jakarta", "ID", 1.0),), 0.05, 0.50, vip=0.5),
)}
DEFAULT_LANGUAGES: tuple[str, ...] = ("en", "zh", "ko", "vi", "ru", "es", "tr", "ja")

CHANNELS: dict[str, ChannelProfile] = {p.name: p for p in (
    ChannelProfile("chat", 0.64, 480.0, gain=0.8, lag_h=1, half_life_h=4.0),
    ChannelProfile("vip_chat", 0.035, 720.0, gain=1.0, lag_h=1, half_life_h=3.0),
    ChannelProfile("email", 0.215, 400.0, gain=0.35, lag_h=3, half_life_h=12.0,
                   office_hours=True),
    ChannelProfile("social", 0.11, 200.0, gain=0.95, lag_h=2, half_life_h=6.0),
)}

_MAJOR = ("Lunar New Year", "Chinese New Year", "Korean New Year", "Spring Festival",
          "Eid al-", "Christmas", "Chuseok", "National Day")


def stream(seed: int | np.random.Generator, *keys: str) -> np.random.Generator:
    """A generator for one named stream (stable when other streams are added or dropped)."""
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng([int(seed), *(zlib.crc32(k.encode()) for k in keys)])


def _check_window(start: pd.Timestamp, end: pd.Timestamp) -> None:
    if end <= start:
        raise ValueError(f"end must be after start, got start={start} end={end}")


def _utc(ts: str | pd.Timestamp, name: str) -> pd.Timestamp:
    try:
        t = pd.Timestamp(ts)
    except (ValueError, TypeError):
        raise ValueError(f"{name} must be an ISO 8601 timestamp, got {ts!r}") from None
    return t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")


def generate_market(start: str | pd.Timestamp, end: str | pd.Timestamp,
                    seed: int | np.random.Generator = 7) -> pd.DataFrame:
    """Hourly BTC-like price and traded volume from ``start`` to ``end`` (exclusive).

    Returns
    -------
    DataFrame
        ``timestamp`` (UTC), ``price`` (USD), ``volume`` (BTC per hour), one row per hour.
    """
    start, end = _utc(start, "start").floor("h"), _utc(end, "end").ceil("h")
    _check_window(start, end)
    rng = stream(seed, "market")
    ts = pd.date_range(start, end, freq="h", inclusive="left")
    n, total = len(ts), len(ts) + BURN_IN_H
    z = rng.standard_t(T_DOF, total) / np.sqrt(T_DOF / (T_DOF - 2))
    jump = np.zeros(total)
    years = n / (24 * 365)
    for kind, rate in (("crash", CRASHES_PER_YEAR), ("rally", RALLIES_PER_YEAR)):
        for _ in range(max(1, rng.poisson(rate * years))):
            dur = int(rng.integers(3, 9))
            at = BURN_IN_H + int(rng.integers(0, max(1, n - dur)))
            move = np.log1p(-rng.uniform(0.15, 0.25) if kind == "crash" else rng.uniform(0.10, 0.20))
            jump[at:at + dur] += move / dur
            log.debug("%s of %.1f%% over %d h at %s", kind, 100 * np.expm1(move), dur,
                      ts[at - BURN_IN_H])
    trend = np.concatenate([np.full(BURN_IN_H, np.log(PRICE_START)),
                            np.linspace(np.log(PRICE_START), np.log(PRICE_END), n)])
    omega = SIGMA_H**2 * (1 - GARCH_ALPHA - GARCH_BETA)
    sigma = np.empty(total)
    r = np.empty(total)
    s2, r_prev, logp = SIGMA_H**2, 0.0, trend[0]
    for h in range(total):  # GARCH recursion: inherently sequential (r feeds sigma)
        s2 = omega + GARCH_ALPHA * r_prev**2 + GARCH_BETA * s2
        r_prev = np.sqrt(s2) * z[h] + jump[h] + KAPPA * (trend[h] - logp)
        logp += r_prev
        sigma[h], r[h] = np.sqrt(s2), r_prev
    logp_path = trend[0] + np.cumsum(r)
    sl = slice(BURN_IN_H, None)
    us_open = 1 + 0.4 * np.exp(-0.5 * ((ts.hour.to_numpy() - 15) / 2.5) ** 2)
    volume = (VOLUME_BTC_H * (sigma[sl] / SIGMA_H) ** 0.9 * us_open
              * np.exp(0.35 * np.abs(z[sl]) + rng.normal(0, 0.25, n)))
    return pd.DataFrame({"timestamp": ts, "price": np.round(np.exp(logp_path[sl]), 2),
                         "volume": np.round(volume, 3)})


def surge_index(market: pd.DataFrame, index: pd.DatetimeIndex, channel: str) -> np.ndarray:
    """Stress excess ``E_c`` of ``channel`` at each time of ``index`` (see module docstring).

    Intervals before the first market hour (or its lag) get 0.
    """
    if channel not in CHANNELS:
        raise ValueError(f"channel must be one of {list(CHANNELS)}, got {channel!r}")
    ch = CHANNELS[channel]
    price = market.set_index(pd.DatetimeIndex(market["timestamp"]))["price"]
    px = price.resample("h", closed="right", label="right").last().ffill()  # last price <= h
    r = np.abs(np.diff(np.log(px.to_numpy()), prepend=np.nan))
    scale = np.nanmedian(r) if np.isfinite(r).any() else 0.0
    if not scale > 0:  # a flat (or one-hour) market: no stress
        return np.zeros(len(index))
    u = np.nan_to_num(r / scale, nan=1.0)
    a = 2.0 ** (-1.0 / ch.half_life_h)
    s = lfilter([1 - a], [1, -a], u, zi=[a * 1.0])[0]  # start at the typical level
    if not np.median(s) > 0:  # a market that mostly does not move
        return np.zeros(len(index))
    s = s / np.median(s)
    # the return of hour [h-1, h) is known at h; it reaches contacts lag_h hours later
    known = px.index + pd.Timedelta(hours=ch.lag_h)
    pos = known.searchsorted(index, side="right") - 1
    e = np.clip(s - 1.0, 0.0, E_MAX)
    return np.where(pos >= 0, e[np.clip(pos, 0, None)], 0.0)


def _profile(hour: np.ndarray, office: bool) -> np.ndarray:
    """Daily shape in local hours (mean about 1 over a day)."""

    def bump(mu: float, sd: float) -> np.ndarray:
        d = (hour - mu + 12) % 24 - 12
        return np.exp(-0.5 * (d / sd) ** 2)

    if office:
        return (0.25 + 1.6 * bump(13.0, 3.5)) / 0.95
    return (0.30 + 0.95 * bump(11.5, 3.5) + 1.15 * bump(21.0, 3.0)) / 1.06


_WEEK = np.array([1.06, 1.04, 1.03, 1.02, 1.0, 0.88, 0.84])
_WEEK_OFFICE = np.array([1.12, 1.08, 1.06, 1.05, 1.0, 0.72, 0.66])


def _holiday_factors(country: str, years: range) -> dict:
    """Local date -> demand factor for ``country``'s public holidays (and Ramadan in TR)."""
    cal = holidays.country_holidays(country, years=list(years))
    out = {}
    for day, name in cal.items():
        if any(k in name for k in _MAJOR):
            out[day] = 0.50
        elif "New Year" in name:
            out[day] = 0.75
        else:
            out[day] = 0.85
    if country == "TR":  # Ramadan: the 29 days before the first day of Eid al-Fitr
        one = dt.timedelta(days=1)
        firsts = [d for d, n in cal.items() if "Eid al-Fitr" in n and d - one not in cal]
        for first in firsts:
            for k in range(1, 30):
                out.setdefault(first - k * one, 0.93)
    return out


def _local_shape(index: pd.DatetimeIndex, lang: LanguageProfile, office: bool) -> np.ndarray:
    """sum_z w_z * D(local hour) * W(local weekday) * Hol(local date) for one language."""
    years = range(index[0].year - 1, index[-1].year + 2)
    week = _WEEK_OFFICE if office else _WEEK
    total = sum(w for _, _, w in lang.zones)
    shape = np.zeros(len(index))
    for zone, country, w in lang.zones:
        local = index.tz_convert(zone)
        hour = local.hour.to_numpy() + local.minute.to_numpy() / 60.0
        days = local.normalize().tz_localize(None)
        fac = _holiday_factors(country, years)
        uniq, inv = np.unique(days.to_numpy(), return_inverse=True)
        hol = np.array([fac.get(pd.Timestamp(d).date(), 1.0) for d in uniq])[inv]
        shape += w / total * _profile(hour, office) * week[local.day_of_week.to_numpy()] * hol
    return shape


def generate_contacts(market: pd.DataFrame, start: str | pd.Timestamp, end: str | pd.Timestamp,
                      languages: tuple[str, ...] = DEFAULT_LANGUAGES,
                      seed: int | np.random.Generator = 7, *,
                      volume_scale: float = 1.0) -> pd.DataFrame:
    """30-minute contacts and handle times per channel x language (see module docstring).

    Parameters
    ----------
    market : DataFrame
        ``timestamp``, ``price`` (hourly), ideally starting a few days before ``start``.
    start, end : str or Timestamp
        History window, ``end`` exclusive; both on a 30-minute boundary.
    languages : tuple of str
        Codes from :data:`LANGUAGES`.
    seed : int or Generator
        An int gives each queue its own stream derived from ``seed``, channel and
        language (so the order of ``languages`` does not matter); a Generator is used as is.
    volume_scale : float
        Multiplies every queue's level.

    Returns
    -------
    DataFrame
        ``interval_start`` (UTC), ``channel``, ``language``, ``contacts`` (int64),
        ``aht_s`` (float64, NaN when ``contacts`` is 0), sorted by interval then queue.
    """
    start, end = _utc(start, "start"), _utc(end, "end")
    _check_window(start, end)
    for name, t in (("start", start), ("end", end)):
        if t != t.floor(INTERVAL):
            raise ValueError(f"{name} must be on a 30-minute boundary, got {t.isoformat()}")
    unknown = [lang for lang in languages if lang not in LANGUAGES]
    if unknown or not languages:
        raise ValueError(f"languages must be a non-empty subset of {sorted(LANGUAGES)}, "
                         f"got {languages!r}")
    if not volume_scale > 0:
        raise ValueError(f"volume_scale must be > 0, got {volume_scale!r}")
    index = pd.date_range(start, end, freq=INTERVAL, inclusive="left")
    n = len(index)
    years_to_end = ((index - end) / pd.Timedelta(days=365.25)).to_numpy()
    day_of = ((index - start) // pd.Timedelta(days=1)).to_numpy()
    share_sum = sum(LANGUAGES[lang].share for lang in languages)
    surge = {c: surge_index(market, index, c) for c in CHANNELS}
    shapes = {}
    blocks = []
    for lang_code in languages:
        lang = LANGUAGES[lang_code]
        day_eps = np.exp(stream(seed, "day", lang_code).normal(-DAY_SD**2 / 2, DAY_SD,
                                                             day_of[-1] + 1))[day_of]
        vip_sum = sum(c.share * (lang.vip if c.name == "vip_chat" else 1.0)
                      for c in CHANNELS.values())
        for ch in CHANNELS.values():
            rng = stream(seed, "contacts", ch.name, lang_code)
            if ch.office_hours not in shapes:
                shapes[ch.office_hours] = {}
            if lang_code not in shapes[ch.office_hours]:
                shapes[ch.office_hours][lang_code] = _local_shape(index, lang, ch.office_hours)
            ch_share = ch.share * (lang.vip if ch.name == "vip_chat" else 1.0) / vip_sum
            base = CONTACTS_PER_INTERVAL * volume_scale * lang.share / share_sum * ch_share
            e = surge[ch.name]
            lam = (base * np.exp(lang.growth * years_to_end) * shapes[ch.office_hours][lang_code]
                   * (1 + ch.gain * lang.surge * e) * day_eps)
            counts = rng.poisson(lam * rng.gamma(PHI, 1 / PHI, n))
            v = np.log1p(CV**2 / np.maximum(counts, 1))
            aht = (ch.aht_s * lang.aht * (1 + 0.06 * np.minimum(e, 3.0))
                   * np.exp(rng.normal(-v / 2, np.sqrt(v))))
            aht = np.where(counts > 0, np.round(np.clip(aht, 30.0, 7200.0), 1), np.nan)
            blocks.append((ch.name, lang_code, counts.astype(np.int64), aht))
    k = len(blocks)
    out = pd.DataFrame({
        "interval_start": np.repeat(index, k),
        "channel": np.tile([b[0] for b in blocks], n),
        "language": np.tile([b[1] for b in blocks], n),
        "contacts": np.column_stack([b[2] for b in blocks]).ravel(),
        "aht_s": np.column_stack([b[3] for b in blocks]).ravel(),
    })
    log.info("generated %d intervals x %d queues, %d contacts", n, k, out["contacts"].sum())
    return out
