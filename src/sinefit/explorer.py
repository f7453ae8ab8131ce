"""An interactive explorer of gradient descent: move a slider, watch the path and the curves change.

Sliders set the learning rate (log scale), the start (omega, t) and the number of steps; menus
pick the data set and, optionally, the runner (e.g. one ``torch.optim`` optimizer per entry).
Every change reruns the descent and redraws one figure that was built once: the landscapes are
computed and contoured once per data set when the explorer is made, and an update only moves the
data of the existing lines, rescales the curve axes and renders the figure to PNG bytes for an
``ipywidgets.Image`` (no new figure, no re-contouring, no flicker).

The explorer displays as the widget in JupyterLab and as a PNG of its current state where there is
no widget front end (nbconvert, the slide decks, a headless run): its MIME bundle carries both.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import ipywidgets as widgets
import numpy as np
import PIL.Image
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator
from numpy.typing import ArrayLike, NDArray

from sinefit import TRUE_PARAMS
from sinefit._checks import as_data
from sinefit.data import load_xy
from sinefit.descent import DivergenceError, Trajectory, gradient_descent
from sinefit.landscape import OMEGA_RANGE, T_RANGE, Landscape, landscape
from sinefit.plotting import LandscapeArtists, plot_landscape, plot_loss_and_grad, plot_trajectory

#: runner(x, y, start, lr, steps) -> the trajectory (raises DivergenceError with a partial one).
Runner = Callable[[NDArray[np.float64], NDArray[np.float64], tuple[float, float], float, int], Trajectory]

#: The runner of notebook 01: plain gradient descent with the hand-derived gradient.
ANALYTIC_GD = "gradient descent (analytic gradient)"
#: What the explorer shows instead of a widget where there is no widget front end.
STATIC_NOTE = "Explorer (interactive in JupyterLab; this is its initial state)"


@dataclass(frozen=True)
class DataSet:
    """Data the explorer can descend on; ``true_params`` is None for data whose answer is secret."""

    x: NDArray[np.float64]
    y: NDArray[np.float64]
    true_params: tuple[float, float] | None = None


def course_datasets() -> dict[str, DataSet]:
    """The course data (true parameters marked) and the hidden data (nothing marked)."""
    return {
        "course data": DataSet(*load_xy("sgd_data"), true_params=TRUE_PARAMS),
        "hidden data": DataSet(*load_xy("sgd_data_hidden"), true_params=None),
    }


def optimizer_runner(optimizer_class: type, **options: Any) -> Runner:
    """A runner that fits with ``optimizer_class(params, lr=lr, **options)`` via ``fit_torch``.

    ``optimizer_runner(torch.optim.Adam)`` or ``optimizer_runner(torch.optim.SGD, momentum=0.9)``.
    """
    # torch is imported only by the explorers that use it (notebook 01 does not need it).
    from sinefit.training import fit_torch

    def run(x: NDArray, y: NDArray, start: tuple[float, float], lr: float, steps: int) -> Trajectory:
        return fit_torch(x, y, start, steps, lambda params: optimizer_class(params, lr=lr, **options))

    run.__name__ = f"{optimizer_class.__name__}_runner"
    return run


def _slider_style() -> dict[str, str]:
    return {"description_width": "8em"}


#: Sliders update when released (and on every arrow key): while dragging, a slider would send
#: updates faster than the kernel redraws them, and the picture would lag behind the hand.
SLIDER_OPTIONS: dict[str, Any] = {"continuous_update": False, "style": _slider_style()}


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
            as_data(data.x, data.y)  # a clear error now rather than a broken plot later
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
        self.status = widgets.HTML()
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
            control.observe(self.update, names="value")
        self.widget = widgets.VBox([
            widgets.HBox([self.lr_slider, self.steps_slider]),
            widgets.HBox([self.omega_slider, self.t_slider]),
            widgets.HBox([self.dataset_menu, self.runner_menu]),
            self.status,
            self.image,
        ])
        # The layout is solved once, for the first picture; freezing it keeps every redraw from
        # solving it again (and the axes from jumping when tick labels change width).  Solving it
        # needs no pixels: the first render() below draws them.
        self.figure.draw_without_rendering()
        self.figure.set_layout_engine("none")
        self._pin_axis_labels()
        self._backgrounds: dict[str, Any] = {}
        self.update()

    @staticmethod
    def _check_arguments(lr, start, steps, lr_range, max_steps, grid) -> None:
        low, high = lr_range
        if not 0 < low < high:
            raise ValueError(f"lr_range must be (low, high) with 0 < low < high, got {lr_range!r}")
        if not low <= lr <= high:
            raise ValueError(f"lr must lie in lr_range={lr_range!r}, got lr={lr!r}")
        start_arr = np.asarray(start, dtype=float)
        if start_arr.shape != (2,) or not np.all(np.isfinite(start_arr)):
            raise ValueError(f"start must be two finite numbers (omega, t), got shape {start_arr.shape}")
        if not (isinstance(max_steps, int) and max_steps >= 1):
            raise ValueError(f"max_steps must be a positive integer, got max_steps={max_steps!r}")
        if not (isinstance(steps, int) and 0 <= steps <= max_steps):
            raise ValueError(f"steps must be an integer in [0, max_steps={max_steps}], got steps={steps!r}")
        if not (isinstance(grid, int) and grid >= 2):
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
        # Tick labels are most of the cost of a redraw (the curve axes rescale every update), so
        # the curve panel keeps to a few round ticks.
        self.ax_loss.xaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
        for axis in (self.ax_loss.yaxis, self.ax_grad.yaxis):
            axis.set_major_locator(MaxNLocator(nbins=5))

    def _pin_axis_labels(self) -> None:
        """Keep the curve axes' labels where the first draw put them.

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

    def update(self, change: Mapping[str, Any] | None = None) -> None:
        """Rerun the descent with the controls' values and redraw (the controls call this)."""
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
        self._write_status(lr, steps)
        self.render()
        self.image.value = self.encode(self.image_format)

    @property
    def changing_artists(self) -> list[Any]:
        """What an update changes: the path, its start, the title and the two curve axes."""
        return [self.path_line, self.start_ring, self.ax_land.title, self.ax_loss, self.ax_grad]

    def render(self) -> None:
        """Bring the Agg canvas up to date with the artists.

        Everything but :attr:`changing_artists` (the contours, the colorbar, the axes of the
        landscape) is drawn once per data set and kept as a bitmap; a render pastes it and draws
        only what changed, which gives the same pixels as a full ``canvas.draw()`` in a fraction
        of the time.
        """
        canvas = self.figure.canvas
        name = self._shown_dataset
        if name not in self._backgrounds:
            changing = self.changing_artists
            for artist in changing:
                artist.set_visible(False)
            canvas.draw()
            self._backgrounds[name] = canvas.copy_from_bbox(self.figure.bbox)
            for artist in changing:
                artist.set_visible(True)
        canvas.restore_region(self._backgrounds[name])
        for artist in self.changing_artists:
            self.figure.draw_artist(artist)

    def _draw_run(self, run: Trajectory, start: tuple[float, float]) -> None:
        path = run.params if len(run.params) else np.array([start])
        self.path_line.set_data(path[:, 0], path[:, 1])
        self.start_ring.set_data([path[0, 0]], [path[0, 1]])
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
            axis.set_ylim(0.0, 1.05 * top if 0 < top < np.finfo(float).max / 2 else 1.0)

    def _write_status(self, lr: float, steps: int) -> None:
        # The figure's title is kept short (text is the slowest thing to draw); the numbers go to
        # the status line under the sliders.
        if self.error is not None:
            self.status.value = f"<b style='color:#b00020'>diverged: {html.escape(self.error)}</b>"
            self.ax_land.set_title(f"diverged at lr = {lr:.3g}", color="#b00020", y=1.0)
            return
        run = self.run
        self.status.value = html.escape(
            f"lr = {lr:.3g}, {steps} steps: final MSE {run.loss[-1]:.4g}, |grad| {run.grad_norm[-1]:.3g}"
        )
        self.ax_land.set_title(f"lr = {lr:.3g}, {steps} steps", color="black", y=1.0)

    def encode(self, image_format: str = "png") -> bytes:
        """The canvas as last rendered, as PNG or JPEG bytes.

        The live image is JPEG by default: encoding the 1200 x 480 canvas takes about 1.5 ms as
        JPEG (quality 90, no visible artefacts at this size) and 13-15 ms as PNG even at the
        fastest compression, a third of the time budget of an update.
        """
        canvas = self.figure.canvas
        width, height = canvas.get_width_height(physical=True)
        picture = PIL.Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
        options = {"quality": 90} if image_format == "jpeg" else {"compress_level": 1}
        buffer = io.BytesIO()
        picture.convert("RGB").save(buffer, format=image_format, **options)
        return buffer.getvalue()

    # -- display ---------------------------------------------------------------------------------

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        """The widget for JupyterLab, plus a PNG for places without widgets (nbconvert, slides)."""
        bundle = dict(self.widget._repr_mimebundle_() or {})
        bundle["text/plain"] = STATIC_NOTE
        bundle["image/png"] = base64.b64encode(self.encode("png")).decode("ascii")
        return bundle
