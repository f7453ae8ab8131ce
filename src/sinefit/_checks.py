"""Input validation shared by the package: clear errors instead of silent NaN plots.

Every public function checks what it is given before it does any work and raises a ``ValueError``
(or a ``TypeError``) whose message names the argument, shows what was given and says what is
expected.  The type errors are :class:`ArgumentTypeError`, a ``TypeError`` that is also a
``ValueError``, so code that catches ``ValueError`` for any bad argument keeps working.

Limits (module constants, documented in the functions that apply them):

- :data:`MAX_STEPS`: the most update steps one run takes (descent runners, torch runners, the
  explorer): larger counts are refused instead of running for hours.
- :data:`MAX_BYTES`: the largest array a call allocates for its result or for one intermediate;
  larger work is refused before allocating, with the size it would need in the message.
- :data:`MAX_EVALUATIONS`: the most elementary evaluations (one sine of one data point at one
  parameter point) one call does; work that would take minutes is refused, not started.
- :data:`CHUNK_ELEMENTS`: work above this many elements is done in chunks of about this size, so
  memory stays bounded (the course's own sizes never reach it, so their results are unchanged).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

#: The most update steps one run may take (about 10 s for the slowest runner, fit_torch).
MAX_STEPS: int = 100_000
#: The largest array (result or intermediate) one call may allocate: 1 GiB.
MAX_BYTES: int = 2**30
#: The most elementary evaluations one call may do (roughly 10-30 s of NumPy work).
MAX_EVALUATIONS: int = 10**9
#: Work larger than this many elements is done in chunks of about this size (32 MB of float64).
CHUNK_ELEMENTS: int = 2**22


class ArgumentTypeError(TypeError, ValueError):
    """An argument of the wrong type.  Also a ``ValueError``: callers catching either see it."""


def describe(value: Any, limit: int = 60) -> str:
    """``value``'s type and a short repr, for error messages: ``str '0.1'``, ``ndarray of shape (3,)``."""
    if isinstance(value, np.ndarray) and value.ndim > 0:
        return f"a numpy array of shape {value.shape} and dtype {value.dtype}"
    if _is_torch_tensor(value) and value.ndim > 0:
        return f"a torch tensor of shape {tuple(value.shape)}"
    if isinstance(value, type):
        return f"the class {value.__module__}.{value.__qualname__}"
    text = repr(value)
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return f"{type(value).__name__} {text}"


def format_bytes(n_bytes: float) -> str:
    """A size in bytes in readable units: ``'186 GiB'``."""
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n_bytes < 1024 or unit == "PiB":
            return f"{n_bytes:.0f} {unit}" if unit == "bytes" else f"{n_bytes:.3g} {unit}"
        n_bytes /= 1024
    raise AssertionError("unreachable")


def _is_torch_tensor(value: Any) -> bool:
    return type(value).__module__.startswith("torch") and hasattr(value, "detach") and hasattr(value, "numel")


# -- numbers -------------------------------------------------------------------------------------


def as_int(value: Any, name: str, *, low: int | None = None, high: int | None = None,
           what: str = "", high_note: str = "") -> int:
    """``value`` as a Python int in ``[low, high]``; NumPy integers count as integers, bools do not.

    ``what`` describes the expected value in the messages (default: "an integer >= low").
    """
    expected = what or ("an integer" + (f" >= {low}" if low is not None else ""))
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Integral, np.integer)):
        raise ArgumentTypeError(f"{name} must be {expected}, got {name}={describe(value)}")
    number = int(value)
    if low is not None and number < low:
        raise ValueError(f"{name} must be {expected}, got {name}={number}")
    if high is not None and number > high:
        raise ValueError(f"{name} must be at most {high:,}{high_note}, got {name}={number:,}")
    return number


def as_real(value: Any, name: str, *, positive: bool = False, nonnegative: bool = False,
            finite: bool = True, example: str = "") -> float:
    """``value`` as a float: a real number (Python, NumPy, or a one-element 0-d tensor/array).

    Strings, bools, complex numbers and arrays with more than one element are refused with an
    :class:`ArgumentTypeError`; NaN (and inf when ``finite``) and the sign with a ``ValueError``.
    """
    hint = f" (e.g. {name}={example})" if example else ""
    if isinstance(value, (bool, np.bool_, str, bytes)) or value is None:
        raise ArgumentTypeError(f"{name} must be a real number{hint}, got {name}={describe(value)}")
    if isinstance(value, (numbers.Real, np.integer, np.floating)):
        number = float(value)
    elif _is_torch_tensor(value):
        # A 0-d tensor (torch.tensor(0.1)) is one number; torch's dtype names its kind.
        if value.ndim != 0 or value.dtype.is_complex or str(value.dtype) == "torch.bool":
            raise ArgumentTypeError(f"{name} must be a single real number{hint}, got {name}={describe(value)}")
        number = float(value.detach().item())
    elif isinstance(value, np.ndarray):
        if value.ndim != 0 or value.dtype.kind not in "iuf":
            raise ArgumentTypeError(f"{name} must be a single real number{hint}, got {name}={describe(value)}")
        number = float(value)
    else:
        raise ArgumentTypeError(f"{name} must be a real number{hint}, got {name}={describe(value)}")
    if np.isnan(number) or (finite and not np.isfinite(number)):
        raise ValueError(f"{name} must be a finite number{hint}, got {name}={number!r}")
    if positive and not number > 0:
        raise ValueError(f"{name} must be positive{hint}, got {name}={number!r}")
    if nonnegative and not number >= 0:
        raise ValueError(f"{name} must be >= 0{hint}, got {name}={number!r}")
    return number


