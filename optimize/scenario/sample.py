"""The sample company's agents, and writing a whole synthetic scenario directory.

:func:`generate_agents` staffs the queues found in a contacts table: natives of every
language in proportion to its workload (with a floor so each language can be covered
around the clock), most of them bilingual with English, living in plausible time zones
(with and without daylight saving), with channel skills, full- or part-time contracts, a
few VIP-certified, some unavailable days in the first plan weeks. :func:`write_sample`
generates market, contacts and agents (see :mod:`forecast.synthetic`) and writes them,
with the sample ``scenario.toml``, into a scenario directory, byte-for-byte the same for a
given seed.
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import logging
import os
from collections.abc import Callable, Mapping
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from forecast.synthetic import (
    CHANNELS,
    DEFAULT_LANGUAGES,
    generate_contacts,
    generate_market,
    stream,
)

__all__ = ["AGENT_ZONES", "HOURS_PER_AGENT", "generate_agents", "write_sample",
           "contacts_to_csv", "market_to_csv", "agents_to_csv"]

log = logging.getLogger(__name__)

#: Native language -> (IANA zone, weight) where its agents live.
AGENT_ZONES: dict[str, tuple[tuple[str, float], ...]] = {
    "en": (("Europe/London", 0.35), ("America/New_York", 0.2), ("Europe/Dublin", 0.1),
           ("Asia/Manila", 0.25), ("America/Chicago", 0.1)),
    "zh": (("Asia/Shanghai", 0.6), ("Asia/Taipei", 0.2), ("Asia/Kuala_Lumpur", 0.2)),
    "ko": (("Asia/Seoul", 1.0),),
    "vi": (("Asia/Ho_Chi_Minh", 1.0),),
    "ru": (("Europe/Moscow", 0.6), ("Asia/Tbilisi", 0.2), ("Europe/Riga", 0.2)),
    "es": (("Europe/Madrid", 0.35), ("America/Bogota", 0.3), ("America/Mexico_City", 0.2),
           ("America/Argentina/Buenos_Aires", 0.15)),
    "tr": (("Europe/Istanbul", 1.0),),
    "ja": (("Asia/Tokyo", 1.0),),
    "de": (("Europe/Berlin", 1.0),),
    "fr": (("Europe/Paris", 0.8), ("Africa/Casablanca", 0.2)),
    "pt": (("America/Sao_Paulo", 0.7), ("Europe/Lisbon", 0.3)),
    "id": (("Asia/Jakarta", 1.0),),
}

_NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "en": (("Olivia", "James", "Amelia", "Noah", "Grace", "Liam", "Chloe", "Ethan", "Maria",
            "Joseph", "Hannah", "Daniel"),
           ("Smith", "Walker", "Reyes", "Brown", "Taylor", "Santos", "Murphy", "Clarke",
            "Garcia", "Evans", "Dela Cruz", "Hughes")),
    "zh": (("Wei", "Fang", "Jing", "Lei", "Xiu", "Hao", "Mei", "Jun", "Yan", "Tao"),
           ("Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Lin", "Wu")),
    "ko": (("Minji", "Jiho", "Seoyeon", "Hyun", "Jisoo", "Donghyun", "Yuna", "Sungmin"),
           ("Kim", "Lee", "Park", "Choi", "Jung", "Kang", "Cho", "Yoon")),
    "vi": (("Linh", "Minh", "Trang", "Huy", "Lan", "Duc", "Thao", "Quang"),
           ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi")),
    "ru": (("Anna", "Dmitry", "Elena", "Sergei", "Olga", "Ivan", "Natalia", "Alexei"),
           ("Ivanova", "Petrov", "Smirnova", "Volkov", "Kuznetsova", "Sokolov", "Popova",
            "Lebedev")),
    "es": (("Lucía", "Mateo", "Sofía", "Diego", "Valentina", "Javier", "Camila", "Andrés"),
           ("García", "Martínez", "López", "Rodríguez", "Hernández", "Gómez", "Díaz",
            "Torres")),
    "tr": (("Elif", "Mehmet", "Zeynep", "Emre", "Ayşe", "Burak", "Deniz", "Can"),
           ("Yılmaz", "Kaya", "Demir", "Şahin", "Çelik", "Aydın", "Öztürk", "Arslan")),
    "ja": (("Yuki", "Haruto", "Sakura", "Ren", "Aoi", "Sota", "Hina", "Kenji"),
           ("Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito", "Yamamoto",
            "Nakamura")),
    "de": (("Lena", "Jonas", "Mia", "Felix"), ("Müller", "Schmidt", "Weber", "Fischer")),
    "fr": (("Camille", "Louis", "Léa", "Hugo"), ("Martin", "Bernard", "Dubois", "Moreau")),
    "pt": (("Ana", "João", "Beatriz", "Pedro"), ("Silva", "Santos", "Oliveira", "Souza")),
    "id": (("Putri", "Budi", "Sari", "Agus"), ("Wijaya", "Santoso", "Halim", "Saputra")),
}

FULL_TIME_SHARE = 0.78
LEAVE_SHARE = 0.22  # agents with a leave block of 1-5 days in the first plan weeks
LEAVE_DAYS = (1, 5)
#: paid hours a generated agent works in an average week: the contract mix (full time
#: 32-40 h, part time 16-24 h, at the top of their range when the desk is busy), less
#: the leave blocks over the first two weeks (the routed sample's plan paid 34.7 h a head)
HOURS_PER_AGENT = ((FULL_TIME_SHARE * 40 + (1 - FULL_TIME_SHARE) * 24)
                   * (1 - LEAVE_SHARE * sum(LEAVE_DAYS) / 2 / 14))
VIP_SHARE = 0.12
VIP_PER_LANGUAGE = 2  # native VIP agents per language (when it has enough natives)
MIN_NATIVES = 6  # per language, enough for one seat around the clock (168 h / ~32 h each)
SEAT_H = 168.0  # hours a week of one realtime seat kept open around the clock


def _allocate(weights: np.ndarray, n: int, floor: int) -> np.ndarray:
    """Split ``n`` heads by ``weights`` (largest remainder), each at least ``floor``."""
    k = len(weights)
    base = np.full(k, floor)
    rest = n - floor * k
    quota = weights / weights.sum() * rest
    out = base + np.floor(quota).astype(int)
    short = n - out.sum()
    order = np.argsort(-(quota - np.floor(quota)), kind="stable")
    out[order[:short]] += 1
    return out


def generate_agents(contacts: pd.DataFrame, n_agents: int = 150, seed: int = 7, *,
                    plan_start: dt.date | None = None, plan_weeks: int = 2,
                    natives: Mapping[str, int] | None = None,
                    vip: int | None = None) -> pd.DataFrame:
    """A roster of agents able to serve every queue in ``contacts``.

    Parameters
    ----------
    contacts : DataFrame
        A contacts table (``channel``, ``language``, ``contacts``, ``aht_s``,
        ``interval_start``); its workload per language sets how many natives each gets.
    n_agents : int
        Head count; at least the number of languages.
    seed : int
        Random seed.
    plan_start : date, optional
        First plan day for ``unavailable`` dates; default the day after the last history day.
    plan_weeks : int
        Unavailable dates fall in ``[plan_start, plan_start + plan_weeks)``.
    natives, vip : optional
        A desk sized by a planner (:func:`optimize.capacity.dimension.desk_size`): the
        natives of each language (``n_agents`` is then their sum) and the VIP-certified
        agents; half of each language's natives (not a quarter) also take social, as a
        planner cross-trains a small team for a channel that must be answered within
        hours.

    Returns
    -------
    DataFrame
        The ``agents.csv`` columns; ``languages``, ``channels``, ``unavailable`` as
        ``;``-separated strings, ``vip`` bool; ``preferred_start`` and
        ``preferred_days_off`` for about 30% and 25% of the agents (else empty).
    """
    languages = [str(x) for x in pd.unique(contacts["language"])]
    present = {str(x) for x in pd.unique(contacts["channel"])}
    channels = [c for c in CHANNELS if c in present]
    if natives is not None:
        missing = [lang for lang in languages if natives.get(lang, 0) < 1]
        if missing:
            raise ValueError(f"natives must give every language at least 1, not {missing[0]!r}")
        n_agents = int(sum(natives[lang] for lang in languages))
    if not isinstance(n_agents, int | np.integer) or n_agents < len(languages):
        raise ValueError(f"n_agents must be an integer >= {len(languages)} (one per language), "
                         f"got {n_agents!r}")
    unknown = [lang for lang in languages if lang not in AGENT_ZONES]
    if unknown:
        raise ValueError(f"no agent profile for language {unknown[0]!r}; known: {sorted(AGENT_ZONES)}")
    if plan_start is None:
        last = pd.Timestamp(contacts["interval_start"].max())
        plan_start = (last.floor("D") + pd.Timedelta(days=1)).date()
    rng = stream(seed, "agents")
    # natives follow each language's weekly workload hours plus one open seat per realtime
    # channel, so that small languages can still be staffed around the clock
    weeks = max(1.0, contacts["interval_start"].nunique() / (7 * 48))
    work_h = contacts["contacts"] * contacts["aht_s"].fillna(0) / 3600 / weeks
    seats = sum(c in channels for c in ("chat", "vip_chat"))
    weights = work_h.groupby(contacts["language"]).sum().reindex(languages).to_numpy(float)
    weights = weights + seats * SEAT_H
    floor = max(1, min(MIN_NATIVES, n_agents // (2 * len(languages))))
    counts = (_allocate(weights, n_agents, floor) if natives is None
              else np.array([natives[lang] for lang in languages]))
    social_every = 4 if natives is None else 2
    native_of = np.repeat(languages, counts)  # each agent's native language
    rows = []
    others = [lang for lang in languages if lang != "en"]
    for i, native in enumerate(native_of):
        rank = int((native_of[:i] == native).sum())  # earlier natives of the same language
        langs = [native]
        if native != "en" and "en" in languages and rng.random() < 0.85:
            langs.append("en")
        elif native == "en" and others and rng.random() < 0.25:
            langs.append(others[rng.integers(len(others))])
        zones, zw = zip(*AGENT_ZONES[native], strict=True)
        zone = zones[rng.choice(len(zones), p=np.array(zw) / sum(zw))]
        first, last = _NAMES.get(native, _NAMES["en"])
        name = f"{first[rng.integers(len(first))]} {last[rng.integers(len(last))]}"
        skill = [c for c in ("chat", "email") if c in channels]
        if "email" in channels and rng.random() < 0.08 and rank >= 2:
            skill = ["email"]  # back-office email specialists (never a language's first two)
        elif "social" in channels and (rank % social_every == 1 or rng.random() < 0.15):
            skill.append("social")  # a quarter (or half) of each language's natives, and some
        full = rng.random() < FULL_TIME_SHARE
        hours = (32, 40) if full else (int(rng.choice([16, 20])), 24)
        days = []
        if rng.random() < LEAVE_SHARE:  # a leave block
            n_days = int(rng.integers(LEAVE_DAYS[0], LEAVE_DAYS[1] + 1))
            at = int(rng.integers(0, 7 * plan_weeks - n_days + 1))
            days = [plan_start + dt.timedelta(days=at + k) for k in range(n_days)]
        rows.append({"agent_id": f"A{i + 1:03d}", "name": name, "languages": langs,
                     "channels": skill, "timezone": zone, "min_hours_week": hours[0],
                     "max_hours_week": hours[1], "unavailable": days, "vip": False})
    if "vip_chat" in channels:
        _certify_vip(rows, languages, rng, vip)
    _add_preferences(rows, stream(seed, "preferences"))  # own stream: the rest is unchanged
    out = pd.DataFrame(rows)
    out["languages"] = out["languages"].map(";".join)
    out["channels"] = out["channels"].map(";".join)
    out["unavailable"] = out["unavailable"].map(lambda ds: ";".join(d.isoformat() for d in ds))
    return out


PREFERRED_WINDOWS = ("06:00-09:00", "08:00-11:00", "12:00-15:00", "16:00-20:00")
PREFERRED_DAYS_OFF = (("Sat;Sun", 0.6), ("Fri;Sat", 0.2), ("Sun;Mon", 0.2))
WINDOW_SHARE = 0.30  # agents with a preferred start window
DAYS_OFF_SHARE = 0.25  # agents with preferred days off


def _add_preferences(rows: list[dict], rng: np.random.Generator) -> None:
    """Give some agents a preferred local start window and preferred days off (soft)."""
    days, weights = zip(*PREFERRED_DAYS_OFF, strict=True)
    for r in rows:
        window = rng.random() < WINDOW_SHARE
        pick = int(rng.integers(len(PREFERRED_WINDOWS)))
        off = rng.random() < DAYS_OFF_SHARE
        pair = int(rng.choice(len(days), p=np.array(weights)))
        r["preferred_start"] = PREFERRED_WINDOWS[pick] if window else ""
        r["preferred_days_off"] = days[pair] if off else ""


def _certify_vip(rows: list[dict], languages: list[str], rng: np.random.Generator,
                 target: int | None = None) -> None:
    """Certify ``target`` (default about VIP_SHARE) of the agents for VIP chat, natives of
    each language first.

    Each language gets at least one and up to ``VIP_PER_LANGUAGE`` native VIP agents
    (full-time first); the rest of the quota is drawn at random among the other chat agents.
    """
    chat = [r for r in rows if "chat" in r["channels"]]
    target = round(VIP_SHARE * len(rows)) if target is None else int(target)
    per_language = max(1, min(VIP_PER_LANGUAGE, target // len(languages)))
    chosen: list[dict] = []
    for lang in languages:
        pool = [r for r in chat if r["languages"][0] == lang]
        pool.sort(key=lambda r: -r["max_hours_week"])  # stable: generation order breaks ties
        chosen.extend(pool[:per_language])
    rest = [r for r in chat if not any(r is c for c in chosen)]
    extra = max(0, min(target - len(chosen), len(rest)))
    for j in sorted(rng.choice(len(rest), size=extra, replace=False)):
        chosen.append(rest[int(j)])
    for r in chosen:
        r["vip"] = True
        r["channels"] = [*r["channels"], "vip_chat"]


# --------------------------------------------------------------------------- writing


def _iso(ts: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    """UTC timestamps as ``2024-11-25T00:00:00+00:00`` strings (formatted once per value)."""
    codes, uniq = pd.factorize(pd.DatetimeIndex(ts).tz_convert("UTC"))
    return uniq.strftime("%Y-%m-%dT%H:%M:%S+00:00").to_numpy()[codes]


def contacts_to_csv(contacts: pd.DataFrame) -> bytes:
    """``contacts.csv`` bytes: ISO timestamps with offset, ``aht_s`` empty when no contact."""
    out = contacts.assign(interval_start=_iso(contacts["interval_start"]))
    return out.to_csv(index=False, float_format="%.1f", na_rep="", lineterminator="\n").encode()


def market_to_csv(market: pd.DataFrame) -> bytes:
    """``market.csv`` bytes: ``timestamp, price, volume``."""
    out = market.assign(timestamp=_iso(market["timestamp"]))
    return out.to_csv(index=False, lineterminator="\n").encode()


def agents_to_csv(agents: pd.DataFrame) -> bytes:
    """``agents.csv`` bytes, ``vip`` as ``true``/``false``."""
    out = agents.assign(vip=np.where(agents["vip"], "true", "false"))
    return out.to_csv(index=False, lineterminator="\n").encode("utf-8")


def _gzip(data: bytes) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=6) as f:
        f.write(data)
    return buf.getvalue()


def _write(path: Path, data: bytes) -> Path:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return path


def sample_scenario_text(extra: str = "") -> str:
    """The sample's ``scenario.toml``: the packaged template, then ``extra``."""
    text = resources.files("optimize.scenario").joinpath("sample_scenario.toml").read_text()
    return text if not extra else text.rstrip("\n") + "\n\n" + extra.strip("\n") + "\n"


