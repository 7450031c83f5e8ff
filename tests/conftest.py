"""Shared fixtures: paths to the embedded sample company."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    """The embedded sample company's scenario directory (``data/sample``)."""
    return ROOT / "data" / "sample"
