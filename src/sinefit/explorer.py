"""An interactive explorer of gradient descent: move a slider, watch the path and the curves change.

Sliders set the learning rate (log scale), the start (omega, t) and the number of steps; menus
pick the data set and, optionally, the runner (e.g. one ``torch.optim`` optimizer per entry).
Every change, also while a slider is being dragged, reruns the descent and redraws one figure that
was built once: the landscapes are computed and contoured once per data set when the explorer is
made, and an update only moves the data of the existing lines, rescales the curve axes and renders
the figure to JPEG bytes for an ``ipywidgets.Image`` (no new figure, no re-contouring, no
flicker).  The picture says what went wrong: a diverged run in its title, a path that ended
outside the plotted window with an arrow on the window's edge pointing to where it ended (and the
final parameters in the status line).

The explorer displays as the widget in JupyterLab and as a PNG of its current state where there is
no widget front end (nbconvert, the slide decks, a headless run): its MIME bundle carries both.
"""

from __future__ import annotations

import asyncio
import base64
import html
import io
import logging
import math
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import ipywidgets as widgets
import numpy as np
import PIL.Image
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.markers import MarkerStyle
from matplotlib.path import Path as MplPath
from matplotlib.ticker import MaxNLocator, ScalarFormatter
from matplotlib.transforms import Affine2D, Bbox
from numpy.typing import ArrayLike, NDArray

from sinefit import TRUE_PARAMS
from sinefit._checks import MAX_STEPS, ArgumentTypeError, as_data, as_int, as_pair, as_real, describe
from sinefit.data import load_xy
from sinefit.descent import DivergenceError, Trajectory, gradient_descent
from sinefit.landscape import OMEGA_RANGE, T_RANGE, Landscape, landscape
from sinefit.plotting import LandscapeArtists, plot_landscape, plot_loss_and_grad, plot_trajectory

#: runner(x, y, start, lr, steps) -> the trajectory (raises DivergenceError with a partial one).
Runner = Callable[[NDArray[np.float64], NDArray[np.float64], tuple[float, float], float, int], Trajectory]

_log = logging.getLogger(__name__)

#: The runner of notebook 01: plain gradient descent with the hand-derived gradient.
ANALYTIC_GD = "gradient descent (analytic gradient)"
#: What the explorer shows instead of a widget where there is no widget front end.
STATIC_NOTE = "Explorer (interactive in JupyterLab; this is its initial state)"
#: The curve axes write ticks below 1e-2 and from 1e3 on as multiples of a power of ten.
TICK_POWER_LIMITS = (-2, 3)
#: Ticks of the widest label the curve axes can show (see TICK_POWER_LIMITS): the layout makes room.
WIDEST_TICKS = (0.0, 0.125)
#: The colour of what goes wrong: a divergence, a path that leaves the window.
ALERT_COLOR = "#b00020"
EXIT_COLOR = "#ff4f00"


@dataclass(frozen=True)
class DataSet:
    """Data the explorer can descend on; ``true_params`` is None for data whose answer is secret."""

    x: NDArray[np.float64]
    y: NDArray[np.float64]
    true_params: tuple[float, float] | None = None


def course_datasets() -> dict[str, DataSet]:
    """The course data, true parameters marked.

    The hidden data of notebook 01's blind-date exercise are deliberately not offered: their
    landscape would show the answer.  Pass ``datasets`` to explore other data.
    """
    return {"course data": DataSet(*load_xy("sgd_data"), true_params=TRUE_PARAMS)}


