"""Bad input for every public function of the package, as one table.

Each row calls one function with one bad (or unusual but valid) argument and states the outcome:
an exception of the documented type whose message names the argument (``arg``) and matches
``match``, raised by the package's own checks (not from deep inside numpy or torch), or a return
value that passes ``check``.  Every row runs under a timeout, so nothing may hang; rows marked
``max_mib`` must also finish without allocating more than that (measured by tracemalloc), which
shows that oversized work is refused (or chunked) before it is allocated.
"""

from __future__ import annotations

import math
import re
import signal
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

import sinefit
from sinefit import _checks
from sinefit import animation as anim
from sinefit import blind_date, data, descent, graph, landscape, minibatch, model, op_check, plotting, training
from sinefit.descent import DivergenceError, Trajectory
from sinefit.explorer import DataSet, Explorer, optimizer_runner

PACKAGE_DIR = Path(sinefit.__file__).parent
#: Seconds a row may take (generous: the test machine may be busy).
TIMEOUT = 60

RNG = np.random.default_rng(0)
X = RNG.uniform(-np.pi, np.pi, 40)
Y = np.sin(2.0 * X + 1.0) + 0.1 * RNG.standard_normal(40)
LAND = landscape.landscape(X, Y, n_omega=12, n_t=10)
RUN = descent.gradient_descent(X, Y, (3.0, 1.0), lr=0.1, steps=5)
BIG_X = np.linspace(-3.0, 3.0, 10**7)  # 10^7 data points (80 MB): the "memory-sized" data
BIG_Y = np.zeros(10**7)


def sgd(lr: Any) -> Callable:
    return lambda params: torch.optim.SGD(params, lr=lr)


def loader() -> DataLoader:
    dataset = TensorDataset(torch.from_numpy(X), torch.from_numpy(Y))
    return DataLoader(dataset, batch_size=10, shuffle=True, generator=torch.Generator().manual_seed(0))


def same_run(lr: Any) -> Callable[[Trajectory], bool]:
    reference = descent.gradient_descent(X, Y, (3.0, 1.0), lr=0.1, steps=5)
    return lambda run: np.array_equal(run.params, reference.params)


def parabola(p):
    return 0.5 * float(p @ p), p


def nan_below_half(p):
    """p^2 where p > 0.5, undefined (NaN) below: a loss that is not finite everywhere."""
    return (float(p[0] ** 2), 2 * p) if p[0] > 0.5 else (math.nan, p)


class Node:
    """A two-line autodiff engine for the op_check rows (the protocol of sinefit.op_check)."""

    def __init__(self, data, parents=(), rule=None):
        self.data, self.parents, self.backward_rule, self.grad = np.asarray(data, dtype=float), parents, rule, None

    def backward(self, seed):
        self.grad = seed if self.grad is None else self.grad + seed
        for parent, grad in zip(self.parents, self.backward_rule(seed) if self.backward_rule else ()):
            parent.backward(grad)


def engine_log(node: Node) -> Node:
    return Node(np.log(node.data), (node,), lambda g: (g / node.data,))


def data_file(writer: Callable[[Path], None]) -> Callable[[Any], Any]:
    """A row that writes a bad data/sgd_data.npy and loads it."""

    def call(ctx):
        writer(ctx.tmp_path / "sgd_data.npy")
        ctx.monkeypatch.setenv("SINEFIT_DATA_DIR", str(ctx.tmp_path))
        return data.load("sgd_data")

    return call


def truncated(path: Path) -> None:
    np.save(path, np.zeros((100, 2)))
    path.write_bytes(path.read_bytes()[:300])


@dataclass
class Case:
    id: str
    call: Callable[[Any], Any]
    raises: type[BaseException] | None = None
    arg: str = ""  # the argument the message must name
    match: str = ""  # a regex the message must also contain
    check: Callable[[Any], bool] | None = None  # for rows that return
    max_mib: float | None = None  # the most memory the row may allocate


def raises(id, call, exc, arg, match="", max_mib=None):
    return Case(id, call, raises=exc, arg=arg, match=match, max_mib=max_mib)


def returns(id, call, check, max_mib=None):
    return Case(id, call, check=check, max_mib=max_mib)


V, T = ValueError, TypeError
CORRUPT = r"corrupt.*make data"

