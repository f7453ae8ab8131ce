"""The checkers of notebook 04's exercises (SGD and its optimizers).

- :func:`check_smallest_batch`: the smallest batch size whose minibatch gradient at (3, 1) is
  within 10 % of the full gradient's length, and what the 1/sqrt(b) law alone predicts
  (exercise "the smallest batch size");
- :func:`check_uncorrected_first_step`: how far Adam's first step would move each parameter
  without the bias correction, in units of the learning rate (exercise "Adam without its bias
  correction");
- :func:`check_momentum_lr_limit`: the largest learning rate for which momentum with beta = 0.9
  converges next to the sine fit's minimum, 2(1 + beta)/lambda_max (exercise "momentum's largest
  learning rate").

Every checker returns a :class:`sinefit.feedback.Feedback`; a wrong, malformed or missing
(``...``) answer gets a sentence, never an exception.  The checkers compute the right answers
themselves, from the package's data and formulas, so they do not depend on the notebook's
variables.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

from sinefit.data import load_xy
from sinefit.descent import gradient_descent
from sinefit.feedback import Feedback, correct, describe_answer, not_attempted, not_yet, unanswered
from sinefit.minibatch import predicted_spread
from sinefit.model import mse_grad
from sinefit.quadratic import sine_hessian

#: Notebook 04 trains on the first 800 rows of the course data (the last 200 are for validation).
TRAINING_ROWS: int = 800
#: Where notebook 04 measures the gradient noise: the starting point of every lecture.
START: tuple[float, float] = (3.0, 1.0)
#: The exercise's target: a spread below this fraction of the full gradient's length.
TARGET_FRACTION: float = 0.1

#: Adam's defaults in torch (and in notebook 04).
ADAM_BETAS: tuple[float, float] = (0.9, 0.999)
#: Notebook 04's Adam learning rate (to recognise an answer given in parameter units).
ADAM_LR: float = 0.05
#: How close (relative) an answer to the Adam exercise must be: 3.16 for 3.1623 passes.
STEP_TOLERANCE: float = 5e-3


_describe = describe_answer  # shared with the other lectures' checkers


# ----------------------------------------------------------------------------------------------
# Exercise: the smallest batch size


@lru_cache(maxsize=1)
def _spread_facts() -> dict[str, Any]:
    """The numbers the batch-size exercise is about, from the package's data and formula."""
    x, y = load_xy("sgd_data", rows=TRAINING_ROWS)
    gradient_length = float(np.linalg.norm(mse_grad(x, y, *START)))
    target = TARGET_FRACTION * gradient_length
    spreads = np.array([predicted_spread(x, y, *START, b) for b in range(1, TRAINING_ROWS + 1)])
    trace_sigma = float(spreads[0] ** 2)  # at b = 1 the finite-population factor is 1

    def first_below(threshold: float, curve: np.ndarray = spreads) -> int:
        return int(np.argmax(curve < threshold)) + 1

    def naive_below(threshold: float) -> int:
        # 1/sqrt(b) alone: spread(1)/sqrt(b) < threshold  <=>  b > tr(Sigma) / threshold**2.
        return int(np.floor(trace_sigma / threshold**2)) + 1

    return {
        "spreads": spreads,
        "gradient_length": gradient_length,
        "target": target,
        "trace_sigma": trace_sigma,
        "smallest": first_below(target),
        "naive": naive_below(target),
        # what common slips give
        "smallest_absolute": first_below(TARGET_FRACTION),  # spread < 0.1, not 10 % of |grad|
        "smallest_of_spread": first_below(TARGET_FRACTION * spreads[0]),  # 10 % of the spread at b = 1
        "naive_absolute": naive_below(TARGET_FRACTION),
        "naive_of_spread": naive_below(TARGET_FRACTION * spreads[0]),
        "naive_unsquared": int(np.ceil(np.sqrt(trace_sigma) / target)),
    }


