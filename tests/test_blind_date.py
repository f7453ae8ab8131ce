"""The blind-date checker: right answers pass, wrong ones fail, the answer never leaks."""

from __future__ import annotations

import numpy as np
import pytest

from sinefit.blind_date import TOLERANCE, _best_fit, best_loss, check_answer
from course_editions.data import RECIPES
from sinefit.data import load_xy
from sinefit.descent import gradient_descent
from sinefit.feedback import Feedback
from sinefit.landscape import landscape
from sinefit.model import mse, mse_grad

HIDDEN = RECIPES["sgd_data_hidden"]


@pytest.fixture(scope="module")
def hidden_xy():
    return load_xy("sgd_data_hidden")


@pytest.fixture(scope="module")
def best_params(hidden_xy):
    return _best_fit(*hidden_xy)


def test_best_fit_is_a_minimum_no_grid_point_beats(hidden_xy, best_params):
    x, y = hidden_xy
    assert np.allclose(mse_grad(x, y, *best_params), 0.0, atol=1e-9)
    assert best_loss() == pytest.approx(mse(x, y, *best_params))
    # Refinement can only improve on the coarse course grid and on the generating parameters.
    assert best_loss() <= landscape(x, y).values.min()
    assert best_loss() <= mse(x, y, HIDDEN.omega, HIDDEN.t)


def test_optimum_and_generating_parameters_pass(best_params):
    at_optimum = check_answer(*best_params)
    assert at_optimum.passed
    assert at_optimum.ratio == pytest.approx(1.0, abs=1e-9)
    # The noise-free parameters are not the least-squares optimum of noisy data, but close to it.
    assert check_answer(HIDDEN.omega, HIDDEN.t).passed


def test_mirror_image_of_the_optimum_passes(best_params):
    omega, t = best_params
    assert check_answer(-omega, np.pi - t).passed
    assert check_answer(omega, t + 2 * np.pi).passed


def test_other_local_minima_fail(hidden_xy):
    x, y = hidden_xy
    for start in [(0.5, 0.0), (5.0, 0.0)]:
        run = gradient_descent(x, y, start, lr=0.2, steps=300)
        assert run.grad_norm[-1] < 1e-4, "the run should have settled in a local minimum"
        result = check_answer(*run.final)
        assert not result.passed
        assert result.ratio > 10
        assert "times the best achievable" in result.message


def test_tolerance_is_the_boundary(best_params):
    omega, t = best_params
    # Walk away from the optimum along omega: the verdict flips where the loss ratio crosses 1 + TOLERANCE.
    offsets = np.linspace(0, 0.1, 41)
    results = [check_answer(omega + d, t) for d in offsets]
    ratios = np.array([r.ratio for r in results])
    assert np.all(np.diff(ratios) > 0), "the loss grows monotonically near the optimum"
    assert [r.passed for r in results] == list(ratios <= 1 + TOLERANCE)
    assert results[0].passed and not results[-1].passed
    near_miss = check_answer(omega + 0.05, t)
    assert not near_miss.passed and 1 + TOLERANCE < near_miss.ratio < 2
    assert "% above the best achievable" in near_miss.message
    assert check_answer(omega + 0.05, t, tolerance=near_miss.ratio - 1 + 1e-9).passed


def _parameter_spellings(omega: float, t: float) -> set[str]:
    spellings = set()
    for value in (omega, t):
        for digits in (1, 2, 3, 4, 6):
            spellings.add(f"{value:.{digits}f}")
    spellings.add(repr(float(omega)))
    spellings.add(repr(float(t)))
    return spellings


def test_messages_never_contain_the_hidden_parameters(best_params):
    secrets = _parameter_spellings(HIDDEN.omega, HIDDEN.t) | _parameter_spellings(*best_params)
    answers = [tuple(best_params), (HIDDEN.omega, HIDDEN.t), (0.02, -0.07), (4.05, 2.0), (3.0, 1.0),
               (..., ...), (np.nan, 1.0), (1e308, 1.0)]
    for answer in answers:
        result = check_answer(*answer)
        for text in (result.message, result.hint, str(result), repr(result), result._repr_html_()):
            leaked = sorted(s for s in secrets if s in text)
            assert not leaked, f"{text!r} reveals {leaked}"
    # The result keeps losses only.
    assert set(vars(result)) == {"status", "message", "hint", "loss", "best_loss", "tolerance", "name"}


def test_course_data_can_be_checked_too():
    result = check_answer(2.188, 1.0, name="sgd_data")
    assert result.passed
    assert result.name == "sgd_data" and "sgd_data" in result.message


def test_the_result_is_a_feedback_sentence_not_a_repr():
    result = check_answer(2.0, 0.5)  # typed alone in a cell, this is what the student sees
    assert isinstance(result, Feedback) and result.status == "incorrect"
    for text in (repr(result), str(result)):
        assert text.startswith("Not yet:") and "BlindDateResult" not in text and "Hint:" in text
    assert "Not yet:" in result._repr_html_()
    right = check_answer(HIDDEN.omega, HIDDEN.t)
    assert right.status == "correct" and repr(right).startswith("Correct!")


@pytest.mark.parametrize("answer", [(), (...,), (..., ...), (..., 1.0), (1.0, ...), (None, None)])
def test_an_untouched_starter_is_not_attempted(answer):
    result = check_answer(*answer)
    assert result.status == "not attempted" and not result.passed
    assert repr(result).startswith("Not attempted yet:") and "`...`" in result.text
    assert np.isnan(result.ratio)


def test_a_run_s_final_parameters_in_one_argument_are_understood():
    x, y = load_xy("sgd_data_hidden")
    run = gradient_descent(x, y, (HIDDEN.omega + 0.2, HIDDEN.t), lr=0.2, steps=300)
    assert check_answer(run.final).passed
    assert check_answer(*run.final).passed


@pytest.mark.parametrize(
    ("answer", "phrase"),
    [
        ((np.nan, 1.0), "omega is nan, not a finite number"),
        ((1.0, np.inf), "t is inf, not a finite number"),
        ((1e308, 1.0), "not a finite number"),  # finite, but omega * x overflows
        (([1.0, 2.0], 1.0), "omega should be one number, got 2"),
        (("four", 1.0), "omega should be a number, got the text 'four'"),
        (({"omega": 4}, 1.0), "omega should be a number, got a dict"),
        ((2.0,), "needs two numbers"),
        (([1.0, 2.0, 3.0],), "needs two numbers"),
    ],
)
def test_a_malformed_or_non_finite_answer_gets_a_not_yet_sentence(answer, phrase):
    result = check_answer(*answer)
    assert result.status == "incorrect" and not result.passed
    assert result.text.startswith("Not yet:") and phrase in result.text, result.text
    assert "nan%" not in result.text and "inf%" not in result.text and "Hint:" in result.text


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"omega": 1.0, "t": 1.0, "tolerance": 0.0}, "tolerance"),
        ({"omega": 1.0, "t": 1.0, "tolerance": -0.05}, "tolerance"),
        ({"omega": 1.0, "t": 1.0, "tolerance": np.nan}, "tolerance"),
        ({"omega": 1.0, "t": 1.0, "name": "no_such_data"}, "name"),
    ],
)
def test_bad_exercise_settings_raise_value_error_naming_the_argument(kwargs, argument):
    # name and tolerance are the exercise's settings, not the student's answer.
    with pytest.raises(ValueError, match=argument):
        check_answer(**kwargs)
