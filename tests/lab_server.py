"""A JupyterLab server started the way `make lab` starts it, and helpers to drive it from Chromium.

Shared by the browser tests of the course in JupyterLab (tests/test_lab.py) and in its RISE
slideshow (tests/test_rise.py), and by benchmarks/browser.py.  :func:`running_lab` starts the
command `make -n lab` prints plus ``LAB_ARGS="--no-browser --port=0"``: the OS picks a free
loopback port, the token comes from ``JUPYTER_TOKEN`` and every Jupyter/IPython directory the
server could write to is a temporary one, so the user's own configuration neither leaks in nor
gets written.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jupytext
import psutil

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.md"))
OVERRIDES = ROOT / "jupyter" / "overrides.json"
# Debian's chromium, driven by the `playwright` Python package (no `playwright install`).
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]
LAB_ARGS = "--no-browser --port=0"
START_TIMEOUT_S = 120
UI_TIMEOUT_MS = 90_000  # two shared CPUs: the first JupyterLab page load can take a while


def lab_command() -> list[str]:
    """The command `make lab LAB_ARGS=...` runs: the last line `make -n` prints."""
    dry_run = subprocess.run(
        ["make", "--no-print-directory", "-n", "lab", f"LAB_ARGS={LAB_ARGS}"],
        cwd=ROOT, capture_output=True, text=True,
    )
    assert dry_run.returncode == 0, f"`make -n lab` failed:\n{dry_run.stderr}"
    return shlex.split(dry_run.stdout.strip().splitlines()[-1])


def hermetic_env(tmp: Path, token: str) -> dict[str, str]:
    """The environment with every directory Jupyter or IPython writes to moved under ``tmp``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "IPYTHON"))}
    dirs = {
        "JUPYTER_CONFIG_DIR": "config",
        "JUPYTER_DATA_DIR": "data",
        "JUPYTER_RUNTIME_DIR": "runtime",
        "JUPYTERLAB_SETTINGS_DIR": "user-settings",
        "JUPYTERLAB_WORKSPACES_DIR": "workspaces",
        "IPYTHONDIR": "ipython",
    }
    for var, name in dirs.items():
        (tmp / name).mkdir()
        env[var] = str(tmp / name)
    env["JUPYTER_TOKEN"] = token
    return env


@dataclass
class LabServer:
    """A running `jupyter lab` child process and how to talk to it."""

    process: subprocess.Popen[bytes]
    base_url: str
    token: str
    log_path: Path
    started_in_s: float
    descendants: dict[int, psutil.Process] = field(default_factory=dict)

    def request(self, path: str, method: str = "GET", body: Any = None,
                authenticated: bool = True) -> tuple[int, bytes]:
        """Send one HTTP request; return (status, body) whatever the status."""
        headers = {"Authorization": f"token {self.token}"} if authenticated else {}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(self.base_url + path, data=data, method=method,
                                     headers=headers)
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(req, timeout=60) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            with error:
                return error.code, error.read()

    def json(self, path: str, method: str = "GET", body: Any = None) -> Any:
        status, raw = self.request(path, method, body)
        assert 200 <= status < 300, f"{method} {path} -> {status}: {raw[:500]!r}"
        return json.loads(raw) if raw else None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    @property
    def runtime_dir(self) -> Path:
        """The server's JUPYTER_RUNTIME_DIR: its kernels' connection files are there."""
        return self.log_path.parent / "runtime"

    def remember_descendants(self) -> None:
        """Record every process the server has started so far (kernels get their own session)."""
        try:
            for child in psutil.Process(self.process.pid).children(recursive=True):
                self.descendants.setdefault(child.pid, child)
        except psutil.NoSuchProcess:
            pass

    def stop(self) -> list[str]:
        """Stop the server by its process id; return a description of every process left over."""
        self.remember_descendants()
        leftovers = []
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)  # Jupyter shuts its kernels down on SIGTERM
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                leftovers.append(f"server pid {self.process.pid} ignored SIGTERM for 30 s")
                self.process.kill()
                self.process.wait()
        _, alive = psutil.wait_procs(list(self.descendants.values()), timeout=15)
        for proc in alive:
            leftovers.append(f"pid {proc.pid}: {' '.join(proc.cmdline())}")
            proc.kill()
        try:  # anything else still in the server's process group
            os.killpg(self.process.pid, signal.SIGKILL)
            leftovers.append(f"process group {self.process.pid} still had members")
        except ProcessLookupError:
            pass
        return leftovers


