"""The "blind date" exercise: is a fit of the hidden data as good as a fit can be?

The student fits (omega, t) to ``data/sgd_data_hidden.npy`` without looking at its landscape.
:func:`check_answer` compares the MSE at their parameters with the best MSE achievable on that
data set and says whether they are within a few percent of it, reporting losses only: the
parameters that achieve the best loss are never printed, returned or stored in the result.

The best achievable loss is found by a fine grid search over the course window
(omega in [0, 2*pi], t in [-pi, pi]; :mod:`sinefit.landscape`) followed by Gauss-Newton
refinement of the best grid point.  The window holds every fit up to symmetry: t is
2*pi-periodic and sin(omega*x + t) = sin(-omega*x + pi - t), so a fit with omega < 0 has a mirror
image with omega > 0 and the same loss.  (Frequencies above 2*pi are outside the course's question.)
An answer outside the window is judged by its own loss, so equivalent parameters pass too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from sinefit.data import load_xy
from sinefit.landscape import OMEGA_RANGE, T_RANGE, landscape
from sinefit.model import mse

#: How far above the best achievable loss an answer may be and still pass: 5 %.  Near the best
#: fit of the hidden data that allows an error of roughly 0.02 in omega or 0.03 in t (the loss
#: grows quadratically away from the minimum), so a converged descent passes and a guess read
#: off a plot usually does not; any other local minimum is many times worse and fails by far.
TOLERANCE: float = 0.05

#: Grid points per axis of the search for the best loss (spacing about 0.006 in both axes).
SEARCH_GRID: int = 1000


@dataclass(frozen=True)
class BlindDateResult:
    """The verdict on one answer: its loss against the best achievable loss (no parameters)."""

    passed: bool
    loss: float
    best_loss: float
    tolerance: float
    name: str = field(default="sgd_data_hidden")

    @property
    def ratio(self) -> float:
        """The answer's loss divided by the best achievable loss (1.0 is perfect)."""
        return self.loss / self.best_loss

    @property
    def message(self) -> str:
        """A verdict for the student that names losses only, never parameters."""
        if self.passed:
            return (
                f"Match! Your MSE on {self.name} is {self.loss:.5f}, within {self.tolerance:.0%} "
                f"of the best achievable {self.best_loss:.5f}."
            )
        excess = (
            f"{self.ratio:.1f} times" if self.ratio >= 2 else f"{self.ratio - 1:.1%} above"
        )
        return (
            f"Not yet: your MSE on {self.name} is {self.loss:.5f}, {excess} the best achievable "
            f"{self.best_loss:.5f} (a pass needs at most {self.tolerance:.0%} above). "
            f"Try another start, more steps or a different learning rate."
        )

    def __str__(self) -> str:
        return self.message


def _gauss_newton(
    x: NDArray[np.float64], y: NDArray[np.float64], start: NDArray[np.float64], iterations: int = 50
) -> NDArray[np.float64]:
    """Refine a least-squares fit of sin(omega*x + t) from ``start``; steps that raise the loss are halved."""
    params = start.astype(float)
    loss = mse(x, y, *params)
    for _ in range(iterations):
        phase = params[0] * x + params[1]
        residual = y - np.sin(phase)
        jacobian = np.cos(phase)[:, np.newaxis] * np.column_stack([x, np.ones_like(x)])
        step = np.linalg.lstsq(jacobian, residual, rcond=None)[0]
        for _ in range(30):  # backtracking: the full step can overshoot far from the minimum
            trial = params + step
            trial_loss = mse(x, y, *trial)
            if trial_loss <= loss:
                break
            step = step / 2
        else:
            break
        converged = np.max(np.abs(trial - params)) < 1e-13
        params, loss = trial, trial_loss
        if converged:
            break
    return params


def _best_fit(x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.float64]:
    """The parameters with the smallest MSE in the course window (kept private: it is the answer)."""
    land = landscape(x, y, n_omega=SEARCH_GRID, n_t=SEARCH_GRID, omega_range=OMEGA_RANGE, t_range=T_RANGE)
    return _gauss_newton(x, y, np.array(land.argmin()))


@lru_cache(maxsize=None)
def best_loss(name: str = "sgd_data_hidden") -> float:
    """The smallest MSE achievable on the data set ``name`` (the first call searches, later ones reuse it)."""
    x, y = load_xy(name)
    return float(mse(x, y, *_best_fit(x, y)))


def _as_number(value: object, argument: str) -> float:
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{argument} must be a real number, got {argument}={value!r}") from None
    if arr.ndim != 0 and arr.size != 1:
        raise ValueError(f"{argument} must be a single number, got an array of shape {arr.shape}")
    number = float(arr.reshape(()))
    if not np.isfinite(number):
        raise ValueError(f"{argument} must be finite, got {argument}={number!r}")
    return number


def check_answer(
    omega: float, t: float, name: str = "sgd_data_hidden", tolerance: float = TOLERANCE
) -> BlindDateResult:
    """Say whether (omega, t) fits the data set ``name`` within ``tolerance`` of the best possible.

    The answer passes when MSE(omega, t) <= (1 + tolerance) * best achievable MSE.  The result
    holds the two losses and a printable ``message``; it never holds the best parameters.
    """
    omega_value = _as_number(omega, "omega")
    t_value = _as_number(t, "t")
    tolerance_value = _as_number(tolerance, "tolerance")
    if tolerance_value <= 0:
        raise ValueError(f"tolerance must be a positive fraction such as 0.05, got tolerance={tolerance!r}")
    x, y = load_xy(name)  # raises ValueError for an unknown name
    loss = float(mse(x, y, omega_value, t_value))
    best = best_loss(name)
    return BlindDateResult(
        passed=loss <= (1 + tolerance_value) * best,
        loss=loss,
        best_loss=best,
        tolerance=tolerance_value,
        name=name,
    )
