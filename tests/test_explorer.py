"""The explorer, driven as a student drives it: set a control, check what the figure shows.

Correctness lives here (the artists show exactly what the runner computed, the fast redraw gives
the pixels of a full redraw); speed is measured by ``benchmarks/interactive.py``.
"""

from __future__ import annotations

import asyncio
import base64
import io

import matplotlib as mpl
import numpy as np
import PIL.Image
import pytest
import torch

from sinefit import TRUE_PARAMS
from sinefit.data import load_xy
from sinefit.descent import descend, gradient_descent
from sinefit.explorer import (ANALYTIC_GD, STATIC_NOTE, DataSet, Explorer, _nice_ceiling, course_datasets,
                              optimizer_runner)
from sinefit.plotting import COURSE_STYLE


def two_datasets() -> dict[str, DataSet]:
    """Two data sets, one with its answer secret, to test the menu (the default offers one)."""
    return {"course data": DataSet(*load_xy("sgd_data"), true_params=TRUE_PARAMS),
            "hidden data": DataSet(*load_xy("sgd_data_hidden"), true_params=None)}


@pytest.fixture(scope="module")
def explorer() -> Explorer:
    # A coarse grid keeps the tests quick; the explorer's logic does not depend on it.
    return Explorer(grid=60, datasets=two_datasets())


def test_the_default_explorer_does_not_offer_the_hidden_data():
    # Its landscape would give away notebook 01's blind-date exercise.
    assert list(course_datasets()) == ["course data"]


def set_controls(explorer: Explorer, lr: float, steps: int, start: tuple[float, float]) -> None:
    explorer.lr_slider.value = lr
    explorer.steps_slider.value = steps
    explorer.omega_slider.value = start[0]
    explorer.t_slider.value = start[1]


def shown_path(explorer: Explorer) -> np.ndarray:
    return np.column_stack(explorer.path_line.get_data())


def assert_round_top_above(limits: tuple[float, float], highest: float) -> None:
    """The axis runs from 0 to a round number (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a power
    of ten) at least 5 % above the curve's highest point, and at most a quarter above that."""
    bottom, top = limits
    assert bottom == 0 and 1.05 * highest <= top <= 1.25 * 1.05 * highest, (limits, highest)
    mantissa = top / 10 ** np.floor(np.log10(top))
    assert any(np.isclose(mantissa, m) for m in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8)), top


@pytest.mark.parametrize(("value", "top"), [(0.17, 0.2), (0.2, 0.2), (0.201, 0.25), (1.0, 1.0),
                                            (9.5, 10.0), (0.00123, 0.0015), (7.2e5, 8e5)])
def test_curve_axes_end_at_round_numbers(value, top):
    assert _nice_ceiling(value) == pytest.approx(top)


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
    assert_round_top_above(explorer.ax_loss.get_ylim(), expected.loss.max())
    assert_round_top_above(explorer.ax_grad.get_ylim(), expected.grad_norm.max())
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


@pytest.mark.parametrize("lr", [0.2, 10.0], ids=["inside", "ends outside the window"])
def test_the_fast_redraw_gives_the_pixels_of_a_full_redraw(explorer, lr):
    explorer.dataset_menu.value = "course data"
    set_controls(explorer, lr, 25, (2.6, 0.7))
    assert explorer.exit_marker.get_visible() == (lr == 10.0)
    canvas = explorer.figure.canvas
    explorer._curve_panels.clear()
    explorer.render()  # draws the curve axes and keeps them
    drawn = np.asarray(canvas.buffer_rgba()).copy()
    explorer.render()  # pastes the kept curve axes
    pasted = np.asarray(canvas.buffer_rgba()).copy()
    canvas.draw()
    full = np.asarray(canvas.buffer_rgba())
    np.testing.assert_array_equal(drawn, full)
    np.testing.assert_array_equal(pasted, full)
    # ... and the live image is that canvas.
    picture = PIL.Image.open(io.BytesIO(explorer.image.value))
    assert picture.format == "JPEG" and picture.size == explorer.figure.canvas.get_width_height()


def test_every_slider_updates_while_it_is_dragged(explorer):
    # The widget front end keeps one update per control in flight and merges the rest, so the
    # kernel never draws a backlog; the browser test in test_lab.py checks it end to end.
    sliders = [explorer.lr_slider, explorer.steps_slider, explorer.omega_slider, explorer.t_slider]
    assert all(slider.continuous_update for slider in sliders)


def test_values_from_the_browser_are_drawn_once_the_message_is_done_newest_first(explorer):
    """In a kernel, values sent by the front end while a picture is drawn wait in line; they are
    drawn together, as one picture of the newest values, after the message that brought them."""
    pictures = []
    explorer.image.observe(lambda change: pictures.append(change["new"]), names="value")

    async def drag() -> None:
        pictures.clear()
        for lr in (0.2, 0.3, 0.4):
            explorer.lr_slider.set_state({"value": lr})  # what a message from the front end does
        assert pictures == [], "drawn before the message handler returned"
        await asyncio.sleep(0)  # the kernel's event loop runs the scheduled draw
        assert len(pictures) == 1
        await asyncio.sleep(0.01)
        assert len(pictures) == 1

    try:
        explorer.lr_slider.value = 0.1
        asyncio.run(drag())
        assert "lr = 0.4," in explorer.status.value
        drawn = pictures[-1]
        explorer.update()
        assert explorer.image.value == drawn  # the picture of the final value
    finally:
        explorer.image.unobserve_all("value")


