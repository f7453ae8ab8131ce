"""sinefit.quadratic: the convergence factors of gradient descent and momentum per eigenvalue."""

import numpy as np
import pytest

from sinefit.data import load_xy
from sinefit.model import mse_grad
from sinefit.quadratic import (
    best_gd,
    best_momentum,
    gd_factor,
    momentum_factor,
    momentum_matrix,
    run_quadratic,
    sine_hessian,
    worst_factor,
)


def test_momentum_factor_is_the_spectral_radius_of_its_matrix():
    rng = np.random.default_rng(1)
    for lr, beta, lam in rng.uniform([0, 0, 0], [5, 0.999, 2], size=(200, 3)):
        assert np.isclose(momentum_factor(lr, beta, lam), np.abs(np.linalg.eigvals(momentum_matrix(lr, beta, lam))).max())


def test_momentum_matrix_is_one_step_of_torch_momentum():
    torch = pytest.importorskip("torch")
    lam, lr, beta = 0.7, 0.3, 0.8
    theta = torch.tensor(1.5, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.SGD([theta], lr=lr, momentum=beta)
    state = np.array([1.5, 0.0])
    for _ in range(10):
        optimizer.zero_grad()
        (0.5 * lam * theta**2).backward()
        optimizer.step()
        state = momentum_matrix(lr, beta, lam) @ state
        assert np.isclose(theta.item(), state[0])


def test_beta_zero_is_gradient_descent_and_the_limit_is_two_one_plus_beta():
    lrs = np.linspace(0, 3, 31)
    assert np.allclose(momentum_factor(lrs, 0.0, 1.0), gd_factor(lrs, 1.0))
    for beta in (0.0, 0.3, 0.9):
        limit = 2 * (1 + beta)
        assert momentum_factor(0.999 * limit, beta, 1.0) < 1 < momentum_factor(1.001 * limit, beta, 1.0)


@pytest.mark.parametrize("kappa", [2.0, 10.0, 100.0])
def test_the_classical_optima(kappa):
    low, high = 1.0, kappa
    lr, factor = best_gd(low, high)
    assert np.isclose(worst_factor(gd_factor(lr, low), gd_factor(lr, high)), factor)
    assert np.isclose(factor, (kappa - 1) / (kappa + 1))
    lr, beta, factor = best_momentum(low, high)
    assert np.isclose(worst_factor(momentum_factor(lr, beta, low), momentum_factor(lr, beta, high)), factor)
    assert np.isclose(factor, (np.sqrt(kappa) - 1) / (np.sqrt(kappa) + 1)) and np.isclose(beta, factor**2)
    lrs, betas = np.meshgrid(np.linspace(0.001, 4 / high, 200), np.linspace(0, 0.99, 200), indexing="ij")
    assert worst_factor(momentum_factor(lrs, betas, low), momentum_factor(lrs, betas, high)).min() >= factor - 1e-9


def test_run_quadratic_shrinks_at_the_predicted_rate():
    hessian = np.diag([0.1, 1.0])
    path = run_quadratic(hessian, (1.0, 1.0), lr=1.0, beta=0.2, steps=300)  # a real dominant root
    errors = np.linalg.norm(path, axis=1)
    predicted = worst_factor(momentum_factor(1.0, 0.2, 0.1), momentum_factor(1.0, 0.2, 1.0))
    assert np.isclose((errors[300] / errors[150]) ** (1 / 150), predicted, rtol=1e-3)
    assert np.allclose(run_quadratic(hessian, (1.0, 1.0), lr=0.5, steps=2)[-1], [0.95**2, 0.5**2])


def test_sine_hessian_matches_central_differences():
    x, y = load_xy(rows=50)
    h = 1e-5
    for omega, t in [(2.2, 1.0), (3.0, 1.0), (1.0, -0.5)]:
        by_differences = np.column_stack([
            (np.array(mse_grad(x, y, *(np.array([omega, t]) + h * e)))
             - np.array(mse_grad(x, y, *(np.array([omega, t]) - h * e)))) / (2 * h) for e in np.eye(2)])
        assert np.allclose(sine_hessian(x, y, omega, t), by_differences, atol=1e-7)
