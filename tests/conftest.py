"""Shared by the unit tests (the notebook collector is the repository's top-level conftest.py)."""

import matplotlib

matplotlib.use("Agg")  # no window from a test, whatever the machine's default backend

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    """Every test starts without the figures of the one before (they would pile up in pyplot)."""
    yield
    plt.close("all")
