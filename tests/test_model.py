"""The model, its MSE and the analytic gradient, checked against torch autograd."""

import numpy as np
import pytest
import torch

from sinefit.data import load_xy
from sinefit.model import mse, mse_grad, predict
from sinefit.training import course_loss

X, Y = load_xy(rows=50)


def autograd(omega: float, t: float) -> tuple[float, float, float]:
    omega_t = torch.tensor(omega, dtype=torch.float64, requires_grad=True)
    t_t = torch.tensor(t, dtype=torch.float64, requires_grad=True)
    loss = course_loss(torch.from_numpy(X), torch.from_numpy(Y), omega_t, t_t)
    loss.backward()
    return loss.item(), omega_t.grad.item(), t_t.grad.item()


def test_mse_has_the_half_factor():
    residual = Y - np.sin(3.0 * X + 1.0)
    assert mse(X, Y, 3.0, 1.0) == pytest.approx(0.5 * np.mean(residual**2), rel=1e-15)
    assert mse(X, np.sin(2.0 * X + 0.5), 2.0, 0.5) == 0.0


def test_mse_grad_equals_autograd_at_random_points():
    rng = np.random.default_rng(0)
    points = np.column_stack([rng.uniform(0, 2 * np.pi, 120), rng.uniform(-np.pi, np.pi, 120)])
    for omega, t in points:
        loss, d_omega, d_t = autograd(omega, t)
        assert mse(X, Y, omega, t) == pytest.approx(loss, rel=1e-13, abs=1e-15)
        assert mse_grad(X, Y, omega, t) == pytest.approx((d_omega, d_t), rel=1e-11, abs=1e-13)


def test_mse_grad_vectorised_matches_pointwise():
    omegas = np.array([0.5, 2.0, 3.0])
    ts = np.array([[-1.0], [1.0]])
    d_omega, d_t = mse_grad(X, Y, omegas, ts)
    assert d_omega.shape == d_t.shape == (2, 3)
    assert d_omega[1, 2] == pytest.approx(mse_grad(X, Y, 3.0, 1.0)[0], rel=1e-14)
    assert mse(X, Y, omegas, ts).shape == (2, 3)


def test_torch_gradcheck_on_the_course_loss():
    x, y = torch.from_numpy(X), torch.from_numpy(Y)
    params = (torch.tensor(3.0, dtype=torch.float64, requires_grad=True),
              torch.tensor(1.0, dtype=torch.float64, requires_grad=True))
    assert torch.autograd.gradcheck(lambda o, t: course_loss(x, y, o, t), params)


@pytest.mark.parametrize(("omega", "t"), [(3.0, 1.0), (2.188, 1.0), (0.3, -2.5), (6.0, 3.0)])
def test_mse_grad_equals_central_differences(omega, t):
    h = 1e-6
    d_omega = (mse(X, Y, omega + h, t) - mse(X, Y, omega - h, t)) / (2 * h)
    d_t = (mse(X, Y, omega, t + h) - mse(X, Y, omega, t - h)) / (2 * h)
    assert mse_grad(X, Y, omega, t) == pytest.approx((d_omega, d_t), abs=1e-8)


def test_gradient_vanishes_at_the_fitted_optimum():
    # Near (2.188, 1) the loss is at its minimum: the gradient is almost zero there.
    from sinefit.descent import gradient_descent

    run = gradient_descent(X, Y, (2.188, 1.0), lr=0.5, steps=200)
    assert np.hypot(*mse_grad(X, Y, *run.final)) < 1e-8


def test_predict_shapes():
    assert predict(X, 1.0, 0.0).shape == (50,)
    assert predict(X, np.ones(3), 0.0).shape == (3, 50)
    assert np.allclose(predict(X, 2.0, 0.5), np.sin(2.0 * X + 0.5))


@pytest.mark.parametrize(
    ("x", "y", "omega", "t", "match"),
    [
        (X, Y[:10], 1.0, 1.0, r"same length.*\(50,\).*\(10,\)"),
        (X[:0], Y[:0], 1.0, 1.0, "empty"),
        (np.where(np.arange(50) == 3, np.nan, X), Y, 1.0, 1.0, "x has 1 non-finite"),
        (X, np.where(np.arange(50) == 3, np.inf, Y), 1.0, 1.0, "y has 1 non-finite"),
        (X.reshape(5, 10), Y.reshape(5, 10), 1.0, 1.0, "1-D"),
        (X, Y, np.ones(3), np.ones(4), r"broadcast.*\(3,\).*\(4,\)"),
        (X, Y, np.nan, 1.0, "omega has non-finite"),
    ],
)
def test_bad_input_raises_value_error_naming_argument(x, y, omega, t, match):
    with pytest.raises(ValueError, match=match):
        mse(x, y, omega, t)
    with pytest.raises(ValueError, match=match):
        mse_grad(x, y, omega, t)


def test_mse_and_grad_equals_the_separate_functions():
    from sinefit.model import mse_and_grad

    for omega, t in [(3.0, 1.0), (0.2, -2.0)]:
        loss, grad = mse_and_grad(X, Y, omega, t)
        assert loss == pytest.approx(mse(X, Y, omega, t), rel=1e-14)
        np.testing.assert_allclose(grad, mse_grad(X, Y, omega, t), rtol=1e-12, atol=1e-16)
    with pytest.raises(ValueError, match="one point"):
        mse_and_grad(X, Y, np.ones(2), 1.0)