def _as_batch_size(value: Any, name: str) -> tuple[int | None, Feedback | None]:
    """The answer as a batch size, or the feedback that says why it is not one."""
    if isinstance(value, (bool, np.bool_)):
        return None, not_yet(f"{name} is {value}, a truth value; it should be a batch size, a whole number.",
                             "write a whole number such as 100.")
    if isinstance(value, (str, bytes)):
        return None, not_yet(f"{name} is {_describe(value)}; it should be a batch size, a whole number.",
                             "write the number without quotes.")
    try:
        number = float(np.asarray(value, dtype=float).reshape(()))
    except (TypeError, ValueError):
        return None, not_yet(f"{name} should be one whole number, a batch size; got {_describe(value)}.",
                             "write a whole number such as 100, or an expression that computes one.")
    if not np.isfinite(number) or number != round(number):
        return None, not_yet(f"{name} is {number:g}; a batch size is a whole number of rows.",
                             "round up: the smallest whole b for which the condition holds.")
    size = int(round(number))
    if not 1 <= size <= TRAINING_ROWS:
        return None, not_yet(f"{name} is {size}; a batch holds between 1 and the {TRAINING_ROWS} training rows.",
                             "look between b = 1 and b = 800.")
    return size, None


def _smallest_problem(size: int, facts: dict[str, Any]) -> Feedback | None:
    """What is wrong with the answer for the smallest batch size (None if it is right)."""
    right, target, spreads = facts["smallest"], facts["target"], facts["spreads"]
    if size == right:
        return None
    spread = spreads[size - 1]
    if size == right - 1:
        return not_yet(
            f"off by one: at b = {size} the spread is {spread:.5f}, still above the target {target:.5f}.",
            "the answer is the first b whose spread is below the target, not the last one above it.",
        )
    if size == right + 1:
        return not_yet(
            f"off by one: b = {size} is below the target, but so is b = {right}.",
            "look for the first b whose spread is below the target.",
        )
    if size == facts["naive"]:
        return not_yet(
            f"b = {size} is what the 1/sqrt(b) law alone predicts: it forgets the finite-population factor "
            f"(N - b)/(N - 1), which makes a batch of distinct rows less noisy.",
            "use predicted_spread, which includes the factor, for the smallest batch size.",
        )
    if size == facts["smallest_absolute"]:
        return not_yet(
            f"b = {size} brings the spread below 0.1, but the target is 10 % of the gradient's length, "
            f"0.1 x {facts['gradient_length']:.4f} = {target:.5f}.",
            "multiply 0.1 by np.linalg.norm(full_grad).",
        )
    if size == facts["smallest_of_spread"]:
        return not_yet(
            f"b = {size} brings the spread below 10 % of the spread at b = 1; the target is 10 % of the "
            f"full gradient's length, {target:.5f}.",
            "the target is 0.1 * np.linalg.norm(full_grad).",
        )
    side = "still above" if spread >= target else "already below"
    hint = ("try larger batches." if spread >= target
            else f"smaller batches work too: look for the first b below {target:.5f}.")
    return not_yet(f"at b = {size} the spread is {spread:.5f}, {side} the target {target:.5f}.", hint)


def _naive_problem(size: int, facts: dict[str, Any]) -> Feedback | None:
    """What is wrong with the answer for the 1/sqrt(b) prediction (None if it is right)."""
    right, target, trace_sigma = facts["naive"], facts["target"], facts["trace_sigma"]
    if size == right:
        return None
    if size == right - 1:
        return not_yet(
            f"off by one: 1/sqrt(b) alone needs b > tr(Sigma)/target^2 = {trace_sigma / target**2:.2f}, "
            f"so b = {size} is not enough.",
            "round up to the next whole number, do not round down.",
        )
    if size == facts["smallest"]:
        return not_yet(
            f"b = {size} is where predicted_spread, with the finite-population factor, drops below the "
            f"target; 1/sqrt(b) alone (no factor) needs larger batches.",
            "drop the factor: spread(1)/sqrt(b) < target, with spread(1)^2 = tr(Sigma).",
        )
    if size == facts["naive_unsquared"]:
        return not_yet(
            f"b = {size} is about spread(1)/target, but the spread falls like 1/sqrt(b), so b must grow like "
            f"the square of that ratio.",
            "solve spread(1)/sqrt(b) < target for b: b > (spread(1)/target)^2.",
        )
    if size in (facts["naive_absolute"], facts["naive_of_spread"]):
        return not_yet(
            f"b = {size} answers a different target; the target is 10 % of the full gradient's length, "
            f"{target:.5f}.",
            "solve spread(1)/sqrt(b) < 0.1 * np.linalg.norm(full_grad) for b.",
        )
    predicted = np.sqrt(trace_sigma / size)
    side = "still above" if predicted >= target else "already below"
    return not_yet(
        f"at b = {size}, 1/sqrt(b) alone predicts a spread of {predicted:.5f}, {side} the target {target:.5f}.",
        "the 1/sqrt(b) law: spread(b) = spread(1)/sqrt(b); find the first b where it is below the target.",
    )