def optimizer_runner(optimizer_class: type, **options: Any) -> Runner:
    """A runner that fits with ``optimizer_class(params, lr=lr, **options)`` via ``fit_torch``.

    ``optimizer_runner(torch.optim.Adam)`` or ``optimizer_runner(torch.optim.SGD, momentum=0.9)``.
    """
    # torch is imported only by the explorers that use it (notebook 01 does not need it).
    import torch

    from sinefit.training import fit_torch

    if not (isinstance(optimizer_class, type) and issubclass(optimizer_class, torch.optim.Optimizer)):
        raise ArgumentTypeError(f"optimizer_class must be a torch.optim optimizer class such as torch.optim.Adam, "
                                f"got optimizer_class={describe(optimizer_class)}")
    try:  # one trial optimizer: unknown or invalid options fail now, not at the first slider move
        optimizer_class([torch.zeros((), requires_grad=True)], lr=0.1, **options)
    except TypeError as exc:
        raise ArgumentTypeError(f"options {sorted(options)} do not fit {optimizer_class.__name__}: {exc}") from None
    except ValueError as exc:
        raise ValueError(f"options {options} are refused by {optimizer_class.__name__}: {exc}") from None

    def run(x: NDArray, y: NDArray, start: tuple[float, float], lr: float, steps: int) -> Trajectory:
        return fit_torch(x, y, start, steps, lambda params: optimizer_class(params, lr=lr, **options))

    run.__name__ = f"{optimizer_class.__name__}_runner"
    return run


#: An arrow pointing along +x with its tip at the origin (a marker is placed by its origin).
_ARROW = MplPath([(0.0, 0.0), (-0.8, 0.55), (-0.8, 0.2), (-2.0, 0.2), (-2.0, -0.2), (-0.8, -0.2),
                  (-0.8, -0.55), (0.0, 0.0)], closed=True)


def _arrow(degrees: float) -> MarkerStyle:
    """The arrow marker turned ``degrees`` anticlockwise from pointing right."""
    return MarkerStyle(_ARROW, transform=Affine2D().rotate_deg(degrees))


#: The curve axes' tops are the smallest of these times a power of ten that holds the curve
#: (plus 5 %): few enough that a drag meets the same axes again and again (see render()).
NICE_MANTISSAS = (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)
#: How many drawings of the curve axes (one per set of limits) an explorer keeps (about 1 MB each).
CURVE_PANELS_KEPT = 24
#: How many drawings of the landscape's title an explorer keeps (about 50 kB each).
TITLES_KEPT = 200