def start_lab(tmp: Path) -> LabServer:
    """Start `make lab`'s command; return once the server answers an authenticated request."""
    token = secrets.token_hex(24)
    env = hermetic_env(tmp, token)
    log_path = tmp / "lab.log"
    started = time.monotonic()
    with log_path.open("wb") as log:
        process = subprocess.Popen(lab_command(), cwd=ROOT, env=env, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    try:
        return wait_until_serving(process, tmp / "runtime", token, log_path, started)
    except BaseException:  # never leave a server behind a failed start
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        raise


def wait_until_serving(process: subprocess.Popen[bytes], runtime_dir: Path, token: str,
                       log_path: Path, started: float) -> LabServer:
    # The server writes jpserver-<pid>.json (with the port the OS gave it) just before it listens.
    info_file = runtime_dir / f"jpserver-{process.pid}.json"
    server = None
    while time.monotonic() - started < START_TIMEOUT_S:
        if process.poll() is not None:
            raise RuntimeError(f"jupyter lab exited with {process.returncode}:\n"
                               + log_path.read_text(errors="replace")[-4000:])
        if server is None and info_file.is_file():
            try:
                info = json.loads(info_file.read_text())
            except json.JSONDecodeError:  # still being written
                info = None
            if info:
                assert info["pid"] == process.pid, "the server must be the process make lab starts"
                url = f"http://127.0.0.1:{info['port']}"
                server = LabServer(process, url, token, log_path, 0.0)
        if server is not None:
            try:
                if server.request("/api/status")[0] == 200:
                    server.started_in_s = time.monotonic() - started
                    return server
            except (urllib.error.URLError, ConnectionError):  # not listening yet
                pass
        time.sleep(0.2)
    raise RuntimeError(f"jupyter lab did not answer within {START_TIMEOUT_S} s:\n"
                       + log_path.read_text(errors="replace")[-4000:])


def contents_path(notebook: Path) -> str:
    return "/api/contents/" + quote(notebook.relative_to(ROOT).as_posix())


def open_in_lab(lab: LabServer, browser: Any, relative_path: str) -> tuple[Any, Any]:
    """Open `/lab/tree/<relative_path>` in a fresh browser context; ``reset``: one document."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.goto(f"{lab.base_url}/lab/tree/{quote(relative_path)}?reset&token={lab.token}")
    page.locator("#jp-main-dock-panel .jp-NotebookPanel, #jp-main-dock-panel .jp-FileEditor") \
        .first.wait_for(timeout=UI_TIMEOUT_MS)
    return context, page


def close_in_lab(lab: LabServer, context: Any) -> None:
    """Close the browser context (or a page of one) and shut down the kernels it started."""
    context.close()
    lab.remember_descendants()
    for session in lab.json("/api/sessions"):
        lab.json(f"/api/sessions/{session['id']}", "DELETE")


def wait_for_connected_kernel(lab: LabServer, relative_path: str) -> None:
    """Wait until the page's kernel for ``relative_path`` is idle with the browser connected to it.

    Shift+Enter before that asks the student to select a kernel instead of running the cell.
    """
    deadline = time.monotonic() + UI_TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        for session in lab.json("/api/sessions"):
            kernel = session.get("kernel") or {}
            if (session["path"] == relative_path and kernel.get("execution_state") == "idle"
                    and kernel.get("connections", 0) >= 1):
                return
        time.sleep(0.2)
    raise AssertionError(f"no idle kernel connected to {relative_path}: "
                         f"{lab.json('/api/sessions')}\nserver log:\n{lab.log()}")


def run_first_code_cell(lab: LabServer, page: Any, relative_path: str) -> Any:
    """Click into the first code cell, press Shift+Enter, wait for its execution count."""
    wait_for_connected_kernel(lab, relative_path)
    cell = page.locator(".jp-Notebook .jp-CodeCell").first
    cell.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Shift+Enter")
    prompt = cell.locator(".jp-InputArea-prompt")
    prompt.filter(has_text=re.compile(r"\[\d+\]")).wait_for(timeout=UI_TIMEOUT_MS)
    return cell


@contextmanager
def scratch_notebook(lab: LabServer, name: str, cell_source: str, *more_cells: str) -> Iterator[str]:
    """A notebook of code cells (``cell_source``, then ``more_cells``) under _build/ (ignored by
    git), written through the contents API with the course's header; yields its path relative to
    the server root and removes it afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="lab-check-", dir=ROOT / "_build"))
    relative = (folder / name).relative_to(ROOT).as_posix()
    try:
        markdown = "\n".join(f"```{{code-cell}} ipython3\n{source}```\n"
                             for source in (cell_source, *more_cells))
        notebook = jupytext.reads(markdown, fmt="md:myst")
        # The course's header (jupytext saves the kernelspec only for notebooks that have one).
        notebook.metadata = jupytext.read(NOTEBOOKS[0], fmt="md:myst").metadata
        lab.json("/api/contents/" + quote(relative), "PUT",
                 {"type": "notebook", "format": "json", "content": notebook})
        yield relative
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def scratch_cell_run(lab: LabServer, browser: Any, name: str, cell_source: str,
                     *more_cells: str) -> Iterator[tuple[Any, Any]]:
    """Open a scratch notebook holding ``cell_source`` (and ``more_cells`` after it, not run) in
    the browser, run its first cell with Shift+Enter and yield ``(page, cell)``; the tab and the
    notebook are closed afterwards."""
    with scratch_notebook(lab, name, cell_source, *more_cells) as relative:
        context, page = open_in_lab(lab, browser, relative)
        try:
            yield page, run_first_code_cell(lab, page, relative)
        finally:
            close_in_lab(lab, context)