def check_smallest_batch(smallest: Any, naive: Any) -> Feedback:
    """Check the smallest batch size whose gradient spread at (3, 1) is below 10 % of |grad MSE|.

    ``smallest``: the answer with :func:`sinefit.minibatch.predicted_spread` (finite-population
    factor included); ``naive``: the answer of the 1/sqrt(b) law alone, spread(1)/sqrt(b).
    Both are on notebook 04's 800 training rows.  Messages call them by the starter's names,
    ``smallest_batch`` and ``naive_batch``.
    """
    if unanswered(smallest) and unanswered(naive):
        return not_attempted("Replace both `...` with the batch sizes you found and run the cell again.")
    facts = _spread_facts()
    answers: dict[str, int] = {}
    for name, value in (("smallest_batch", smallest), ("naive_batch", naive)):
        if unanswered(value):
            continue
        size, problem = _as_batch_size(value, name)
        if problem is not None:
            return problem
        answers[name] = size  # type: ignore[assignment]
    problems = {}
    if "smallest_batch" in answers:
        problems["smallest_batch"] = _smallest_problem(answers["smallest_batch"], facts)
    if "naive_batch" in answers:
        problems["naive_batch"] = _naive_problem(answers["naive_batch"], facts)
    for name, problem in problems.items():
        if problem is not None:
            other = "naive_batch" if name == "smallest_batch" else "smallest_batch"
            said_right = (f"{other} = {answers[other]} is right, but for {name}: "
                          if other in answers and problems.get(other) is None else f"for {name}: ")
            return not_yet(said_right + problem.message, problem.hint)
    missing = [name for name in ("smallest_batch", "naive_batch") if name not in answers]
    if missing:
        done = "smallest_batch" if "naive_batch" in missing else "naive_batch"
        return not_yet(f"{done} = {answers[done]} is right. Now replace the `...` of {missing[0]} too.",
                       "the second answer completes the exercise.")
    saving = 1 - facts["smallest"] / facts["naive"]
    return correct(
        f"b = {facts['smallest']} is the smallest batch whose spread is below {facts['target']:.5f}; the "
        f"1/sqrt(b) law alone would ask for b = {facts['naive']}. With distinct rows, the finite-population "
        f"factor saves {saving:.0%} of the batch."
    )


# ----------------------------------------------------------------------------------------------
# Exercise: Adam's first step without bias correction


def uncorrected_first_step(beta1: float = ADAM_BETAS[0], beta2: float = ADAM_BETAS[1]) -> float:
    """How far Adam's first step moves each parameter without bias correction, in units of lr.

    m_1 = (1 - beta1) g and s_1 = (1 - beta2) g^2, so |m_1| / sqrt(s_1) = (1 - beta1) / sqrt(1 - beta2)
    (up to eps), whatever the gradient g.
    """
    return (1 - beta1) / np.sqrt(1 - beta2)


