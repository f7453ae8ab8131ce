"""The recipes of the course's data files: ``make data`` (``python -m course_editions.data``)
rewrites ``data/*.npy`` byte for byte.

The hidden data set's parameters live here, in the course tooling, and not in :mod:`sinefit.data`:
they are the answer to the blind-date exercise, and the package ships with the student edition.
The notebooks never print them; the checker (:mod:`sinefit.blind_date`) finds the best fit itself.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sinefit.data import DATA_FILES, DATASETS, DataSpec, data_dir, generate

#: Every data file's recipe, by name (the file is ``data/<name>.npy``).
RECIPES: dict[str, DataSpec] = {
    **DATASETS,
    "sgd_data_hidden": DataSpec(n=100, omega=4.0, t=2.0, noise=0.1, seed=20240102),
}
assert tuple(RECIPES) == DATA_FILES, "a data file without a recipe, or a recipe without a file"


def write_all(directory: Path | None = None) -> list[Path]:
    """Generate every data set and write it to ``directory`` (default: the course's data folder)."""
    folder = Path(directory) if directory is not None else data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, spec in RECIPES.items():
        path = folder / f"{name}.npy"
        np.save(path, generate(spec.n, spec.omega, spec.t, spec.noise, spec.seed))
        written.append(path)
    return written


if __name__ == "__main__":
    for written_path in write_all():
        print(f"wrote {written_path}")
