"""The descent animation: its frames show the run step by step, and its HTML stands alone."""

from __future__ import annotations

import re

import numpy as np
import pytest

import sinefit.animation as animation_module
from sinefit.animation import (BUTTON_SYMBOLS, EMBED_LIMIT_MB, StillPicture, animation_html,
                               descent_animation, frame_steps, offline_player)
from sinefit.data import load_xy
from sinefit.descent import Trajectory, gradient_descent
from sinefit.landscape import landscape


@pytest.fixture(scope="module")
def problem():
    x, y = load_xy()
    return landscape(x, y, n_omega=60, n_t=60), gradient_descent(x, y, (3.0, 1.0), 0.1, 12)


@pytest.fixture
def animated(problem):
    anim = descent_animation(*problem, max_frames=40)
    yield anim
    # Rendering marks the animation as used (matplotlib warns about one that never was).
    anim.animation.to_jshtml()


def test_one_frame_per_step_when_they_fit(animated, problem):
    _, run = problem
    np.testing.assert_array_equal(animated.frame_steps, np.arange(run.steps + 1))


def test_long_runs_are_subsampled_keeping_start_and_end():
    shown = frame_steps(steps=300, max_frames=40)
    assert len(shown) == 40 and shown[0] == 0 and shown[-1] == 300
    assert np.all(np.diff(shown) > 0)
    with pytest.raises(ValueError, match="max_frames"):
        frame_steps(steps=10, max_frames=1)


@pytest.mark.parametrize("frame", [0, 5, 12])
def test_frame_k_shows_the_run_up_to_step_k(animated, problem, frame):
    _, run = problem
    animated.draw_frame(frame)
    path = np.column_stack(animated.path_line.get_data())
    np.testing.assert_array_equal(path, run.params[: frame + 1])
    np.testing.assert_array_equal(np.ravel(animated.current_point.get_data()), run.params[frame])
    np.testing.assert_array_equal(animated.curves.loss_line.get_data()[1], run.loss[: frame + 1])
    np.testing.assert_array_equal(animated.curves.grad_line.get_data()[1], run.grad_norm[: frame + 1])
    assert animated.title.get_text() == f"step {frame}: MSE {run.loss[frame]:.4f}"


def test_bad_frames_and_runs_are_refused(animated, problem):
    with pytest.raises(ValueError, match="frame must be in"):
        animated.draw_frame(len(animated.frame_steps))
    empty = Trajectory(np.empty((0, 2)), np.empty(0), np.empty((0, 2)), 0.1)
    with pytest.raises(ValueError, match="no steps"):
        descent_animation(problem[0], empty)


def test_a_frame_has_the_pixels_of_a_full_draw(problem, monkeypatch):
    """The still picture plus the moving artists looks exactly like the whole figure drawn anew."""
    flattened = descent_animation(*problem)
    monkeypatch.setattr(animation_module, "_flatten_still_parts", lambda figure, moving: None)
    full = descent_animation(*problem)
    full.figure.canvas.draw()  # solve the layout as the flattened figure did, then keep it
    full.figure.set_layout_engine("none")
    for frame in (0, 5, 12):
        pixels = []
        for anim in (flattened, full):
            anim.draw_frame(frame)
            anim.figure.canvas.draw()
            pixels.append(np.asarray(anim.figure.canvas.buffer_rgba()).astype(int))
        difference = np.abs(pixels[0] - pixels[1])
        # Blending an antialiased edge onto the pasted picture can round a few values by one.
        assert difference.max() <= 1 and np.count_nonzero(difference) < 1e-4 * difference.size, frame
    for anim in (flattened, full):
        anim.animation.to_jshtml()


def test_saving_the_frames_keeps_the_layout(animated):
    """Saving a frame must not solve the layout again: the still picture was drawn for this one."""
    positions = [axes.get_position().bounds for axes in animated.figure.axes]
    animated.animation.to_jshtml()
    assert [axes.get_position().bounds for axes in animated.figure.axes] == positions


def test_the_still_picture_must_be_rgba_bytes():
    with pytest.raises(ValueError, match="rgba must be"):
        StillPicture(np.zeros((4, 4, 3), dtype=np.uint8))


def test_the_html_embeds_every_frame_and_loads_nothing(problem):
    land, run = problem
    html = animation_html(land, run, max_frames=6)
    assert html.count("data:image/jpeg;base64,") == 6
    assert "new Array(6)" in html
    assert not re.search(r"(src|href)=\"https?:", html)
    assert "font-awesome" not in html and 'class="fa' not in html
    for symbol in BUTTON_SYMBOLS.values():
        assert symbol in html
    assert len(html.encode()) < EMBED_LIMIT_MB * 2**20


def test_the_player_is_stripped_of_its_cdn_icons():
    jshtml = ('<link rel="stylesheet"\nhref="https://maxcdn.bootstrapcdn.com/font-awesome/4.4.0/css/'
              'font-awesome.min.css">\n<button><i class="fa fa-play"></i></button>')
    assert offline_player(jshtml) == "\n<button>\u25b6</button>"


def test_the_default_animation_reads_on_a_slide_and_its_buttons_can_be_hit(problem):
    import inspect

    from sinefit.animation import PLAYER_STYLE
    from sinefit.plotting import MIN_SLIDE_LABEL_PX, slide_label_px

    defaults = inspect.signature(descent_animation).parameters
    assert slide_label_px(defaults["figsize"].default, defaults["dpi"].default) >= MIN_SLIDE_LABEL_PX
    button_rule = re.search(r"button \{([^}]*)\}", PLAYER_STYLE)[1]
    sizes = [int(px) for px in re.findall(r"min-(?:width|height): (\d+)px", button_rule)]
    assert len(sizes) == 2 and min(sizes) >= 40
    assert animation_html(*problem, max_frames=3).startswith(PLAYER_STYLE)
