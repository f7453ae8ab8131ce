"""The plotting helpers for comparing runs: several paths, several loss curves, gradient samples."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from sinefit.data import load_xy  # noqa: E402
from sinefit.descent import gradient_descent  # noqa: E402
from sinefit.landscape import landscape  # noqa: E402
from sinefit.plotting import (  # noqa: E402
    METHOD_COLORS,
    PATH_COLORS,
    method_color,
    plot_gradient_samples,
    plot_loss_curves,
    plot_trajectories,
    text_collisions,
)

X, Y = load_xy(rows=50)
LAND = landscape(X, Y, 60, 40)
SLOW = gradient_descent(X, Y, (3.0, 1.0), 0.05, 10)
FAST = gradient_descent(X, Y, (3.0, 1.0), 0.2, 10)


def test_trajectories_are_drawn_in_distinct_colours_with_a_legend():
    land_artists, lines = plot_trajectories(LAND, {"slow": SLOW, "fast": FAST.params})
    np.testing.assert_array_equal(np.column_stack(lines["slow"].get_data()), SLOW.params)
    np.testing.assert_array_equal(np.column_stack(lines["fast"].get_data()), FAST.params)
    # Labels that name no method take the spare colours in order.
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


def test_a_method_has_one_colour_in_every_figure():
    paths = {"SGD, b = 32": SLOW, "momentum": FAST, "lr = 0.3": SLOW}
    land_artists, on_landscape = plot_trajectories(LAND, paths)
    curves = plot_loss_curves({"Adam": SLOW.loss, "SGD, b = 32": FAST.loss, "momentum": SLOW.loss})
    assert on_landscape["SGD, b = 32"].get_color() == curves["SGD, b = 32"].get_color() == METHOD_COLORS["SGD"]
    assert on_landscape["momentum"].get_color() == curves["momentum"].get_color() == METHOD_COLORS["momentum"]
    assert curves["Adam"].get_color() == METHOD_COLORS["Adam"]
    # A label naming no method gets a colour no method has.
    assert on_landscape["lr = 0.3"].get_color() == PATH_COLORS[0]
    assert PATH_COLORS[0] not in METHOD_COLORS.values()
    # Every path on the landscape has a halo, so it reads on dark and light parts alike.
    assert all(line.get_path_effects() for line in on_landscape.values())
    # Explicit colours still win.
    assert plot_loss_curves({"SGD": SLOW.loss}, colors=["k"])["SGD"].get_color() == "k"


@pytest.mark.parametrize(("label", "method"), [
    ("SGD", "SGD"), ("sgd, b = 4", "SGD"), ("SGD with momentum", "momentum"),
    ("Nesterov momentum", "Nesterov"), ("Adam (lr = 0.05)", "Adam"), ("full batch", "full batch"),
    ("minibatch", "minibatch"), ("gradient descent", "gradient descent"),
])
def test_method_colour_is_found_in_longer_labels(label, method):
    assert method_color(label) == METHOD_COLORS[method]


def test_labels_naming_no_method_have_no_method_colour():
    assert method_color("lr = 0.1") is None
    assert method_color("Adamant") is None  # whole words only
    assert len(set(METHOD_COLORS.values()) & set(PATH_COLORS)) == 0


def test_comparison_figure_has_no_colliding_labels():
    import matplotlib.pyplot as plt

    fig, (ax_land, ax_loss) = plt.subplots(1, 2, figsize=(14.5, 5.8), width_ratios=[1.1, 1])
    plot_trajectories(LAND, {"SGD": SLOW, "Adam": FAST}, ax=ax_land)
    ax_land.set_title("paths on the landscape")
    plot_loss_curves({"SGD": SLOW.loss, "Adam": FAST.loss}, ax=ax_loss, logy=True)
    ax_loss.set_title("loss per step")
    assert text_collisions(fig) == []
