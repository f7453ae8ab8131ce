"""The checkers of notebook 01's exercises (gradient descent by hand).

- :func:`check_regime_boundaries`: the two learning rates where descent on the parabola
  f(x) = a x^2 / 2 changes behaviour (exercise "how many regimes?");
- :func:`check_d_mse_d_t`: the student's function for dMSE/dt (exercise "the gradient with
  respect to t").

The blind-date exercise has its own checker, :func:`sinefit.blind_date.check_answer`.

Every checker returns a :class:`sinefit.feedback.Feedback`; a wrong, malformed or missing
(``...``) answer gets a sentence, never an exception.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from sinefit.data import load_xy
from sinefit.feedback import Feedback, correct, describe_answer, not_attempted, not_yet, unanswered
from sinefit.model import mse_grad

#: The curvature of notebook 01's warm-up parabola f(x) = a x^2 / 2.
PARABOLA_CURVATURE: float = 13 / 3

#: How far (relative) a boundary found by experiment may be from the exact one: a sweep of the
#: learning rate in steps of 0.01 finds both boundaries of the course parabola well within it.
BOUNDARY_TOLERANCE: float = 0.03


def _as_positive_number(value: Any, name: str) -> tuple[float | None, Feedback | None]:
    """The answer as a float, or the feedback that says why it is not a usable learning rate."""
    if isinstance(value, (bool, np.bool_)):
        return None, not_yet(f"{name} is {value!r}, a truth value; it should be a learning rate, a number.",
                             "write a number such as 0.3 (or an expression of a).")
    try:
        number = float(np.asarray(value, dtype=float).reshape(()))
    except (TypeError, ValueError):
        return None, not_yet(f"{name} should be one number, a learning rate; got {_describe(value)}.",
                             "write a number such as 0.3 (or an expression of a).")
    if not np.isfinite(number) or number <= 0:
        return None, not_yet(f"{name} is {number:g}; a learning rate is a positive finite number.",
                             "learning rates are greater than 0.")
    return number, None


_describe = describe_answer  # shared with the other lectures' checkers


def _close(value: float, target: float, tolerance: float = BOUNDARY_TOLERANCE) -> bool:
    return abs(value - target) <= tolerance * target


def check_regime_boundaries(one_step_lr: Any, diverges_above: Any, a: float = PARABOLA_CURVATURE) -> Feedback:
    """Check the two learning rates where descent on f(x) = a x^2 / 2 changes behaviour.

    ``one_step_lr``: the learning rate that reaches the minimum in one step (1/a);
    ``diverges_above``: the learning rate above which the iterates grow (2/a).
    Values found by experiment pass if they are within 3 % of the exact ones.
    """
    if unanswered(one_step_lr, diverges_above):
        return not_attempted("Replace both `...` with the learning rates you found and run the cell again.")
    one_step, problem = _as_positive_number(one_step_lr, "one_step_lr")
    if problem is not None:
        return problem
    diverge, problem = _as_positive_number(diverges_above, "diverges_above")
    if problem is not None:
        return problem
    one_step_exact, diverge_exact = 1 / a, 2 / a
    if _close(one_step, one_step_exact) and _close(diverge, diverge_exact):
        return correct(
            f"One step at eta = 1/a = {one_step_exact:.4f}, divergence above eta = 2/a = {diverge_exact:.4f}. "
            f"Between them descent still converges, oscillating: three regimes and two boundary cases."
        )
    if _close(one_step, diverge_exact) and _close(diverge, one_step_exact):
        return not_yet("the two learning rates are swapped: the smaller one reaches the minimum in one step.",
                       "at which eta is the factor 1 - eta*a equal to 0, and at which is it -1?")
    if _close(diverge, one_step_exact):
        return not_yet(
            f"{diverge:.4g} is where x_k starts to change sign at every step, not where it starts to grow. "
            f"Just above it, descent oscillates but still converges.",
            "x_k grows only when |1 - eta*a| > 1; try eta = 0.3 and eta = 0.4 and look at |x_k|.",
        )
    if _close(one_step, a) or _close(diverge, 2 * a):
        return not_yet(
            f"the boundaries scale like 1/a, not like a (a = {a:.4g}): a more curved parabola needs a "
            f"smaller learning rate.",
            "write x_{k+1} in terms of x_k and ask when the factor is 0 and when it is -1.",
        )
    if diverge <= one_step:
        return not_yet("diverges_above should be larger than one_step_lr: just above the one-step learning "
                       "rate, descent still converges.",
                       "try a learning rate slightly above your one_step_lr and watch whether |x_k| shrinks.")
    right = [name for name, ok in (("one_step_lr", _close(one_step, one_step_exact)),
                                   ("diverges_above", _close(diverge, diverge_exact))) if ok]
    wrong = [name for name in ("one_step_lr", "diverges_above") if name not in right]
    said_right = f"{right[0]} is right; " if right else ""
    return not_yet(
        f"{said_right}{' and '.join(wrong)} {'is' if len(wrong) == 1 else 'are'} not where the behaviour "
        f"changes (an experiment should get within 3 %).",
        "one step from x_0 = 2 lands on 0 when x_1 = (1 - eta*a) x_0 = 0; |x_k| stops shrinking when "
        "|1 - eta*a| reaches 1.",
    )


#: Where the checker of dMSE/dt evaluates the student's function: (omega, t) across the window.
_T_CHECK_POINTS: tuple[tuple[float, float], ...] = ((3.0, 1.0), (2.188, 1.0), (0.7, -2.0), (5.1, 2.6), (1.9, -0.4))


def _reference_d_t(x: np.ndarray, y: np.ndarray, omega: float, t: float) -> float:
    return float(mse_grad(x, y, omega, t)[1])


def _mistakes(x: np.ndarray, y: np.ndarray, omega: float, t: float) -> dict[str, float]:
    """What the common wrong derivations give at one point, by the mistake's name."""
    phase = omega * x + t
    residual = y - np.sin(phase)
    right = -np.mean(residual * np.cos(phase))
    return {
        "sign": -right,
        "half": 2 * right,
        "sum": -np.sum(residual * np.cos(phase)),
        "x factor": -np.mean(residual * np.cos(phase) * x),
        "no cos": -np.mean(residual),
    }


