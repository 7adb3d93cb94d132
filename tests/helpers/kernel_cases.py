"""Kernel-by-kernel checks of a backend table against the NumPy reference (kernels/cpu
REFERENCE): the cases (odd shapes, stride 2, padding, ties, NaN, every optimizer branch) and
one comparison. tests/kernels/test_kernels_cuda.py runs them on a GPU;
tests/kernels/test_cuda_shim.py runs the same cuda table on the CPU through the g++ shim.
Besides the kernels, the cases check the building blocks of each backend's convolution
(PARTS: im2col and col2im), which no op calls through the table.

A case makes host arguments; numpy arrays among them go to the device (``Host`` ones stay on
the host, e.g. asarray's data), everything else is passed as it is.
"""
import dataclasses

import numpy as np

from tinyres.kernels.cpu import REFERENCE, conv

CONV = [  # (N, C, H, W), kernel, stride, padding
    ((2, 3, 8, 9), (3, 3), (1, 1), (1, 1)),
    ((1, 2, 7, 7), (7, 7), (2, 2), (3, 3)),
    ((3, 4, 9, 8), (1, 1), (2, 2), (0, 0)),
    ((2, 1, 5, 11), (2, 4), (1, 3), (1, 2)),
    ((1, 5, 4, 4), (3, 1), (3, 1), (0, 0)),
    ((2, 3, 6, 5), (1, 1), (1, 1), (0, 0)),
    ((2, 2, 13, 11), (3, 3), (2, 2), (1, 1)),
    ((2, 5, 6, 7), (3, 3), (1, 1), (1, 1)),  # the cpu's direct 3x3 (float32)
]
POOL = [c for c in CONV if 2 * max(c[3]) <= min(c[1])] + [
    ((2, 3, 11, 9), (2, 2), (2, 2), (1, 0)),
    ((1, 2, 20, 17), (3, 3), (2, 2), (1, 1)),  # ResNet's stem pooling; planes of 90 outputs
]
DTYPES = [np.float32, np.float64]
PARTS = ("im2col", "col2im")  # of every backend's conv module, with the reference's signatures
MOVES = {"im2col", "maxpool2d_forward", "relu_forward", "relu_backward", "copy", "getitem",
         "reshape", "transpose", "expand", "pad", "asarray", "to_host", "zeros", "ones", "full",
         "neg", "getitem_backward", "astype",
         "argmax", "equal"}  # pure data movement and comparisons: results must be exact
# sums taken in the reference's order and precision (max-pool's gather adds each element's
# gradients in (p, q) order in float64, as bincount does): results must be exact too
SAME_ORDER = {"maxpool2d_backward"}


def with_parts(table, conv_module):
    """table (name -> kernel) with the convolution building blocks of conv_module added: every
    function the cases call."""
    return {**table, **{name: getattr(conv_module, name) for name in PARTS}}


EXPECTED = with_parts(REFERENCE, conv)


@dataclasses.dataclass(frozen=True)
class Host:
    """An argument that stays on the host (a kernel's host-data input)."""
    value: object


@dataclasses.dataclass
class Case:
    kernel: str
    label: str
    make: object  # (rng, dtype) -> tuple of arguments

    @property
    def id(self):
        return f"{self.kernel}-{self.label}"


def normal(rng, shape, dtype, loc=0.0, scale=1.0):
    return (loc + scale * rng.standard_normal(shape)).astype(dtype)


def positive(rng, shape, dtype):
    return rng.uniform(0.5, 2.0, shape).astype(dtype)


def _cases():
    yield from _array_cases()
    yield from _relu_cases()
    yield from _conv_cases()
    yield from _batchnorm_cases()
    yield from _pool_cases()
    yield from _loss_cases()
    yield from _optim_cases()


