"""pytest helpers: assertions for gradient-check tests of your own code.

    from tinyres.testing import assert_close, assert_gradcheck, assert_layer_gradients

assert_close reads like torch.testing.assert_close (same default tolerances per dtype, same
failure message); assert_gradcheck and assert_layer_gradients fail with the gradient check's
report, which names the input and its worst element.
"""
import numpy as np

from .gradcheck import check_layer, gradcheck
from .tensor import Tensor

# torch.testing.assert_close's defaults: (rtol, atol) by dtype; integers must be equal
TOLERANCES = {np.dtype(np.float16): (1e-3, 1e-5), np.dtype(np.float32): (1.3e-6, 1e-5),
              np.dtype(np.float64): (1e-7, 1e-7)}


def assert_close(actual, expected, rtol=None, atol=None, *, check_dtype=True, msg=None):
    """|actual - expected| <= atol + rtol * |expected| elementwise, for Tensors, arrays or
    numbers; shapes (and dtypes, unless check_dtype=False) must match. Default tolerances by
    dtype as torch.testing.assert_close: float32 rtol 1.3e-6 atol 1e-5, float64 1e-7 and 1e-7,
    integers and bools exact. NaNs never match."""
    __tracebackhide__ = True  # pytest shows the caller's line, not this one
    if (rtol is None) != (atol is None):
        raise ValueError("assert_close: give both rtol and atol, or neither (then they follow"
                         f" the dtype); got rtol={rtol}, atol={atol}")
    a, e = _array(actual, "actual"), _array(expected, "expected")
    if a.shape != e.shape:
        _fail(f"The values for attribute 'shape' do not match: {a.shape} != {e.shape}.", msg)
    if check_dtype and a.dtype != e.dtype:
        _fail(f"The values for attribute 'dtype' do not match: {a.dtype} != {e.dtype}.", msg)
    exact = a.dtype.kind in "biu" and e.dtype.kind in "biu"
    if rtol is None:
        rtol, atol = (0.0, 0.0) if exact else TOLERANCES.get(
            np.promote_types(a.dtype, e.dtype), TOLERANCES[np.dtype(np.float64)])
    a64, e64 = a.astype(np.float64), e.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        diff = np.where(a64 == e64, 0.0, np.abs(a64 - e64))  # equal infinities differ by 0
        close = diff <= atol + rtol * np.abs(e64)
        relative = np.where(diff == 0, 0.0, diff / np.abs(e64))
    if not close.all():
        _fail(_mismatch_report(diff, relative, close, rtol, atol, exact, a64, e64), msg)


def assert_gradcheck(fn, inputs, **options):
    """tinyres.gradcheck(fn, inputs, **options) as an assertion. Numpy arrays among inputs
    become float64 Tensors that require grad (Tensors are used as they are)."""
    __tracebackhide__ = True
    inputs = [inputs] if isinstance(inputs, (Tensor, np.ndarray)) else list(inputs)
    tensors = [Tensor(x, dtype="float64", requires_grad=True) if isinstance(x, np.ndarray)
               else x for x in inputs]
    gradcheck(fn, tensors, **options)  # raises GradcheckError, an AssertionError


def assert_layer_gradients(forward, backward, inputs, params=None, **options):
    """check_layer(forward, backward, inputs, params, **options) as an assertion: fails with
    its report (every gradient's rel error, the worst element and both values there)."""
    __tracebackhide__ = True
    result = check_layer(forward, backward, inputs, params, **options)
    if not result.ok:
        raise AssertionError(str(result))
    return result


def _array(value, name):
    if isinstance(value, Tensor):
        return value.numpy()
    if isinstance(value, (np.ndarray, np.generic, int, float, bool, list, tuple)):
        return np.asarray(value)
    raise TypeError(f"assert_close: argument '{name}' must be a Tensor, a numpy array or a"
                    f" number, got {type(value).__name__}")


def _mismatch_report(diff, relative, close, rtol, atol, exact, actual, expected):
    """torch.testing.assert_close's message."""
    if diff.ndim == 0:
        kind = "equal" if exact else "close"
        lines = [f"Scalars are not {kind}!", "",
                 f"Expected {_num(expected, exact)} but got {_num(actual, exact)}.",
                 f"Absolute difference: {_num(diff, exact)}{_allowed(atol, exact)}",
                 f"Relative difference: {_num(relative, False)}{_allowed(rtol, exact)}"]
        return "\n".join(lines)
    bad = int(np.sum(~close))
    diff, relative = np.where(close, 0.0, diff), np.where(close, 0.0, relative)  # mismatches only
    worst_abs = _argmax(diff)
    worst_rel = _argmax(relative)
    return "\n".join([
        f"Tensor-likes are not {'equal' if exact else 'close'}!", "",
        f"Mismatched elements: {bad} / {diff.size} ({100 * bad / diff.size:.1f}%)",
        f"Greatest absolute difference: {_num(diff[worst_abs], exact)} at index {worst_abs}"
        f"{_allowed(atol, exact)}",
        f"Greatest relative difference: {_num(relative[worst_rel], False)} at index"
        f" {worst_rel}"
        f"{_allowed(rtol, exact)}",
    ])


def _argmax(values):
    """Index of the largest value, NaN counting as largest (as torch reports it)."""
    flat = np.where(np.isnan(values), np.inf, values).reshape(-1)
    return tuple(int(i) for i in np.unravel_index(int(np.argmax(flat)), values.shape))


def _num(value, exact):
    """A number as torch prints it: Python's repr of the float (an int when exact)."""
    value = float(value)
    return str(int(value)) if exact and np.isfinite(value) else str(value)


def _allowed(tolerance, exact):
    return "" if exact else f" (up to {float(tolerance)} allowed)"


def _fail(text, msg):
    raise AssertionError(text if msg is None else f"{msg}\n\n{text}")