def test_a_failed_update_from_the_browser_is_said_under_the_sliders():
    def fails(x, y, start, lr, steps):
        if lr > 0.5:
            raise ValueError("no such luck")
        return gradient_descent(x, y, start, lr, steps)

    explorer = Explorer(grid=20, runners={"fails": fails}, lr=0.1, steps=5)

    async def drag() -> None:
        explorer.lr_slider.set_state({"value": 1.0})
        await asyncio.sleep(0)

    asyncio.run(drag())
    assert "update failed: ValueError: no such luck" in explorer.status.value


def test_the_status_line_follows_the_picture(explorer):
    order = []
    explorer.image.observe(lambda change: order.append("picture"), names="value")
    explorer.status.observe(lambda change: order.append("status"), names="value")
    try:
        explorer.lr_slider.value = 0.05 if explorer.lr_slider.value != 0.05 else 0.06
        assert order == ["picture", "status"]
    finally:
        explorer.image.unobserve_all("value")  # only our observers: the widget's sync is not one
        explorer.status.unobserve_all("value")


def end_of_run(explorer: Explorer) -> np.ndarray:
    return explorer.run.params[-1]


def test_a_path_that_leaves_the_window_is_marked_on_its_edge(explorer):
    explorer.dataset_menu.value = "course data"
    set_controls(explorer, 10.0, 50, (3.0, 1.0))
    (x0, x1), (y0, y1) = explorer.ax_land.get_xlim(), explorer.ax_land.get_ylim()
    end = end_of_run(explorer)
    assert not (x0 <= end[0] <= x1 and y0 <= end[1] <= y1), "this run should end outside the window"
    # The arrow sits on the edge, at the point of the window nearest to the end, and points at it.
    assert explorer.exit_marker.get_visible() and explorer.ended_outside
    tip = np.ravel(explorer.exit_marker.get_data())
    np.testing.assert_allclose(tip, [np.clip(end[0], x0, x1), np.clip(end[1], y0, y1)])
    assert tip[0] in (x0, x1) or tip[1] in (y0, y1)
    turn = explorer.exit_marker._marker.get_transform()  # the MarkerStyle's (no public getter)
    pointing = turn.transform([(1.0, 0.0)])[0] - turn.transform([(0.0, 0.0)])[0]  # the arrow points along +x
    to_end = explorer.ax_land.transData.transform(end) - explorer.ax_land.transData.transform(tip)
    assert np.dot(pointing, to_end) / np.linalg.norm(pointing) / np.linalg.norm(to_end) > 0.999
    # The picture says so, and the status line gives the parameters the run ended at.
    assert "outside the window" in explorer.ax_land.get_title()
    assert f"({end[0]:.4g}, {end[1]:.4g})" in explorer.status.value
    assert "outside the plotted window" in explorer.status.value
    # A run that ends inside is not marked.
    explorer.lr_slider.value = 0.1
    assert not explorer.exit_marker.get_visible() and not explorer.ended_outside
    assert "outside" not in explorer.ax_land.get_title() + explorer.status.value
    assert f"({end_of_run(explorer)[0]:.4g}, {end_of_run(explorer)[1]:.4g})" in explorer.status.value


def overlaps(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def drawn_tick_labels(axis) -> list:
    low, high = sorted(axis.get_view_interval())
    return [label for loc, label in zip(axis.get_majorticklocs(), axis.get_ticklabels())
            if low - 1e-12 * abs(high) <= loc <= high + 1e-12 * abs(high) and label.get_text()]


# Runs whose curve axes need very different tick labels: 0 and 1 step, the start at the minimum
# (tiny losses and gradients), learning rates from the smallest to one that leaves the window.
LABEL_CASES = [("hidden data", 0.001, 50, (3.0, 1.0)), ("course data", 10.0, 50, (3.0, 1.0)),
               ("hidden data", 0.3, 200, (0.5, -2.0)), ("course data", 0.01, 1, (2.19, 1.0)),
               ("course data", 0.01, 200, (2.188, 1.0)), ("hidden data", 1.0, 0, (5.0, 3.0)),
               ("course data", 0.05, 120, (6.0, -3.0))]


def test_axis_labels_never_overlap_tick_labels_and_stay_in_the_picture():
    # In the course's style, as the notebooks show it (big fonts), after every data-set switch.
    with mpl.rc_context(COURSE_STYLE):
        explorer = Explorer(grid=30, datasets=two_datasets())
        for dataset, lr, steps, start in LABEL_CASES:
            explorer.dataset_menu.value = dataset
            set_controls(explorer, lr, steps, start)
            assert_no_text_overlaps(explorer, f"{dataset}, lr={lr}, {steps} steps from {start}")


def assert_no_text_overlaps(explorer: Explorer, case: str) -> None:
    figure = explorer.figure
    renderer = figure.canvas.get_renderer()
    inside = figure.bbox.padded(0.5)
    colorbar = explorer.landscape_artists["course data"].colorbar
    axes = [explorer.ax_loss.xaxis, explorer.ax_loss.yaxis, explorer.ax_grad.yaxis, colorbar.ax.yaxis]
    texts = [explorer.ax_land.title]
    for axis in axes:
        texts += [axis.label, axis.get_offset_text(), *drawn_tick_labels(axis)]
    boxes = [(text.get_text(), text.get_window_extent(renderer)) for text in texts
             if text.get_visible() and text.get_text()]
    for name, box in boxes:
        assert inside.containsx(box.x0) and inside.containsx(box.x1), f"{case}: {name!r} leaves the picture"
        assert inside.containsy(box.y0) and inside.containsy(box.y1), f"{case}: {name!r} leaves the picture"
    for i, (name, box) in enumerate(boxes):
        for other, other_box in boxes[i + 1:]:
            assert not overlaps(box, other_box), f"{case}: {name!r} overlaps {other!r}"


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
