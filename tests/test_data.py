"""The data files: their form, their seeded regeneration and the loader's errors."""

import numpy as np
import pytest

from sinefit import TRUE_PARAMS
from course_editions import data as recipes
from sinefit import data as sdata


def test_course_data_has_the_documented_form():
    data = sdata.load("sgd_data")
    assert data.dtype == np.float64 and data.shape == (1000, 2)
    x, y = data[:, 0], data[:, 1]
    assert x.min() >= -np.pi and x.max() <= np.pi
    residual = y - np.sin(TRUE_PARAMS[0] * x + TRUE_PARAMS[1])
    # The noise is Gaussian with sigma 0.1: its sample std over 1000 points is within a few %.
    assert abs(residual.std() - 0.1) < 0.01
    assert abs(residual.mean()) < 0.01


def test_hidden_data_has_the_documented_form():
    data = sdata.load("sgd_data_hidden")
    assert data.dtype == np.float64 and data.shape == (100, 2)
    spec = recipes.RECIPES["sgd_data_hidden"]
    residual = data[:, 1] - np.sin(spec.omega * data[:, 0] + spec.t)
    assert residual.std() < 0.15


@pytest.mark.parametrize("name", sdata.DATA_FILES)
def test_regeneration_is_byte_identical(tmp_path, name):
    (written,) = [p for p in recipes.write_all(tmp_path) if p.stem == name]
    committed = sdata.data_dir() / f"{name}.npy"
    assert written.read_bytes() == committed.read_bytes()


def test_generate_is_seeded_and_shaped():
    a = sdata.generate(7, 1.0, 0.0, 0.1, seed=3)
    b = sdata.generate(7, 1.0, 0.0, 0.1, seed=3)
    c = sdata.generate(7, 1.0, 0.0, 0.1, seed=4)
    assert a.shape == (7, 2)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    noiseless = sdata.generate(5, 2.0, 0.5, 0.0, seed=1)
    assert np.allclose(noiseless[:, 1], np.sin(2.0 * noiseless[:, 0] + 0.5))


def test_load_works_from_any_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert sdata.load().shape == (1000, 2)


def test_load_xy_rows_and_dtype():
    x, y = sdata.load_xy(rows=50, dtype=np.float32)
    assert x.shape == y.shape == (50,) and x.dtype == np.float32
    assert np.array_equal(x, sdata.load()[:50, 0].astype(np.float32))


def test_missing_file_names_the_file_and_the_fix(tmp_path, monkeypatch):
    monkeypatch.setenv("SINEFIT_DATA_DIR", str(tmp_path))
    with pytest.raises(FileNotFoundError, match=r"sgd_data\.npy.*make data"):
        sdata.load()


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: sdata.load("nope"), "unknown data set"),
        (lambda: sdata.load_xy(rows=0), "rows must be between"),
        (lambda: sdata.load_xy(rows=5000), "rows must be between"),
        (lambda: sdata.generate(0, 1, 1, 0.1, 1), "n must be a positive integer"),
        (lambda: sdata.generate(3, 1, 1, -0.1, 1), "noise"),
    ],
)
def test_bad_arguments_raise_value_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_the_package_does_not_hold_the_hidden_answer():
    """Students get the package: the blind date's parameters are only in the course tooling."""
    hidden = recipes.RECIPES["sgd_data_hidden"]
    assert "sgd_data_hidden" not in sdata.DATASETS
    source = (sdata.data_dir().parent / "src" / "sinefit" / "data.py").read_text(encoding="utf-8")
    assert f"omega={hidden.omega}" not in source and f"seed={hidden.seed}" not in source