CASES = [
    # -- data ------------------------------------------------------------------------------------
    raises("load-name-int", lambda c: data.load(3), T, "name"),
    raises("load-name-list", lambda c: data.load(["sgd_data"]), T, "name"),
    raises("load-unknown", lambda c: data.load("nope"), V, "name", "unknown data set"),
    raises("load-3-columns", data_file(lambda p: np.save(p, np.zeros((10, 3)))), V, "sgd_data.npy", CORRUPT + "|shape"),
    raises("load-1-d", data_file(lambda p: np.save(p, np.zeros(10))), V, "sgd_data.npy", r"shape \(10,\)"),
    raises("load-empty", data_file(lambda p: np.save(p, np.zeros((0, 2)))), V, "sgd_data.npy", r"shape \(0, 2\)"),
    raises("load-float32", data_file(lambda p: np.save(p, np.zeros((10, 2), np.float32))), V, "sgd_data.npy", "float32"),
    raises("load-nan", data_file(lambda p: np.save(p, np.array([[1.0, np.nan]] * 3))), V, "sgd_data.npy", "non-finite"),
    raises("load-strings", data_file(lambda p: np.save(p, np.array([["a", "b"]]))), V, "sgd_data.npy", "<U1"),
    raises("load-pickled", data_file(lambda p: np.save(p, np.array([[{}, 1]], dtype=object), allow_pickle=True)),
           V, "sgd_data.npy", "Python objects"),
    raises("load-garbage", data_file(lambda p: p.write_bytes(b"not a numpy file" * 8)), V, "sgd_data.npy", CORRUPT),
    raises("load-truncated", data_file(truncated), V, "sgd_data.npy", CORRUPT),
    raises("load_xy-rows-float", lambda c: data.load_xy(rows=5.0), T, "rows"),
    raises("load_xy-rows-zero", lambda c: data.load_xy(rows=0), V, "rows"),
    returns("load_xy-rows-numpy-int", lambda c: data.load_xy(rows=np.int64(5)), lambda xy: xy[0].shape == (5,)),
    raises("load_xy-dtype-int", lambda c: data.load_xy(dtype=np.int32), T, "dtype"),
    raises("load_xy-dtype-nonsense", lambda c: data.load_xy(dtype="banana"), T, "dtype"),
    returns("load_xy-dtype-str", lambda c: data.load_xy(rows=3, dtype="float32"), lambda xy: xy[0].dtype == np.float32),
    raises("generate-omega-nan", lambda c: data.generate(5, math.nan, 1.0, 0.1, 0), V, "omega"),
    raises("generate-noise-inf", lambda c: data.generate(5, 1.0, 1.0, math.inf, 0), V, "noise"),
    raises("generate-noise-negative", lambda c: data.generate(5, 1.0, 1.0, -0.1, 0), V, "noise"),
    raises("generate-noise-huge", lambda c: data.generate(1000, 1.0, 1.0, 1e308, 0), V, "noise", "overflow"),
    raises("generate-omega-huge", lambda c: data.generate(5, 1e308, 1.0, 0.1, 0), V, "omega", "overflow"),
    raises("generate-omega-str", lambda c: data.generate(5, "2", 1.0, 0.1, 0), T, "omega"),
    raises("generate-n-float", lambda c: data.generate(2.5, 1.0, 1.0, 0.1, 0), T, "n"),
    raises("generate-n-huge", lambda c: data.generate(10**10, 1.0, 1.0, 0.1, 0), V, "n=10,000,000,000", "GiB", 50),
    raises("generate-seed-negative", lambda c: data.generate(5, 1.0, 1.0, 0.1, -1), V, "seed"),
    raises("generate-seed-str", lambda c: data.generate(5, 1.0, 1.0, 0.1, "a"), T, "seed"),
    raises("read_data_file-garbage", lambda c: (c.tmp_path / "x.npy").write_bytes(b"\x93NUMPY garbage")
           and data.read_data_file(c.tmp_path / "x.npy"), V, "x.npy", CORRUPT),
    returns("generate-numpy-ints", lambda c: data.generate(np.int64(5), 1.0, 1.0, 0.1, np.int32(3)),
            lambda d: np.array_equal(d, data.generate(5, 1.0, 1.0, 0.1, 3))),
    # -- model -----------------------------------------------------------------------------------
    raises("predict-omega-huge", lambda c: model.predict(X, 1e308, 1.0), V, "omega", "overflow"),
    raises("mse-omega-huge", lambda c: model.mse(X, Y, 1e308, 1.0), V, "omega", "overflow"),
    raises("mse_grad-omega-huge", lambda c: model.mse_grad(X, Y, 1e308, 1.0), V, "omega", "overflow"),
    raises("mse_and_grad-t-huge", lambda c: model.mse_and_grad(X, Y, 1e308, 1.7e308), V, "t", "overflow"),
    raises("mse-omega-str", lambda c: model.mse(X, Y, "3", 1.0), T, "omega"),
    raises("mse-omega-none", lambda c: model.mse(X, Y, None, 1.0), T, "omega"),
    raises("mse-x-strings", lambda c: model.mse(["a", "b"], [1.0, 2.0], 1.0, 1.0), T, "x"),
    raises("mse-y-complex", lambda c: model.mse(X, Y + 1j, 1.0, 1.0), T, "y", "complex"),
    raises("mse-x-ragged", lambda c: model.mse([[1.0], [1.0, 2.0]], [1.0, 2.0], 1.0, 1.0), T, "x"),
    raises("mse-x-nan", lambda c: model.mse(np.where(X > 0, np.nan, X), Y, 1.0, 1.0), V, "x", "non-finite"),
    raises("mse-mismatch", lambda c: model.mse(X, Y[:3], 1.0, 1.0), V, "y", "same length"),
    raises("mse-2d-data", lambda c: model.mse(X.reshape(4, 10), Y.reshape(4, 10), 1.0, 1.0), V, "x", "1-D"),
    returns("mse-torch-data", lambda c: model.mse(torch.from_numpy(X), torch.from_numpy(Y), 3.0, 1.0),
            lambda v: v == model.mse(X, Y, 3.0, 1.0)),
    returns("mse-numpy-scalars", lambda c: model.mse(X, Y, np.float32(3.0), np.int64(1)),
            lambda v: v == pytest.approx(model.mse(X, Y, 3.0, 1.0))),
    raises("mse-grid-of-1e7-points", lambda c: model.mse(BIG_X, BIG_Y, *np.meshgrid(np.ones(50), np.ones(50))),
           V, "parameter point", "GiB", 50),
    raises("predict-grid-too-big", lambda c: model.predict(BIG_X, np.ones((50, 50)), 0.0), V, "predict", "GiB", 50),
    raises("predict-x-inf", lambda c: model.predict([1.0, np.inf], 1.0, 1.0), V, "x", "non-finite"),
    raises("mse_and_grad-grid", lambda c: model.mse_and_grad(X, Y, [1.0, 2.0], 1.0), V, "omega", "one point"),
    # -- landscape -------------------------------------------------------------------------------
    raises("landscape-omega-range-1", lambda c: landscape.landscape(X, Y, omega_range=(0,)), V, "omega_range"),
    raises("landscape-omega-range-reversed", lambda c: landscape.landscape(X, Y, omega_range=(2, 1)), V, "omega_range"),
    raises("landscape-t-range-nan", lambda c: landscape.landscape(X, Y, t_range=(0, math.nan)), V, "t_range"),
    raises("landscape-t-range-str", lambda c: landscape.landscape(X, Y, t_range="ab"), T, "t_range"),
    raises("landscape-n-float", lambda c: landscape.landscape(X, Y, n_omega=10.0), T, "n_omega"),
    raises("landscape-n-one", lambda c: landscape.landscape(X, Y, n_t=1), V, "n_t"),
    returns("landscape-n-numpy", lambda c: landscape.landscape(X, Y, n_omega=np.int64(7), n_t=np.int32(5)),
            lambda land: land.values.shape == (5, 7)),
    raises("landscape-of-1e7-points", lambda c: landscape.landscape(BIG_X, BIG_Y), V, "data points", "GiB", 50),
    raises("landscape-grid-too-big", lambda c: landscape.landscape(X, Y, n_omega=10**5, n_t=10**5), V, "grid", "GiB", 50),
    raises("mse_grid-omega-huge", lambda c: landscape.mse_grid(X, Y, [1.0, 1e308], [0.0]), V, "omega", "overflow"),
    raises("mse_grid-axis-2d", lambda c: landscape.mse_grid(X, Y, np.ones((2, 2)), [0.0]), V, "omegas", "1-D"),
    # -- descent ---------------------------------------------------------------------------------
    raises("descend-start-empty", lambda c: descent.descend(parabola, [], 0.1, 5), V, "start"),
    raises("descend-start-str", lambda c: descent.descend(parabola, "ab", 0.1, 5), T, "start"),
    raises("descend-not-callable", lambda c: descent.descend("f", [1.0], 0.1, 5), T, "loss_and_grad"),
    raises("descend-bad-gradient", lambda c: descent.descend(lambda p: (1.0, [1.0, 2.0, 3.0]), [1.0, 2.0], 0.1, 2),
           V, "loss_and_grad", "gradient of shape"),
    raises("descend-bad-return", lambda c: descent.descend(lambda p: 1.0, [1.0], 0.1, 2), V, "loss_and_grad", "pair"),
    raises("descend-steps-1e9", lambda c: descent.descend(parabola, [1.0], 0.1, 10**9), V, "steps", "MAX_STEPS"),
    raises("descend-steps-float", lambda c: descent.descend(parabola, [1.0], 0.1, 5.0), T, "steps"),
    raises("descend-steps-bool", lambda c: descent.descend(parabola, [1.0], 0.1, True), T, "steps"),
    raises("descend-steps-negative", lambda c: descent.descend(parabola, [1.0], 0.1, -1), V, "steps"),
    raises("descend-start-nan-loss", lambda c: descent.descend(lambda p: (math.nan, p), [1.0], 1e-9, 5),
           DivergenceError, "start", r"start point.*not the learning rate"),
    raises("descend-lr-too-large", lambda c: descent.descend(parabola, [1.0], 3.0, 5000), DivergenceError, "lr",
           "lower the learning rate"),
    raises("descend-loss-undefined", lambda c: descent.descend(nan_below_half, [2.0], 0.1, 100), DivergenceError,
           "loss function", "still decreasing"),
    returns("descend-numpy-steps", lambda c: descent.descend(parabola, [1.0], 0.1, np.int64(3)), lambda r: r.steps == 3),
    raises("gradient_descent-start-huge", lambda c: descent.gradient_descent(X, Y, (1e308, 1.0), 1e-9, 5), V, "omega",
           "overflow"),
    raises("gradient_descent-start-3", lambda c: descent.gradient_descent(X, Y, (1.0, 2.0, 3.0), 0.1, 5), V, "start"),
    raises("gradient_descent-steps-1e9", lambda c: descent.gradient_descent(X, Y, (3.0, 1.0), 0.1, 10**9), V, "steps"),
    # learning rates of every type, the same for the NumPy and the torch runners
    *[raises(f"gradient_descent-lr-{name}", (lambda lr: lambda c: descent.gradient_descent(X, Y, (3.0, 1.0), lr, 5))(lr),
             exc, "lr") for name, lr, exc in [
        ("str", "0.1", T), ("none", None, T), ("bool", True, T), ("list", [0.1], T), ("complex", 0.1j, T),
        ("array-2", np.array([0.1, 0.2]), T), ("zero", 0, V), ("negative", -0.1, V), ("nan", math.nan, V),
        ("inf", math.inf, V), ("tensor-zero", torch.tensor(0.0), V)]],
    *[returns(f"gradient_descent-lr-{name}", (lambda lr: lambda c: descent.gradient_descent(X, Y, (3.0, 1.0), lr, 5))(lr),
              same_run(0.1)) for name, lr in [
        ("tensor", torch.tensor(0.1, dtype=torch.float64)), ("numpy-0d", np.array(0.1)), ("float64", np.float64(0.1))]],
    *[raises(f"fit_torch-lr-{name}", (lambda lr: lambda c: training.fit_torch(X, Y, (3.0, 1.0), 5, sgd(lr)))(lr),
             V, "lr") for name, lr in [("zero", 0.0), ("nan", math.nan)]],
    raises("fit_torch-lr-negative", lambda c: training.fit_torch(X, Y, (3.0, 1.0), 5, sgd(-0.1)), V, "learning rate"),
    raises("explorer-runner-lr-zero", lambda c: optimizer_runner(torch.optim.SGD)(X, Y, (3.0, 1.0), 0.0, 5), V, "lr"),
    # -- training --------------------------------------------------------------------------------
    raises("fit_torch-optimizer-class", lambda c: training.fit_torch(X, Y, (3.0, 1.0), 5, torch.optim.SGD), T,
           "make_optimizer", "default"),
    raises("fit_torch-optimizer-str", lambda c: training.fit_torch(X, Y, (3.0, 1.0), 5, "sgd"), T, "make_optimizer"),
    raises("fit_torch-optimizer-returns-none", lambda c: training.fit_torch(X, Y, (3.0, 1.0), 5, lambda p: None), T,
           "make_optimizer"),
    raises("fit_torch-optimizer-other-params",
           lambda c: training.fit_torch(X, Y, (3.0, 1.0), 5, lambda p: torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)),
           V, "make_optimizer", "omega and t"),
    raises("fit_torch-steps-1e9", lambda c: training.fit_torch(X, Y, (3.0, 1.0), 10**9, sgd(0.1)), V, "steps", "MAX_STEPS"),
    raises("fit_torch-steps-float", lambda c: training.fit_torch(X, Y, (3.0, 1.0), 5.0, sgd(0.1)), T, "steps"),
    raises("fit_torch-start-empty", lambda c: training.fit_torch(X, Y, [], 5, sgd(0.1)), V, "start"),
    raises("fit_torch-start-overflows", lambda c: training.fit_torch(X, Y, (1e308, 1.0), 5, sgd(1e-9)), DivergenceError,
           "start", "not the learning rate"),
    raises("fit_torch-loss-float", lambda c: training.fit_torch(X, Y, (3.0, 1.0), 5, sgd(0.1),
                                                                loss_fn=lambda *a: training.course_loss(*a).item()),
           T, "loss_fn"),
    raises("fit_torch-loss-detached", lambda c: training.fit_torch(X, Y, (3.0, 1.0), 5, sgd(0.1),
                                                                   loss_fn=lambda *a: training.course_loss(*a).detach()),
           V, "loss_fn"),
    raises("fit_torch-loss-str", lambda c: training.fit_torch(X, Y, (3.0, 1.0), 5, sgd(0.1), loss_fn="mse"), T, "loss_fn"),
    raises("fit_torch-dtype", lambda c: training.fit_torch(X, Y, (3.0, 1.0), 5, sgd(0.1), dtype=torch.int64), T, "dtype"),
    returns("fit_torch-numpy-steps", lambda c: training.fit_torch(X, Y, (3.0, 1.0), np.int64(2), sgd(0.1)),
            lambda r: r.steps == 2),
    raises("as_tensors-dtype-str", lambda c: training.as_tensors(X, Y, dtype="float64"), T, "dtype"),
    raises("course_loss-numpy", lambda c: training.course_loss(X, Y, torch.tensor(1.0), torch.tensor(1.0)), T, "x"),
    raises("fit_minibatch-epochs-1e6", lambda c: training.fit_minibatch(loader(), (3.0, 1.0), 10**6, sgd(0.1)), V,
           "epochs", "MAX_STEPS"),
    raises("fit_minibatch-epochs-float", lambda c: training.fit_minibatch(loader(), (3.0, 1.0), 1.5, sgd(0.1)), T, "epochs"),
    raises("fit_minibatch-scheduler-class",
           lambda c: training.fit_minibatch(loader(), (3.0, 1.0), 1, sgd(0.1), make_scheduler=torch.optim.lr_scheduler.StepLR),
           T, "make_scheduler"),
    raises("fit_minibatch-optimizer-class", lambda c: training.fit_minibatch(loader(), (3.0, 1.0), 1, torch.optim.Adam), T,
           "make_optimizer"),
    raises("fit_minibatch-validation-1", lambda c: training.fit_minibatch(loader(), (3.0, 1.0), 1, sgd(0.1), validation=(X,)),
           T, "validation"),
    raises("fit_minibatch-train-array", lambda c: training.fit_minibatch(loader(), (3.0, 1.0), 1, sgd(0.1), train=X), T, "train"),
    raises("fit_minibatch-batches-int", lambda c: training.fit_minibatch(5, (3.0, 1.0), 1, sgd(0.1)), T, "batches"),
    raises("fit_minibatch-batches-triples", lambda c: training.fit_minibatch([(X, Y, Y)], (3.0, 1.0), 1, sgd(0.1), train=(X, Y)),
           T, "batches", "pairs"),
    raises("fit_minibatch-lr-zero", lambda c: training.fit_minibatch(loader(), (3.0, 1.0), 1, sgd(0.0)), V, "lr"),
    # -- minibatch -------------------------------------------------------------------------------
    raises("per_example_grads-omega-list", lambda c: minibatch.per_example_grads(X, Y, [3, 4], 1.0), T, "omega"),
    raises("per_example_grads-t-str", lambda c: minibatch.per_example_grads(X, Y, 3.0, "1"), T, "t"),
    raises("per_example_grads-omega-huge", lambda c: minibatch.per_example_grads(X, Y, 1e308, 1.0), V, "omega", "overflow"),
    raises("batch_indices-n_batches-float", lambda c: minibatch.batch_indices(10, 2, 2.0, 0), T, "n_batches"),
    raises("batch_indices-seed-negative", lambda c: minibatch.batch_indices(10, 2, 2, -1), V, "seed"),
    raises("batch_indices-too-big", lambda c: minibatch.batch_indices(10**6, 10**5, 10**5, 0), V, "minibatches", "GiB", 50),
    raises("batch_indices-too-much-work", lambda c: minibatch.batch_indices(10**7, 5000, 200, 0), V, "minibatches",
           "evaluations", 50),
    # one (40, 10^6) draw of keys would take 305 MiB (and as much again to partition them)
    returns("batch_indices-chunked", lambda c: minibatch.batch_indices(10**6, 2000, 40, 0),
            lambda rows: rows.shape == (40, 2000) and all(len(set(r)) == 2000 for r in rows.tolist()), max_mib=100),
    returns("batch_indices-numpy-ints", lambda c: minibatch.batch_indices(np.int64(10), np.int32(3), np.int64(2), np.int64(0)),
            lambda rows: np.array_equal(rows, minibatch.batch_indices(10, 3, 2, 0))),
    raises("minibatch_grads-batch-float", lambda c: minibatch.minibatch_grads(X, Y, 3.0, 1.0, 2.5, 3, 0), T, "batch_size"),
    raises("minibatch_grads-too-big", lambda c: minibatch.minibatch_grads(X, Y, 3.0, 1.0, 40, 10**8, 0), V,
           "minibatches", "GiB", 50),
    raises("gradient_spread-batch-zero", lambda c: minibatch.gradient_spread(X, Y, 3.0, 1.0, 0, 3, 0), V, "batch_size"),
    raises("predicted_spread-batch-bool", lambda c: minibatch.predicted_spread(X, Y, 3.0, 1.0, True), T, "batch_size"),
    # -- plotting --------------------------------------------------------------------------------
    raises("plot_landscape-true-params-1", lambda c: plotting.plot_landscape(LAND, true_params=(1,)), V, "true_params"),
    raises("plot_landscape-true-params-nan", lambda c: plotting.plot_landscape(LAND, true_params=(1, math.nan)), V,
           "true_params"),
    raises("plot_landscape-tuple", lambda c: plotting.plot_landscape((LAND.omegas, LAND.ts, LAND.values)), T, "land",
           "Landscape"),
    raises("plot_landscape-mismatched", lambda c: plotting.plot_landscape(landscape.Landscape(LAND.ts, LAND.omegas, LAND.values)),
           V, "land", "shape"),
    raises("plot_loss_and_grad-nan", lambda c: plotting.plot_loss_and_grad([1.0, math.nan], [1.0, 1.0]), V, "loss", "step 1"),
    raises("plot_loss_and_grad-inf", lambda c: plotting.plot_loss_and_grad([1.0, 1.0], [1.0, math.inf]), V, "grad_norm"),
    raises("descent_figure-tuple", lambda c: plotting.descent_figure((1, 2, 3), RUN), T, "land"),
    raises("plot_trajectories-tuple", lambda c: plotting.plot_trajectories((1, 2, 3), {"a": RUN}), T, "land"),
    raises("plot_trajectory-nan", lambda c: plotting.plot_trajectory([[1.0, 2.0], [math.nan, 1.0]]), V, "params", "row 1"),
    raises("plot_trajectory-shape", lambda c: plotting.plot_trajectory([1.0, 2.0]), V, "params", "shape"),
    raises("plot_loss_curves-empty", lambda c: plotting.plot_loss_curves({}), V, "curves"),
    raises("plot_loss_curves-ragged", lambda c: plotting.plot_loss_curves({"a": ([1.0, 2.0], [1.0])}), V, "'a'"),
    raises("plot_gradient_samples-nan", lambda c: plotting.plot_gradient_samples([1.0, math.nan], [[1.0, 1.0]]), V,
           "full_grad", "non-finite"),
    raises("plot_gradient_samples-shape", lambda c: plotting.plot_gradient_samples([1.0], [[1.0, 1.0]]), V, "full_grad"),
    raises("plot_learning_rate_panels-tuple", lambda c: plotting.plot_learning_rate_panels((1, 2, 3), {"a": RUN}), T, "land"),
    raises("plot_learning_rate_panels-empty", lambda c: plotting.plot_learning_rate_panels(LAND, {}), V, "runs"),
    # -- animation -------------------------------------------------------------------------------
    raises("offline_player-bytes", lambda c: anim.offline_player(b"<div>"), T, "jshtml"),
    raises("StillPicture-rgb", lambda c: anim.StillPicture(np.zeros((4, 4, 3), np.uint8)), V, "rgba"),
    raises("draw_frame-out-of-range", lambda c: anim.descent_animation(LAND, RUN, max_frames=3, dpi=20).draw_frame(7), V,
           "frame"),
    raises("frame_steps-negative", lambda c: anim.frame_steps(-1, 10), V, "steps"),
    raises("frame_steps-float", lambda c: anim.frame_steps(5.0, 10), T, "steps"),
    raises("frame_steps-max-frames-float", lambda c: anim.frame_steps(5, 2.5), T, "max_frames"),
    returns("frame_steps-numpy", lambda c: anim.frame_steps(np.int64(5), np.int64(10)), lambda s: list(s) == list(range(6))),
    raises("descent_animation-figsize-zero", lambda c: anim.descent_animation(LAND, RUN, figsize=(0, 0)), V, "figsize"),
    raises("descent_animation-figsize-huge", lambda c: anim.descent_animation(LAND, RUN, figsize=(1e4, 1e4)), V, "figsize",
           "GiB|TiB", 50),
    raises("descent_animation-dpi-nan", lambda c: anim.descent_animation(LAND, RUN, dpi=math.nan), V, "dpi"),
    raises("descent_animation-fps-str", lambda c: anim.descent_animation(LAND, RUN, fps="8"), T, "fps"),
    raises("descent_animation-tuple", lambda c: anim.descent_animation((1, 2, 3), RUN), T, "land"),
    raises("descent_animation-run-array", lambda c: anim.descent_animation(LAND, RUN.params), T, "run"),
    raises("animation_html-max-frames-1", lambda c: anim.animation_html(LAND, RUN, max_frames=1), V, "max_frames"),
    # -- explorer --------------------------------------------------------------------------------
    raises("optimizer_runner-str", lambda c: optimizer_runner("adam"), T, "optimizer_class"),
    raises("optimizer_runner-instance", lambda c: optimizer_runner(torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)),
           T, "optimizer_class"),
    raises("optimizer_runner-bad-option", lambda c: optimizer_runner(torch.optim.SGD, momentum=-1.0), V, "momentum"),
    raises("optimizer_runner-unknown-option", lambda c: optimizer_runner(torch.optim.SGD, bogus=1), T, "bogus"),
    returns("Explorer-numpy-steps", lambda c: Explorer({"d": DataSet(X, Y)}, steps=np.int64(10), max_steps=np.int64(20),
                                                        grid=np.int64(10)), lambda e: e.run.steps == 10),
    raises("Explorer-lr-str", lambda c: Explorer({"d": DataSet(X, Y)}, lr="0.1", grid=10), T, "lr"),
    raises("Explorer-steps-1e7", lambda c: Explorer({"d": DataSet(X, Y)}, steps=10**7, max_steps=10**7, grid=10), V,
           "max_steps", "MAX_STEPS"),
    raises("Explorer-steps-float", lambda c: Explorer({"d": DataSet(X, Y)}, steps=10.0, grid=10), T, "steps"),
    raises("Explorer-lr-range-1", lambda c: Explorer({"d": DataSet(X, Y)}, lr_range=(1.0,), grid=10), V, "lr_range"),
    raises("Explorer-dataset-tuple", lambda c: Explorer({"d": (X, Y)}, grid=10), T, "datasets['d']"),
    raises("Explorer-runner-str", lambda c: Explorer({"d": DataSet(X, Y)}, runners={"gd": "gradient_descent"}, grid=10), T,
           "runners['gd']"),
    raises("Explorer-dataset-nan", lambda c: Explorer({"d": DataSet(np.full(5, math.nan), np.zeros(5))}, grid=10), V, "x"),
    # -- graph -----------------------------------------------------------------------------------
    returns("draw_graph-quotes-and-brackets",
            lambda c: graph.draw_graph("r", lambda n: ['a"]b', "c\\", "<i>"] if n == "r" else [], str),
            lambda dot: graph.graph_labels(dot) == sorted(['a"]b', "c\\", "<i>", "r"])
            and graph.svg_labels(dot.pipe(format="svg", encoding="utf-8")) == sorted(['a"]b', "c\\", "<i>", "r"])
            and sorted(graph.graph_edges(dot)) == sorted([('a"]b', "r"), ("c\\", "r"), ("<i>", "r")])),
    raises("draw_graph-label-int", lambda c: graph.draw_graph("r", lambda n: [], lambda n: 3), T, "label"),
    raises("draw_graph-inputs-str", lambda c: graph.draw_graph("r", "parents", str), T, "inputs"),
    raises("torch_graph-numpy", lambda c: graph.torch_graph(np.ones(3), {}), T, "tensor"),
    raises("torch_graph-names-list", lambda c: graph.torch_graph(torch.ones(2, requires_grad=True).sum(), ["x"]), T, "names"),
    raises("graph_labels-none", lambda c: graph.graph_labels(None), T, "dot"),
    raises("graph_edges-str", lambda c: graph.graph_edges("digraph {}"), V, "dot"),
    raises("print_autograd_graph-numpy", lambda c: graph.print_autograd_graph(np.ones(3), {}), T, "tensor"),
    raises("svg_labels-bytes", lambda c: graph.svg_labels(b"<svg/>"), T, "svg_text"),
    # -- op_check --------------------------------------------------------------------------------
    raises("check_unary_op-log-on-negatives", lambda c: op_check.check_unary_op(engine_log, torch.log, Node), V, "low",
           r"torch\.log"),
    returns("check_unary_op-log-in-domain", lambda c: op_check.check_unary_op(engine_log, torch.log, Node, low=0.5),
            lambda verdict: verdict.passed),
    raises("check_binary_op-torch-fn-str", lambda c: op_check.check_binary_op(lambda a, b: a, "div", Node), V, "torch_fn"),
    raises("check_unary_op-low-above-high", lambda c: op_check.check_unary_op(engine_log, torch.log, Node, low=3, high=1), V,
           "low"),
    # -- blind_date ------------------------------------------------------------------------------
    returns("check_answer-omega-huge", lambda c: _answer_or_error(lambda: blind_date.check_answer(1e308, 1.0)),
            lambda verdict: "nan%" not in str(verdict).lower() and "omega" in str(verdict)),
    raises("best_loss-unknown", lambda c: blind_date.best_loss("nope"), V, "name"),
]


