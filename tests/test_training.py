"""The torch runners: full-batch fit_torch and minibatch fit_minibatch, against hand computations."""

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from sinefit.data import load_xy
from sinefit.descent import DivergenceError, gradient_descent
from sinefit.model import mse, mse_grad
from sinefit.training import MinibatchRun, course_loss, fit_minibatch, fit_torch

X, Y = load_xy(rows=50)
X_VAL, Y_VAL = load_xy(rows=70)[0][50:], load_xy(rows=70)[1][50:]
DATASET = TensorDataset(torch.from_numpy(X), torch.from_numpy(Y))


def sgd(lr, **kw):
    return lambda params: torch.optim.SGD(params, lr=lr, **kw)


def loader(batch_size, seed=0, shuffle=True):
    return DataLoader(DATASET, batch_size=batch_size, shuffle=shuffle, generator=torch.Generator().manual_seed(seed))


def test_course_loss_is_the_numpy_mse():
    value = course_loss(torch.from_numpy(X), torch.from_numpy(Y), torch.tensor(3.0, dtype=torch.float64), torch.tensor(1.0, dtype=torch.float64))
    assert value.item() == pytest.approx(mse(X, Y, 3.0, 1.0), rel=1e-14)


def test_fit_torch_sgd_is_gradient_descent():
    run = fit_torch(X, Y, (3.0, 1.0), 20, sgd(0.1))
    by_hand = gradient_descent(X, Y, (3.0, 1.0), 0.1, 20)
    np.testing.assert_allclose(run.params, by_hand.params, atol=1e-13)
    np.testing.assert_allclose(run.loss, by_hand.loss, atol=1e-14)


def test_full_batch_minibatch_run_is_fit_torch():
    run = fit_minibatch(loader(len(X), shuffle=False), (3.0, 1.0), 15, sgd(0.2))
    reference = fit_torch(X, Y, (3.0, 1.0), 15, sgd(0.2))
    np.testing.assert_allclose(run.trajectory.params, reference.params, atol=1e-13)
    np.testing.assert_allclose(run.trajectory.loss, reference.loss, atol=1e-14)
    np.testing.assert_allclose(run.batch_grad, reference.grad[:-1], atol=1e-14)
    assert run.steps_per_epoch == 1 and run.steps == 15


def test_minibatch_sgd_matches_a_hand_loop_over_the_same_batches():
    batches = list(loader(16, seed=5))  # one fixed epoch of four batches, reused every epoch
    run = fit_minibatch(batches, (3.0, 1.0), 3, sgd(0.1), train=(X, Y))
    params = np.array([3.0, 1.0])
    for step in range(run.steps):
        x_b, y_b = batches[step % len(batches)]
        grad = np.array(mse_grad(x_b.numpy(), y_b.numpy(), *params))
        np.testing.assert_allclose(run.batch_grad[step], grad, atol=1e-14)
        params = params - 0.1 * grad
        np.testing.assert_allclose(run.trajectory.params[step + 1], params, atol=1e-13)


def test_rows_record_training_and_validation_loss_at_each_step():
    run = fit_minibatch(loader(16), (3.0, 1.0), 2, sgd(0.1), validation=(X_VAL, Y_VAL))
    omegas, ts = run.trajectory.params.T
    np.testing.assert_allclose(run.trajectory.loss, mse(X, Y, omegas, ts), rtol=1e-12)
    np.testing.assert_allclose(run.trajectory.grad, np.column_stack(mse_grad(X, Y, omegas, ts)), atol=1e-14)
    np.testing.assert_allclose(run.val_loss, mse(X_VAL, Y_VAL, omegas, ts), rtol=1e-12)
    assert run.val_loss.shape == (run.steps + 1,)


def test_epochs_steps_and_examples():
    run = fit_minibatch(loader(16), (3.0, 1.0), 3, sgd(0.1))  # 50 rows: batches of 16, 16, 16, 2
    assert isinstance(run, MinibatchRun)
    assert run.steps_per_epoch == 4 and run.steps == 12
    np.testing.assert_array_equal(run.batch_size, [16, 16, 16, 2] * 3)
    assert run.examples[0] == 0 and run.examples[-1] == 3 * len(X)
    np.testing.assert_array_equal(run.examples[:: run.steps_per_epoch], np.arange(4) * len(X))
    np.testing.assert_allclose(run.epoch[:: run.steps_per_epoch], np.arange(4))
    assert run.val_loss is None


def test_seeded_shuffling_is_reproducible_and_the_seed_matters():
    first = fit_minibatch(loader(10, seed=1), (3.0, 1.0), 2, sgd(0.1))
    again = fit_minibatch(loader(10, seed=1), (3.0, 1.0), 2, sgd(0.1))
    other = fit_minibatch(loader(10, seed=2), (3.0, 1.0), 2, sgd(0.1))
    np.testing.assert_array_equal(first.trajectory.params, again.trajectory.params)
    assert not np.allclose(first.trajectory.params, other.trajectory.params)


def test_momentum_and_adam_runs_record_the_batch_gradients_they_used():
    for make in (sgd(0.05, momentum=0.9), lambda p: torch.optim.Adam(p, lr=0.05)):
        run = fit_minibatch(loader(10), (3.0, 1.0), 2, make)
        assert run.batch_grad.shape == (run.steps, 2)
        assert run.batch_loss.shape == (run.steps,)
        assert run.trajectory.loss[-1] < run.trajectory.loss[0]