def _array_cases():
    n = normal
    yield Case("asarray", "ndarray", lambda r, d: (Host(n(r, (2, 3), d)), d))
    yield Case("asarray", "list", lambda r, d: (Host([[1.5, 2.0], [3.0, -4.0]]), d))
    yield Case("to_host", "3d", lambda r, d: (n(r, (2, 3, 4), d),))
    yield Case("zeros", "2d", lambda r, d: ((2, 3), d))
    yield Case("ones", "0d", lambda r, d: ((), d))
    yield Case("full", "3d", lambda r, d: ((2, 1, 3), 2.5, d))
    yield Case("copy", "3d", lambda r, d: (n(r, (2, 3, 4), d),))
    yield Case("astype", "int64", lambda r, d: (n(r, (3, 4), d) * 10, np.int64))
    yield Case("astype", "same", lambda r, d: (n(r, (3, 4), d), d))
    for op in ("add", "sub", "mul", "div"):
        yield Case(op, "broadcast", lambda r, d: (n(r, (2, 3, 4), d), positive(r, (3, 1), d)))
    yield Case("neg", "2d", lambda r, d: (n(r, (3, 4), d),))
    yield Case("power", "cube", lambda r, d: (n(r, (3, 4), d), 3))
    yield Case("power", "sqrt", lambda r, d: (positive(r, (3, 4), d), 0.5))
    yield Case("matmul", "batched", lambda r, d: (n(r, (2, 3, 5), d), n(r, (5, 4), d)))
    yield Case("sum", "all", lambda r, d: (n(r, (2, 3, 4), d),))
    yield Case("sum", "axes", lambda r, d: (n(r, (2, 3, 4), d), (0, 2), True))
    yield Case("argmax", "rows", lambda r, d: (np.round(n(r, (6, 5), d)), 1))  # ties
    yield Case("argmax", "nan", lambda r, d: (np.array([[1, np.nan, 3, np.nan]], d), 1))
    yield Case("equal", "broadcast", lambda r, d: (np.round(n(r, (4, 3), d)),
                                                   np.round(n(r, (3,), d))))
    yield Case("sum_to_shape", "bias", lambda r, d: (n(r, (2, 3, 4), d), (3, 1)))
    yield Case("expand", "3d", lambda r, d: (n(r, (3, 1), d), (2, 3, 4)))
    yield Case("reshape", "3d", lambda r, d: (n(r, (2, 3, 4), d), (4, -1)))
    yield Case("transpose", "3d", lambda r, d: (n(r, (2, 3, 4), d), (2, 0, 1)))
    index = (slice(None), None, slice(1, 3), Ellipsis, 0)
    yield Case("getitem", "basic", lambda r, d: (n(r, (2, 3, 4, 5), d), index))
    yield Case("getitem_backward", "basic",
               lambda r, d: (n(r, (2, 1, 2, 4), d), (2, 3, 4, 5), index))
    yield Case("pad", "2d", lambda r, d: (n(r, (2, 3), d), ((1, 0), (2, 3))))


def _relu_cases():
    def x(r, d):
        v = normal(r, (3, 7, 5), d)
        v[0, 0, :3] = (0.0, -0.0, np.nan)  # the kink and NaN (which stays NaN)
        return v

    yield Case("relu_forward", "3d", lambda r, d: (x(r, d),))
    yield Case("relu_forward", "0d", lambda r, d: (np.asarray(-1.5, d),))
    yield Case("relu_backward", "3d", lambda r, d: (
        normal(r, (3, 7, 5), d), REFERENCE["relu_forward"](x(r, d))))
    yield Case("add_relu", "3d", lambda r, d: (x(r, d), normal(r, (3, 7, 5), d)))
    yield Case("add_relu", "cancel", lambda r, d: (x(r, d), -x(r, d)))  # sums of exactly 0


def _conv_cases():
    for shape, kernel, stride, padding in CONV:
        label = f"{shape}-k{kernel}-s{stride}-p{padding}"
        n_, c = shape[:2]
        w_shape = (3, c, *kernel)
        cols = conv.im2col(np.zeros(shape), kernel, stride, padding).shape
        y_shape = REFERENCE["conv2d_forward"](np.zeros(shape), np.zeros(w_shape), stride,
                                              padding).shape
        yield Case("im2col", label, lambda r, d, s=shape, k=kernel, st=stride, p=padding: (
            normal(r, s, d), k, st, p))
        yield Case("col2im", label, lambda r, d, s=shape, k=kernel, st=stride, p=padding,
                   cs=cols: (normal(r, cs, d), s, k, st, p))
        yield Case("conv2d_forward", label, lambda r, d, s=shape, ws=w_shape, st=stride,
                   p=padding: (normal(r, s, d), normal(r, ws, d), st, p))
        yield Case("conv2d_backward_data", label, lambda r, d, s=shape, ws=w_shape, ys=y_shape,
                   st=stride, p=padding: (normal(r, ys, d), normal(r, ws, d), s, st, p))
        yield Case("conv2d_backward_weight", label, lambda r, d, s=shape, ws=w_shape,
                   ys=y_shape, st=stride, p=padding: (normal(r, ys, d), normal(r, s, d), ws,
                                                      st, p))