def _answer_or_error(call: Callable[[], Any]) -> Any:
    """The checker's verdict, or the message of a ValueError it raised (both must name omega)."""
    try:
        return call()
    except ValueError as exc:
        return str(exc)


class CaseTimeout(Exception):
    pass


def _on_alarm(signum, frame):
    raise CaseTimeout(f"the call did not finish within {TIMEOUT} s")


def test_every_row_has_a_unique_id():
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input(case, tmp_path, monkeypatch):
    ctx = SimpleNamespace(tmp_path=tmp_path, monkeypatch=monkeypatch)
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, TIMEOUT)
    if case.max_mib is not None:
        tracemalloc.start()
    try:
        if case.raises is not None:
            with pytest.raises(case.raises) as caught:
                case.call(ctx)
            message = str(caught.value)
            assert case.arg in message, f"the message does not name {case.arg!r}: {message}"
            if case.match:
                assert re.search(case.match, message, flags=re.S), f"{case.match!r} not in: {message}"
            assert "allow_pickle" not in message, message
            # Raised by the package's own checks, not by numpy or torch deep inside.
            innermost = caught.traceback[-1].path
            assert PACKAGE_DIR in Path(innermost).parents, f"raised in {innermost}: {message}"
        else:
            result = case.call(ctx)
            assert case.check(result), f"unexpected result {result!r}"
        if case.max_mib is not None:
            peak = tracemalloc.get_traced_memory()[1] / 2**20
            assert peak <= case.max_mib, f"allocated {peak:.0f} MiB (limit {case.max_mib} MiB)"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if case.max_mib is not None:
            tracemalloc.stop()


