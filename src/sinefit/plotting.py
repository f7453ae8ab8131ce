"""The course's figures.  Every helper draws on axes it is given (or makes) and returns what it
drew, so tests can check the data instead of pixels."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colorbar import Colorbar
from matplotlib.contour import QuadContourSet
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from numpy.typing import ArrayLike

from sinefit import TRUE_PARAMS
from sinefit.descent import Trajectory
from sinefit.landscape import Landscape

#: Readable on a projector: large fonts, thick lines, a colour-blind-safe map.
COURSE_STYLE: dict[str, Any] = {
    "figure.figsize": (10.0, 6.0),
    "figure.dpi": 80,
    "figure.constrained_layout.use": True,
    "font.size": 15,
    "axes.titlesize": 17,
    "axes.labelsize": 16,
    "legend.fontsize": 13,
    "lines.linewidth": 2.2,
    "lines.markersize": 7,
    "image.cmap": "viridis",
    "axes.grid": False,
}


def use_course_style() -> dict[str, Any]:
    """Apply the course's figure style to matplotlib and return the settings applied.

    In a notebook it also makes the inline backend save figures as they are laid out: the
    constrained layout already fits them, and the default ``bbox_inches="tight"`` would draw every
    figure twice (measured: 0.35 s instead of 0.18 s for the two-panel descent figure).
    Under the inline backend it also stops pyplot's after-cell redraw of every changed figure:
    that redraw is for GUI windows, and inline it renders each figure once more into a canvas
    nobody sees before the backend renders it again for display (a quarter of a notebook's
    figure time).
    """
    mpl.rcParams.update(COURSE_STYLE)
    if _in_ipython_kernel():
        from matplotlib_inline.backend_inline import set_matplotlib_formats

        set_matplotlib_formats("png", bbox_inches=None)
        _skip_hidden_redraw()
    return dict(COURSE_STYLE)


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
    colorbar: Colorbar
    true_marker: Line2D | None


def plot_landscape(
    land: Landscape,
    ax: Axes | None = None,
    true_params: tuple[float, float] | None = TRUE_PARAMS,
    levels: int = 40,
    cmap: str = "viridis",
) -> LandscapeArtists:
    """Filled contours of the MSE over (omega, t) with a colorbar and the true parameters marked.

    Pass ``true_params=None`` to mark nothing (for data whose answer is a secret).
    """
    ax = _axes(ax, figsize=(8, 6.5))
    contours = ax.contourf(land.omegas, land.ts, land.values, levels=levels, cmap=cmap)
    colorbar = ax.figure.colorbar(contours, ax=ax, label="MSE")
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
    return LandscapeArtists(ax, contours, colorbar, marker)


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


#: Colours that stand out on the viridis landscape and from each other, for several paths at once.
PATH_COLORS: tuple[str, ...] = ("white", "#ff3b30", "#ff9f0a", "#40e0ff", "#ff5ce1", "#b0ff57")


def _colors(labels: list[str], colors: Any) -> dict[str, str]:
    palette = list(colors) if colors is not None else list(PATH_COLORS)
    if len(palette) < len(labels):
        raise ValueError(f"need a colour for each of the {len(labels)} curves, got {len(palette)} colours")
    return dict(zip(labels, palette))


def plot_trajectories(
    land: Landscape,
    paths: dict[str, ArrayLike | Trajectory],
    ax: Axes | None = None,
    colors: list[str] | None = None,
    true_params: tuple[float, float] | None = TRUE_PARAMS,
    **line_kw: Any,
) -> tuple[LandscapeArtists, dict[str, Line2D]]:
    """Several descent paths on one landscape, one colour each, with a legend naming them.

    ``paths`` maps a label to a trajectory (or rows of (omega, t)); ``line_kw`` goes to every line.
    """
    if not paths:
        raise ValueError("paths is empty: pass at least one {label: trajectory}")
    land_artists = plot_landscape(land, ax=ax, true_params=true_params)
    colour_of = _colors(list(paths), colors)
    lines = {
        label: plot_trajectory(path, ax=land_artists.ax, label=label, color=colour_of[label], **line_kw)
        for label, path in paths.items()
    }
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
    """
    if not curves:
        raise ValueError("curves is empty: pass at least one {label: losses}")
    if steps_per_epoch is not None and steps_per_epoch < 1:
        raise ValueError(f"steps_per_epoch must be a positive integer, got {steps_per_epoch}")
    ax = _axes(ax, figsize=(8, 5))
    colour_of = _colors(list(curves), colors if colors is not None else [f"C{i}" for i in range(10)])
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
    batch_color: str = "tab:gray",
    full_color: str = "crimson",
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
