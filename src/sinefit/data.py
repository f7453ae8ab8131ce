"""The course data: noisy samples of sin(omega*x + t), made by a seeded generator.

``python -m sinefit.data`` (or ``make data``) rewrites ``data/*.npy`` byte for byte.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class DataSpec:
    """How one data file is generated."""

    n: int
    omega: float
    t: float
    noise: float
    seed: int


#: Every data file of the course, by name (the file is ``data/<name>.npy``).
DATASETS: dict[str, DataSpec] = {
    "sgd_data": DataSpec(n=1000, omega=2.188, t=1.0, noise=0.1, seed=20240101),
    # The answer to the "blind date" exercise: notebooks never print these parameters.
    "sgd_data_hidden": DataSpec(n=100, omega=4.0, t=2.0, noise=0.1, seed=20240102),
}


def generate(n: int, omega: float, t: float, noise: float, seed: int) -> NDArray[np.float64]:
    """Return ``n`` rows ``(x, y)`` with x uniform in [-pi, pi] and y = sin(omega*x + t) + noise.

    The noise is Gaussian with standard deviation ``noise``; the same ``seed`` gives the same
    array on every run and machine.
    """
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive integer number of rows, got n={n!r}")
    if not noise >= 0:
        raise ValueError(f"noise is a standard deviation and must be >= 0, got noise={noise!r}")
    rng = np.random.default_rng(seed)
    x = rng.uniform(-np.pi, np.pi, size=n)
    y = np.sin(omega * x + t) + noise * rng.standard_normal(n)
    return np.column_stack([x, y])


def repo_root() -> Path:
    """The course repository: the one this package was installed from, else the nearest above cwd."""
    candidates = [Path(__file__).resolve().parents[2], *Path.cwd().resolve().parents]
    candidates.insert(1, Path.cwd().resolve())
    for folder in candidates:
        if (folder / "pyproject.toml").is_file() and (folder / "notebooks").is_dir():
            return folder
    raise FileNotFoundError(
        "cannot find the course repository (a folder with pyproject.toml and notebooks/); "
        "install the package with `make setup` from a clone, or set SINEFIT_DATA_DIR"
    )


def data_dir() -> Path:
    """The folder holding the ``.npy`` files: ``$SINEFIT_DATA_DIR`` if set, else ``<repo>/data``."""
    override = os.environ.get("SINEFIT_DATA_DIR")
    return Path(override) if override else repo_root() / "data"


def load(name: str = "sgd_data") -> NDArray[np.float64]:
    """Load ``data/<name>.npy`` as a float64 array of shape (n, 2), whatever the working directory."""
    if name not in DATASETS:
        raise ValueError(f"unknown data set name={name!r}; the course has {sorted(DATASETS)}")
    path = data_dir() / f"{name}.npy"
    if not path.is_file():
        raise FileNotFoundError(f"data file {path} is missing; run `make data` to regenerate it")
    return np.load(path)


def load_xy(
    name: str = "sgd_data", rows: int | None = None, dtype: type = np.float64
) -> tuple[NDArray, NDArray]:
    """Return the columns ``x`` and ``y`` of the first ``rows`` rows (all rows if None) as ``dtype``."""
    data = load(name)
    if rows is not None and not 1 <= rows <= len(data):
        raise ValueError(f"rows must be between 1 and {len(data)} for {name!r}, got rows={rows}")
    data = data[:rows].astype(dtype)
    return data[:, 0], data[:, 1]


def write_all(directory: Path | None = None) -> list[Path]:
    """Generate every data set and write it to ``directory`` (default: the course's data folder)."""
    folder = Path(directory) if directory is not None else data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, spec in DATASETS.items():
        path = folder / f"{name}.npy"
        np.save(path, generate(spec.n, spec.omega, spec.t, spec.noise, spec.seed))
        written.append(path)
    return written


if __name__ == "__main__":
    for written_path in write_all():
        print(f"wrote {written_path}")