def test_limits_are_documented():
    for name in ("MAX_STEPS", "MAX_BYTES", "MAX_EVALUATIONS"):
        assert name in _checks.__doc__
    assert descent.descend.__doc__ and "MAX_STEPS" in descent.descend.__doc__
    assert "MAX_EVALUATIONS" in (model.mse.__doc__ or "") and "MAX_BYTES" in (landscape.mse_grid.__doc__ or "")


def test_type_errors_are_also_value_errors():
    """Code that catches ValueError for any bad argument (as before) still catches the type errors."""
    with pytest.raises(ValueError):
        descent.gradient_descent(X, Y, (3.0, 1.0), "0.1", 5)
    with pytest.raises(TypeError):
        descent.gradient_descent(X, Y, (3.0, 1.0), "0.1", 5)


def test_divergence_errors_carry_their_cause():
    with pytest.raises(DivergenceError) as at_start:
        descent.descend(lambda p: (math.nan, p), [1.0], 1e-9, 5)
    assert at_start.value.cause == "start" and at_start.value.step == 0
    assert "lower the learning rate" not in str(at_start.value)
    with pytest.raises(DivergenceError) as too_large:
        descent.descend(parabola, [1.0], 3.0, 5000)
    assert too_large.value.cause == "learning rate" and too_large.value.step > 0


