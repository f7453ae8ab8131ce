"""Shared by the unit tests (the notebook collector is the repository's top-level conftest.py)."""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no window from a test, whatever the machine's default backend

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    """Every test starts without the figures of the one before (they would pile up in pyplot)."""
    yield
    plt.close("all")


#: Headless Chromium as this machine runs it (as root, with no network beyond loopback).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]
INSTALL_HINT = ("Chromium is needed for the browser tests (slides, book): install Debian's package "
                "with `sudo apt-get install chromium` (or set CHROMIUM=/path/to/chromium). "
                "Do not run `playwright install`.")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """One headless Chromium per test module; skipped without Chromium, except under CI=true."""
    executable = os.environ.get("CHROMIUM") or shutil.which("chromium")
    if not executable or not Path(executable).is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but Chromium is missing. {INSTALL_HINT}")
        pytest.skip(INSTALL_HINT)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
