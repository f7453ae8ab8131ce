"""Explorer latency: from setting a control to the figure redrawn on the Agg canvas and the new
picture in the image widget.

Setting ``slider.value`` in Python runs the explorer's update synchronously, the same update a
message from JupyterLab runs right after the message: rerun the descent, move the artists' data,
rescale the curve axes, redraw the canvas and encode the picture for the widget.  The time of that
assignment is the latency (the browser's part is measured by ``browser.py``).
"""

from __future__ import annotations

import time

import numpy as np

from sinefit.data import load_xy
from sinefit.explorer import DataSet, Explorer, course_datasets
from sinefit.plotting import use_course_style

#: Every tenth update switches the data set; the other updates move one of the four sliders.
DATASET_EVERY = 10


def new_value(explorer: Explorer, slider, rng: np.random.Generator):
    """A random value for ``slider`` over its whole range, different from its current one."""
    while True:
        if slider is explorer.lr_slider:
            value = float(10 ** rng.uniform(slider.min, slider.max))
        elif slider is explorer.steps_slider:
            value = int(rng.integers(1, slider.max + 1))
        else:
            value = float(rng.uniform(slider.min, slider.max))
        if value != slider.value:
            return value


def time_ms(action, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append(1000 * (time.perf_counter() - start))
    return times


def run(updates: int = 60, seed: int = 20240109) -> dict[str, float]:
    """Time ``updates`` (>= 50) explorer updates with random values; also time the alternatives."""
    if updates < 50:
        raise ValueError(f"updates must be at least 50 for a meaningful p95, got {updates}")
    use_course_style()
    # Two data sets, so that switching between them is timed too (the default has only one).
    explorer = Explorer(datasets=course_datasets() | {"hidden data": DataSet(*load_xy("sgd_data_hidden"))})
    rng = np.random.default_rng(seed)
    sliders = [explorer.lr_slider, explorer.steps_slider, explorer.omega_slider, explorer.t_slider]
    names = list(explorer.datasets)
    # Warm-up: show every data set once (its still background is drawn the first time only).
    for name in names[1:] + names[:1]:
        explorer.dataset_menu.value = name
    latencies = []
    for update in range(updates):
        if update % DATASET_EVERY == DATASET_EVERY - 1:
            control = explorer.dataset_menu
            value = names[(names.index(control.value) + 1) % len(names)]
        else:
            control = sliders[update % len(sliders)]
            value = new_value(explorer, control, rng)
        picture_before = explorer.image.value
        start = time.perf_counter()
        control.value = value
        latencies.append(1000 * (time.perf_counter() - start))
        if explorer.image.value is picture_before:
            raise AssertionError(f"setting {control.description} to {value!r} did not update the picture")
    # The alternatives the explorer does not use, for the README's comparison.
    full_draw = time_ms(explorer.figure.canvas.draw, repeats=10)
    explorer.render()
    png = time_ms(lambda: explorer.encode("png"), repeats=10)
    jpeg = time_ms(lambda: explorer.encode("jpeg"), repeats=10)
    return {
        "widget_latency_ms_median": float(np.median(latencies)),
        "widget_latency_ms_p95": float(np.percentile(latencies, 95)),
        "widget_latency_updates": len(latencies),
        "widget_full_redraw_ms_median": float(np.median(full_draw)),
        "widget_png_encode_ms_median": float(np.median(png)),
        "widget_jpeg_encode_ms_median": float(np.median(jpeg)),
    }


if __name__ == "__main__":
    for key, value in run().items():
        print(f"{key:<32} {value:10.2f}")
