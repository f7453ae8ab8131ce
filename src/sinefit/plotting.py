"""The course's figures.  Every helper draws on axes it is given (or makes) and returns what it
drew, so tests can check the data instead of pixels."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any

import matplotlib as mpl
import matplotlib.colors as mcolors
import matplotlib.pyplot as plt
import numpy as np
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colorbar import Colorbar
from matplotlib.contour import QuadContourSet
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text
from numpy.typing import ArrayLike
from PIL import Image

from sinefit import TRUE_PARAMS
from sinefit._checks import as_landscape, as_pair
from sinefit.descent import Trajectory
from sinefit.landscape import Landscape

#: Readable on a projector: large fonts, thick lines, a colour-blind-safe map.  Every text size is
#: set in points (none relative), so :func:`slide_label_px` knows the smallest one.
COURSE_STYLE: dict[str, Any] = {
    "figure.figsize": (10.0, 6.0),
    "figure.dpi": 80,
    "savefig.dpi": "figure",
    "figure.constrained_layout.use": True,
    "font.size": 16,
    "axes.titlesize": 17,
    "axes.labelsize": 17,
    "xtick.labelsize": 16,
    "ytick.labelsize": 16,
    "legend.fontsize": 16,
    "legend.title_fontsize": 16,
    "figure.titlesize": 18,
    "lines.linewidth": 2.2,
    "lines.markersize": 7,
    "image.cmap": "viridis",
    "axes.grid": False,
    # Notes the size and dpi each figure was last drawn at: text_collisions then measures a figure
    # the notebook already showed as it was shown, instead of drawing it once more.
    "figure.hooks": ["sinefit.plotting:_remember_draws"],
}

# --- figures on a slide --------------------------------------------------------------------------
# The decks (course_editions.slides) are 1280x720 CSS px slides that reveal.js draws at 0.96 of
# their size on a 1280x720 projector; a figure gets at most the slide's content box below the
# title, and is shrunk (never enlarged) to fit it.

#: The largest box (width, height) in CSS px of the slide that a figure is shown in.
SLIDE_FIGURE_BOX_PX: tuple[float, float] = (1192.0, 600.0)
#: On-screen pixels per CSS pixel of the slide at 1280x720 (reveal.js's 4 % margin).
SLIDE_SCREEN_SCALE = 1 - 0.04
#: The smallest figure text, in on-screen pixels at 1280x720, that reads from the back row.
MIN_SLIDE_LABEL_PX = 16.0
#: The widest and tallest figure (inches at the style's dpi) that a slide shows at full size.
SLIDE_FIGSIZE_MAX: tuple[float, float] = (SLIDE_FIGURE_BOX_PX[0] / COURSE_STYLE["figure.dpi"],
                                          SLIDE_FIGURE_BOX_PX[1] / COURSE_STYLE["figure.dpi"])

_TEXT_SIZE_KEYS = ("font.size", "axes.titlesize", "axes.labelsize", "xtick.labelsize",
                   "ytick.labelsize", "legend.fontsize", "legend.title_fontsize", "figure.titlesize")


def smallest_font_pt(style: dict[str, Any] | None = None) -> float:
    """The smallest text size (points) the style sets (default: :data:`COURSE_STYLE`)."""
    style = COURSE_STYLE if style is None else style
    return float(min(style[key] for key in _TEXT_SIZE_KEYS if key in style))


def slide_scale(figsize: tuple[float, float], dpi: float | None = None) -> float:
    """On-screen pixels per figure pixel for a figure of ``figsize`` inches shown on a slide."""
    dpi = COURSE_STYLE["figure.dpi"] if dpi is None else dpi
    width, height = (size * dpi for size in figsize)
    fit = min(1.0, SLIDE_FIGURE_BOX_PX[0] / width, SLIDE_FIGURE_BOX_PX[1] / height)
    return fit * SLIDE_SCREEN_SCALE


def slide_label_px(figsize: tuple[float, float], dpi: float | None = None,
                   font_pt: float | None = None) -> float:
    """How tall, in screen pixels at 1280x720, text of ``font_pt`` points (default: the style's
    smallest) is in a ``figsize`` figure on a slide; at least :data:`MIN_SLIDE_LABEL_PX` reads.

    A figure wider or taller than :data:`SLIDE_FIGSIZE_MAX` is shrunk to fit, and its text with
    it: ``slide_label_px((18, 5))`` is 14.1, ``slide_label_px((14.5, 5.5))`` 17.1.
    """
    dpi = COURSE_STYLE["figure.dpi"] if dpi is None else dpi
    font_pt = smallest_font_pt() if font_pt is None else font_pt
    return font_pt * dpi / 72 * slide_scale(figsize, dpi)


def text_collisions(fig: Figure) -> list[tuple[str, str]]:
    """Pairs of visible texts of ``fig`` whose boxes overlap (titles, axis and colorbar labels,
    tick labels, legends' texts), as they are drawn.

    Use it on a figure before showing it on a slide: an empty list means nothing collides.  A
    figure is measured as it was last drawn if that was at its present size and dpi (a figure the
    notebook just showed, under the course style), and is drawn first otherwise.
    """
    if not hasattr(fig.canvas, "get_renderer"):  # shown and closed: give it a canvas again
        FigureCanvasAgg(fig)
    if getattr(fig, "_sinefit_drawn_as", None) != _draw_state(fig):
        fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    # An axis keeps spare ticks whose labels it does not draw: only the drawn ones count.
    tick_labels, drawn = set(), set()
    for axis in (axis for ax in fig.axes for axis in ax._axis_map.values()):
        for tick in axis.get_major_ticks() + axis.get_minor_ticks():
            tick_labels |= {id(tick.label1), id(tick.label2)}
        if axis.get_visible() and axis.axes.get_visible() and axis.axes.axison:
            for tick in axis._update_ticks():
                drawn |= {id(tick.label1), id(tick.label2)}
    texts = []
    for text in fig.findobj(Text):
        if not text.get_visible() or not text.get_text().strip() or text.get_alpha() == 0:
            continue
        if id(text) in tick_labels and id(text) not in drawn:
            continue
        box = text.get_window_extent(renderer)
        if box.width > 0 and box.height > 0:
            texts.append((text, box))
    found = []
    for i, (first, first_box) in enumerate(texts):
        for second, second_box in texts[i + 1:]:
            # A text's box holds room for descenders and accents above and below: boxes that
            # share a sliver of it (tick labels meeting at a corner) do not collide.
            wide = min(first_box.x1, second_box.x1) - max(first_box.x0, second_box.x0)
            tall = min(first_box.y1, second_box.y1) - max(first_box.y0, second_box.y0)
            if wide > 2 and tall > 0.25 * min(first_box.height, second_box.height):
                found.append((first.get_text(), second.get_text()))
    return found


def _draw_state(fig: Figure) -> tuple[tuple[float, ...], float]:
    return tuple(float(v) for v in fig.get_size_inches()), float(fig.dpi)


def _remember_draws(fig: Figure) -> None:
    """A ``figure.hooks`` entry of the course style: every draw of ``fig`` (on screen, into a
    notebook's PNG or a file) notes the size and dpi it was drawn at."""

    def note(event: Any) -> None:
        fig._sinefit_drawn_as = _draw_state(fig)

    fig.canvas.mpl_connect("draw_event", note)


def use_course_style() -> dict[str, Any]:
    """Apply the course's figure style to matplotlib and return the settings applied.

    In a notebook it also makes the inline backend save figures as they are laid out: the
    constrained layout already fits them, and the default ``bbox_inches="tight"`` would draw every
    figure twice (measured: 0.35 s instead of 0.18 s for the two-panel descent figure).
    Under the inline backend it also stops pyplot's after-cell redraw of every changed figure:
    that redraw is for GUI windows, and inline it renders each figure once more into a canvas
    nobody sees before the backend renders it again for display (a quarter of a notebook's
    figure time).  And it draws each figure shown once (:func:`figure_png`) where matplotlib's
    ``savefig`` draws a laid-out figure twice, first without rendering to place the axes.
    """
    mpl.rcParams.update(COURSE_STYLE)
    if _in_ipython_kernel():
        from IPython import get_ipython
        from matplotlib_inline.backend_inline import set_matplotlib_formats

        set_matplotlib_formats("png", bbox_inches=None)
        get_ipython().display_formatter.formatters["image/png"].for_type(Figure, figure_png)
        _skip_hidden_redraw()
    return dict(COURSE_STYLE)


def figure_png(fig: Figure) -> bytes | None:
    """``fig`` as a PNG at its own size and dpi, drawn once (``None`` for a figure with nothing
    in it, as the inline backend does): the same pixels as ``fig.savefig(format="png")``."""
    if not fig.axes and not fig.lines:
        return None
    if not hasattr(fig.canvas, "buffer_rgba"):
        FigureCanvasAgg(fig)
    fig.canvas.draw()
    width, height = fig.canvas.get_width_height(physical=True)
    picture = Image.frombuffer("RGBA", (width, height), fig.canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    png = io.BytesIO()
    picture.save(png, format="png", dpi=(fig.dpi, fig.dpi))
    return png.getvalue()


def _skip_hidden_redraw() -> None:
    """Unhook pyplot's post-cell ``draw_all`` when figures are shown by the inline backend."""
    from IPython import get_ipython

    shell = get_ipython()
    redraw = getattr(plt, "_draw_all_if_interactive", None)
    inline = "inline" in mpl.get_backend()
    if shell is not None and inline and redraw in shell.events.callbacks["post_execute"]:
        shell.events.unregister("post_execute", redraw)


def _in_ipython_kernel() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def _axes(ax: Axes | None, **subplot_kw: Any) -> Axes:
    if ax is not None:
        return ax
    return plt.subplots(**subplot_kw)[1]


@dataclass
class LandscapeArtists:
    """What :func:`plot_landscape` drew."""

    ax: Axes
    contours: QuadContourSet
    colorbar: Colorbar | None
    true_marker: Line2D | None


def plot_landscape(
    land: Landscape,
    ax: Axes | None = None,
    true_params: tuple[float, float] | None = TRUE_PARAMS,
    levels: int = 40,
    cmap: str = "viridis",
    colorbar: bool = True,
) -> LandscapeArtists:
    """Filled contours of the MSE over (omega, t) with a colorbar and the true parameters marked.

    Pass ``true_params=None`` to mark nothing (for data whose answer is a secret), and
    ``colorbar=False`` for a panel that shares its colour scale with one that has the colorbar.
    """
    as_landscape(land)
    if true_params is not None:
        true_params = as_pair(true_params, "true_params", what="(omega, t), two finite numbers, or None")
    ax = _axes(ax, figsize=(8, 6.5))
    contours = ax.contourf(land.omegas, land.ts, land.values, levels=levels, cmap=cmap)
    bar = None
    if colorbar:
        bar = ax.figure.colorbar(contours, ax=ax)
        # "MSE" above the colour bar, not beside it: beside it, it ran into the label of a panel
        # on the right (often "MSE" too).  text_collisions checks the course's figures.
        bar.ax.set_title("MSE", fontsize=mpl.rcParams["axes.labelsize"], loc="left", pad=8)
    marker = None
    if true_params is not None:
        (marker,) = ax.plot(
            *true_params, marker="*", markersize=20, color="white", markeredgecolor="crimson",
            markeredgewidth=1.5, linestyle="none", label="true parameters",
        )
    ax.set_xlabel(r"$\omega$")
    ax.set_ylabel(r"$t$")
    ax.set_xlim(land.omegas[0], land.omegas[-1])
    ax.set_ylim(land.ts[0], land.ts[-1])
    return LandscapeArtists(ax, contours, bar, marker)


def plot_trajectory(
    params: ArrayLike | Trajectory,
    ax: Axes | None = None,
    label: str | None = None,
    color: str = "white",
    **line_kw: Any,
) -> Line2D:
    """Draw a descent path (rows of (omega, t)) as a line of markers, starting at a ringed point."""
    path = params.params if isinstance(params, Trajectory) else np.asarray(params, dtype=float)
    if path.ndim != 2 or path.shape[1] != 2 or len(path) == 0:
        raise ValueError(f"params must have shape (steps + 1, 2) of (omega, t) rows, got {path.shape}")
    if not np.all(np.isfinite(path)):
        raise ValueError(f"params has non-finite values (NaN or inf) from row {int(np.argmin(np.all(np.isfinite(path), axis=1)))} "
                         "on; plot the finite rows, e.g. the trajectory of a DivergenceError (err.trajectory)")
    ax = _axes(ax)
    style = {"marker": "o", "markersize": 4, "linewidth": 1.2} | line_kw
    (line,) = ax.plot(path[:, 0], path[:, 1], color=color, label=label, **style)
    ax.plot(*path[0], marker="o", markersize=11, markerfacecolor="none", markeredgecolor=color,
            markeredgewidth=2, linestyle="none")
    return line


@dataclass
class LossGradArtists:
    """What :func:`plot_loss_and_grad` drew: the loss on the left axis, |grad| on the right."""

    ax_loss: Axes
    ax_grad: Axes
    loss_line: Line2D
    grad_line: Line2D


def plot_loss_and_grad(
    loss: ArrayLike | Trajectory,
    grad_norm: ArrayLike | None = None,
    ax: Axes | None = None,
    steps_per_epoch: int | None = None,
) -> LossGradArtists:
    """Loss and |gradient| per step on twin y axes whose zeros line up.

    With ``steps_per_epoch`` the x axis counts epochs (step / steps_per_epoch) instead of steps.
    """
    if isinstance(loss, Trajectory):
        loss, grad_norm = loss.loss, loss.grad_norm
    loss_arr = np.asarray(loss, dtype=float)
    grad_arr = np.asarray(grad_norm, dtype=float)
    if loss_arr.ndim != 1 or loss_arr.shape != grad_arr.shape or loss_arr.size == 0:
        raise ValueError(
            f"loss and grad_norm must be 1-D and of equal length, got {loss_arr.shape} and {grad_arr.shape}"
        )
    for name, values in (("loss", loss_arr), ("grad_norm", grad_arr)):
        if not np.all(np.isfinite(values)):
            first = int(np.argmin(np.isfinite(values)))
            raise ValueError(f"{name} has non-finite values (NaN or inf) from step {first} on; plot the finite "
                             f"part, e.g. the trajectory of a DivergenceError (err.trajectory)")
    if steps_per_epoch is not None and steps_per_epoch < 1:
        raise ValueError(f"steps_per_epoch must be a positive integer, got {steps_per_epoch}")
    ax_loss = _axes(ax, figsize=(8, 5))
    ax_grad = ax_loss.twinx()
    step = np.arange(loss_arr.size, dtype=float)
    x = step / steps_per_epoch if steps_per_epoch else step
    (loss_line,) = ax_loss.plot(x, loss_arr, color="tab:blue", label="MSE")
    (grad_line,) = ax_grad.plot(x, grad_arr, color="tab:orange", label=r"$|\nabla \mathrm{MSE}|$")
    # Both quantities are >= 0: starting both axes at zero lines their zeros up.
    for axis, values in ((ax_loss, loss_arr), (ax_grad, grad_arr)):
        axis.set_ylim(0.0, 1.05 * float(values.max()) if values.max() > 0 else 1.0)
    ax_loss.set_xlabel("epoch" if steps_per_epoch else "step")
    ax_loss.set_ylabel("MSE", color="tab:blue")
    ax_grad.set_ylabel(r"$|\nabla \mathrm{MSE}|$", color="tab:orange")
    return LossGradArtists(ax_loss, ax_grad, loss_line, grad_line)


def descent_figure(
    land: Landscape, run: Trajectory, true_params: tuple[float, float] | None = TRUE_PARAMS
) -> tuple[Figure, LandscapeArtists, Line2D, LossGradArtists]:
    """The course's standard two-panel picture: the path on the landscape, and loss/|grad| per step."""
    fig, (ax_land, ax_curve) = plt.subplots(1, 2, figsize=(15, 6), width_ratios=[1.15, 1])
    land_artists = plot_landscape(land, ax=ax_land, true_params=true_params)
    path_line = plot_trajectory(run, ax=ax_land)
    curves = plot_loss_and_grad(run, ax=ax_curve)
    return fig, land_artists, path_line, curves


#: One colour per optimizer or method in every figure of the course, keyed by the label the
#: figures give it (Okabe-Ito colours: colour-blind safe, and dark or saturated enough to read on
#: white; on the viridis landscape every path gets a white halo).  :func:`method_color` finds the
#: colour of a longer label too ("SGD, b = 32" is SGD, "SGD with momentum" is momentum).
METHOD_COLORS: dict[str, str] = {
    "Adam": "#0072B2",
    "RMSprop": "#56B4E9",
    "Adagrad": "#E69F00",
    "Nesterov": "#CC79A7",
    "momentum": "#009E73",
    "SGD": "#D55E00",
    "stochastic": "#D55E00",
    "minibatch": "#D55E00",
    "minibatches": "#D55E00",
    "full batch": "#000000",
    "full data": "#000000",
    "gradient descent": "#000000",
}

#: Colours for labels that name no method (e.g. learning rates), in order; none is a method's.
PATH_COLORS: tuple[str, ...] = ("#17becf", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#9467bd")


def method_color(label: str) -> str | None:
    """The course's colour for the method a label names, or ``None``.

    The first key of :data:`METHOD_COLORS` (the most specific method first) that the label holds
    as a whole word, ignoring case, gives the colour.
    """
    for key, colour in METHOD_COLORS.items():
        if re.search(rf"(?<![\w-]){re.escape(key)}(?![\w-])", str(label), flags=re.IGNORECASE):
            return colour
    return None


def _colors(labels: list[str], colors: Any) -> dict[str, str]:
    """A colour per label: the ``colors`` given, else the method's colour or the next free one of
    :data:`PATH_COLORS`."""
    if colors is not None:
        palette = list(colors)
        if len(palette) < len(labels):
            raise ValueError(f"need a colour for each of the {len(labels)} curves, got {len(palette)} colours")
        return dict(zip(labels, palette))
    found = {label: method_color(label) for label in labels}
    spare = iter(colour for colour in PATH_COLORS if colour not in found.values())
    return {label: found[label] or next(spare, "#444444") for label in labels}


def _halo(color: Any) -> list[patheffects.AbstractPathEffect]:
    """A white outline under a dark line (a black one under a light line), so the line reads on
    every part of the landscape."""
    red, green, blue = mcolors.to_rgb(color)
    light = 0.2126 * red + 0.7152 * green + 0.0722 * blue > 0.6
    return [patheffects.Stroke(linewidth=4.0, foreground="black" if light else "white", alpha=0.8),
            patheffects.Normal()]


def plot_trajectories(
    land: Landscape,
    paths: dict[str, ArrayLike | Trajectory],
    ax: Axes | None = None,
    colors: list[str] | None = None,
    true_params: tuple[float, float] | None = TRUE_PARAMS,
    colorbar: bool = True,
    **line_kw: Any,
) -> tuple[LandscapeArtists, dict[str, Line2D]]:
    """Several descent paths on one landscape, one colour each, with a legend naming them.

    ``paths`` maps a label to a trajectory (or rows of (omega, t)); ``line_kw`` goes to every line.
    Without ``colors`` a label that names a method gets its course colour (:func:`method_color`),
    any other the next of :data:`PATH_COLORS`; every path has a halo that reads on the landscape.
    """
    if not paths:
        raise ValueError("paths is empty: pass at least one {label: trajectory}")
    land_artists = plot_landscape(land, ax=ax, true_params=true_params, colorbar=colorbar)
    colour_of = _colors(list(paths), colors)
    lines = {}
    for label, path in paths.items():
        style = {"path_effects": _halo(colour_of[label])} | line_kw
        lines[label] = plot_trajectory(path, ax=land_artists.ax, label=label, color=colour_of[label], **style)
    land_artists.ax.legend(loc="upper right", framealpha=0.85)
    return land_artists, lines


def plot_loss_curves(
    curves: dict[str, ArrayLike | tuple[ArrayLike, ArrayLike]],
    ax: Axes | None = None,
    steps_per_epoch: int | None = None,
    xlabel: str | None = None,
    ylabel: str = "MSE",
    logy: bool = False,
    colors: list[str] | None = None,
    **line_kw: Any,
) -> dict[str, Line2D]:
    """Several loss curves on one axes with a legend: training against validation, or optimizers.

    Each value is either the losses per step (the x axis counts steps, or epochs with
    ``steps_per_epoch``) or a pair ``(x, losses)`` with its own x values, e.g. gradient evaluations.
    Without ``colors`` a label that names a method gets its course colour (:func:`method_color`),
    any other the next of :data:`PATH_COLORS`, as in :func:`plot_trajectories`.
    """
    if not curves:
        raise ValueError("curves is empty: pass at least one {label: losses}")
    if steps_per_epoch is not None and steps_per_epoch < 1:
        raise ValueError(f"steps_per_epoch must be a positive integer, got {steps_per_epoch}")
    ax = _axes(ax, figsize=(8, 5))
    colour_of = _colors(list(curves), colors)
    lines = {}
    for label, curve in curves.items():
        if isinstance(curve, tuple):
            x, values = (np.asarray(part, dtype=float) for part in curve)
        else:
            values = np.asarray(curve, dtype=float)
            x = np.arange(values.size, dtype=float) / (steps_per_epoch or 1)
        if values.ndim != 1 or x.shape != values.shape or values.size == 0:
            raise ValueError(
                f"curve {label!r} must be 1-D losses with one x per loss, got x {x.shape} and losses {values.shape}"
            )
        (lines[label],) = ax.plot(x, values, label=label, color=colour_of[label], **line_kw)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel or ("epoch" if steps_per_epoch else "step"))
    ax.set_ylabel(ylabel)
    ax.legend()
    return lines


def plot_gradient_samples(
    full_grad: ArrayLike,
    batch_grads: ArrayLike,
    ax: Axes | None = None,
    normalise: bool = False,
    batch_color: str = METHOD_COLORS["minibatch"],
    full_color: str = METHOD_COLORS["full batch"],
) -> tuple[Any, Any]:
    """Minibatch gradients (thin arrows) around the full-data gradient (thick arrow), from the origin.

    With ``normalise`` every arrow has unit length, so only the directions are compared.
    Returns the two quiver artists (minibatches, full data).
    """
    full = np.asarray(full_grad, dtype=float)
    batches = np.asarray(batch_grads, dtype=float)
    if full.shape != (2,) or batches.ndim != 2 or batches.shape[1] != 2:
        raise ValueError(
            f"full_grad must have shape (2,) and batch_grads (n, 2), got {full.shape} and {batches.shape}"
        )
    for name, values in (("full_grad", full), ("batch_grads", batches)):
        if not np.all(np.isfinite(values)):
            raise ValueError(f"{name} has non-finite values (NaN or inf)")
    if normalise:
        lengths = np.linalg.norm(batches, axis=1, keepdims=True)
        if np.linalg.norm(full) == 0 or np.any(lengths == 0):
            raise ValueError("cannot normalise a zero gradient")
        full, batches = full / np.linalg.norm(full), batches / lengths
    ax = _axes(ax, figsize=(6, 6))
    arrows = {"angles": "xy", "scale_units": "xy", "scale": 1}
    zeros = np.zeros(len(batches))
    batch_q = ax.quiver(zeros, zeros, batches[:, 0], batches[:, 1], color=batch_color, width=0.006,
                        alpha=0.8, label="minibatches", **arrows)
    full_q = ax.quiver(0, 0, full[0], full[1], color=full_color, width=0.014, label="full data", **arrows)
    reach = 1.1 * float(np.abs(np.vstack([batches, full])).max())
    ax.set_xlim(-reach, reach)
    ax.set_ylim(-reach, reach)
    ax.set_aspect("equal")
    ax.axhline(0, color="black", linewidth=0.5)
    ax.axvline(0, color="black", linewidth=0.5)
    ax.set_xlabel(r"$\partial\,\mathrm{MSE}/\partial\omega$")
    ax.set_ylabel(r"$\partial\,\mathrm{MSE}/\partial t$")
    return batch_q, full_q


def plot_learning_rate_panels(
    land: Landscape,
    runs: dict[str, Trajectory],
    true_params: tuple[float, float] | None = TRUE_PARAMS,
    figsize: tuple[float, float] = (SLIDE_FIGSIZE_MAX[0], 4.8),
    color: str = "white",
) -> tuple[Figure, dict[str, Line2D]]:
    """A small multiple: one panel per run (e.g. one learning rate each), its path on the landscape.

    ``runs`` maps a panel title to a trajectory.  The panels show the same landscape with one
    colour scale, so a single colorbar (on the last panel) reads for all.  Returns the figure and
    the path drawn in each panel, by title.
    """
    as_landscape(land)
    if not runs:
        raise ValueError("runs is empty: pass at least one {title: trajectory}")
    fig, axes = plt.subplots(1, len(runs), figsize=figsize, sharey=True, squeeze=False)
    # No tick label at the very top of the colour bar, where it would run into the "MSE" title.
    top = float(land.values.max())
    levels = np.linspace(0.0, top, 41)
    ticks = [tick for tick in mpl.ticker.MaxNLocator(nbins=5).tick_values(0.0, top) if tick <= 0.95 * top]
    paths = {}
    for number, (ax, (title, run)) in enumerate(zip(axes[0], runs.items())):
        last = number == len(runs) - 1  # same landscape, same levels: one colorbar is enough
        drawn = plot_landscape(land, ax=ax, true_params=true_params, levels=levels, colorbar=last)
        if last:
            drawn.colorbar.set_ticks(ticks)
        if number > 0:
            ax.set_ylabel("")
        paths[title] = plot_trajectory(run, ax=ax, color=color)
        ax.set_title(title)
    return fig, paths
