"""Property-based tests (Hypothesis) of the numerical core against the naive definitions and torch.

For random data and parameters: the loss, its analytic gradient, the prediction, the landscape
grid, the per-example and minibatch gradients and the training steps agree with a plain Python
loop over the definition, with torch's autograd, and with each other.  Examples are derandomised
(the same ones on every run) and few, so the whole file takes seconds.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sinefit.descent import descend, gradient_descent
from sinefit.landscape import landscape, mse_grid
from sinefit.minibatch import batch_indices, gradient_spread, minibatch_grads, per_example_grads, predicted_spread
from sinefit.model import mse, mse_and_grad, mse_grad, predict
from sinefit.training import course_loss, fit_minibatch, fit_torch

PROPERTY = settings(max_examples=50, deadline=10_000, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow])
# The torch runners: each example runs a short fit; no deadline, because the first torch call of a
# process warms torch up (seconds on a busy machine) and Hypothesis would call that flaky.
FEW = settings(PROPERTY, max_examples=10, deadline=None)

coordinate = st.floats(-5.0, 5.0, allow_nan=False, allow_infinity=False)
parameter = st.floats(-8.0, 8.0, allow_nan=False, allow_infinity=False)


@st.composite
def data(draw, min_size=1, max_size=30):
    """1-D data (x, y) of one random length: x in [-5, 5], y in [-3, 3]."""
    n = draw(st.integers(min_size, max_size))
    x = draw(arrays(np.float64, n, elements=coordinate))
    y = draw(arrays(np.float64, n, elements=st.floats(-3.0, 3.0)))
    return x, y


def naive_mse(x, y, omega, t):
    return 0.5 * sum((yi - math.sin(omega * xi + t)) ** 2 for xi, yi in zip(x, y)) / len(x)


def naive_grad(x, y, omega, t):
    residuals = [(yi - math.sin(omega * xi + t), math.cos(omega * xi + t), xi) for xi, yi in zip(x, y)]
    return (-sum(r * c * xi for r, c, xi in residuals) / len(x), -sum(r * c for r, c, _ in residuals) / len(x))


def torch_loss_and_grad(x, y, omega, t):
    o = torch.tensor(omega, dtype=torch.float64, requires_grad=True)
    s = torch.tensor(t, dtype=torch.float64, requires_grad=True)
    loss = course_loss(torch.from_numpy(x), torch.from_numpy(y), o, s)
    loss.backward()
    return loss.item(), (o.grad.item(), s.grad.item())


def close(a, b, scale=1.0):
    return np.allclose(a, b, rtol=1e-11, atol=1e-13 * scale)


@PROPERTY
@given(data(), parameter, parameter)
def test_mse_and_gradient_match_the_definition_and_torch(xy, omega, t):
    x, y = xy
    loss, grad = mse(x, y, omega, t), mse_grad(x, y, omega, t)
    assert close(loss, naive_mse(x, y, omega, t))
    assert close(grad, naive_grad(x, y, omega, t), scale=10)
    torch_loss, torch_grad = torch_loss_and_grad(x, y, omega, t)
    assert close(loss, torch_loss) and close(grad, torch_grad, scale=10)
    one_pass_loss, one_pass_grad = mse_and_grad(x, y, omega, t)
    assert close(one_pass_loss, loss) and close(one_pass_grad, grad, scale=10)
    assert loss >= 0


@PROPERTY
@given(arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(1, 5)), elements=coordinate),
       arrays(np.float64, st.integers(1, 3), elements=parameter), parameter)
def test_predict_is_the_sine_elementwise_with_the_documented_shape(x, omegas, t):
    values = predict(x, omegas, t)
    assert values.shape == omegas.shape + x.shape
    for k, omega in enumerate(omegas):
        expected = [[math.sin(omega * xi + t) for xi in row] for row in x]
        assert close(values[k], expected)


@PROPERTY
@given(data(), arrays(np.float64, st.integers(1, 6), elements=parameter),
       arrays(np.float64, st.integers(1, 6), elements=parameter))
def test_mse_grid_equals_mse_at_every_grid_point(xy, omegas, ts):
    x, y = xy
    grid = mse_grid(x, y, omegas, ts)
    assert grid.shape == (ts.size, omegas.size) and np.all(grid >= 0)
    pointwise = mse(x, y, *np.meshgrid(omegas, ts))
    # The grid combines six means over the data: rounding of the order of 1e-16 * <y^2 + 1>.
    assert np.allclose(grid, np.reshape(pointwise, grid.shape), rtol=1e-9, atol=1e-12 * (1 + np.mean(y * y)))
    grads = mse_grad(x, y, *np.meshgrid(omegas, ts))
    for i, t in enumerate(ts):
        for j, omega in enumerate(omegas):
            assert close((grads[0][i, j], grads[1][i, j]), naive_grad(x, y, omega, t), scale=10)


@PROPERTY
@given(data(min_size=2), st.integers(2, 9), st.integers(2, 9))
def test_landscape_spans_its_window_and_its_argmin_is_the_grid_minimum(xy, n_omega, n_t):
    x, y = xy
    land = landscape(x, y, n_omega=n_omega, n_t=n_t, omega_range=(0.5, 4.0), t_range=(-1.0, 2.0))
    assert land.values.shape == (n_t, n_omega)
    assert (land.omegas[0], land.omegas[-1], land.ts[0], land.ts[-1]) == (0.5, 4.0, -1.0, 2.0)
    omega, t = land.argmin()
    assert mse(x, y, omega, t) <= land.values.min() + 1e-9 * (1 + land.values.min())


@PROPERTY
@given(data(min_size=2), parameter, parameter, st.integers(0, 2**32 - 1))
def test_minibatch_gradients_are_means_of_per_example_gradients(xy, omega, t, seed):
    x, y = xy
    n = x.size
    rows = per_example_grads(x, y, omega, t)
    assert rows.shape == (n, 2)
    assert close(rows.mean(axis=0), mse_grad(x, y, omega, t), scale=10)
    for i in range(n):  # each row is the gradient of 1/2 (y_i - f(x_i))^2: the MSE of one point
        assert close(rows[i], naive_grad(x[i:i + 1], y[i:i + 1], omega, t), scale=10)
    batch_size = 1 + seed % n
    batches = batch_indices(n, batch_size, 7, seed)
    assert batches.shape == (7, batch_size)
    assert all(len(set(batch)) == batch_size and 0 <= min(batch) and max(batch) < n for batch in batches.tolist())
    assert np.array_equal(batches, batch_indices(n, batch_size, 7, seed))
    grads = minibatch_grads(x, y, omega, t, batch_size, 7, seed)
    assert close(grads, rows[batches].mean(axis=1), scale=10)
    full = minibatch_grads(x, y, omega, t, n, 3, seed)  # a minibatch of every row is the full gradient
    assert close(full, np.tile(mse_grad(x, y, omega, t), (3, 1)), scale=10)
    assert predicted_spread(x, y, omega, t, n) == 0.0
    assert gradient_spread(x, y, omega, t, n, 3, seed) <= 1e-12 * (1 + np.abs(rows).max())


@PROPERTY
@given(data(min_size=2), st.floats(0.5, 5.0), st.floats(-2.0, 2.0), st.floats(0.01, 0.3), st.integers(0, 4))
def test_gradient_descent_steps_follow_the_update_rule(xy, omega, t, lr, steps):
    x, y = xy
    run = gradient_descent(x, y, (omega, t), lr, steps)
    assert run.params.shape == (steps + 1, 2) and run.steps == steps
    for k in range(steps + 1):
        assert close(run.loss[k], naive_mse(x, y, *run.params[k]))
        assert close(run.grad[k], naive_grad(x, y, *run.params[k]), scale=10)
        if k < steps:
            assert np.allclose(run.params[k + 1], run.params[k] - lr * run.grad[k], rtol=1e-14, atol=1e-15)


@PROPERTY
@given(st.floats(-10.0, 10.0), st.floats(0.05, 1.9), st.integers(0, 30))
def test_descend_on_a_parabola_is_the_closed_form(start, lr, steps):
    # f(p) = p^2 / 2: every step multiplies p by (1 - lr) (|1 - lr| < 1, so |p| only shrinks).
    run = descend(lambda p: (0.5 * float(p @ p), p), [start], lr, steps)
    expected = start * (1 - lr) ** np.arange(steps + 1)
    assert np.allclose(run.params[:, 0], expected, rtol=1e-12, atol=1e-13 * abs(start))


@FEW
@given(data(min_size=2, max_size=20), st.floats(1.0, 4.0), st.floats(-1.5, 1.5), st.floats(0.01, 0.3),
       st.integers(0, 4))
def test_torch_sgd_runs_match_the_numpy_runner(xy, omega, t, lr, steps):
    x, y = xy
    numpy_run = gradient_descent(x, y, (omega, t), lr, steps)
    torch_run = fit_torch(x, y, (omega, t), steps, lambda p: torch.optim.SGD(p, lr=lr))
    assert np.allclose(torch_run.params, numpy_run.params, rtol=1e-10, atol=1e-12)
    assert np.allclose(torch_run.loss, numpy_run.loss, rtol=1e-10, atol=1e-14)
    assert np.allclose(torch_run.grad, numpy_run.grad, rtol=1e-9, atol=1e-12)
    # One full batch per epoch: fit_minibatch takes the same steps.
    minibatch_run = fit_minibatch([(x, y)], (omega, t), steps, lambda p: torch.optim.SGD(p, lr=lr), train=(x, y))
    assert np.allclose(minibatch_run.trajectory.params, numpy_run.params, rtol=1e-10, atol=1e-12)
    assert np.allclose(minibatch_run.batch_loss, numpy_run.loss[:-1], rtol=1e-10, atol=1e-14)
