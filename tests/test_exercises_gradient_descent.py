"""Notebook 01's exercise checkers: right, wrong, malformed and unanswered (``...``) answers each
get a verdict and a friendly sentence, never an exception, a repr or a traceback."""

from __future__ import annotations

import numpy as np
import pytest

from sinefit.exercises.gradient_descent import (
    PARABOLA_CURVATURE,
    check_d_mse_d_t,
    check_regime_boundaries,
)
from sinefit.feedback import VERDICTS, Feedback

A = PARABOLA_CURVATURE


def assert_friendly(result: Feedback, status: str, *phrases: str) -> None:
    """The verdict is ``status``, and the text is a sentence that names what it should."""
    assert isinstance(result, Feedback)
    assert result.status == status, result.text
    for text in (result.text, repr(result), str(result)):
        assert text.startswith(VERDICTS[status])
        assert "Traceback" not in text and "Feedback(" not in text and "object at 0x" not in text
    assert "<b" in result._repr_html_()
    for phrase in phrases:
        assert phrase in result.text, f"{phrase!r} not in {result.text!r}"


# -- exercise 1: how many regimes? -------------------------------------------------------------


@pytest.mark.parametrize("answer", [(1 / A, 2 / A), (0.23, 0.46), (0.231, 0.47), (3 / 13, 6 / 13)])
def test_regimes_right_answers_pass(answer):
    assert_friendly(check_regime_boundaries(*answer), "correct", "three regimes")


@pytest.mark.parametrize(
    ("answer", "phrases"),
    [
        ((2 / A, 1 / A), ["swapped"]),
        ((1 / A, 1 / A), ["change sign", "still converges"]),  # 1/a taken for the divergence threshold
        ((0.1, 0.23), ["change sign"]),
        ((A, 2 * A), ["scale like 1/a"]),
        ((0.3, 0.25), ["larger than one_step_lr"]),
        ((0.1, 0.4), ["one_step_lr and diverges_above are not"]),
        ((0.23, 0.6), ["one_step_lr is right", "diverges_above is not"]),
        ((0.3, 2 / A), ["diverges_above is right", "one_step_lr is not"]),
    ],
)
def test_regimes_common_mistakes_are_named(answer, phrases):
    assert_friendly(check_regime_boundaries(*answer), "incorrect", *phrases, "Hint:")


@pytest.mark.parametrize(
    ("answer", "phrase"),
    [
        (("0.23", 0.46), None),  # a string that float() would read is still a number ...
        (("fast", 0.46), "the text 'fast'"),
        (([0.2, 0.3], 0.46), "a list of 2 values"),
        ((np.array([0.2, 0.3]), 0.46), "an array of 2 values"),
        ((0.23, -0.46), "positive finite number"),
        ((0.23, np.nan), "positive finite number"),
        ((0.23, np.inf), "positive finite number"),
        ((True, 0.46), "truth value"),
        ((0.23, {"lr": 0.46}), "a dict"),
    ],
)
def test_regimes_malformed_answers_get_a_sentence(answer, phrase):
    result = check_regime_boundaries(*answer)
    if phrase is None:
        assert result.passed  # numeric text is accepted, as float("0.23") would
        return
    assert_friendly(result, "incorrect", phrase)


@pytest.mark.parametrize("answer", [(..., ...), (..., 0.46), (0.23, ...), (None, None)])
def test_regimes_unanswered_starter_is_not_attempted(answer):
    assert_friendly(check_regime_boundaries(*answer), "not attempted", "`...`")


def test_regimes_other_curvature():
    assert check_regime_boundaries(0.5, 1.0, a=2.0).passed
    assert not check_regime_boundaries(1 / A, 2 / A, a=2.0).passed


# -- exercise 2: dMSE/dt ---------------------------------------------------------------------------


def right(x, y, omega, t):
    return -np.mean((y - np.sin(omega * x + t)) * np.cos(omega * x + t))


def test_d_t_right_answer_passes():
    assert_friendly(check_d_mse_d_t(right), "correct", "matches")
    # A torch-free variant written differently, with a Python loop and a 0-d array, passes too.
    def loop(x, y, omega, t):
        return np.array(sum(-(yi - np.sin(omega * xi + t)) * np.cos(omega * xi + t) for xi, yi in zip(x, y)) / len(x))

    assert check_d_mse_d_t(loop).passed


@pytest.mark.parametrize(
    ("wrong", "phrase"),
    [
        (lambda x, y, o, t: -right(x, y, o, t), "wrong sign"),
        (lambda x, y, o, t: 2 * right(x, y, o, t), "twice the gradient"),
        (lambda x, y, o, t: len(x) * right(x, y, o, t), "sums over the data"),
        (lambda x, y, o, t: -np.mean((y - np.sin(o * x + t)) * np.cos(o * x + t) * x), "factor x_i"),
        (lambda x, y, o, t: -np.mean(y - np.sin(o * x + t)), "misses the factor cos"),
        (lambda x, y, o, t: right(x, y, o, t) + 0.1, "but dMSE/dt there is"),
    ],
)
def test_d_t_common_mistakes_are_named(wrong, phrase):
    assert_friendly(check_d_mse_d_t(wrong), "incorrect", phrase, "Hint:")


@pytest.mark.parametrize(
    ("answer", "phrase"),
    [
        (lambda x, y, o, t: (0.1, right(x, y, o, t)), "returns two values"),
        (lambda x, y, o, t: -(y - np.sin(o * x + t)) * np.cos(o * x + t), "one per data point"),
        (lambda x, y, o, t: 1 / 0, "raised ZeroDivisionError"),
        (lambda x, y, o, t: undefined_name, "raised NameError"),  # noqa: F821
        (lambda x, y: 0.0, "raised TypeError"),
        (lambda x, y, o, t: "slope", "the text 'slope'"),
        (lambda x, y, o, t: np.nan, "returned nan"),
        (lambda x, y, o, t: None, "returns nothing"),
        (0.5, "not a float"),
        ("d_mse_d_t", "not the text"),
    ],
)
def test_d_t_malformed_answers_get_a_sentence(answer, phrase):
    assert_friendly(check_d_mse_d_t(answer), "incorrect", phrase)


@pytest.mark.parametrize("answer", [..., None, lambda x, y, omega, t: ...])
def test_d_t_unanswered_starter_is_not_attempted(answer):
    assert_friendly(check_d_mse_d_t(answer), "not attempted", "`...`")


def test_d_t_student_function_cannot_change_the_data():
    def vandal(x, y, omega, t):
        x[:] = 0.0  # a function that writes into its arguments must not spoil later checks
        return right(x, y, omega, t)

    check_d_mse_d_t(vandal)
    assert check_d_mse_d_t(right).passed
