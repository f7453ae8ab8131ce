"""The descent runners: trajectories, divergence reports and bad input."""

import numpy as np
import pytest

from sinefit.data import load_xy
from sinefit.descent import DivergenceError, descend, gradient_descent
from sinefit.model import mse, mse_grad

X, Y = load_xy(rows=50)


def test_trajectory_records_every_step():
    run = gradient_descent(X, Y, (3.0, 1.0), lr=0.1, steps=50)
    assert run.params.shape == (51, 2) and run.loss.shape == (51,) and run.grad.shape == (51, 2)
    assert np.array_equal(run.params[0], [3.0, 1.0])
    for k in (0, 10, 49):
        np.testing.assert_allclose(run.params[k + 1], run.params[k] - 0.1 * run.grad[k], rtol=0, atol=1e-15)
        assert run.loss[k] == pytest.approx(mse(X, Y, *run.params[k]), rel=1e-14)
        np.testing.assert_allclose(run.grad[k], mse_grad(X, Y, *run.params[k]))
    np.testing.assert_allclose(run.grad_norm, np.hypot(run.grad[:, 0], run.grad[:, 1]))
    assert run.steps == 50 and np.array_equal(run.final, run.params[-1])


def test_descent_from_the_course_start_converges_to_the_true_parameters():
    run = gradient_descent(X, Y, (3.0, 1.0), lr=0.1, steps=50)
    assert np.all(np.diff(run.loss) <= 1e-15)
    assert np.allclose(run.final, (2.188, 1.0), atol=0.05)


def test_one_dimensional_quadratic_contracts_by_one_minus_eta_a():
    a, eta = 13 / 3, 0.1
    run = descend(lambda p: (0.5 * a * p[0] ** 2, [a * p[0]]), [2.0], eta, 10)
    np.testing.assert_allclose(run.params[:, 0], 2.0 * (1 - eta * a) ** np.arange(11), rtol=1e-13)


def test_divergence_stops_with_a_clear_message():
    a = 13 / 3
    with pytest.raises(DivergenceError, match=r"at step \d+ with learning rate lr=0\.5") as caught:
        descend(lambda p: (0.5 * a * p[0] ** 2, [a * p[0]]), [2.0], 0.5, 5000)
    partial = caught.value.trajectory
    assert len(partial.params) > 10 and np.all(np.isfinite(partial.loss))
    assert partial.loss[-1] > partial.loss[0]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"lr": 0.0}, "lr"), ({"lr": np.nan}, "lr"), ({"steps": -1}, "steps"),
     ({"start": (1.0, np.inf)}, "start"), ({"start": (1.0, 2.0, 3.0)}, r"start must be \(omega, t\)")],
)
def test_bad_runs_raise(kwargs, match):
    args = {"start": (3.0, 1.0), "lr": 0.1, "steps": 5} | kwargs
    with pytest.raises(ValueError, match=match):
        gradient_descent(X, Y, **args)
