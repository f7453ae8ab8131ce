"""The plotting helpers for comparing runs: several paths, several loss curves, gradient samples."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from sinefit.data import load_xy  # noqa: E402
from sinefit.descent import gradient_descent  # noqa: E402
from sinefit.landscape import landscape  # noqa: E402
from sinefit.plotting import PATH_COLORS, plot_gradient_samples, plot_loss_curves, plot_trajectories  # noqa: E402

X, Y = load_xy(rows=50)
LAND = landscape(X, Y, 60, 40)
SLOW = gradient_descent(X, Y, (3.0, 1.0), 0.05, 10)
FAST = gradient_descent(X, Y, (3.0, 1.0), 0.2, 10)


def test_trajectories_are_drawn_in_distinct_colours_with_a_legend():
    land_artists, lines = plot_trajectories(LAND, {"slow": SLOW, "fast": FAST.params})
    np.testing.assert_array_equal(np.column_stack(lines["slow"].get_data()), SLOW.params)
    np.testing.assert_array_equal(np.column_stack(lines["fast"].get_data()), FAST.params)
    assert [lines[k].get_color() for k in ("slow", "fast")] == list(PATH_COLORS[:2])
    legend = [text.get_text() for text in land_artists.ax.get_legend().get_texts()]
    assert "slow" in legend and "fast" in legend


def test_trajectories_need_paths_and_enough_colours():
    with pytest.raises(ValueError, match="paths is empty"):
        plot_trajectories(LAND, {})
    with pytest.raises(ValueError, match="colour"):
        plot_trajectories(LAND, {"a": SLOW, "b": FAST}, colors=["red"])


def test_loss_curves_take_losses_per_step_or_x_and_losses():
    lines = plot_loss_curves({"per step": SLOW.loss, "per example": (np.arange(11) * 50, FAST.loss)},
                             steps_per_epoch=2, logy=True)
    x, values = lines["per step"].get_data()
    np.testing.assert_allclose(x, np.arange(11) / 2)
    np.testing.assert_array_equal(values, SLOW.loss)
    np.testing.assert_array_equal(lines["per example"].get_xdata(), np.arange(11) * 50)
    ax = lines["per step"].axes
    assert ax.get_yscale() == "log" and ax.get_xlabel() == "epoch"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["per step", "per example"]


def test_loss_curves_bad_input():
    with pytest.raises(ValueError, match="one x per loss"):
        plot_loss_curves({"bad": (np.arange(3), np.arange(4))})
    with pytest.raises(ValueError, match="empty"):
        plot_loss_curves({})
    with pytest.raises(ValueError, match="steps_per_epoch"):
        plot_loss_curves({"a": SLOW.loss}, steps_per_epoch=0)


def test_gradient_samples_raw_and_normalised():
    full = np.array([0.8, 0.1])
    batches = np.array([[1.0, 0.5], [0.2, -0.4], [3.0, 0.0]])
    batch_q, full_q = plot_gradient_samples(full, batches)
    np.testing.assert_array_equal(np.column_stack([batch_q.U, batch_q.V]), batches)
    assert (full_q.U[0], full_q.V[0]) == (0.8, 0.1)
    batch_q, full_q = plot_gradient_samples(full, batches, normalise=True)
    np.testing.assert_allclose(np.hypot(batch_q.U, batch_q.V), 1.0)
    assert np.hypot(full_q.U[0], full_q.V[0]) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="shape"):
        plot_gradient_samples(full, batches.T)
    with pytest.raises(ValueError, match="zero gradient"):
        plot_gradient_samples(full, np.zeros((2, 2)), normalise=True)
