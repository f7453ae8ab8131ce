"""An animation of a descent run: the path grows on the landscape while the loss and |grad| curves
are drawn step by step.

:func:`animation_html` renders it with matplotlib's ``to_jshtml`` into one self-contained piece of
HTML (frames embedded as base64 JPEG, the player's JavaScript inline) that plays in JupyterLab, in
nbconvert's HTML and in the offline slide decks.  matplotlib's player draws its buttons with
Font Awesome icons loaded from a CDN; this module removes that stylesheet link and draws the
buttons with plain Unicode symbols, so the HTML loads nothing from anywhere.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import matplotlib as mpl
import numpy as np
from matplotlib.animation import FuncAnimation
from matplotlib.artist import Artist
from matplotlib.backend_bases import RendererBase
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text
from numpy.typing import NDArray

from sinefit import TRUE_PARAMS
from sinefit._checks import MAX_BYTES, as_int, as_landscape, as_pair, as_real, as_steps, format_bytes
from sinefit.descent import Trajectory
from sinefit.landscape import Landscape
from sinefit.plotting import LossGradArtists, plot_landscape, plot_loss_and_grad, plot_trajectory

#: The player's buttons: Font Awesome icon classes -> a Unicode symbol in every common font.
BUTTON_SYMBOLS: dict[str, str] = {
    "fa fa-minus": "\u2212",  # slower
    "fa fa-fast-backward": "\u21e4",  # first frame
    "fa fa-step-backward": "\u2039",  # previous frame
    "fa fa-play fa-flip-horizontal": "\u25c0",  # play backwards
    "fa fa-pause": "\u275a\u275a",  # pause
    "fa fa-play": "\u25b6",  # play
    "fa fa-step-forward": "\u203a",  # next frame
    "fa fa-fast-forward": "\u21e5",  # last frame
    "fa fa-plus": "+",  # faster
}
#: The player's controls at a size a lecturer can hit on a projector (matplotlib's are 36x19 px).
PLAYER_STYLE = """<style>
.animation .anim-buttons button { min-width: 52px; min-height: 44px; margin: 0 3px; font-size: 24px; }
.animation input[type=range].anim-slider { min-width: 60%; min-height: 28px; }
.animation .anim-state { font-size: 20px; }
</style>
"""
#: The largest HTML :func:`animation_html` writes, in MB (matplotlib's ``animation.embed_limit``).
EMBED_LIMIT_MB = 4.0


@dataclass
class DescentAnimation:
    """A descent animation and the artists its frames change (so tests can read them)."""

    animation: FuncAnimation
    figure: Figure
    run: Trajectory
    frame_steps: NDArray[np.int_]
    """The descent step shown by each frame (all steps, or an even subset ending at the last)."""
    path_line: Line2D
    current_point: Line2D
    curves: LossGradArtists
    title: Text

    def draw_frame(self, frame: int) -> tuple[Line2D, ...]:
        """Show frame ``frame``: the path up to its step, and the curves up to that step."""
        if not 0 <= frame < len(self.frame_steps):
            raise ValueError(f"frame must be in [0, {len(self.frame_steps)}), got frame={frame}")
        step = int(self.frame_steps[frame])
        path = self.run.params[: step + 1]
        self.path_line.set_data(path[:, 0], path[:, 1])
        self.current_point.set_data([path[-1, 0]], [path[-1, 1]])
        steps = np.arange(step + 1, dtype=float)
        self.curves.loss_line.set_data(steps, self.run.loss[: step + 1])
        self.curves.grad_line.set_data(steps, self.run.grad_norm[: step + 1])
        self.title.set_text(f"step {step}: MSE {self.run.loss[step]:.4f}")
        return self.path_line, self.current_point, self.curves.loss_line, self.curves.grad_line


def frame_steps(steps: int, max_frames: int) -> NDArray[np.int_]:
    """Which steps to show: every step if there are at most ``max_frames``, else an even subset
    that includes the start and the last step."""
    steps = as_steps(steps)
    max_frames = as_int(max_frames, "max_frames", what="an integer >= 2 (the start and the end)")
    if max_frames < 2:
        raise ValueError(f"max_frames must be at least 2 (the start and the end), got {max_frames}")
    if steps + 1 <= max_frames:
        return np.arange(steps + 1)
    return np.unique(np.round(np.linspace(0, steps, max_frames)).astype(int))


def descent_animation(
    land: Landscape,
    run: Trajectory,
    true_params: tuple[float, float] | None = TRUE_PARAMS,
    max_frames: int = 40,
    fps: float = 8.0,
    figsize: tuple[float, float] = (14.5, 5.0),
    dpi: float = 80.0,
) -> DescentAnimation:
    """Animate ``run`` on ``land``: one frame per step (at most ``max_frames``), ``fps`` per second.

    The figure is not a pyplot figure, so the inline backend does not also show it as a still.
    Its default size is the slide's: 1160x400 px, shown unscaled in a deck, so the course style's
    text is 17 px on a 1280x720 projector (:func:`sinefit.plotting.slide_label_px`).
    """
    as_landscape(land)
    if not isinstance(run, Trajectory):
        raise TypeError(f"run must be a sinefit.descent.Trajectory (from a descent runner), got {type(run).__name__}")
    if len(run.params) == 0:
        raise ValueError("run has no steps to animate (its params are empty)")
    fps = as_real(fps, "fps", example="8.0")
    if not fps > 0:
        raise ValueError(f"fps must be positive, got fps={fps!r}")
    width, height = as_pair(figsize, "figsize", what="(width, height) in inches", positive=True)
    dpi = as_real(dpi, "dpi", positive=True, example="80.0")
    if 4.0 * width * height * dpi * dpi > MAX_BYTES:
        raise ValueError(f"figsize={figsize!r} at dpi={dpi:g} would need {format_bytes(4.0 * width * height * dpi * dpi)} "
                         "per frame; use the default figsize=(14.5, 5.0) and dpi=80")
    figure = Figure(figsize=figsize, dpi=dpi, layout="constrained")
    FigureCanvasAgg(figure)
    ax_land, ax_curve = figure.subplots(1, 2, width_ratios=[1.15, 1])
    plot_landscape(land, ax=ax_land, true_params=true_params)
    path_line = plot_trajectory(run.params[:1], ax=ax_land)
    (current_point,) = ax_land.plot(*run.params[0], marker="o", markersize=12, color="crimson",
                                    markeredgecolor="white", linestyle="none")
    # The full run sets the curve axes, so they stay still while the curves grow.
    curves = plot_loss_and_grad(run, ax=ax_curve)
    # A fixed y: the automatic placement looks at the axis decorations, which end up hidden.
    title = ax_land.set_title(" ", y=1.0)
    steps_shown = frame_steps(run.steps, max_frames)
    # The lambda finds `anim` when matplotlib first calls it, after it is assigned below.
    animation = FuncAnimation(figure, lambda frame: anim.draw_frame(frame), frames=len(steps_shown),
                              interval=1000.0 / fps, repeat=True)
    anim = DescentAnimation(animation, figure, run, steps_shown, path_line, current_point, curves,
                            title)
    # Frame 0 first: the layout leaves room for its title.
    anim.draw_frame(0)
    _flatten_still_parts(figure, [path_line, current_point, curves.loss_line, curves.grad_line, title])
    return anim


class StillPicture(Artist):
    """A picture of a figure's unchanging parts, pasted pixel for pixel over the whole figure.

    Unlike ``figure.figimage`` it is not resampled on every draw: drawing it is one copy.
    """

    def __init__(self, rgba: NDArray[np.uint8]) -> None:
        super().__init__()
        if rgba.ndim != 3 or rgba.shape[2] != 4 or rgba.dtype != np.uint8:
            raise ValueError(f"rgba must be an (height, width, 4) uint8 picture, got {rgba.shape} {rgba.dtype}")
        self.rgba = rgba
        # The renderer takes the rows bottom up; the canvas buffer holds them top down.
        self._rows_bottom_up = np.ascontiguousarray(rgba[::-1])
        self.set_zorder(-1)

    def draw(self, renderer: RendererBase) -> None:
        if not self.get_visible():
            return
        gc = renderer.new_gc()
        renderer.draw_image(gc, 0, 0, self._rows_bottom_up)
        gc.restore()


def _flatten_still_parts(figure: Figure, moving: list) -> StillPicture:
    """Replace everything but the ``moving`` artists by one picture of them.

    Saving a frame redraws the whole figure; with the contours, the colorbar, the ticks and the
    layout solved every time that is ~0.1 s a frame.  Drawn once into a bitmap shown behind the
    moving artists (a :class:`StillPicture`, copied as it is, not resampled like ``figimage``),
    the frames look the same and cost about 10 ms each.
    """
    figure.draw_without_rendering()  # solve the layout once, then keep it
    figure.set_layout_engine("none")
    for artist in moving:
        artist.set_visible(False)
    figure.canvas.draw()
    still = StillPicture(np.asarray(figure.canvas.buffer_rgba()).copy())
    for artist in moving:
        artist.set_visible(True)
    for axes in figure.axes:
        for child in axes.get_children():
            if child not in moving:
                child.set_visible(False)
    figure.add_artist(still)
    return still


def offline_player(jshtml: str) -> str:
    """matplotlib's JavaScript player without its one external asset (the Font Awesome CSS)."""
    if not isinstance(jshtml, str):
        raise TypeError(f"jshtml must be the HTML of matplotlib's to_jshtml() as a str, got {type(jshtml).__name__}")
    without_cdn = re.sub(r'<link rel="stylesheet"\s+href="https?://[^"]*font-awesome[^"]*">', "", jshtml)
    return re.sub(r'<i class="(fa [^"]+)"></i>', lambda m: BUTTON_SYMBOLS[m.group(1)], without_cdn)