def as_lr(lr: Any, name: str = "lr") -> float:
    """A learning rate: a positive finite real number (0 is refused: nothing would move)."""
    number = as_real(lr, name, example="0.1")
    if not number > 0:
        raise ValueError(
            f"{name} (the learning rate) must be a positive finite number such as 0.1, got {name}={number!r}"
            + ("; with lr=0 no parameter would move" if number == 0 else "")
        )
    return number


def as_steps(steps: Any, name: str = "steps") -> int:
    """A number of update steps: an integer in ``[0, MAX_STEPS]``."""
    return as_int(steps, name, low=0, high=MAX_STEPS,
                  high_note=" (sinefit._checks.MAX_STEPS: a longer run takes minutes; check the count)")


def as_pair(value: Any, name: str, *, what: str = "two finite numbers", increasing: bool = False,
            positive: bool = False) -> tuple[float, float]:
    """Two finite real numbers ``(a, b)``, optionally with ``a < b`` or both positive."""
    if isinstance(value, (str, bytes)) or value is None:
        raise ArgumentTypeError(f"{name} must be {what}, got {name}={describe(value)}")
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ArgumentTypeError(f"{name} must be {what}, got {name}={describe(value)}") from None
    if arr.shape != (2,):
        raise ValueError(f"{name} must be {what}, got {name}={value!r} (shape {arr.shape})")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be {what} (finite), got {name}={value!r}")
    low, high = float(arr[0]), float(arr[1])
    if increasing and not low < high:
        raise ValueError(f"{name} must be {what} with low < high, got {name}={value!r}")
    if positive and not (low > 0 and high > 0):
        raise ValueError(f"{name} must be {what}, both positive, got {name}={value!r}")
    return low, high


# -- callables -----------------------------------------------------------------------------------


def check_callable(value: Any, name: str, example: str) -> Callable[..., Any]:
    """``value`` if it can be called; else an :class:`ArgumentTypeError` with an example."""
    if not callable(value):
        raise ArgumentTypeError(f"{name} must be a function, e.g. {example}; got {name}={describe(value)}")
    return value


def check_factory(value: Any, name: str, example: str) -> Callable[..., Any]:
    """A function that makes something (an optimizer, a scheduler), not the class itself.

    Passing ``torch.optim.SGD`` where ``lambda params: torch.optim.SGD(params, lr=0.1)`` is
    expected would silently train with torch's default learning rate.
    """
    if isinstance(value, type):
        raise ArgumentTypeError(
            f"{name} must be a function that makes the object, e.g. {example}; got "
            f"{describe(value)} itself, which would use its default settings (such as its default "
            f"learning rate) instead of yours"
        )
    return check_callable(value, name, example)


# -- sizes ---------------------------------------------------------------------------------------


def check_bytes(n_bytes: float, what: str, advice: str = "") -> None:
    """Refuse an allocation larger than :data:`MAX_BYTES` before making it."""
    if n_bytes > MAX_BYTES:
        raise ValueError(
            f"{what} would need {format_bytes(n_bytes)} of memory, more than the limit of "
            f"{format_bytes(MAX_BYTES)} (sinefit._checks.MAX_BYTES)" + (f"; {advice}" if advice else "")
        )


def check_work(n_evaluations: float, what: str, advice: str = "") -> None:
    """Refuse work of more than :data:`MAX_EVALUATIONS` elementary evaluations before starting it."""
    if n_evaluations > MAX_EVALUATIONS:
        raise ValueError(
            f"{what} would take {n_evaluations:.3g} evaluations ({format_bytes(8 * n_evaluations)} if "
            f"held at once), more than the limit of {MAX_EVALUATIONS:.0e} (sinefit._checks.MAX_EVALUATIONS)"
            + (f"; {advice}" if advice else "")
        )


# -- arrays --------------------------------------------------------------------------------------


