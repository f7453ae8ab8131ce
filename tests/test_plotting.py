"""The plotting helpers draw the data they are given (checked on the artists, not pixels)."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from sinefit import TRUE_PARAMS  # noqa: E402
from sinefit.data import load_xy  # noqa: E402
from sinefit.descent import gradient_descent  # noqa: E402
from sinefit.landscape import landscape  # noqa: E402
from sinefit.plotting import (  # noqa: E402
    COURSE_STYLE,
    descent_figure,
    plot_landscape,
    plot_loss_and_grad,
    plot_trajectory,
    use_course_style,
)

X, Y = load_xy(rows=50)
LAND = landscape(X, Y, 60, 40)
RUN = gradient_descent(X, Y, (3.0, 1.0), 0.1, 50)


def test_landscape_has_contours_colorbar_and_true_marker():
    drawn = plot_landscape(LAND)
    assert drawn.contours.levels.min() <= LAND.values.min()
    assert drawn.contours.levels.max() >= LAND.values.max()
    assert drawn.colorbar.mappable is drawn.contours
    assert tuple(np.ravel(drawn.true_marker.get_data())) == TRUE_PARAMS
    assert drawn.ax.get_xlim() == (LAND.omegas[0], LAND.omegas[-1])


def test_landscape_without_answer_marks_nothing():
    assert plot_landscape(LAND, true_params=None).true_marker is None


def test_trajectory_line_holds_the_path():
    line = plot_trajectory(RUN)
    np.testing.assert_array_equal(np.column_stack(line.get_data()), RUN.params)
    with pytest.raises(ValueError, match=r"shape \(steps \+ 1, 2\)"):
        plot_trajectory(np.ones((4, 3)))


def test_loss_and_grad_on_twin_axes_with_aligned_zeros():
    drawn = plot_loss_and_grad(RUN)
    np.testing.assert_array_equal(drawn.loss_line.get_ydata(), RUN.loss)
    np.testing.assert_array_equal(drawn.grad_line.get_ydata(), RUN.grad_norm)
    assert drawn.ax_loss.get_ylim()[0] == 0 == drawn.ax_grad.get_ylim()[0]
    assert drawn.ax_loss.get_ylim()[1] >= RUN.loss.max()
    assert drawn.ax_grad.get_ylim()[1] >= RUN.grad_norm.max()
    np.testing.assert_array_equal(drawn.loss_line.get_xdata(), np.arange(51))


def test_steps_per_epoch_puts_epochs_on_the_x_axis():
    drawn = plot_loss_and_grad(RUN.loss, RUN.grad_norm, steps_per_epoch=10)
    assert drawn.loss_line.get_xdata()[-1] == pytest.approx(5.0)
    assert drawn.ax_loss.get_xlabel() == "epoch"
    with pytest.raises(ValueError, match="equal length"):
        plot_loss_and_grad(RUN.loss, RUN.grad_norm[:-1])


def test_descent_figure_has_both_panels():
    fig, land_artists, path, curves = descent_figure(LAND, RUN)
    assert land_artists.ax in fig.axes and curves.ax_loss in fig.axes
    assert len(path.get_xdata()) == 51


def test_a_figure_of_the_default_size_reads_on_a_slide():
    from sinefit.plotting import MIN_SLIDE_LABEL_PX, SLIDE_FIGSIZE_MAX, slide_label_px, smallest_font_pt

    assert smallest_font_pt() == min(COURSE_STYLE[key] for key in ("font.size", "legend.fontsize",
                                                                    "xtick.labelsize", "ytick.labelsize"))
    assert slide_label_px(COURSE_STYLE["figure.figsize"]) >= MIN_SLIDE_LABEL_PX
    assert slide_label_px(SLIDE_FIGSIZE_MAX) >= MIN_SLIDE_LABEL_PX
    # Wider than the slide: shrunk to fit, and its text with it.
    wide = (2 * SLIDE_FIGSIZE_MAX[0], SLIDE_FIGSIZE_MAX[1])
    assert slide_label_px(wide) == pytest.approx(slide_label_px(SLIDE_FIGSIZE_MAX) / 2)


def test_the_landscape_colour_bar_label_collides_with_nothing():
    from sinefit.plotting import text_collisions

    use_course_style()
    fig, land_artists, _, curves = descent_figure(LAND, RUN)
    land_artists.ax.set_title("a title as long as the panel is wide, nearly")
    assert text_collisions(fig) == []
    assert land_artists.colorbar.ax.get_title(loc="left") == "MSE"


def test_text_collisions_finds_overlapping_labels():
    import matplotlib.pyplot as plt

    from sinefit.plotting import text_collisions

    fig, ax = plt.subplots()
    ax.set_axis_off()
    ax.text(0.5, 0.5, "here")
    ax.text(0.5, 0.5, "there")
    assert text_collisions(fig) == [("here", "there")]


def test_course_style_is_applied():
    applied = use_course_style()
    assert applied == COURSE_STYLE
    assert matplotlib.rcParams["font.size"] == COURSE_STYLE["font.size"]


def test_learning_rate_panels_show_each_run_on_the_landscape():
    from sinefit.plotting import plot_learning_rate_panels

    runs = {f"lr = {lr}": gradient_descent(X, Y, (3.0, 1.0), lr, 20) for lr in (0.01, 0.1, 1.0)}
    fig, paths = plot_learning_rate_panels(LAND, runs)
    assert list(paths) == list(runs) and len(fig.axes) == len(runs) + 1  # one colorbar
    from sinefit.plotting import text_collisions

    assert text_collisions(fig) == []
    for title, run in runs.items():
        np.testing.assert_array_equal(np.column_stack(paths[title].get_data()), run.params)
        assert paths[title].axes.get_title() == title
    with pytest.raises(ValueError, match="runs is empty"):
        plot_learning_rate_panels(LAND, {})


def test_text_collisions_draws_a_figure_already_shown_and_closed():
    import matplotlib.pyplot as plt
    from matplotlib.backend_bases import FigureCanvasBase

    from sinefit.plotting import text_collisions

    fig, ax = plt.subplots()
    ax.set_title("a title")
    plt.close(fig)
    FigureCanvasBase(fig)  # what a closed figure is left with after the inline backend showed it
    assert text_collisions(fig) == []


def _shown_and_closed(fig):
    """What the inline backend does to a figure a cell shows: a PNG at the figure's dpi, then
    close, leaving the figure a bare canvas."""
    import io

    import matplotlib.pyplot as plt
    from matplotlib.backend_bases import FigureCanvasBase

    fig.savefig(io.BytesIO(), format="png", dpi=fig.dpi)
    plt.close(fig)
    FigureCanvasBase(fig)


def _count_draws(fig):
    draws = []
    fig.canvas.mpl_connect("draw_event", lambda event: draws.append(event))
    return draws


def test_text_collisions_measures_a_shown_figure_as_shown_without_drawing_it_again():
    import matplotlib.pyplot as plt

    from sinefit.plotting import text_collisions

    use_course_style()
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.text(0.5, 0.5, "here")
    ax.text(0.5, 0.5, "there")
    ax.set(xlabel="x", title="a title")
    _shown_and_closed(fig)
    draws = _count_draws(fig)
    assert text_collisions(fig) == [("here", "there")]
    assert draws == []  # measured from the display's draw
    fig.set_size_inches(6, 3)  # no longer as shown: drawn again before it is measured
    assert text_collisions(fig) == [("here", "there")]
    assert len(draws) == 1


def test_text_collisions_of_a_shown_figure_equal_those_of_a_fresh_draw():
    import matplotlib.pyplot as plt

    from sinefit.plotting import text_collisions

    use_course_style()
    fig, land_artists, _, _ = descent_figure(LAND, RUN)
    _shown_and_closed(fig)
    reused = text_collisions(fig)
    fig._sinefit_drawn_as = None  # forget the display's draw
    assert text_collisions(fig) == reused == []
    crowded, ax = plt.subplots(figsize=(2, 2))
    ax.set_xticks(np.linspace(0, 1, 30))  # thirty tick labels in 2 inches
    _shown_and_closed(crowded)
    assert text_collisions(crowded) != []


def test_figure_png_draws_once_the_pixels_savefig_draws():
    import io

    import matplotlib.pyplot as plt
    from PIL import Image

    from sinefit.plotting import figure_png

    use_course_style()
    # Two fresh copies: constrained layout starts from where the last draw left the axes, so a
    # figure drawn twice may move by a pixel.
    fig, _, _, _ = descent_figure(LAND, RUN)
    saved = io.BytesIO()
    descent_figure(LAND, RUN)[0].savefig(saved, format="png", dpi=fig.dpi)
    draws = _count_draws(fig)
    ours = figure_png(fig)
    assert len(draws) == 1
    as_saved, as_ours = (np.asarray(Image.open(io.BytesIO(png)).convert("RGBA")) for png in (saved.getvalue(), ours))
    assert as_ours.shape == as_saved.shape and as_ours.shape[:2] == (round(fig.get_figheight() * fig.dpi),
                                                                      round(fig.get_figwidth() * fig.dpi))
    np.testing.assert_array_equal(as_ours, as_saved)
    assert figure_png(plt.figure()) is None  # nothing to show


def test_a_landscape_panel_without_its_own_colorbar():
    import matplotlib.pyplot as plt

    from sinefit.plotting import plot_trajectories

    fig, (left, right) = plt.subplots(1, 2)
    drawn = plot_landscape(LAND, ax=left, colorbar=False)
    assert drawn.colorbar is None and len(fig.axes) == 2
    shared, _ = plot_trajectories(LAND, {"GD": RUN}, ax=right, colorbar=False)
    assert shared.colorbar is None and len(fig.axes) == 2
    assert plot_landscape(LAND, ax=right).colorbar is not None and len(fig.axes) == 3
