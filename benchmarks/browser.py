"""The explorer as a student sees it: JupyterLab in Chromium, driven by playwright like a hand.

JupyterLab is started exactly as ``make lab`` starts it and the page is driven with the helpers of
``tests/lab_server.py`` (Debian's ``/usr/bin/chromium`` through the ``playwright`` package: no
``playwright install``).  A probe in the page records every picture of the explorer that is
painted, and the time stamps of the input events, all on the page's clock.  For each explorer
(notebook 01's, and notebook 04's with its optimizer menu):

* a 3-second drag of the learning-rate slider, by the mouse, from lr = 0.1 up to 10 and back
  down to 0.01 and up to 0.1, one mouse move per frame: ``*_drag_updates_per_s`` is the number of
  distinct pictures painted between pressing and releasing the mouse per second of drag, and
  ``*_drag_settle_ms`` the time from the release to the final picture painted;
* ``LATENCY_CHANGES`` single changes of the same slider, by the arrow keys, each after the
  previous picture was painted and a random pause: ``*_browser_latency_ms_p50``/``_p95`` is the
  time from the key's event to the new picture painted (decoded, shown in an animation frame, and
  that frame done).
"""

from __future__ import annotations

import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
import lab_server as lab_helpers  # noqa: E402  (the server and browser helpers of the tests)

DRAG_SECONDS = 3.0
#: The drag, as fractions of the slider's track (log10 lr from -3 to 1): 0.1 -> 10 -> 0.01 -> 0.1.
DRAG_PATH = [0.5, 1.0, 0.25, 0.5]
LATENCY_CHANGES = 40

#: The explorers of the course's notebooks, made as notebooks 01 and 04 make them.
EXPLORER_CELLS = {
    "explorer": """\
from sinefit import TRUE_PARAMS
from sinefit.data import load_xy
from sinefit.explorer import DataSet, Explorer
from sinefit.plotting import use_course_style

use_course_style()
x, y = load_xy()
explorer = Explorer(
    datasets={"course data": DataSet(x, y, true_params=TRUE_PARAMS)},
    lr=0.1, start=(3.0, 1.0), steps=50,
)
explorer
""",
    "optimizer_explorer": """\
import torch

from sinefit import TRUE_PARAMS
from sinefit.data import load_xy
from sinefit.explorer import DataSet, Explorer, optimizer_runner
from sinefit.plotting import use_course_style

use_course_style()
x_all, y_all = load_xy()
N_TRAIN, BETA = 800, 0.9
x_train, y_train = x_all[:N_TRAIN], y_all[:N_TRAIN]
explorer = Explorer(
    datasets={f"{N_TRAIN} training rows": DataSet(x_train, y_train, true_params=TRUE_PARAMS)},
    runners={
        "SGD": optimizer_runner(torch.optim.SGD),
        "momentum": optimizer_runner(torch.optim.SGD, momentum=BETA),
        "Nesterov": optimizer_runner(torch.optim.SGD, momentum=BETA, nesterov=True),
        "Adam": optimizer_runner(torch.optim.Adam),
    },
    lr=0.1, start=(3.0, 1.0), steps=50, grid=100,
)
explorer
""",
}


def measure_drag(view: Any) -> dict[str, float]:
    view.drag_lr(DRAG_PATH, seconds=DRAG_SECONDS)
    view.wait_until_settled()
    probe = view.probe()
    down, up = probe["pointerdowns"][-1], probe["pointerups"][-1]
    during = {p["src"] for p in probe["painted"] if down < p["painted"] <= up}
    final = probe["painted"][-1]
    return {"drag_updates_per_s": len(during) / ((up - down) / 1000),
            "drag_pictures": len(during),
            "drag_mouse_moves": len([t for t in probe["pointermoves"] if down <= t <= up]),
            "drag_settle_ms": max(final["painted"] - up, 0.0)}


def measure_latency(view: Any, changes: int, seed: int = 20) -> list[float]:
    rng = random.Random(seed)
    page = view.page
    view.lr_slider.locator(".noUi-handle").focus()
    latencies = []
    for change in range(changes):
        # Ten steps up, ten down: the value stays well inside the slider's range.
        key = "ArrowRight" if (change // 10) % 2 == 0 else "ArrowLeft"
        painted_before = len(view.probe()["painted"])
        page.keyboard.press(key)
        page.wait_for_function("n => window.explorerProbe.painted.length > n", arg=painted_before,
                               timeout=lab_helpers.UI_TIMEOUT_MS)
        probe = view.probe()
        pressed = probe["keydowns"][-1]
        latencies.append(probe["painted"][painted_before]["painted"] - pressed)
        time.sleep(rng.uniform(0.1, 0.3))
    return latencies


def measure(lab: Any, browser: Any, name: str, cell: str) -> dict[str, Any]:
    with lab_helpers.scratch_cell_run(lab, browser, f"bench_{name}.md", cell) as (page, cell_el):
        view = lab_helpers.ExplorerView.of(page, cell_el)
        measure_latency(view, 5, seed=1)  # warm-up: the first updates load code and fill caches
        drag = measure_drag(view)
        latencies = measure_latency(view, LATENCY_CHANGES)
    return {
        f"{name}_drag_updates_per_s": drag["drag_updates_per_s"],
        f"{name}_drag_pictures": drag["drag_pictures"],
        f"{name}_drag_mouse_moves": drag["drag_mouse_moves"],
        f"{name}_drag_settle_ms": drag["drag_settle_ms"],
        f"{name}_browser_latency_ms_p50": float(np.percentile(latencies, 50)),
        f"{name}_browser_latency_ms_p95": float(np.percentile(latencies, 95)),
        f"{name}_browser_latency_changes": len(latencies),
    }


def run() -> dict[str, Any]:
    if not lab_helpers.CHROMIUM.is_file():
        return {"browser_error": f"needs Chromium at {lab_helpers.CHROMIUM} (apt-get install -y chromium)"}
    from playwright.sync_api import sync_playwright

    results: dict[str, Any] = {}
    tmp = Path(tempfile.mkdtemp(prefix="bench_lab_"))
    lab = lab_helpers.start_lab(tmp)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(lab_helpers.CHROMIUM),
                                                 headless=True, args=lab_helpers.CHROMIUM_ARGS)
            try:
                for name, cell in EXPLORER_CELLS.items():
                    results.update(measure(lab, browser, name, cell))
            finally:
                browser.close()
    finally:
        leftovers = lab.stop()
        if leftovers:
            results["browser_leftover_processes"] = leftovers
        shutil.rmtree(tmp, ignore_errors=True)
    return results


if __name__ == "__main__":
    for key, value in run().items():
        print(f"{key:<44} {value}")