def _batchnorm_cases():
    # (8, 3, 32, 33): 8448 values per channel, so the reductions split over several blocks;
    # (5, 4, 1, 1): BatchNorm1d's layout; the mean of 5 tests the centred second pass
    for shape in ((2, 3, 4, 5), (8, 3, 32, 33), (5, 4, 1, 1)):
        c = shape[1]
        for affine in (True, False):
            label = f"{shape}-{'affine' if affine else 'plain'}"

            def params(r, d, c=c, affine=affine):
                return (normal(r, (c,), d), normal(r, (c,), d)) if affine else (None, None)

            for relu in (False, True):  # relu: the ReLU after the batch norm fused in
                tag = f"{label}-relu" if relu else label
                yield Case("batchnorm_forward_train", tag, lambda r, d, s=shape, p=params, u=relu: (
                    normal(r, s, d, loc=5.0, scale=2.0), *p(r, d), 1e-5, u))
                yield Case("batchnorm_forward_eval", tag,
                           lambda r, d, s=shape, c=c, p=params, u=relu: (
                               normal(r, s, d), normal(r, (c,), d), positive(r, (c,), d),
                               *p(r, d), 1e-5, u))
                for training in (True, False):
                    yield Case("batchnorm_backward", f"{tag}-train{training}",
                               lambda r, d, s=shape, c=c, p=params, t=training, u=relu: (
                                   normal(r, s, d), normal(r, s, d), normal(r, (c,), d),
                                   positive(r, (c,), d), p(r, d)[0], t,
                                   _relu_output(r, s, d) if u else None))
        yield Case("batchnorm_update_running_", f"{shape}", lambda r, d, s=shape, c=c: (
            normal(r, (c,), d), positive(r, (c,), d), normal(r, (c,), d),
            positive(r, (c,), d), s[0] * s[2] * s[3], 0.1))


def _relu_output(rng, shape, dtype):
    """A fused forward's output max(y, 0): about half zeros (the gradient stops there)."""
    return REFERENCE["relu_forward"](normal(rng, shape, dtype))


def _pool_cases():
    for shape, kernel, stride, padding in POOL:
        label = f"{shape}-k{kernel}-s{stride}-p{padding}"

        def ties(r, d, s=shape):
            return r.integers(-3, 3, s).astype(d)  # many equal values: first maximum wins

        def backward(r, d, s=shape, k=kernel, st=stride, p=padding, make=ties):
            y, argmax = REFERENCE["maxpool2d_forward"](make(r, d), k, st, p)
            return normal(r, y.shape, d), argmax, s, k, st, p

        yield Case("maxpool2d_forward", label, lambda r, d, k=kernel, st=stride, p=padding,
                   make=ties: (make(r, d), k, st, p))
        yield Case("maxpool2d_backward", label, backward)
        for include in (True, False):
            out = REFERENCE["avgpool2d_forward"](np.zeros(shape), kernel, stride, padding).shape
            yield Case("avgpool2d_forward", f"{label}-{include}", lambda r, d, s=shape,
                       k=kernel, st=stride, p=padding, i=include: (normal(r, s, d), k, st, p, i))
            yield Case("avgpool2d_backward", f"{label}-{include}", lambda r, d, s=shape, o=out,
                       k=kernel, st=stride, p=padding, i=include: (normal(r, o, d), s, k, st, p,
                                                                   i))
    nan = np.array([[[[1.0, np.nan, 2.0], [np.nan, 5.0, -1.0]]]])
    yield Case("maxpool2d_forward", "nan", lambda r, d: (nan.astype(d), (2, 2), (1, 1), (0, 0)))


def _loss_cases():
    for axis in (0, 1, -1):
        def logits(r, d):
            return normal(r, (2, 5, 3), d, loc=1000.0)  # exp would overflow without the shift

        yield Case("log_softmax_forward", f"axis{axis}", lambda r, d, a=axis, x=logits: (
            x(r, d), a))
        yield Case("log_softmax_backward", f"axis{axis}", lambda r, d, a=axis, x=logits: (
            normal(r, (2, 5, 3), d), REFERENCE["log_softmax_forward"](x(r, d), a), a))
    yield Case("log_softmax_forward", "wide-row", lambda r, d: (normal(r, (3, 1000), d), 1))
    for label, itype in (("int64", np.int64), ("int32", np.int32)):
        yield Case("cross_entropy_forward", label, lambda r, d, t=itype: (
            normal(r, (7, 10), d, scale=3.0), r.integers(0, 10, 7).astype(t)))
        yield Case("cross_entropy_backward", label, lambda r, d, t=itype: (
            np.asarray(r.standard_normal(), d), REFERENCE["log_softmax_forward"](
                normal(r, (7, 10), d), 1), r.integers(0, 10, 7).astype(t)))
    yield Case("cross_entropy_forward", "many-classes", lambda r, d: (
        normal(r, (3, 1000), d), r.integers(0, 1000, 3)))


