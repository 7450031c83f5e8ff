"""Published values pinned against optimize.queueing.erlang; each block cites its public source.

Sources (four independent publishers):
[R]  R package ErlangC 0.1.0 (CRAN, Damonsoul), README examples `erlang_c(...)` and
     `calculate_agents(...)`: https://stat.ethz.ch/CRAN/web/packages/ErlangC/readme/README.html
[PW] pyworkforce (Rodrigo Arenas): PyPI 0.1.0 README example
     https://pypi.org/project/pyworkforce/0.1.0/ and its test suite
     github.com/rodrigo-arenas/pyworkforce pyworkforce/queuing/tests/
     (test_erlang.py, test_erlang_b.py, test_abandonment.py).
[WB] Westbay Engineers (erlang.com): calculator manual "How much traffic can a trunk group
     handle" https://erlang.com/calculatormanual/howmuchtrafficcanatrunkgrouphandle.htm
     (15 lines, 1% blocking -> 8.108 Erlangs) and forum thread "Trunk Engineering"
     (1200 calls/hour = 33.333 Erlangs, 1% blocking -> 45 lines).
[WM] Wolfram Mathematica 9 "Enhanced Core Algorithms: Compute loss probabilities for a
     queue": 30 lines and 25 Erlangs -> blocking approximately 0.05.
"""

import math

import pytest

from optimize.queueing.erlang import (
    agents_for_service_level,
    asa,
    erlang_a,
    erlang_b,
    erlang_c,
    occupancy,
    servers_for_blocking,
    service_level,
)

# The classic case: 100 contacts per 30 min, 180 s handle time, 80% within 20 s.
LOAD = 100 * 180 / 1800


def test_r_erlangc_classic_case():
    # [R] erlang_c(100, 30 min, 180 s, 20 s, 14)
    assert LOAD == pytest.approx(10.0)  # traffic_intensity 10
    assert erlang_c(14, LOAD) == pytest.approx(0.1741319, abs=5e-8)
    assert service_level(14, LOAD, 180, 20) == pytest.approx(0.88835, abs=5e-6)
    assert asa(14, LOAD, 180) == pytest.approx(7.83593701177724, rel=1e-12)
    assert 1 - erlang_c(14, LOAD) == pytest.approx(0.8258681, abs=5e-8)  # immediate answer
    assert occupancy(14, LOAD) == pytest.approx(0.7142857, abs=5e-8)


def test_r_erlangc_calculate_agents():
    # [R] calculate_agents(..., require_service_level=0.8, max_occupancy=0.85) -> 14 agents,
    # and the first row of its search ($process): wait 0.6821182, service level 0.3896138
    assert agents_for_service_level(LOAD, 180, 20, 0.8, 0.85) == 14
    assert erlang_c(11, LOAD) == pytest.approx(0.6821182, abs=5e-8)
    assert service_level(11, LOAD, 180, 20) == pytest.approx(0.3896138, abs=5e-8)


def test_pyworkforce_readme_example():
    # [PW] README 0.1.0: raw_positions 14, positions 20 (shrinkage 0.3),
    # service_level 0.8883500191794669, occupancy 0.7142857142857143,
    # waiting_probability 0.1741319335950498
    raw = agents_for_service_level(LOAD, 180, 20, 0.8, 0.85)
    assert raw == 14
    assert math.ceil(raw / (1 - 0.3)) == 20
    assert service_level(14, LOAD, 180, 20) == pytest.approx(0.8883500191794669, rel=1e-12)
    assert occupancy(14, LOAD) == pytest.approx(0.7142857142857143, rel=1e-15)
    assert erlang_c(14, LOAD) == pytest.approx(0.1741319335950498, rel=1e-12)


def test_pyworkforce_occupancy_cap_case():
    # [PW] test_over_occupancy_erlangc: asa=0.33 min, max_occupancy=0.7 -> raw 15,
    # positions 22, service level 0.941, occupancy 0.667, waiting probability 0.102
    raw = agents_for_service_level(LOAD, 180, 0.33 * 60, 0.8, 0.7)
    assert raw == 15
    assert math.ceil(raw / 0.7) == 22
    assert round(service_level(15, LOAD, 180, 0.33 * 60), 3) == 0.941
    assert round(occupancy(15, LOAD), 3) == 0.667
    assert round(erlang_c(15, LOAD), 3) == 0.102


def test_pyworkforce_erlang_b():
    # [PW] test_erlang_b.py: B(1, 1) = 0.5, B(2, 1) = 0.2, A = 10 at 2% -> 17 positions
    assert erlang_b(1, 1.0) == pytest.approx(0.5, abs=1e-12)
    assert erlang_b(2, 1.0) == pytest.approx(0.2, abs=1e-12)
    assert servers_for_blocking(10.0, 0.02) == 17


def test_pyworkforce_erlang_a_regression():
    # [PW] test_abandonment.py: 100 per 30 min, aht 3 min, patience 5 min, 14 positions:
    # waiting 0.14526, abandonment 0.013984, occupancy 0.704297, ASA 0.069919 min,
    # service level within 20 s 0.916792 (abandoners count as misses)
    r = erlang_a(14, LOAD, 180, 300, 20)
    assert round(r.p_wait, 5) == 0.14526
    assert round(r.p_abandon, 6) == 0.013984
    assert round(r.occupancy, 6) == 0.704297
    assert round(r.asa_s / 60, 6) == 0.069919
    assert round(r.service_level, 6) == 0.916792


def test_westbay_erlang_b():
    # [WB] 15 lines at 1% blocking carry at most 8.108 Erlangs (3 decimals shown)
    assert erlang_b(15, 8.108) == pytest.approx(0.01, abs=1e-5)
    assert erlang_b(15, 8.108) <= 0.01 < erlang_b(15, 8.109)
    assert servers_for_blocking(8.108, 0.01) == 15
    # [WB] 1200 calls per busy hour of 3 min = 33.333 Erlangs, 1% blocking -> 45 lines
    assert servers_for_blocking(1200 / 36, 0.01) == 45


def test_wolfram_erlang_b():
    # [WM] ErlangB[30, 25.] is "approximately 0.05"
    assert erlang_b(30, 25.0) == pytest.approx(0.05, abs=0.005)
