"""The explorer, driven as a student drives it: set a control, check what the figure shows.

Correctness lives here (the artists show exactly what the runner computed, the fast redraw gives
the pixels of a full redraw); speed is measured by ``benchmarks/interactive.py``.
"""

from __future__ import annotations

import base64
import io

import numpy as np
import PIL.Image
import pytest
import torch

from sinefit import TRUE_PARAMS
from sinefit.descent import descend, gradient_descent
from sinefit.explorer import ANALYTIC_GD, STATIC_NOTE, DataSet, Explorer, optimizer_runner


@pytest.fixture(scope="module")
def explorer() -> Explorer:
    # A coarse grid keeps the tests quick; the explorer's logic does not depend on it.
    return Explorer(grid=60)


def set_controls(explorer: Explorer, lr: float, steps: int, start: tuple[float, float]) -> None:
    explorer.lr_slider.value = lr
    explorer.steps_slider.value = steps
    explorer.omega_slider.value = start[0]
    explorer.t_slider.value = start[1]


def shown_path(explorer: Explorer) -> np.ndarray:
    return np.column_stack(explorer.path_line.get_data())


@pytest.mark.parametrize("dataset", ["course data", "hidden data"])
def test_the_artists_show_the_run_of_the_descent_runner(explorer, dataset):
    explorer.dataset_menu.value = dataset
    lr, steps, start = 0.25, 37, (2.5, 0.4)
    set_controls(explorer, lr, steps, start)
    data = explorer.datasets[dataset]
    expected = gradient_descent(data.x, data.y, start, lr, steps)
    np.testing.assert_allclose(shown_path(explorer), expected.params, rtol=0, atol=1e-12)
    np.testing.assert_allclose(np.column_stack(explorer.start_ring.get_data()), [start], atol=1e-12)
    step, loss = explorer.loss_line.get_data()
    np.testing.assert_array_equal(step, np.arange(steps + 1))
    np.testing.assert_allclose(loss, expected.loss, rtol=0, atol=1e-12)
    np.testing.assert_allclose(explorer.grad_line.get_data()[1], expected.grad_norm, rtol=0, atol=1e-12)
    # The curve axes were rescaled to the new run.
    assert explorer.ax_loss.get_xlim() == (0, steps)
    assert explorer.ax_loss.get_ylim()[1] == pytest.approx(1.05 * expected.loss.max())
    assert explorer.ax_grad.get_ylim()[1] == pytest.approx(1.05 * expected.grad_norm.max())
    assert f"{expected.loss[-1]:.4g}" in explorer.status.value


def test_an_update_changes_data_not_artists(explorer):
    figure, path_line, loss_line = explorer.figure, explorer.path_line, explorer.loss_line
    collections_before = list(explorer.ax_land.collections)
    lines_before = list(explorer.ax_land.lines)
    for lr in (0.01, 0.3, 1.5):
        explorer.lr_slider.value = lr
    explorer.dataset_menu.value = "hidden data"
    explorer.dataset_menu.value = "course data"
    assert explorer.figure is figure and explorer.path_line is path_line and explorer.loss_line is loss_line
    assert list(explorer.ax_land.collections) == collections_before  # no new contours
    assert list(explorer.ax_land.lines) == lines_before


def test_each_data_set_has_its_landscape_and_only_the_course_data_its_answer(explorer):
    explorer.dataset_menu.value = "hidden data"
    hidden, course = explorer.landscape_artists["hidden data"], explorer.landscape_artists["course data"]
    assert hidden.contours.get_visible() and not course.contours.get_visible()
    assert hidden.true_marker is None  # the hidden data's parameters are never drawn
    assert not course.true_marker.get_visible()
    explorer.dataset_menu.value = "course data"
    assert course.contours.get_visible() and not hidden.contours.get_visible()
    np.testing.assert_allclose(np.ravel(course.true_marker.get_data()), TRUE_PARAMS)
    assert course.true_marker.get_visible()
    # The hidden landscape is the MSE of the hidden data, not a copy of the course's.
    assert not np.allclose(explorer.landscapes["hidden data"].values, explorer.landscapes["course data"].values)