def _optim_cases():
    shape = (3, 5)
    grid = [(0.0, 0.0, 0.0, False, True), (0.9, 0.0, 0.0, False, True),
            (0.9, 0.1, 1e-2, False, False), (0.9, 0.0, 1e-2, True, False)]
    for momentum, dampening, decay, nesterov, first in grid:
        label = f"m{momentum}-d{dampening}-wd{decay}-n{nesterov}-first{first}"
        yield Case("sgd_step_", label, lambda r, d, m=momentum, dm=dampening, wd=decay,
                   nv=nesterov, f=first: (
                       normal(r, shape, d), normal(r, shape, d),
                       None if m == 0 else normal(r, shape, d), 0.1, m, dm, wd, nv, f))
    for step, decay in ((1, 0.0), (5, 1e-2)):
        yield Case("adam_step_", f"step{step}-wd{decay}", lambda r, d, s=step, wd=decay: (
            normal(r, shape, d), normal(r, shape, d), normal(r, shape, d, scale=0.1),
            positive(r, shape, d) * 0.01, s, 1e-3, 0.9, 0.999, 1e-8, wd))


CASES = list(_cases())


def tolerance(kernel, dtype):
    """rtol for a kernel's results (0: exact); atol is rtol times the largest expected value."""
    if kernel in MOVES or kernel in SAME_ORDER:
        return 0.0
    return 1e-5 if np.dtype(dtype) == np.float32 else 1e-10


def check(case, dtype, table, to_device, to_host, seed=0):
    """Run case's kernel from table (see with_parts) on the device and from the reference
    (EXPECTED) on the host; the results and every array argument afterwards (inputs untouched,
    in-place updates made) must agree."""
    args = case.make(np.random.default_rng(seed), np.dtype(dtype))
    host_args = [_plain(a, copy=True) for a in args]
    device_args = [to_device(a) if isinstance(a, np.ndarray) else _plain(a) for a in args]
    expected = EXPECTED[case.kernel](*host_args)
    actual = table[case.kernel](*device_args)
    rtol = tolerance(case.kernel, dtype)
    for i, (e, a) in enumerate(zip(_outputs(expected), _outputs(actual))):
        _assert_same(to_host(a), e, rtol, f"{case.id}: output {i}")
    for i, (e, a) in enumerate(zip(host_args, device_args)):
        if isinstance(args[i], np.ndarray):
            _assert_same(to_host(a), e, rtol, f"{case.id}: argument {i} after the call")


def strided(a, xp):
    """An xp copy of host array a that is not C-contiguous (every other element of a buffer
    twice as wide), to check that kernels never index an input as if it were contiguous."""
    if a.ndim == 0:
        return xp.array(a)
    buffer = xp.zeros(a.shape[:-1] + (2 * a.shape[-1],), dtype=a.dtype)
    view = buffer[..., ::2]
    view[...] = xp.asarray(a)
    return view


def _plain(arg, copy=False):
    """A Host's value, or arg; arrays copied when copy (the reference may update them)."""
    value = arg.value if isinstance(arg, Host) else arg
    return np.array(value, copy=True) if copy and isinstance(value, np.ndarray) else value


def _outputs(result):
    if result is None:
        return []
    return list(result) if isinstance(result, tuple) else [result]


def _assert_same(actual, expected, rtol, what):
    expected = np.asarray(expected)
    assert isinstance(actual, np.ndarray), f"{what}: to_host gave {type(actual).__name__}"
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    assert actual.dtype == expected.dtype, f"{what}: dtype {actual.dtype} != {expected.dtype}"
    if rtol == 0 or expected.dtype.kind not in "fc":
        np.testing.assert_array_equal(actual, expected, err_msg=what)
        return
    finite = np.abs(expected[np.isfinite(expected)])
    atol = rtol * float(finite.max()) if finite.size else 0.0
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, err_msg=what)
