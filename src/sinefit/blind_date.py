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

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sinefit.data import load_xy
from sinefit.feedback import Feedback, unanswered
from sinefit.landscape import OMEGA_RANGE, T_RANGE, landscape
from sinefit.model import mse

#: How far above the best achievable loss an answer may be and still pass: 5 %.  Near the best
#: fit of the hidden data that allows an error of roughly 0.02 in omega or 0.03 in t (the loss
#: grows quadratically away from the minimum), so a converged descent passes and a guess read
#: off a plot usually does not; any other local minimum is many times worse and fails by far.
TOLERANCE: float = 0.05

#: Grid points per axis of the search for the best loss (spacing about 0.006 in both axes).
SEARCH_GRID: int = 1000

#: Said with every answer that does not pass yet.
RETRY_HINT = ("try several starts spread across omega in [0, 2*pi] (each valley catches only the starts "
              "near it), more steps or another learning rate, and keep the run with the lowest loss.")


@dataclass(frozen=True, repr=False)
class BlindDateResult(Feedback):
    """The verdict on one answer, as a :class:`~sinefit.feedback.Feedback` that also keeps the two
    losses it compared (never any parameters).

    In a notebook it shows as a sentence: *Correct!*, *Not yet:* or *Not attempted yet:*.
    """

    loss: float = float("nan")
    best_loss: float = float("nan")
    tolerance: float = TOLERANCE
    name: str = "sgd_data_hidden"

    @property
    def ratio(self) -> float:
        """The answer's loss divided by the best achievable loss (1.0 is perfect; NaN without an answer)."""
        if not (np.isfinite(self.loss) and np.isfinite(self.best_loss) and self.best_loss > 0):
            return float("nan")
        return self.loss / self.best_loss


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


#: check_answer(omega) without t: the student may have passed both parameters in one go.
_MISSING: Any = object()


def _verdict_on(value: Any, argument: str) -> tuple[float | None, str, str]:
    """The answer as a finite float, or (None, what is wrong, a hint)."""
    if isinstance(value, str):
        return None, f"{argument} should be a number, got the text {value[:30]!r}.", "pass numbers, e.g. check_answer(2.5, 0.3)."
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return None, f"{argument} should be a number, got a {type(value).__name__}.", "pass numbers, e.g. check_answer(2.5, 0.3)."
    if arr.size != 1:
        return (None, f"{argument} should be one number, got {arr.size} of them.",
                "to pass the end of a run, write check_answer(*run.final) or check_answer(omega, t).")
    number = float(arr.reshape(()))
    if not np.isfinite(number):
        return (None, f"{argument} is {number}, not a finite number: a descent whose learning rate is "
                f"too large can end there.", "lower the learning rate and run the descent again.")
    return number, "", ""


def check_answer(
    omega: Any = ..., t: Any = _MISSING, name: str = "sgd_data_hidden", tolerance: float = TOLERANCE
) -> BlindDateResult:
    """Say whether (omega, t) fits the data set ``name`` within ``tolerance`` of the best possible.

    The answer passes when MSE(omega, t) <= (1 + tolerance) * best achievable MSE.  The result is a
    :class:`~sinefit.feedback.Feedback` (a sentence in a notebook) that also holds the two losses;
    it never holds the best parameters.  A missing (``...``), malformed or non-finite answer gets
    a *Not attempted yet* or *Not yet* sentence, not an exception; ``check_answer(run.final)``
    (both parameters in one argument) is understood.  A bad ``name`` or ``tolerance`` (the
    exercise's own settings, not the student's answer) raises ``ValueError``.
    """
    tolerance_value = float(tolerance)
    if not (np.isfinite(tolerance_value) and tolerance_value > 0):
        raise ValueError(f"tolerance must be a positive fraction such as 0.05, got tolerance={tolerance!r}")
    x, y = load_xy(name)  # raises ValueError for an unknown name
    settings = {"tolerance": tolerance_value, "name": name}
    if t is _MISSING:
        pair = None if omega is ... or isinstance(omega, str) else np.asarray(omega, dtype=object).ravel()
        if pair is not None and pair.size == 2:
            omega, t = pair
        elif omega is not ...:
            return BlindDateResult("incorrect", "check_answer needs two numbers, omega and t.",
                                   "write check_answer(omega, t), or check_answer(*run.final) for a run.",
                                   **settings)
    if unanswered(omega) or unanswered(t) or t is _MISSING:
        return BlindDateResult("not attempted", "put the (omega, t) of your best run in place of the `...` "
                               "and run the cell again.", **settings)
    numbers = []
    for value, argument in ((omega, "omega"), (t, "t")):
        number, problem, hint = _verdict_on(value, argument)
        if number is None:
            return BlindDateResult("incorrect", problem, hint, **settings)
        numbers.append(number)
    with np.errstate(all="ignore"):  # huge parameters overflow the phase: judged below, not warned
        phase = numbers[0] * x + numbers[1]
        loss = float(0.5 * np.mean((y - np.sin(phase)) ** 2))
    best = best_loss(name)
    if not np.isfinite(loss):
        return BlindDateResult("incorrect", f"the MSE at your parameters is {loss}, not a finite number "
                               f"(omega or t is too large to evaluate).", RETRY_HINT,
                               loss=loss, best_loss=best, **settings)
    if loss <= (1 + tolerance_value) * best:
        return BlindDateResult(
            "correct",
            f"A match: your MSE on {name} is {loss:.5f}, within {tolerance_value:.0%} of the best "
            f"achievable {best:.5f}.",
            loss=loss, best_loss=best, **settings)
    ratio = loss / best
    excess = f"{ratio:.1f} times" if ratio >= 2 else f"{ratio - 1:.1%} above"
    return BlindDateResult(
        "incorrect",
        f"your MSE on {name} is {loss:.5f}, {excess} the best achievable {best:.5f} (a pass needs at "
        f"most {tolerance_value:.0%} above).",
        RETRY_HINT, loss=loss, best_loss=best, **settings)