def test_the_fast_redraw_gives_the_pixels_of_a_full_redraw(explorer):
    explorer.dataset_menu.value = "course data"
    set_controls(explorer, 0.2, 25, (2.6, 0.7))
    fast = np.asarray(explorer.figure.canvas.buffer_rgba()).copy()
    explorer.figure.canvas.draw()
    full = np.asarray(explorer.figure.canvas.buffer_rgba())
    np.testing.assert_array_equal(fast, full)
    # ... and the live image is that canvas.
    picture = PIL.Image.open(io.BytesIO(explorer.image.value))
    assert picture.format == "JPEG" and picture.size == explorer.figure.canvas.get_width_height()


def test_a_diverging_run_is_shown_not_raised():
    def blows_up(x, y, start, lr, steps):
        # p <- p - lr * 4 p^3 overshoots further every step until it overflows.
        return descend(lambda p: (float(np.sum(p**4)), 4 * p**3), start, lr, steps)

    explorer = Explorer(grid=20, runners={"quartic": blows_up}, lr=1.0, steps=30)
    assert explorer.error is not None and "non-finite" in explorer.error
    assert "diverged" in explorer.status.value and "lr=1" in explorer.status.value
    assert "diverged" in explorer.ax_land.get_title()
    # The steps before the blow-up are drawn.
    np.testing.assert_array_equal(shown_path(explorer), explorer.run.params)
    assert 1 <= len(explorer.run.params) < 31
    explorer.lr_slider.value = 0.001
    assert explorer.error is None and "diverged" not in explorer.status.value


def test_the_optimizer_menu_switches_runner():
    runners = {"SGD": optimizer_runner(torch.optim.SGD), "Adam": optimizer_runner(torch.optim.Adam),
               ANALYTIC_GD: gradient_descent}
    explorer = Explorer(grid=20, runners=runners, lr=0.1, steps=15)
    assert explorer.runner_menu.layout.display != "none"
    data = explorer.datasets["course data"]
    start = (explorer.omega_slider.value, explorer.t_slider.value)
    explorer.runner_menu.value = "SGD"
    sgd = shown_path(explorer)
    # torch's plain SGD on the course loss is gradient descent with the analytic gradient.
    np.testing.assert_allclose(sgd, gradient_descent(data.x, data.y, start, 0.1, 15).params, atol=1e-10)
    explorer.runner_menu.value = "Adam"
    expected = runners["Adam"](data.x, data.y, start, 0.1, 15)
    np.testing.assert_allclose(shown_path(explorer), expected.params, atol=1e-12)
    assert not np.allclose(shown_path(explorer), sgd)


def test_one_runner_hides_the_menu(explorer):
    assert explorer.runner_menu.layout.display == "none"


def test_the_display_bundle_has_the_widget_and_a_still(explorer):
    bundle = explorer._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == explorer.widget.model_id
    assert bundle["text/plain"] == STATIC_NOTE
    still = PIL.Image.open(io.BytesIO(base64.b64decode(bundle["image/png"])))
    assert still.format == "PNG" and still.size == explorer.figure.canvas.get_width_height()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lr": 50.0}, "lr must lie in lr_range"),
        ({"lr_range": (1.0, 0.1)}, "lr_range"),
        ({"start": (1.0, 2.0, 3.0)}, r"start must be two finite numbers.*\(3,\)"),
        ({"steps": 500}, "steps must be an integer in"),
        ({"grid": 1}, "grid must be"),
        ({"image_format": "gif"}, "image_format"),
        ({"datasets": {"bad": DataSet(np.zeros(3), np.zeros(4))}}, "same length"),
        ({"runners": {}}, "at least one entry"),
    ],
)
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Explorer(grid=kwargs.pop("grid", 10), **kwargs)


def test_without_widget_state_the_slides_show_the_still(explorer):
    """nbconvert (and so the slide decks) renders the PNG when no widget state is saved."""
    import nbformat

    from course_editions.slides import exporter

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("Explorer()", metadata={"slideshow": {"slide_type": "slide"}})
    cell.outputs = [nbformat.v4.new_output("execute_result", data=explorer._repr_mimebundle_(),
                                           execution_count=1)]
    nb.cells = [cell]
    html, _ = exporter().from_notebook_node(nb, resources={"metadata": {"name": "scratch"}})
    assert html.count('src="data:image/png;base64,') == 1
    assert STATIC_NOTE not in html and "VBox(" not in html
    assert "application/vnd.jupyter.widget-view+json" not in html