# The explorer as notebooks 01 and 04 show it (a coarser landscape: the check is the widget).
EXPLORER_CELL = """\
from sinefit.explorer import Explorer
from sinefit.plotting import use_course_style

use_course_style()
explorer = Explorer(grid=100)
explorer
"""


# -- the explorer followed while a slider is dragged (also driven by benchmarks/browser.py) --------

# What the page records about the explorer's picture, installed on its <img>: every picture that
# was painted, with its blob URL, when the widget set it and when it was on screen (decoded, then
# the first animation frame showing it, then the task after that frame: the frame is painted),
# and the time stamps of the input events.  All times are the page's performance.now().  A
# picture replaced before its frame is not recorded: nobody saw it.
PICTURE_PROBE_JS = """
img => {
  const probe = {painted: [], keydowns: [], pointerdowns: [], pointermoves: [], pointerups: []};
  const watch = () => {
    const src = img.src, set = performance.now();
    img.decode().then(() => requestAnimationFrame(() => {
      if (img.src !== src) return;
      setTimeout(() => probe.painted.push({src, set, painted: performance.now()}), 0);
    })).catch(() => {});
  };
  new MutationObserver(watch).observe(img, {attributes: true, attributeFilter: ['src']});
  for (const [type, list] of [['keydown', probe.keydowns], ['pointerdown', probe.pointerdowns],
                              ['pointermove', probe.pointermoves], ['pointerup', probe.pointerups]]) {
    document.addEventListener(type, event => list.push(event.timeStamp), true);
  }
  window.explorerProbe = probe;
  watch();
}
"""
# The SHA-1 of the picture the page shows now, read back from its blob URL.
PICTURE_SHA1_JS = """
async img => {
  const bytes = await (await fetch(img.src)).arrayBuffer();
  const digest = await crypto.subtle.digest('SHA-1', bytes);
  return Array.from(new Uint8Array(digest), b => b.toString(16).padStart(2, '0')).join('');
}
"""
# Run after a drag: the picture the kernel last sent, and whether redrawing for the controls'
# current values gives the same bytes (the picture shown is the one of the final slider value).
EXPLORER_STATE_CELL = """\
import hashlib
import json

sent = explorer.image.value
explorer.update()
print(json.dumps({"lr": format(explorer.lr_slider.value, ".3g"), "sha1": hashlib.sha1(sent).hexdigest(),
                  "up_to_date": explorer.image.value == sent}))
"""