def _running_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop running this code (the kernel's, in a widget message handler), or None."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _from_front_end(change: Mapping[str, Any]) -> bool:
    """Whether a trait change was set by a message from the widget front end.

    ipywidgets holds the names of the traits a front-end message is setting in the widget's
    ``_property_lock`` while it sets them (so as not to echo them back).
    """
    return change["name"] in (getattr(change["owner"], "_property_lock", None) or {})


def _nice_ceiling(value: float) -> float:
    """The smallest m * 10**k >= value with m in NICE_MANTISSAS (value > 0)."""
    exponent = math.floor(math.log10(value))
    scale = 10.0**exponent
    for mantissa in NICE_MANTISSAS:
        if mantissa * scale >= value:
            return mantissa * scale
    return 10.0 * scale  # unreachable but for rounding: value / scale < 10


@contextmanager
def _hidden(artists: list[Any]) -> Iterator[None]:
    """Hide ``artists`` for the block; then give each its visibility back."""
    visible = [artist.get_visible() for artist in artists]
    for artist in artists:
        artist.set_visible(False)
    try:
        yield
    finally:
        for artist, was_visible in zip(artists, visible):
            artist.set_visible(was_visible)


class _UnlabelledZero(ScalarFormatter):
    """Tick labels as usual, but none at zero."""

    def __call__(self, x: float, pos: int | None = None) -> str:
        return "" if x == 0 else super().__call__(x, pos)


def _slider_style() -> dict[str, str]:
    return {"description_width": "8em"}


#: Sliders update while they are dragged.  The picture cannot fall behind the hand: the widget
#: front end keeps at most one update of a control in flight to the kernel and merges every value
#: the slider passes meanwhile into one pending update (ipywidgets' message throttle), which it
#: sends when the kernel reports the previous one done; the kernel draws one picture at a time,
#: for the newest values (Explorer._control_changed).  So no backlog of stale frames builds up,
#: and the value where the drag stops is always drawn.
SLIDER_OPTIONS: dict[str, Any] = {"continuous_update": True, "style": _slider_style()}


class Explorer:
    """Sliders and menus over one descent figure; see the module docstring.

    ``datasets`` maps menu names to :class:`DataSet` (default :func:`course_datasets`);
    ``runners`` maps menu names to runners (default: plain gradient descent); with more than one
    runner a menu picks it.  ``grid`` is the landscape resolution per axis used for the contours.
    """

    def __init__(
        self,
        datasets: Mapping[str, DataSet] | None = None,
        runners: Mapping[str, Runner] | None = None,
        lr: float = 0.1,
        start: ArrayLike = (3.0, 1.0),
        steps: int = 50,
        lr_range: tuple[float, float] = (1e-3, 10.0),
        max_steps: int = 200,
        grid: int = 200,
        image_format: str = "jpeg",
    ) -> None:
        self.datasets = dict(course_datasets() if datasets is None else datasets)
        self.runners = dict({ANALYTIC_GD: gradient_descent} if runners is None else runners)
        if not self.datasets or not self.runners:
            raise ValueError(f"datasets and runners must each name at least one entry, got "
                             f"{len(self.datasets)} data sets and {len(self.runners)} runners")
        self._check_arguments(lr, start, steps, lr_range, max_steps, grid)
        if image_format not in ("jpeg", "png"):
            raise ValueError(f"image_format must be 'jpeg' or 'png', got image_format={image_format!r}")
        self.image_format = image_format
        for name, data in self.datasets.items():
            if not isinstance(data, DataSet):
                raise ArgumentTypeError(f"datasets[{name!r}] must be a DataSet(x, y, true_params), got {describe(data)}")
            as_data(data.x, data.y)  # a clear error now rather than a broken plot later
        for name, runner in self.runners.items():
            if not callable(runner):
                raise ArgumentTypeError(f"runners[{name!r}] must be a runner function (x, y, start, lr, steps) -> "
                                        f"Trajectory, e.g. optimizer_runner(torch.optim.Adam), got {describe(runner)}")
        omega0, t0 = (float(v) for v in np.asarray(start, dtype=float))

        self.lr_slider = widgets.FloatLogSlider(
            value=lr, base=10, min=np.log10(lr_range[0]), max=np.log10(lr_range[1]), step=0.05,
            description="learning rate", readout_format=".3g", **SLIDER_OPTIONS,
        )
        self.steps_slider = widgets.IntSlider(
            value=steps, min=0, max=max_steps, step=1, description="steps", **SLIDER_OPTIONS
        )
        self.omega_slider = widgets.FloatSlider(
            value=omega0, min=OMEGA_RANGE[0], max=OMEGA_RANGE[1], step=0.01,
            description="start ω", readout_format=".2f", **SLIDER_OPTIONS,
        )
        self.t_slider = widgets.FloatSlider(
            value=t0, min=T_RANGE[0], max=T_RANGE[1], step=0.01,
            description="start t", readout_format=".2f", **SLIDER_OPTIONS,
        )
        self.dataset_menu = widgets.Dropdown(
            options=list(self.datasets), description="data", style=_slider_style()
        )
        self.runner_menu = widgets.Dropdown(
            options=list(self.runners), description="optimizer", style=_slider_style(),
            layout=widgets.Layout(display="flex" if len(self.runners) > 1 else "none"),
        )
        # Room for two lines, so that the picture does not jump when the status line wraps.
        self.status = widgets.HTML(layout=widgets.Layout(min_height="56px"))
        self.image = widgets.Image(format=image_format, layout=widgets.Layout(max_width="100%", height="auto"))

        self.landscapes: dict[str, Landscape] = {
            name: landscape(data.x, data.y, n_omega=grid, n_t=grid) for name, data in self.datasets.items()
        }
        self._build_figure()
        self.run: Trajectory | None = None
        self.error: str | None = None
        self.controls = [self.lr_slider, self.steps_slider, self.omega_slider, self.t_slider,
                         self.dataset_menu, self.runner_menu]
        for control in self.controls:
            control.observe(self._control_changed, names="value")
        self._stale = False  # a control changed since the last picture (see _control_changed)
        self._draw_scheduled = False
        self.widget = widgets.VBox([
            widgets.HBox([self.lr_slider, self.steps_slider]),
            widgets.HBox([self.omega_slider, self.t_slider]),
            widgets.HBox([self.dataset_menu, self.runner_menu]),
            self.status,
            self.image,
        ])
        # The layout is solved once, with the widest tick labels the curve axes can show (so that
        # no later run's ticks need more room than it leaves); freezing it keeps every redraw
        # from solving it again (and the axes from jumping when tick labels change width).
        # Solving it needs no pixels: the first render() below draws them.
        self.ax_loss.set_xlim(0, max(max_steps, 1))
        for axes in (self.ax_loss, self.ax_grad):
            axes.set_ylim(*WIDEST_TICKS)
        self.figure.draw_without_rendering()
        self.figure.set_layout_engine("none")
        self._pin_axis_labels()
        self._backgrounds: dict[str, Any] = {}
        self._curve_panels: dict[tuple, Any] = {}
        self._curve_region: Bbox | None = None
        self._titles: dict[tuple, Any] = {}
        self.update()

    @staticmethod
    def _check_arguments(lr, start, steps, lr_range, max_steps, grid) -> None:
        low, high = as_pair(lr_range, "lr_range", what="(low, high) with 0 < low < high")
        lr = as_real(lr, "lr", example="0.1")
        for name, value in (("steps", steps), ("max_steps", max_steps), ("grid", grid)):
            as_int(value, name)  # NumPy integers are integers; floats, strings and bools are not
        if max_steps > MAX_STEPS:
            raise ValueError(f"max_steps must be at most {MAX_STEPS:,} (sinefit._checks.MAX_STEPS: the explorer "
                             f"reruns the descent on every slider move), got max_steps={max_steps!r}")
        if not 0 < low < high:
            raise ValueError(f"lr_range must be (low, high) with 0 < low < high, got {lr_range!r}")
        if not low <= lr <= high:
            raise ValueError(f"lr must lie in lr_range={lr_range!r}, got lr={lr!r}")
        start_arr = np.asarray(start, dtype=float)
        if start_arr.shape != (2,) or not np.all(np.isfinite(start_arr)):
            raise ValueError(f"start must be two finite numbers (omega, t), got shape {start_arr.shape}")
        if not max_steps >= 1:
            raise ValueError(f"max_steps must be a positive integer, got max_steps={max_steps!r}")
        if not 0 <= steps <= max_steps:
            raise ValueError(f"steps must be an integer in [0, max_steps={max_steps}], got steps={steps!r}")
        if not grid >= 2:
            raise ValueError(f"grid must be an integer >= 2, got grid={grid!r}")

    # -- the figure, built once ------------------------------------------------------------------

    def _build_figure(self) -> None:
        self.figure = Figure(figsize=(15, 6), layout="constrained")
        # Not a pyplot figure: the inline backend does not show it a second time after the cell.
        FigureCanvasAgg(self.figure)
        self.ax_land, ax_curve = self.figure.subplots(1, 2, width_ratios=[1.15, 1])
        top = max(float(land.values.max()) for land in self.landscapes.values())
        # Shared levels let the one colorbar read right for every data set.
        levels = np.linspace(0.0, top, 41)
        self.landscape_artists: dict[str, LandscapeArtists] = {}
        for name, land in self.landscapes.items():
            artists = plot_landscape(land, ax=self.ax_land, true_params=self.datasets[name].true_params,
                                     levels=levels)
            if self.landscape_artists:
                artists.colorbar.remove()
            else:
                artists.colorbar.locator = MaxNLocator(nbins=6)
            self.landscape_artists[name] = artists
        self._shown_dataset: str | None = None
        # A stand-in title, so that the layout solved on the first draw leaves room for the real one;
        # a fixed y, because the automatic placement is thrown off by the hidden title in render().
        self.ax_land.set_title("lr", y=1.0)
        placeholder = np.zeros((1, 2))
        self.path_line = plot_trajectory(placeholder, ax=self.ax_land)
        # plot_trajectory draws the path, then the ring around its start.
        self.start_ring: Line2D = self.ax_land.lines[-1]
        curves = plot_loss_and_grad([0.0], [0.0], ax=ax_curve)
        self.ax_loss: Axes = curves.ax_loss
        self.ax_grad: Axes = curves.ax_grad
        self.loss_line = curves.loss_line
        self.grad_line = curves.grad_line
        # Both curves are drawn last, over both axes' ticks and frames (the |grad| axes are drawn
        # after the MSE axes): so an update can paste the axes as a bitmap and draw the curves on
        # it, and get the pixels of a full draw.  The MSE curve keeps its own scale.
        for line in (self.loss_line, self.grad_line):
            line.remove()
            self.ax_grad.add_line(line)
            line.set_zorder(3)
        self.curve_lines = [self.loss_line, self.grad_line]
        # Tick labels are most of the cost of a redraw (the curve axes rescale every update), so
        # the curve panel keeps to a few round ticks.  Their labels are at most five characters
        # wide ("0.125"): below 0.01 and from 1000 up they are scaled, with the power of ten
        # written at the top of the axis.  The layout reserves room for the widest (see
        # _pin_axis_labels), so the axis labels never run into them, whatever the run.
        self.ax_loss.xaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
        # The |grad| axis leaves its zero unlabelled: it is the MSE axis' zero (the two are lined
        # up), and its label would collide with the step axis' last one in the corner.
        for axis, formatter in ((self.ax_loss.yaxis, ScalarFormatter()),
                                (self.ax_grad.yaxis, _UnlabelledZero())):
            axis.set_major_locator(MaxNLocator(nbins=5))
            formatter.set_powerlimits(TICK_POWER_LIMITS)
            axis.set_major_formatter(formatter)
        # Where a run ended outside the plotted window: an arrow inside the window whose tip
        # touches the edge, pointing to where the run ended.  Hidden while it ends inside.
        (self.exit_marker,) = self.ax_land.plot(
            [0.0], [0.0], linestyle="none", marker=_arrow(0.0), markersize=50, color=EXIT_COLOR,
            markeredgecolor="white", markeredgewidth=1.5, clip_on=False, zorder=5, visible=False,
        )

    def _pin_axis_labels(self) -> None:
        """Keep the curve axes' labels where the first draw put them, beside the widest ticks.

        By default every draw measures all tick labels to place the axis labels beside them,
        which is a third of the cost of redrawing the curve panel.
        """
        for axes, axis in ((self.ax_loss, self.ax_loss.xaxis), (self.ax_loss, self.ax_loss.yaxis),
                           (self.ax_grad, self.ax_grad.yaxis)):
            where = axis.label.get_transform().transform(axis.label.get_position())
            axis.set_label_coords(*axes.transAxes.inverted().transform(where))

    def _show_dataset(self, name: str) -> None:
        if name == self._shown_dataset:
            return
        for other, artists in self.landscape_artists.items():
            artists.contours.set_visible(other == name)
            if artists.true_marker is not None:
                artists.true_marker.set_visible(other == name)
        self._shown_dataset = name

    # -- updates ---------------------------------------------------------------------------------

    def _control_changed(self, change: Mapping[str, Any]) -> None:
        """Redraw for a control's new value: at once, or soon if the value came from the browser.

        A value set in Python (a test, a notebook cell) is drawn before the assignment returns.
        A value from the widget front end is drawn right after the kernel has finished the message
        that brought it: the kernel then reports itself idle at once, so the front end sends the
        next value (the newest one of the dragged slider: it holds back and merges the values in
        between) while this one is drawn, instead of after.  Every value that arrives before the
        draw starts joins it (the draw reads the controls as they are then), so the kernel draws
        at most one picture at a time and always the newest values, and the last value of a drag
        is always drawn.
        """
        loop = _running_loop()
        if loop is None or not _from_front_end(change):
            self.update()
            return
        self._stale = True
        if not self._draw_scheduled:
            self._draw_scheduled = True
            loop.call_soon(self._draw_if_stale)

    def _draw_if_stale(self) -> None:
        self._draw_scheduled = False
        if not self._stale:
            return
        self._stale = False
        try:
            self.update()
        except Exception as exc:  # nobody would see it in the kernel's log: say it under the sliders
            _log.exception("the explorer's update failed")
            self.status.value = (f"<b style='color:{ALERT_COLOR}'>update failed: "
                                 f"{html.escape(f'{type(exc).__name__}: {exc}')}</b>")

    def update(self, change: Mapping[str, Any] | None = None) -> None:
        """Rerun the descent with the controls' values and redraw (the controls call this)."""
        self._stale = False
        name = self.dataset_menu.value
        data = self.datasets[name]
        runner = self.runners[self.runner_menu.value]
        lr, steps = float(self.lr_slider.value), int(self.steps_slider.value)
        start = (float(self.omega_slider.value), float(self.t_slider.value))
        try:
            self.run, self.error = runner(data.x, data.y, start, lr, steps), None
        except DivergenceError as exc:
            # A diverging learning rate is part of the lesson: show it, do not raise.
            self.run, self.error = exc.trajectory, str(exc)
        self._show_dataset(name)
        self._draw_run(self.run, start)
        status = self._describe(lr, steps)
        self.render()
        self.image.value = self.encode(self.image_format)
        # After the picture: the status line never reports a run the picture does not show yet.
        self.status.value = status

    @property
    def changing_artists(self) -> list[Any]:
        """What every update draws, in the order a full draw draws it: the path, its start, the
        landscape's frame (the path can cross it), the arrow to where the path ended outside the
        window, the title and the two curves."""
        return [self.path_line, self.start_ring, *self.ax_land.spines.values(), self.exit_marker,
                self.ax_land.title, *self.curve_lines]

    def render(self) -> None:
        """Bring the Agg canvas up to date with the artists.

        Drawing text is the slowest part of a redraw, so text is drawn once and kept as bitmaps.
        The landscape panel (contours, colorbar, axes) is drawn once per data set.  The curve
        panel's axes (ticks, tick labels, labels) change only with its limits, which snap to a few
        round values (see _nice_ceiling): each set of limits is drawn once and kept (the last
        CURVE_PANELS_KEPT of them).  A render pastes the two and draws only
        :attr:`changing_artists` on them (the title pasted too if its words were drawn before),
        which gives the same pixels as a full ``canvas.draw()`` in a fraction of the time.
        """
        canvas = self.figure.canvas
        name = self._shown_dataset
        if name not in self._backgrounds:
            with _hidden([*self.changing_artists, self.ax_loss, self.ax_grad]):
                canvas.draw()
            self._backgrounds[name] = canvas.copy_from_bbox(self.figure.bbox)
        canvas.restore_region(self._backgrounds[name])
        key = (name, self.ax_loss.get_xlim(), self.ax_loss.get_ylim(), self.ax_grad.get_ylim())
        panel = self._curve_panels.pop(key, None)
        if panel is None:
            panel = self._draw_curve_axes()
        else:
            canvas.restore_region(panel)
        self._curve_panels[key] = panel  # (re)inserted last: the most recently used
        while len(self._curve_panels) > CURVE_PANELS_KEPT:
            del self._curve_panels[next(iter(self._curve_panels))]
        title = self.ax_land.title
        for artist in self.changing_artists:
            if artist is title:
                self._draw_title()
            else:
                self.figure.draw_artist(artist)

    def _draw_title(self) -> None:
        """Draw the landscape's title, or paste it if it was drawn before (the same words come
        back again and again as a slider moves to and fro)."""
        title = self.ax_land.title
        key = (self._shown_dataset, title.get_text(), title.get_color())
        canvas = self.figure.canvas
        region = self._titles.pop(key, None)
        if region is None:
            self.figure.draw_artist(title)
            box = title.get_window_extent(canvas.get_renderer()).padded(1)
            region = canvas.copy_from_bbox(Bbox.from_extents(np.floor(box.x0), np.floor(box.y0),
                                                             np.ceil(box.x1), np.ceil(box.y1)))
        else:
            canvas.restore_region(region)
        self._titles[key] = region
        while len(self._titles) > TITLES_KEPT:
            del self._titles[next(iter(self._titles))]

    def _draw_curve_axes(self) -> Any:
        """Draw the curve axes without their curves; return the canvas region that holds them."""
        with _hidden(self.curve_lines):
            for axes in (self.ax_loss, self.ax_grad):
                self.figure.draw_artist(axes)
            if self._curve_region is None:
                # From the panel's left edge (its MSE label, pinned beside the widest tick labels
                # the layout allows, so no later drawing reaches further) to the figure's right
                # edge, top to bottom.  Measured once: measuring takes as long as drawing.
                renderer = self.figure.canvas.get_renderer()
                left = min(axes.get_tightbbox(renderer).x0 for axes in (self.ax_loss, self.ax_grad))
                box = self.figure.bbox
                self._curve_region = Bbox.from_extents(max(np.floor(left) - 4, box.x0), box.y0,
                                                       box.x1, box.y1)
        return self.figure.canvas.copy_from_bbox(self._curve_region)

    def _draw_run(self, run: Trajectory, start: tuple[float, float]) -> None:
        path = run.params if len(run.params) else np.array([start])
        self.path_line.set_data(path[:, 0], path[:, 1])
        self.start_ring.set_data([path[0, 0]], [path[0, 1]])
        self._mark_exit(path)
        step = np.arange(len(run.loss), dtype=float)
        # The last steps before a divergence can be finite but too big to square.
        with np.errstate(over="ignore", invalid="ignore"):
            grad_norm = run.grad_norm
        self.loss_line.set_data(step, run.loss)
        self.grad_line.set_data(step, grad_norm)
        self.ax_loss.set_xlim(0, max(len(run.loss) - 1, 1))
        for axis, values in ((self.ax_loss, run.loss), (self.ax_grad, grad_norm)):
            finite = values[np.isfinite(values)]
            top = float(finite.max()) if finite.size else 0.0
            axis.set_ylim(0.0, _nice_ceiling(1.05 * top) if 0 < top < np.finfo(float).max / 2 else 1.0)

    def _mark_exit(self, path: NDArray[np.float64]) -> None:
        """Point an arrow from the window's edge to where the path ended, if that is outside.

        Sets :attr:`end` (the last finite parameters), :attr:`ended_outside` and
        :attr:`steps_outside` (how many of the path's points lie outside the window).
        """
        (x0, x1), (y0, y1) = self.ax_land.get_xlim(), self.ax_land.get_ylim()
        finite = path[np.all(np.isfinite(path), axis=1)]
        self.end = (float(finite[-1, 0]), float(finite[-1, 1])) if len(finite) else None
        outside = ~((finite[:, 0] >= x0) & (finite[:, 0] <= x1) & (finite[:, 1] >= y0) & (finite[:, 1] <= y1))
        self.steps_outside = int(outside.sum())
        self.ended_outside = bool(len(finite) and outside[-1])
        self.exit_marker.set_visible(self.ended_outside)
        if not self.ended_outside:
            return
        end = np.array(self.end)
        edge = np.array([np.clip(end[0], x0, x1), np.clip(end[1], y0, y1)])
        # The arrow's direction on screen: the axes' data units are not square.
        box = self.ax_land.bbox
        dx = (end[0] - edge[0]) / (x1 - x0) * box.width
        dy = (end[1] - edge[1]) / (y1 - y0) * box.height
        self.exit_marker.set_marker(_arrow(np.degrees(np.arctan2(dy, dx))))
        self.exit_marker.set_data([edge[0]], [edge[1]])

    def _describe(self, lr: float, steps: int) -> str:
        """Title the landscape for this run and return the status line (HTML) that goes with it.

        The title is kept short (text is the slowest thing to draw) but says when the run
        diverged or ended outside the window; the numbers go to the status line under the sliders.
        """
        end = "" if self.end is None else f"(ω, t) = ({self.end[0]:.4g}, {self.end[1]:.4g})"
        if self.error is not None:
            self.ax_land.set_title(f"diverged at lr = {lr:.3g}", color=ALERT_COLOR, y=1.0)
            last = f"; last finite {end}" if end else ""
            return (f"<b style='color:{ALERT_COLOR}'>lr = {lr:.3g}, {steps} steps: diverged: "
                    f"{html.escape(self.error + last)}</b>")
        run = self.run
        status = html.escape(f"lr = {lr:.3g}, {steps} steps: final MSE {run.loss[-1]:.4g}, "
                             f"|grad| {run.grad_norm[-1]:.3g}, final {end}")
        if self.ended_outside:
            self.ax_land.set_title(f"lr = {lr:.3g}, {steps} steps: ended outside the window",
                                   color=ALERT_COLOR, y=1.0)
            return status + f" <b style='color:{ALERT_COLOR}'>outside the plotted window</b>"
        self.ax_land.set_title(f"lr = {lr:.3g}, {steps} steps", color="black", y=1.0)
        if self.steps_outside:
            status += html.escape(f" (the path left the window for {self.steps_outside} of "
                                  f"{len(run.params)} points)")
        return status

    def encode(self, image_format: str = "png") -> bytes:
        """The canvas as last rendered, as PNG or JPEG bytes.

        The live image is JPEG by default: encoding the 1200 x 480 canvas takes about 1.5 ms as
        JPEG (quality 90, no visible artefacts at this size) and 13-15 ms as PNG even at the
        fastest compression, a third of the time budget of an update.  The JPEG encoder reads the
        canvas in place (as RGBX: the figure is opaque) rather than from an RGB copy, which gives
        the same bytes in two thirds of the time.
        """
        canvas = self.figure.canvas
        size = canvas.get_width_height(physical=True)
        buffer = io.BytesIO()
        if image_format == "jpeg":
            picture = PIL.Image.frombuffer("RGBX", size, canvas.buffer_rgba(), "raw", "RGBX", 0, 1)
            picture.save(buffer, format="jpeg", quality=90)
        else:
            picture = PIL.Image.frombuffer("RGBA", size, canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
            picture.convert("RGB").save(buffer, format=image_format, compress_level=1)
        return buffer.getvalue()

    # -- display ---------------------------------------------------------------------------------

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        """The widget for JupyterLab, plus a PNG for places without widgets (nbconvert, slides)."""
        bundle = dict(self.widget._repr_mimebundle_() or {})
        bundle["text/plain"] = STATIC_NOTE
        bundle["image/png"] = base64.b64encode(self.encode("png")).decode("ascii")
        return bundle