def write_sample(out_dir: str | Path, *, seed: int = 7, weeks: int = 104, n_agents: int = 150,
                 languages: tuple[str, ...] | None = None, end: str = "2026-11-23T00:00:00Z",
                 volume_scale: float = 1.0, closures: int = 0, outages: int = 0,
                 declared: int = 0, level_shift: float = 1.0, outliers: int = 0,
                 size: Callable[[pd.DataFrame], tuple[Mapping[str, int], int]] | None = None,
                 scenario_extra: str = "") -> dict[str, Path]:
    """Generate the sample company and write it as a scenario directory.

    Parameters
    ----------
    out_dir : str or Path
        Created if missing; the four files in it are replaced.
    seed : int
        Same seed, same bytes.
    weeks : int
        Weeks of 30-minute history ending at ``end`` (exclusive).
    n_agents : int
        Head count of the desk, shared by the languages in proportion to their workload
        (with a floor); small languages come out short (a desk to explain).
    size : callable, optional
        ``size(contacts) -> (natives per language, VIP-certified)``: a desk sized by a
        planner instead (``staffcast sample`` passes
        :func:`optimize.capacity.dimension.desk_size`); ``n_agents`` is then ignored.
    scenario_extra : str
        TOML appended to the scenario template (``staffcast sample --calibration``: the
        ``[staffing.effective_shrinkage]`` a calibration of this desk fitted).
    languages : tuple of str, optional
        Language codes (default: en, zh, ko, vi, ru, es, tr, ja).
    end : str
        End of the history, ISO 8601 UTC, on a 30-minute boundary; the plan starts here.
    volume_scale : float
        Multiplies every queue's volume.
    closures, outages, declared : int
        Real-world faults (:func:`forecast.faults.inject_faults`): weekdays of the last 8
        weeks with no contacts at all, or none in the busiest channel; the first
        ``declared`` of them are written to ``calendar.csv``, the others left to be found.
    level_shift : float
        Every queue's volume times this from 3 weeks before the end on (1: none).
    outliers : int
        Weekdays of the last 8 weeks with 4 times the busiest channel's volume.

    Returns
    -------
    dict
        ``{"contacts", "market", "agents", "scenario"}`` (and ``"calendar"`` when one is
        written) -> written path.
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if isinstance(weeks, bool) or not isinstance(weeks, int | np.integer) or weeks < 1:
        raise ValueError(f"weeks must be a positive integer, got {weeks!r}")
    try:
        end_ts = pd.Timestamp(end)
    except (ValueError, TypeError):
        raise ValueError(f"end must be an ISO 8601 timestamp, got {end!r}") from None
    end_ts = end_ts.tz_localize("UTC") if end_ts.tzinfo is None else end_ts.tz_convert("UTC")
    if end_ts != end_ts.floor("30min"):
        raise ValueError(f"end must be on a 30-minute boundary, got {end!r}")
    start = end_ts - pd.Timedelta(weeks=int(weeks))
    langs = DEFAULT_LANGUAGES if languages is None else tuple(languages)
    market = generate_market(start - pd.Timedelta(days=7), end_ts, seed)
    contacts = generate_contacts(market, start, end_ts, langs, seed, volume_scale=volume_scale)
    natives, vip = size(contacts) if size is not None else (None, None)
    agents = generate_agents(contacts, n_agents, seed, plan_start=end_ts.date(),
                             natives=natives, vip=vip)
    calendar = None
    if closures or outages or outliers or level_shift != 1.0:
        from forecast.faults import inject_faults

        contacts, calendar = inject_faults(contacts, closures=closures, outages=outages,
                                           declared=declared, seed=seed,
                                           level_shift=level_shift, outliers=outliers)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    scenario = sample_scenario_text(scenario_extra).encode("utf-8")
    paths = {
        "contacts": _write(out / "contacts.csv.gz", _gzip(contacts_to_csv(contacts))),
        "market": _write(out / "market.csv", market_to_csv(market)),
        "agents": _write(out / "agents.csv", agents_to_csv(agents)),
        "scenario": _write(out / "scenario.toml", scenario),
    }
    if calendar is not None and len(calendar):
        text = calendar.assign(date=calendar["date"].dt.strftime("%Y-%m-%d")).to_csv(
            index=False, lineterminator="\n")
        paths["calendar"] = _write(out / "calendar.csv", text.encode("utf-8"))
    log.info("wrote %s: %d contact rows, %d market hours, %d agents", out, len(contacts),
             len(market), len(agents))
    return paths