def animation_html(land: Landscape, run: Trajectory, **options) -> str:
    """The animation of ``run`` as self-contained HTML (see :func:`descent_animation` for options).

    Frames are JPEG (a third of the size of PNG for a filled-contour picture).  Raises ValueError
    if the HTML would pass :data:`EMBED_LIMIT_MB`, instead of matplotlib's silent truncation.
    """
    anim = descent_animation(land, run, **options)
    with mpl.rc_context({"animation.frame_format": "jpeg", "animation.embed_limit": EMBED_LIMIT_MB}):
        html = anim.animation.to_jshtml(default_mode="loop")
    # Past the limit matplotlib logs a warning and drops the remaining frames.
    embedded = html.count("data:image/jpeg;base64,")
    if embedded != len(anim.frame_steps):
        raise ValueError(f"only {embedded} of {len(anim.frame_steps)} frames fit in {EMBED_LIMIT_MB} MB: "
                         "lower max_frames, dpi or figsize")
    return _stable_ids(PLAYER_STYLE + offline_player(html))


def _stable_ids(html: str) -> str:
    """Replace the random id matplotlib's player gets (``uuid4``) by a hash of the HTML itself.

    The same animation then gives the same bytes on every build; two different animations on one
    page still get different ids.
    """
    found = re.search(r'id="_anim_img([0-9a-f]{32})"', html)
    if found is None:
        return html
    digest = hashlib.sha256(html.replace(found[1], "").encode("utf-8")).hexdigest()[:32]
    return html.replace(found[1], digest)