_MISTAKE_FEEDBACK: dict[str, tuple[str, str]] = {
    "sign": ("your function gives the gradient with the wrong sign.",
             "the inner derivative of y_i - sin(omega x_i + t) with respect to t is -cos(omega x_i + t)."),
    "half": ("your function gives twice the gradient: the 1/2 of the MSE cancels the 2 that "
             "differentiating the square brings down.",
             "d/dt of (1/2) r^2 is r * dr/dt, without a factor 2."),
    "sum": ("your function sums over the data points instead of averaging: the MSE has a 1/N.",
            "use np.mean(...) rather than np.sum(...)."),
    "x factor": ("your function gives dMSE/domega, with its factor x_i: the inner derivative of "
                 "omega x_i + t with respect to t is 1, not x_i.",
                 "drop the x from the dMSE/domega formula."),
    "no cos": ("your function misses the factor cos(omega x_i + t) from the derivative of the sine.",
               "d/dt sin(omega x_i + t) = cos(omega x_i + t)."),
}


def check_d_mse_d_t(d_mse_d_t: Callable[..., Any]) -> Feedback:
    """Check a student's ``d_mse_d_t(x, y, omega, t)`` against the analytic dMSE/dt on the course data.

    The function is evaluated on the 50 points of notebook 01 at a few (omega, t) across the window;
    it must return one number, equal to the true derivative up to rounding.
    """
    if unanswered(d_mse_d_t):
        return not_attempted("Replace the `...` in d_mse_d_t with the derivative and run the cell again.")
    if not callable(d_mse_d_t):
        return not_yet(f"pass the function itself, d_mse_d_t, not {_describe(d_mse_d_t)}.",
                       "check_d_mse_d_t(d_mse_d_t), without parentheses after the function's name.")
    x, y = load_xy("sgd_data", rows=50)
    for omega, t in _T_CHECK_POINTS:
        try:
            with np.errstate(all="ignore"):
                answer = d_mse_d_t(x.copy(), y.copy(), omega, t)
        except Exception as error:  # the student's code: any error becomes a sentence
            return not_yet(f"calling d_mse_d_t(x, y, {omega}, {t}) raised {type(error).__name__}: {error}.",
                           "run your function on x, y and one (omega, t) in a cell of its own to see where.")
        if answer is ...:
            return not_attempted("Replace the `...` in d_mse_d_t with the derivative and run the cell again.")
        if answer is None:
            return not_yet("your function returns nothing (None).",
                           "end it with `return` and the derivative, e.g. return -np.mean(...).")
        if isinstance(answer, tuple) and len(answer) == 2:
            return not_yet("your function returns two values; it should return dMSE/dt only.",
                           "return one number: the derivative of the MSE with respect to t.")
        values = np.asarray(answer, dtype=object)
        if values.size == len(x) and values.size > 1:
            return not_yet(f"your function returns {values.size} values, one per data point: the MSE "
                           f"averages over the data, so its derivative does too.",
                           "average the per-point derivatives with np.mean.")
        try:
            value = float(np.asarray(answer, dtype=float).reshape(()))
        except (TypeError, ValueError):
            return not_yet(f"your function should return one number; it returned {_describe(answer)}.",
                           "return a float such as -np.mean(...).")
        if not np.isfinite(value):
            return not_yet(f"your function returned {value} at (omega, t) = ({omega}, {t}).",
                           "the derivative is a finite number everywhere; look for a division.")
        expected = _reference_d_t(x, y, omega, t)
        if np.isclose(value, expected, rtol=1e-9, atol=1e-12):
            continue
        for mistake, wrong in _mistakes(x, y, omega, t).items():
            if np.isclose(value, wrong, rtol=1e-9, atol=1e-12):
                return not_yet(*_MISTAKE_FEEDBACK[mistake])
        return not_yet(f"at (omega, t) = ({omega}, {t}) your function gives {value:.6g}, but dMSE/dt "
                       f"there is {expected:.6g}.",
                       "differentiate (1/2)(y_i - sin(omega x_i + t))^2 with the chain rule, then average over i.")
    return correct(f"d_mse_d_t matches the analytic dMSE/dt at {len(_T_CHECK_POINTS)} points of the window.")