def _adam_slips(beta1: float, beta2: float, lr: float) -> list[tuple[float, str, str]]:
    """(value, what went wrong, hint) for the common wrong answers, most specific first."""
    right = uncorrected_first_step(beta1, beta2)
    return [
        (1.0, "that is the step with the bias correction (then m_hat_1 = g and s_hat_1 = g^2).",
         "without the correction, m_1 = (1 - beta1) g and s_1 = (1 - beta2) g^2: divide the first by the "
         "square root of the second."),
        (np.sqrt(1 - beta2) / (1 - beta1),
         "the 1 - beta factors are inverted: that is sqrt(1 - beta2)/(1 - beta1), upside down.",
         "the numerator is m_1 = (1 - beta1) g, the denominator sqrt(s_1) = sqrt(1 - beta2) |g|."),
        ((1 - beta1) / (1 - beta2), "the square root of s_1 is missing.",
         "the step divides by sqrt(s), and s averages squared gradients."),
        (1 / np.sqrt(1 - beta2),
         "that keeps the correction of m (m_hat_1 = g) but drops the one of s; both corrections are off.",
         "m_1 = (1 - beta1) g as well."),
        (1 - beta1,
         "that drops the correction of m but keeps the one of s (s_hat_1 = g^2); both corrections are off.",
         "s_1 = (1 - beta2) g^2, and the step divides by its square root."),
        (beta1 / np.sqrt(beta2), "that uses beta where the formulas have 1 - beta.",
         "m_1 = beta1 * 0 + (1 - beta1) g, since m starts at 0."),
        (1 / (1 - beta1), "that is 1/(1 - beta1), the factor inverted, and s is missing.",
         "m_1 = (1 - beta1) g, a tenth of the gradient; then divide by sqrt(s_1)."),
        (lr * right, f"that is the step in parameter units (with lr = {lr:g}); the question asks in units of lr.",
         "divide by the learning rate."),
    ]


def check_uncorrected_first_step(answer: Any, beta1: float = ADAM_BETAS[0], beta2: float = ADAM_BETAS[1],
                                 lr: float = ADAM_LR) -> Feedback:
    """Check how far Adam's first step moves each parameter without bias correction, in units of lr.

    ``answer`` is one number, or one number per parameter (all equal); a signed step is judged by its
    size.  It passes within 0.5 % of (1 - beta1)/sqrt(1 - beta2).
    """
    if unanswered(answer):
        return not_attempted("Replace the `...` with the step size you found and run the cell again.")
    if isinstance(answer, (bool, np.bool_, str, bytes)):
        return not_yet(f"the answer should be a number (a step in units of lr); got {_describe(answer)}.",
                       "write a number, or an expression of BETA1 and BETA2.")
    try:
        values = np.abs(np.asarray(answer, dtype=float).ravel())
    except (TypeError, ValueError):
        return not_yet(f"the answer should be a number (a step in units of lr); got {_describe(answer)}.",
                       "write a number, or an expression of BETA1 and BETA2.")
    if values.size == 0 or values.size > 2 or not np.all(np.isfinite(values)):
        return not_yet(f"the answer should be one finite number, or one per parameter; got {_describe(answer)}.",
                       "write a number, or an expression of BETA1 and BETA2.")
    if values.size == 2 and not np.isclose(values[0], values[1], rtol=STEP_TOLERANCE):
        return not_yet(
            f"your two parameters move by {values[0]:.4g} and {values[1]:.4g} lr; at the first step both "
            f"move equally far, whatever their gradients.",
            "m_1 / sqrt(s_1) does not depend on the size of g: the gradient cancels.",
        )
    value = float(values.mean())
    right = uncorrected_first_step(beta1, beta2)
    if np.isclose(value, right, rtol=STEP_TOLERANCE):
        return correct(
            f"Without the correction each parameter moves by (1 - beta1)/sqrt(1 - beta2) = {right:.2f} lr, "
            f"more than three times the corrected first step of 1 lr."
        )
    for slip, message, hint in _adam_slips(beta1, beta2, lr):
        if np.isclose(value, slip, rtol=STEP_TOLERANCE):
            return not_yet(f"a step of {value:.4g} lr: {message}", hint)
    return not_yet(
        f"{value:.4g} lr is not how far the first uncorrected step goes.",
        "write m_1 and s_1 from m_0 = s_0 = 0, then the step lr * m_1 / sqrt(s_1): the gradient cancels.",
    )


