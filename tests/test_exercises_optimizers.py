"""The checkers of notebook 04's exercises: right, wrong, malformed and unanswered answers."""

import re

import numpy as np
import pytest

from sinefit.data import load_xy
from sinefit.exercises.optimizers import (
    ADAM_BETAS,
    START,
    TRAINING_ROWS,
    check_smallest_batch,
    check_uncorrected_first_step,
    uncorrected_first_step,
)
from sinefit.feedback import Feedback
from sinefit.minibatch import predicted_spread
from sinefit.model import mse_grad

SMALLEST, NAIVE = 223, 308  # what the notebook's solution finds on the 800 training rows


def assert_friendly(feedback, status):
    """The verdict is the expected one and its text is a sentence, not a repr or a traceback."""
    assert isinstance(feedback, Feedback)
    assert feedback.status == status, feedback.text
    text = feedback.text
    assert text == repr(feedback) == str(feedback)
    assert not re.search(r"Traceback|Error\b|array\(|\bdtype\b|<[a-zA-Z_.]+ object|Feedback\(", text), text
    assert feedback.message[:1].isupper() or feedback.message[:1].islower() or feedback.message[:1].isdigit()
    assert feedback.message.rstrip().endswith((".", "!", ")")), feedback.message
    assert "<div" in feedback._repr_html_()


# -- the smallest batch size -------------------------------------------------------------------


def test_the_expected_batch_sizes_follow_from_the_definitions():
    x, y = load_xy("sgd_data", rows=TRAINING_ROWS)
    target = 0.1 * np.linalg.norm(mse_grad(x, y, *START))
    assert predicted_spread(x, y, *START, SMALLEST) < target <= predicted_spread(x, y, *START, SMALLEST - 1)
    trace_sigma = predicted_spread(x, y, *START, 1) ** 2
    assert trace_sigma / NAIVE < target**2 <= trace_sigma / (NAIVE - 1)


@pytest.mark.parametrize("smallest, naive", [(SMALLEST, NAIVE), (223.0, np.int64(308)), (np.array(223), 308)])
def test_right_batch_sizes_pass(smallest, naive):
    feedback = check_smallest_batch(smallest, naive)
    assert_friendly(feedback, "correct")
    assert "223" in feedback.message and "308" in feedback.message


def test_untouched_starter_is_not_attempted():
    assert_friendly(check_smallest_batch(..., ...), "not attempted")


@pytest.mark.parametrize("smallest, naive, words", [
    (SMALLEST - 1, NAIVE, "off by one"),
    (SMALLEST + 1, NAIVE, "off by one"),
    (NAIVE, NAIVE, "finite-population factor"),
    (SMALLEST, NAIVE - 1, "off by one"),
    (SMALLEST, SMALLEST, "finite-population factor"),
    (149, NAIVE, "10 % of the gradient's length"),  # spread below 0.1 instead of 10 % of |grad|
    (89, NAIVE, "10 % of the spread at b = 1"),
    (SMALLEST, 18, "square"),  # spread(1)/target, not squared
    (400, NAIVE, "already below"),
    (50, NAIVE, "still above"),
    (SMALLEST, 600, "already below"),
])
def test_common_mistakes_are_named(smallest, naive, words):
    feedback = check_smallest_batch(smallest, naive)
    assert_friendly(feedback, "incorrect")
    assert words in feedback.message, feedback.message
    assert feedback.hint


def test_one_right_answer_is_acknowledged():
    assert "smallest_batch = 223 is right" in check_smallest_batch(SMALLEST, NAIVE - 1).message
    half_done = check_smallest_batch(SMALLEST, ...)
    assert_friendly(half_done, "incorrect")
    assert "right" in half_done.message and "naive_batch" in half_done.message


@pytest.mark.parametrize("smallest", ["223", 0, -5, 801, 222.5, float("nan"), [1, 2], True, object(), {}])
def test_malformed_batch_sizes_get_a_sentence(smallest):
    assert_friendly(check_smallest_batch(smallest, NAIVE), "incorrect")


# -- Adam's first step without bias correction -------------------------------------------------


def uncorrected_adam_first_step(grad, beta1, beta2, eps=1e-8):
    """One Adam step from m = s = 0 without bias correction, in units of lr (a direct simulation)."""
    m = (1 - beta1) * grad
    s = (1 - beta2) * grad**2
    return np.abs(m / (np.sqrt(s) + eps))