def test_step_lr_schedule_per_epoch_and_per_step():
    per_epoch = fit_minibatch(loader(10), (3.0, 1.0), 4, sgd(0.2),
                              make_scheduler=lambda opt: torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5))
    np.testing.assert_allclose(per_epoch.lr, np.repeat([0.2, 0.2, 0.1, 0.1], 5))
    per_step = fit_minibatch(loader(25), (3.0, 1.0), 2, sgd(0.2), schedule_every="step",
                             make_scheduler=lambda opt: torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5))
    np.testing.assert_allclose(per_step.lr, 0.2 * 0.5 ** np.arange(4))
    assert per_step.trajectory.lr == 0.2


def test_divergence_is_reported_with_the_partial_run():
    # A bowl 1/2 (omega^2 + t^2): each step multiplies the parameters by (1 - lr), overflowing at step 2.
    def bowl(x, y, omega, t):
        return 0.5 * (omega * omega + t * t) + 0.0 * x.mean()

    with pytest.raises(DivergenceError, match="step 2 with learning rate lr=1e\\+100") as caught:
        fit_minibatch(loader(10), (3.0, 1.0), 5, sgd(1e100), loss_fn=bowl)
    partial = caught.value.trajectory
    assert partial.params.shape == (2, 2) and partial.loss.shape == (2,)
    assert partial.loss[0] == pytest.approx(5.0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"epochs": -1}, "epochs"),
        ({"epochs": 1.5}, "epochs"),
        ({"start": (1.0,)}, "start"),
        ({"start": (np.nan, 1.0)}, "start"),
        ({"schedule_every": "batch"}, "schedule_every"),
    ],
)
def test_bad_arguments_are_value_errors(kwargs, message):
    arguments = {"batches": loader(10), "start": (3.0, 1.0), "epochs": 1, "make_optimizer": sgd(0.1)} | kwargs
    with pytest.raises(ValueError, match=message):
        fit_minibatch(**arguments)


def test_batches_without_a_dataset_need_train_and_one_shot_iterators_are_refused():
    batches = list(loader(10))
    with pytest.raises(ValueError, match="train=\\(x, y\\)"):
        fit_minibatch(batches, (3.0, 1.0), 1, sgd(0.1))
    with pytest.raises(ValueError, match="empty"):
        fit_minibatch([], (3.0, 1.0), 1, sgd(0.1), train=(X, Y))
    with pytest.raises(ValueError, match="re-iterable"):
        fit_minibatch(iter(loader(10)), (3.0, 1.0), 2, sgd(0.1), train=(X, Y))


def test_rows_are_measured_row_by_row_for_a_loss_vmap_cannot_batch():
    def course_loss_with_item(x, y, omega, t):  # .item() on the parameters cannot be vmapped
        return course_loss(x, y, omega, t) + 0.0 * omega.detach().item()

    with pytest.raises(RuntimeError):
        torch.func.vmap(lambda o: course_loss_with_item(torch.from_numpy(X), torch.from_numpy(Y), o, o))(torch.ones(3, dtype=torch.float64))
    plain = fit_minibatch(loader(16), (3.0, 1.0), 2, sgd(0.1), validation=(X_VAL, Y_VAL))
    fallback = fit_minibatch(loader(16), (3.0, 1.0), 2, sgd(0.1), loss_fn=course_loss_with_item, validation=(X_VAL, Y_VAL))
    np.testing.assert_array_equal(fallback.trajectory.params, plain.trajectory.params)
    np.testing.assert_allclose(fallback.trajectory.loss, plain.trajectory.loss, rtol=1e-14)
    np.testing.assert_allclose(fallback.trajectory.grad, plain.trajectory.grad, atol=1e-15)
    np.testing.assert_allclose(fallback.val_loss, plain.val_loss, rtol=1e-14)


def test_row_gradients_are_each_rows_own_and_zero_for_an_unused_parameter():
    def ignores_t(x, y, omega, t):  # depends on omega only
        return 0.5 * torch.mean((torch.sin(omega * x) - y) ** 2)

    run = fit_minibatch(loader(16), (3.0, 1.0), 2, sgd(0.1), loss_fn=ignores_t)
    omegas = run.trajectory.params[:, 0]
    expected = [mse_grad(X, Y, omega, 0.0)[0] for omega in omegas]  # the course loss with t = 0
    np.testing.assert_allclose(run.trajectory.grad[:, 0], expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(run.trajectory.grad[:, 1], 0.0)



def test_fit_torch_records_a_zero_gradient_for_a_parameter_the_loss_does_not_use():
    def ignores_t(x, y, omega, t):
        return 0.5 * torch.mean((torch.sin(omega * x) - y) ** 2)

    run = fit_torch(X, Y, (3.0, 1.0), 5, sgd(0.1), loss_fn=ignores_t)
    np.testing.assert_array_equal(run.grad[:, 1], 0.0)
    np.testing.assert_array_equal(run.params[:, 1], 1.0)  # t never moves
    np.testing.assert_allclose(run.grad[:, 0], [mse_grad(X, Y, omega, 0.0)[0] for omega in run.params[:, 0]], rtol=1e-12)
