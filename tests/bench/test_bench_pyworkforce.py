"""The coverage helpers of bench/bench_pyworkforce.py (pyworkforce itself is not needed)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

_PATH = Path(__file__).resolve().parents[2] / "bench" / "bench_pyworkforce.py"
_spec = importlib.util.spec_from_file_location("bench_pyworkforce", _PATH)
bp = importlib.util.module_from_spec(_spec)
sys.modules["bench_pyworkforce"] = bp
_spec.loader.exec_module(bp)


def test_coverage_matrix_hourly_starts_cut_at_the_horizon():
    m = bp.coverage_matrix(7 * 48, 30, length_h=8.0, step_min=60)
    assert m.shape == (168, 336)
    assert m[0, :16].all() and not m[0, 16:].any()
    assert np.flatnonzero(m[5])[[0, -1]].tolist() == [10, 25]
    assert m[167].sum() == 2  # Sunday 23:00 runs one hour into the horizon
    assert m[:153].sum(axis=1).tolist() == [16] * 153


def test_coverage_matrix_rejects_a_start_step_off_the_grid():
    with pytest.raises(ValueError, match="step_min 45"):
        bp.coverage_matrix(48, 30, step_min=45)


def test_coverage_from_segments_by_hand():
    # heads over [15, 75) min and [60, 200) min on a 4 x 30-min grid, the second clipped
    got = bp.coverage_from_segments(np.array([15, 60]), np.array([75, 200]), 4, 30)
    assert got.tolist() == [0.5, 1.0, 1.5, 1.0]


def test_counts_and_segments_agree():
    rng = np.random.default_rng(3)
    m = bp.coverage_matrix(96, 30)
    counts = rng.integers(0, 4, size=len(m))
    starts = np.repeat(np.arange(len(m)) * 60, counts)
    got = bp.coverage_from_segments(starts, starts + 480, 96, 30)
    np.testing.assert_allclose(got, bp.coverage_from_counts(counts, m))


def test_coverage_error_by_hand():
    err = bp.coverage_error(np.array([3.0, 5.0, 2.0, 4.0]), np.array([4, 4, 2, 1]), 30)
    assert (err.abs_error, err.under, err.over, err.short_intervals) == (5.0, 1.0, 4.0, 1)
    assert (err.scheduled_head_hours, err.required_head_hours) == (7.0, 5.5)


def test_staff_cost_matches_the_model_penalty_by_hand():
    # 2 heads short of 10: 1.5 at slope 1, 0.5 at slope 2 (optimize.scheduling.solver.model), x4
    assert bp.staff_cost(np.array([8.0]), np.array([10]), 4.0) == pytest.approx(10.0)
    assert bp.staff_cost(np.array([12.0]), np.array([10]), 4.0) == pytest.approx(0.2)


def test_requirement_curve_is_seeded_integer_and_weekly():
    a = bp.requirement_curve(30, 30.0, seed=1)
    assert a.shape == (336,) and a.dtype.kind == "i" and a.min() >= 1
    assert np.array_equal(a, bp.requirement_curve(30, 30.0, seed=1))
    days = a.reshape(7, 48).sum(axis=1)
    assert days[:5].min() > days[5:].max()  # weekend quieter
    assert 25 <= a.max() <= 40


def test_reference_covers_an_exactly_coverable_day_at_zero_cost():
    m = bp.coverage_matrix(48, 30)
    counts = np.zeros(len(m))
    counts[[0, 8, 16]] = [2, 3, 1]  # 00:00, 08:00 and 16:00 starts tile the day
    required = bp.coverage_from_counts(counts, m).astype(int)
    run = bp.run_reference(required, m, 4.0, periods_per_day=48, step_periods=2,
                           time_limit_s=10.0, workers=1, seed=0)
    assert run.status == "OPTIMAL" and run.reported == 0.0
    np.testing.assert_array_equal(run.scheduled, required)
    assert run.shifts == 6