def test_the_expected_step_is_what_uncorrected_adam_does():
    for grad in (np.array([0.77, 0.022]), np.array([-3.0, 1e-3])):
        step = uncorrected_adam_first_step(grad, *ADAM_BETAS)
        assert np.allclose(step, uncorrected_first_step(), rtol=1e-3)  # up to eps
    assert uncorrected_first_step() == pytest.approx(3.1623, abs=1e-4)


@pytest.mark.parametrize("answer", [
    3.1623, 3.16, (1 - 0.9) / np.sqrt(1 - 0.999), -3.1623, np.array([3.1623, 3.1623]),
    [3.162, -3.162], np.float32(3.162),
])
def test_right_step_passes(answer):
    assert_friendly(check_uncorrected_first_step(answer), "correct")


def test_other_betas_are_honoured():
    assert check_uncorrected_first_step(0.2 / np.sqrt(0.01), beta1=0.8, beta2=0.99).passed
    assert not check_uncorrected_first_step(3.1623, beta1=0.8, beta2=0.99).passed


def test_untouched_starter_is_not_attempted_adam():
    assert_friendly(check_uncorrected_first_step(...), "not attempted")


@pytest.mark.parametrize("answer, words", [
    (1.0, "with the bias correction"),
    (np.sqrt(0.001) / 0.1, "inverted"),
    (0.1 / 0.001, "square root"),
    (1 / np.sqrt(0.001), "drops the one of s"),
    (0.1, "drops the correction of m"),
    (0.9 / np.sqrt(0.999), "1 - beta"),
    (10.0, "inverted"),
    (0.05 * 3.1623, "parameter units"),
    (2.0, "not how far"),
    ([3.1623, 1.0], "equally far"),
])
def test_common_adam_mistakes_are_named(answer, words):
    feedback = check_uncorrected_first_step(answer)
    assert_friendly(feedback, "incorrect")
    assert words in feedback.message, feedback.message
    assert feedback.hint


@pytest.mark.parametrize("answer", ["3.16", b"3", True, [1, 2, 3], [], float("inf"), {"a": 1}, object()])
def test_malformed_steps_get_a_sentence(answer):
    assert_friendly(check_uncorrected_first_step(answer), "incorrect")


# -- momentum's largest learning rate -----------------------------------------------------------


def test_the_momentum_limit_is_where_the_spectral_radius_reaches_one():
    from sinefit.exercises.optimizers import momentum_lr_limit, sine_eigenvalues
    from sinefit.quadratic import momentum_factor

    low, high = sine_eigenvalues()
    assert 3 < high / low < 3.5
    limit = momentum_lr_limit()
    assert np.isclose(limit, 3.8 / high)
    assert momentum_factor(0.999 * limit, 0.9, high) < 1 < momentum_factor(1.001 * limit, 0.9, high)
    assert momentum_factor(0.999 * limit, 0.9, low) < 1


def test_the_right_momentum_limit_passes():
    from sinefit.exercises.optimizers import check_momentum_lr_limit, momentum_lr_limit

    for answer in (momentum_lr_limit(), round(momentum_lr_limit(), 3), np.float32(momentum_lr_limit()),
                   np.array(momentum_lr_limit())):
        assert_friendly(check_momentum_lr_limit(answer), "correct")
    assert_friendly(check_momentum_lr_limit(...), "not attempted")


@pytest.mark.parametrize("make_answer, words", [
    (lambda low, high: 2 / high, "gradient descent's limit"),
    (lambda low, high: 3.8 / low, "flat eigenvalue"),
    (lambda low, high: 0.2 / high, "1 - beta"),
    (lambda low, high: 20 / high, "effective rate"),
    (lambda low, high: 1.9 / high, "factor 2"),
    (lambda low, high: 3.8 * high, "multiplies"),
    (lambda low, high: 5.0, "too large"),
    (lambda low, high: 0.5, "not the largest"),
])
def test_momentum_limit_slips_are_named(make_answer, words):
    from sinefit.exercises.optimizers import check_momentum_lr_limit, sine_eigenvalues

    feedback = check_momentum_lr_limit(make_answer(*sine_eigenvalues()))
    assert_friendly(feedback, "incorrect")
    assert words in feedback.message and feedback.hint


@pytest.mark.parametrize("answer", ["2.5", True, [1.0, 2.0], float("nan"), {"lr": 2.5}])
def test_malformed_momentum_limits_get_a_sentence(answer):
    from sinefit.exercises.optimizers import check_momentum_lr_limit

    assert_friendly(check_momentum_lr_limit(answer), "incorrect")