@dataclass
class ExplorerView:
    """The explorer's output in a JupyterLab page, with the picture probe installed."""

    page: Any
    output: Any

    @classmethod
    def of(cls, page: Any, cell: Any) -> ExplorerView:
        output = cell.locator(".jp-OutputArea-output:has(.widget-vbox)")
        output.wait_for(timeout=UI_TIMEOUT_MS)
        view = cls(page, output)
        view.picture.wait_for(timeout=UI_TIMEOUT_MS)
        page.wait_for_function("img => img.complete && img.naturalWidth > 500",
                               arg=view.picture.element_handle(), timeout=UI_TIMEOUT_MS)
        view.picture.evaluate(PICTURE_PROBE_JS)
        page.wait_for_function("() => window.explorerProbe.painted.length >= 1", timeout=UI_TIMEOUT_MS)
        return view

    @property
    def picture(self) -> Any:
        return self.output.locator(".widget-vbox img")

    @property
    def lr_slider(self) -> Any:
        return self.output.locator(".widget-slider").first

    def readout(self) -> str:
        return self.lr_slider.locator(".widget-readout").inner_text().strip()

    def status(self) -> str:
        return self.output.locator(".widget-html").inner_text()

    def probe(self) -> dict[str, Any]:
        return self.page.evaluate("() => window.explorerProbe")

    def shown_sha1(self) -> str:
        return self.picture.evaluate(PICTURE_SHA1_JS)

    def drag_lr(self, fractions: list[float], seconds: float, moves_per_s: float = 60) -> None:
        """Drag the learning-rate slider as a hand does: press its handle, move the mouse along
        the track through ``fractions`` of its width (piecewise linearly, ``seconds`` in all, one
        move per frame) and release it there."""
        self.lr_slider.scroll_into_view_if_needed()
        track = self.lr_slider.locator(".noUi-target").bounding_box()
        handle = self.lr_slider.locator(".noUi-handle").bounding_box()
        y = handle["y"] + handle["height"] / 2
        mouse = self.page.mouse
        mouse.move(handle["x"] + handle["width"] / 2, y)
        mouse.down()
        start = time.monotonic()
        while (elapsed := time.monotonic() - start) < seconds:
            mouse.move(track["x"] + track["width"] * along(fractions, elapsed / seconds), y)
            time.sleep(1 / moves_per_s)
        mouse.move(track["x"] + track["width"] * fractions[-1], y)
        mouse.up()

    def wait_until_settled(self, quiet_s: float = 0.6) -> None:
        """Wait until the status line shows the slider's value, the picture shown has been painted
        and nothing changed for ``quiet_s``."""
        deadline = time.monotonic() + UI_TIMEOUT_MS / 1000
        last, since = None, time.monotonic()
        while time.monotonic() < deadline:
            probe = self.probe()
            state = (self.readout(), self.status(), self.picture.get_attribute("src"),
                     len(probe["painted"]))
            settled = (status_lr(state[1]) == readout_lr(state[0]) and probe["painted"]
                       and probe["painted"][-1]["src"] == state[2])
            if state != last or not settled:
                last, since = state, time.monotonic()
            elif time.monotonic() - since >= quiet_s:
                return
            time.sleep(0.05)
        raise AssertionError(f"the explorer did not settle: readout {last}")


def readout_lr(readout: str) -> float:
    """The slider's readout (d3's ".3g", which keeps trailing zeros: "0.100") as Python's ".3g"."""
    return float(format(float(readout), ".3g"))


def status_lr(status: str) -> float | None:
    """The learning rate the status line reports ("lr = 0.1, 50 steps: ...")."""
    found = re.search(r"lr = ([-+.\de]+)", status)
    return float(found.group(1)) if found else None


def along(fractions: list[float], progress: float) -> float:
    """The point ``progress`` (0..1) of the way along the piecewise-linear path ``fractions``."""
    position = min(max(progress, 0.0), 1.0) * (len(fractions) - 1)
    index = min(int(position), len(fractions) - 2)
    return fractions[index] + (position - index) * (fractions[index + 1] - fractions[index])


def run_code_cell(page: Any, index: int) -> Any:
    """Click into code cell ``index``, press Shift+Enter, wait for its execution count."""
    cell = page.locator(".jp-Notebook .jp-CodeCell").nth(index)
    cell.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Shift+Enter")
    cell.locator(".jp-InputArea-prompt").filter(has_text=re.compile(r"\[\d+\]")) \
        .wait_for(timeout=UI_TIMEOUT_MS)
    return cell


@contextmanager
def running_lab(prefix: str) -> Iterator[LabServer]:
    """A server for a test module: started, yielded, stopped (if a test has not stopped it yet),
    with the checkpoints folder it made in notebooks/ and its temporary directories removed."""
    checkpoints = ROOT / "notebooks" / ".ipynb_checkpoints"
    had_checkpoints = checkpoints.exists()
    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    server = start_lab(tmp)
    print(f"jupyter lab answered after {server.started_in_s:.1f} s")
    try:
        yield server
    finally:
        server.stop()
        if not had_checkpoints:  # opening a notebook creates a checkpoint; clean up after us
            shutil.rmtree(checkpoints, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)
