"""The op-test harness: a test gives inputs (numpy arrays), the tinyres op and the PyTorch op;
the harness runs the float64 gradient check and the float32 forward/backward parity check."""
import numpy as np

import tinyres

RTOL = 1e-4


def make_tensors(arrays, device, dtype, requires_grad=True):
    """numpy arrays -> tinyres tensors; float arrays get `dtype` and requires_grad, integer
    arrays (labels) stay as they are, None stays None."""
    out = []
    for a in arrays:
        if a is None:
            out.append(None)
        elif np.asarray(a).dtype.kind == "f":
            out.append(tinyres.tensor(np.asarray(a), dtype=dtype, device=device,
                                      requires_grad=requires_grad))
        else:
            out.append(tinyres.tensor(np.asarray(a), device=device))
    return out


def make_torch(torch, arrays):
    out = []
    for a in arrays:
        if a is None:
            out.append(None)
        elif np.asarray(a).dtype.kind == "f":
            out.append(torch.tensor(np.asarray(a, np.float32), requires_grad=True))
        else:
            out.append(torch.tensor(np.asarray(a)))
    return out


def check_gradients(fn, arrays, device, **tolerances):
    """tinyres.gradcheck of fn over every float input, in float64 on `device`."""
    assert tinyres.gradcheck(fn, make_tensors(arrays, device, tinyres.float64), **tolerances)


def assert_close(actual, expected, what, rtol=RTOL):
    """|actual - expected| <= rtol * |expected| + atol, with atol = rtol/10 of expected's scale
    (float32 rounding around values that cancel to ~0)."""
    expected = np.asarray(expected)
    atol = rtol * 0.1 * float(np.max(np.abs(expected))) if expected.size else 0.0
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, err_msg=what)


def assert_close_deep(actual, expected, what, rtol=RTOL):
    """For whole-network outputs and gradients, where float32 rounding differs between two
    correct implementations and a few elements are small sums of cancelling terms: the relative
    error of the whole array (in norm) is at most rtol, and every element is within
    rtol * |expected| + rtol * 10 * max|expected|."""
    expected = np.asarray(expected, np.float64)
    actual = np.asarray(actual, np.float64)
    scale = float(np.linalg.norm(expected)) or 1.0
    error = float(np.linalg.norm(actual - expected)) / scale
    assert error <= rtol, f"{what}: relative error {error:.3g} in norm exceeds {rtol}"
    atol = rtol * 10 * float(np.max(np.abs(expected))) if expected.size else 0.0
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, err_msg=what)
    return error


def check_against_torch(torch, fn, torch_fn, arrays, device, rtol=RTOL, seed=0):
    """float32: fn's output and every float input's gradient equal torch_fn's (same random
    upstream gradient)."""
    ours = make_tensors(arrays, device, tinyres.float32)
    theirs = make_torch(torch, arrays)
    y = fn(*ours)
    ty = torch_fn(*theirs)
    assert y.shape == tuple(ty.shape), f"output shape {y.shape} != torch {tuple(ty.shape)}"
    assert_close(y.numpy(), ty.detach().numpy(), "forward", rtol)
    upstream = np.random.default_rng(seed).standard_normal(y.shape).astype(np.float32)
    y.backward(tinyres.tensor(upstream, dtype=y.dtype, device=device))
    ty.backward(torch.from_numpy(upstream).to(ty.dtype))
    for i, (o, t) in enumerate(zip(ours, theirs)):
        if o is not None and o.requires_grad:
            assert o.grad is not None, f"input {i} got no gradient"
            assert_close(o.grad.numpy(), t.grad.numpy(), f"gradient of input {i}", rtol)
    return y


def distinct(shape, rng, spacing=0.05):
    """Random values that are all at least `spacing` apart (no ties for max-pool or ReLU kinks
    within a finite-difference step)."""
    n = int(np.prod(shape))
    values = (rng.permutation(n) - n / 2) * spacing
    return values.reshape(shape)
