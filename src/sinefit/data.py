"""The course data: noisy samples of sin(omega*x + t), made by a seeded generator.

``make data`` (``python -m course_editions.data``) rewrites ``data/*.npy`` byte for byte with
:func:`generate`.  The recipe of the hidden data set is not in this package: its parameters are the
answer to the blind-date exercise, and the package is what students get.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from sinefit._checks import ArgumentTypeError, as_int, as_real, check_bytes, check_phase, describe


@dataclass(frozen=True)
class DataSpec:
    """How one data file is generated."""

    n: int
    omega: float
    t: float
    noise: float
    seed: int


#: How the course data set was made (notebooks 04 and 05 read its noise level).
DATASETS: dict[str, DataSpec] = {
    "sgd_data": DataSpec(n=1000, omega=2.188, t=1.0, noise=0.1, seed=20240101),
}

#: Every data file of the course, by name (the file is ``data/<name>.npy``).
DATA_FILES: tuple[str, ...] = ("sgd_data", "sgd_data_hidden")


def generate(n: int, omega: float, t: float, noise: float, seed: int) -> NDArray[np.float64]:
    """Return ``n`` rows ``(x, y)`` with x uniform in [-pi, pi] and y = sin(omega*x + t) + noise.

    The noise is Gaussian with standard deviation ``noise``; the same ``seed`` (an integer >= 0)
    gives the same array on every run and machine.  Raises ValueError for non-finite parameters,
    for parameters so large that the data would overflow, and for more rows than fit in
    :data:`sinefit._checks.MAX_BYTES`.
    """
    n = as_int(n, "n", low=1, what="a positive integer number of rows")
    check_bytes(16.0 * n, f"generate(n={n:,}) (an (n, 2) float64 array)", "ask for fewer rows")
    omega = as_real(omega, "omega", example="2.188")
    t = as_real(t, "t", example="1.0")
    noise = as_real(noise, "noise", example="0.1")
    if not noise >= 0:
        raise ValueError(f"noise is a standard deviation and must be >= 0, got noise={noise!r}")
    seed = as_int(seed, "seed", low=0, what="an integer >= 0 (the same seed gives the same data)")
    check_phase(np.array([np.pi]), np.array([omega]), np.array([t]))
    rng = np.random.default_rng(seed)
    x = rng.uniform(-np.pi, np.pi, size=n)
    with np.errstate(over="ignore", invalid="ignore"):
        y = np.sin(omega * x + t) + noise * rng.standard_normal(n)
    if not np.all(np.isfinite(y)):
        raise ValueError(f"noise={noise!r} is too large: the noisy y overflow float64; use a noise level such as 0.1")
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


def _corrupt(path: Path, reason: str) -> ValueError:
    return ValueError(f"data file {path} is corrupt: {reason}; run `make data` to regenerate it")


def read_data_file(path: Path) -> NDArray[np.float64]:
    """Read a course ``.npy`` file, checking that it holds finite float64 rows (x, y).

    Never unpickles: a file holding Python objects is refused as corrupt, as is anything that is
    not a complete ``.npy`` file of shape (n, 2) and dtype float64.
    """
    path = Path(path)
    with open(path, "rb") as handle:
        try:
            version = np.lib.format.read_magic(handle)
            if version == (1, 0):
                shape, _, dtype = np.lib.format.read_array_header_1_0(handle)
            elif version == (2, 0):
                shape, _, dtype = np.lib.format.read_array_header_2_0(handle)
            else:
                raise ValueError(f"unsupported .npy format version {version}")
        except (ValueError, EOFError, SyntaxError) as exc:
            raise _corrupt(path, f"it is not a valid .npy file ({exc})") from None
    if dtype.hasobject:
        raise _corrupt(path, "it holds Python objects (pickled data), not numbers, and is not loaded")
    if dtype != np.dtype(np.float64):
        raise _corrupt(path, f"it holds {dtype} values, expected float64")
    if len(shape) != 2 or shape[1] != 2 or shape[0] < 1:
        raise _corrupt(path, f"it holds an array of shape {shape}, expected (n, 2) rows of (x, y)")
    try:
        data = np.load(path, allow_pickle=False)
    except (ValueError, EOFError, OSError) as exc:
        raise _corrupt(path, f"its data cannot be read ({exc})") from None
    if not np.all(np.isfinite(data)):
        bad = int(np.count_nonzero(~np.isfinite(data)))
        raise _corrupt(path, f"it holds {bad} non-finite value(s) (NaN or inf)")
    return data


def load(name: str = "sgd_data") -> NDArray[np.float64]:
    """Load ``data/<name>.npy`` as a float64 array of shape (n, 2), whatever the working directory.

    Raises FileNotFoundError for a missing file and ValueError for an unknown name or a file that
    does not hold finite float64 rows (x, y) (see :func:`read_data_file`).
    """
    if not isinstance(name, str):
        raise ArgumentTypeError(f"name must be the name of a data set, one of {list(DATA_FILES)}, got name={describe(name)}")
    if name not in DATA_FILES:
        raise ValueError(f"unknown data set name={name!r}; the course has {list(DATA_FILES)}")
    path = data_dir() / f"{name}.npy"
    if not path.is_file():
        raise FileNotFoundError(f"data file {path} is missing; run `make data` to regenerate it")
    return read_data_file(path)


def load_xy(
    name: str = "sgd_data", rows: int | None = None, dtype: type = np.float64
) -> tuple[NDArray, NDArray]:
    """Return the columns ``x`` and ``y`` of the first ``rows`` rows (all rows if None) as ``dtype``.

    ``dtype`` is a floating-point type (np.float64, np.float32, "float32", ...).
    """
    try:
        float_type = np.dtype(dtype)
    except TypeError:
        raise ArgumentTypeError(f"dtype must be a floating-point type such as np.float32, got dtype={describe(dtype)}") from None
    if float_type.kind != "f":
        raise ArgumentTypeError(f"dtype must be a floating-point type such as np.float32, got dtype={float_type}")
    data = load(name)
    if rows is not None:
        rows = as_int(rows, "rows", what=f"an integer between 1 and {len(data)} for {name!r}")
        if not 1 <= rows <= len(data):
            raise ValueError(f"rows must be between 1 and {len(data)} for {name!r}, got rows={rows}")
    data = data[:rows].astype(float_type)
    return data[:, 0], data[:, 1]