# ----------------------------------------------------------------------------------------------
# Exercise: momentum's largest learning rate

#: The momentum of the exercise (and of notebook 04).
MOMENTUM_BETA: float = 0.9
#: How close (relative) an answer to the momentum exercise must be: 2.51 for 2.5066 passes.
LIMIT_TOLERANCE: float = 5e-3


@lru_cache(maxsize=1)
def sine_eigenvalues() -> tuple[float, float]:
    """(lambda_min, lambda_max) of the course loss's Hessian at the minimum of notebook 04's 800 training rows."""
    x, y = load_xy("sgd_data", rows=TRAINING_ROWS)
    minimum = gradient_descent(x, y, START, lr=0.5, steps=200).final
    low, high = np.linalg.eigvalsh(sine_hessian(x, y, *minimum))
    return float(low), float(high)


def momentum_lr_limit(beta: float = MOMENTUM_BETA) -> float:
    """The largest learning rate for which momentum converges at the sine fit's minimum: 2(1 + beta)/lambda_max."""
    return 2 * (1 + beta) / sine_eigenvalues()[1]


def check_momentum_lr_limit(answer: Any, beta: float = MOMENTUM_BETA) -> Feedback:
    """Check the largest learning rate for which momentum (``beta``) converges next to the sine fit's minimum.

    It passes within 0.5 % of 2(1 + beta)/lambda_max; the common slips are named.
    """
    if unanswered(answer):
        return not_attempted("Replace the `...` with the learning rate you found and run the cell again.")
    if isinstance(answer, (bool, np.bool_, str, bytes)):
        return not_yet(f"the answer should be one number, a learning rate; got {_describe(answer)}.",
                       "write an expression of lambda_max, such as 2 / lambda_max.")
    try:
        value = float(np.asarray(answer, dtype=float).reshape(()))
    except (TypeError, ValueError):
        return not_yet(f"the answer should be one number, a learning rate; got {_describe(answer)}.",
                       "write an expression of lambda_max, such as 2 / lambda_max.")
    if not np.isfinite(value):
        return not_yet(f"the answer is {value}; a learning rate is a finite number.",
                       "write an expression of lambda_max, such as 2 / lambda_max.")
    low, high = sine_eigenvalues()
    right = momentum_lr_limit(beta)
    if np.isclose(value, right, rtol=LIMIT_TOLERANCE):
        return correct(
            f"eta < 2(1 + beta)/lambda_max = {right:.3f}: the steepest direction is the first to become unstable. "
            f"Gradient descent stops at 2/lambda_max = {2 / high:.3f}; momentum goes {1 + beta:.1f} times further."
        )
    slips = [
        (2 / high, "that is gradient descent's limit, 2/lambda_max; momentum's is larger.",
         "momentum's iteration matrix has the eigenvalue -1 when eta * lambda = 2(1 + beta)."),
        (2 * (1 + beta) / low, "that uses the flat eigenvalue, lambda_min; the steep one becomes unstable first.",
         "eta * lambda < 2(1 + beta) must hold for every eigenvalue, so the largest one decides."),
        (2 * (1 - beta) / high, "that has 1 - beta where the limit has 1 + beta.",
         "the limit is eta * lambda_max < 2(1 + beta)."),
        (2 / (high * (1 - beta)), "that divides by 1 - beta, as the effective rate does; the limit is different.",
         "the limit is eta * lambda_max < 2(1 + beta)."),
        ((1 + beta) / high, "the factor 2 is missing.", "the limit is eta * lambda_max < 2(1 + beta)."),
        (2 * (1 + beta) * high, "that multiplies by lambda_max; the limit is on eta * lambda_max.",
         "solve eta * lambda_max < 2(1 + beta) for eta."),
    ]
    for slip, message, hint in slips:
        if np.isclose(value, slip, rtol=LIMIT_TOLERANCE):
            return not_yet(f"{value:.4g}: {message}", hint)
    side = "too large: momentum diverges there" if value > right else "safe, but not the largest"
    return not_yet(f"{value:.4g} is {side}.", "use the stability limit eta * lambda < 2(1 + beta) for each eigenvalue.")