def test_large_work_is_chunked_with_the_same_result(monkeypatch):
    """Above CHUNK_ELEMENTS the work goes in chunks; the numbers are those of one vectorised pass."""
    omegas, ts = np.linspace(0.5, 5.0, 37), np.linspace(-3.0, 3.0, 11)
    grid_o, grid_t = np.meshgrid(omegas, ts)
    whole = (model.mse(X, Y, grid_o, grid_t), model.mse_grad(X, Y, grid_o, grid_t), landscape.mse_grid(X, Y, omegas, ts),
             minibatch.batch_indices(50, 10, 30, 4))
    monkeypatch.setattr(model, "CHUNK_ELEMENTS", 100)
    monkeypatch.setattr(landscape, "CHUNK_ELEMENTS", 100)
    monkeypatch.setattr(minibatch, "CHUNK_ELEMENTS", 100)
    chunked = (model.mse(X, Y, grid_o, grid_t), model.mse_grad(X, Y, grid_o, grid_t), landscape.mse_grid(X, Y, omegas, ts),
               minibatch.batch_indices(50, 10, 30, 4))
    np.testing.assert_allclose(chunked[0], whole[0], rtol=1e-13)
    np.testing.assert_allclose(chunked[1], whole[1], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(chunked[2], whole[2], rtol=1e-12, atol=1e-15)
    assert np.array_equal(chunked[3], whole[3])