def as_float_array(value: Any, name: str) -> NDArray[np.float64]:
    """``value`` as a float64 array; strings, objects and complex numbers are refused by name.

    torch tensors are accepted (detached and copied to the CPU first).
    """
    if _is_torch_tensor(value):
        value = value.detach().cpu().numpy()
    if isinstance(value, (str, bytes)) or value is None:
        raise ArgumentTypeError(f"{name} must be numbers (an array of floats), got {name}={describe(value)}")
    try:
        raw = np.asarray(value)
    except (TypeError, ValueError) as exc:
        raise ArgumentTypeError(
            f"{name} must be numbers (a regular array of floats), got {name}={describe(value)} ({exc})"
        ) from None
    if raw.dtype.kind == "c":
        raise ArgumentTypeError(f"{name} must be real numbers, got complex values: {name}={describe(value)}")
    if raw.dtype.kind in "USVMm":
        raise ArgumentTypeError(f"{name} must be numbers, got {raw.dtype} values: {name}={describe(value)}")
    try:
        return raw.astype(float, copy=False)
    except (TypeError, ValueError) as exc:
        raise ArgumentTypeError(f"{name} must be numbers, got {name}={describe(value)} ({exc})") from None


def as_data(x: ArrayLike, y: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Return ``x`` and ``y`` as 1-D float arrays of equal, non-zero length with finite values."""
    x_arr = as_float_array(x, "x")
    y_arr = as_float_array(y, "y")
    for name, arr in (("x", x_arr), ("y", y_arr)):
        if arr.ndim != 1:
            raise ValueError(
                f"{name} must be a 1-D array of data points, got shape {arr.shape}; "
                f"pass one column, e.g. data[:, 0] for x and data[:, 1] for y"
            )
    if x_arr.shape != y_arr.shape:
        raise ValueError(
            f"x and y must have the same length, got x.shape={x_arr.shape} and y.shape={y_arr.shape}"
        )
    if x_arr.size == 0:
        raise ValueError("x and y are empty: the MSE of no data points is undefined")
    for name, arr in (("x", x_arr), ("y", y_arr)):
        if not np.all(np.isfinite(arr)):
            bad = int(np.count_nonzero(~np.isfinite(arr)))
            raise ValueError(f"{name} has {bad} non-finite value(s) (NaN or inf); clean the data first")
    return x_arr, y_arr


def as_params(omega: ArrayLike, t: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Return ``omega`` and ``t`` as finite float arrays broadcast to one common shape."""
    omega_arr = as_float_array(omega, "omega")
    t_arr = as_float_array(t, "t")
    try:
        shape = np.broadcast_shapes(omega_arr.shape, t_arr.shape)
    except ValueError:
        raise ValueError(
            f"omega and t must broadcast together, got omega.shape={omega_arr.shape} and "
            f"t.shape={t_arr.shape}; use np.meshgrid(omegas, ts) for a grid"
        ) from None
    for name, arr in (("omega", omega_arr), ("t", t_arr)):
        if not np.all(np.isfinite(arr)):
            shown = repr(arr) if arr.size <= 6 else f"array of shape {arr.shape}"
            raise ValueError(f"{name} has non-finite value(s) (NaN or inf): {shown}")
    return np.broadcast_to(omega_arr, shape), np.broadcast_to(t_arr, shape)


def check_phase(x: NDArray[np.float64], omega: NDArray[np.float64], t: NDArray[np.float64]) -> None:
    """Refuse parameters so large that the phase ``omega*x + t`` overflows float64 (it would give NaN)."""
    if omega.size == 0 or x.size == 0:
        return
    # max(|max|, |min|) instead of max(abs(...)): no temporary the size of the data.
    omega_max, t_max, x_max = (max(abs(float(np.max(a))), abs(float(np.min(a)))) for a in (omega, t, x))
    with np.errstate(over="ignore", invalid="ignore"):
        bound = omega_max * x_max + t_max
    if not np.isfinite(bound):
        raise ValueError(
            f"omega and t are too large: with |omega| up to {omega_max:.3g}, |t| up to {t_max:.3g} and "
            f"|x| up to {x_max:.3g} the phase omega*x + t overflows float64 (max {np.finfo(float).max:.3g}) "
            f"and the model would be NaN; the course window is omega in [0, 2π], t in [-π, π]"
        )


def as_axis(values: ArrayLike, name: str) -> NDArray[np.float64]:
    """Return a grid axis as a non-empty 1-D finite float array."""
    arr = as_float_array(values, name)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array of grid values, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} has non-finite value(s) (NaN or inf)")
    return arr


def as_landscape(land: Any, name: str = "land") -> Any:
    """``land`` if it is a :class:`sinefit.landscape.Landscape` whose arrays fit together."""
    from sinefit.landscape import Landscape

    if not isinstance(land, Landscape):
        raise ArgumentTypeError(
            f"{name} must be a sinefit.landscape.Landscape (made by landscape(x, y), or "
            f"Landscape(omegas, ts, values)), got {name}={describe(land)}"
        )
    omegas, ts, values = (np.asarray(part) for part in (land.omegas, land.ts, land.values))
    if omegas.ndim != 1 or ts.ndim != 1 or values.shape != (ts.size, omegas.size) or omegas.size < 2 or ts.size < 2:
        raise ValueError(
            f"{name}.values must have shape (len(ts), len(omegas)) with at least 2 points per axis, got "
            f"values {values.shape}, ts {ts.shape}, omegas {omegas.shape}"
        )
    return land
