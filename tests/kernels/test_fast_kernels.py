"""Every other fast kernel of the cpu backend (batch norm, ReLU and add, pooling, the SGD step,
the matmul, padding and the gradient of indexing) equals the NumPy reference kernel, in float32
and float64, whatever the memory layout of the inputs; and the support modules (channel-major
layout, scratch buffers) keep their promises."""
import numpy as np
import pytest

from tests.helpers.fast_cases import (CASES, DTYPES, LAYOUTS, close, in_layout,
                                      thread_kind)  # noqa: F401 (a fixture)
from tinyres.kernels import cpu
from tinyres.kernels.cpu.fast import layout, scratch, threads
from tinyres.kernels.shapes import output_size


pytestmark = pytest.mark.usefixtures("thread_kind")  # each test on both kinds of thread


def _overridden(name):
    return cpu.fast.FAST[name], cpu.REFERENCE[name]


@pytest.mark.parametrize("shape", [(2, 3, 5, 7), (4, 6, 3, 1), (3, 5, 1, 1), (8, 16, 9, 9)])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("which", LAYOUTS)
@pytest.mark.parametrize("affine", [True, False])
def test_batchnorm_kernels_match_the_reference(shape, dtype, which, affine):
    rng = np.random.default_rng(4)
    x = (rng.standard_normal(shape) * 3 + 50).astype(dtype)  # a large mean must not cancel
    c = shape[1]
    w = rng.standard_normal(c).astype(dtype) if affine else None
    b = rng.standard_normal(c).astype(dtype) if affine else None
    fast = cpu.TABLE["batchnorm_forward_train"](in_layout(x, which), w, b, 1e-5)
    slow = cpu.REFERENCE["batchnorm_forward_train"](x, w, b, 1e-5)
    for got, want in zip(fast, slow):
        assert got.dtype == dtype and got.shape == want.shape
        close(got, want, dtype, float(np.abs(want).max()))
    _, mean, var, invstd = slow
    fast = cpu.TABLE["batchnorm_forward_eval"](in_layout(x, which), mean, var, w, b, 1e-5)
    for got, want in zip(fast, cpu.REFERENCE["batchnorm_forward_eval"](x, mean, var, w, b, 1e-5)):
        close(got, want, dtype, float(np.abs(want).max()))
    gy = rng.standard_normal(shape).astype(dtype)
    for training in (True, False):
        fast = cpu.TABLE["batchnorm_backward"](in_layout(gy, which), in_layout(x, which), mean,
                                               invstd, w, training)
        slow = cpu.REFERENCE["batchnorm_backward"](gy, x, mean, invstd, w, training)
        for got, want in zip(fast, slow):
            assert got.dtype == dtype and got.shape == want.shape
            close(got, want, dtype, 10 * float(np.abs(want).max()))


@pytest.mark.parametrize("shape", [(2, 3, 5, 7), (3, 5, 1, 1), (8, 16, 9, 9)])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("which", LAYOUTS)
@pytest.mark.parametrize("training", [True, False])
def test_batchnorm_with_relu_is_the_batchnorm_then_the_relu_exactly(shape, dtype, which,
                                                                     training):
    # the fused kernels' promise (models/fused.py): the same values and gradients, bit for bit,
    # as batch norm followed by ReLU in two passes, and close to the reference's
    rng = np.random.default_rng(7)
    x = in_layout(rng.standard_normal(shape).astype(dtype) * 2 + 0.5, which)
    c = shape[1]
    w, b = rng.standard_normal(c).astype(dtype), rng.standard_normal(c).astype(dtype)
    k = cpu.TABLE
    if training:
        fused = k["batchnorm_forward_train"](x, w, b, 1e-5, True)
        plain = k["batchnorm_forward_train"](x, w, b, 1e-5)
        want = cpu.REFERENCE["batchnorm_forward_train"](x, w, b, 1e-5, True)[0]
        mean, invstd = plain[1], plain[3]
    else:
        mean, var = rng.standard_normal(c).astype(dtype), rng.uniform(0.5, 2, c).astype(dtype)
        fused = k["batchnorm_forward_eval"](x, mean, var, w, b, 1e-5, True)
        plain = k["batchnorm_forward_eval"](x, mean, var, w, b, 1e-5)
        want = cpu.REFERENCE["batchnorm_forward_eval"](x, mean, var, w, b, 1e-5, True)[0]
        invstd = plain[1]
    y = fused[0]
    assert 0.2 < float(np.mean(y == 0)) < 0.8  # the ReLU cut some values, not all
    np.testing.assert_array_equal(y, k["relu_forward"](plain[0]))
    close(y, want, dtype, float(np.abs(want).max()))
    gy = rng.standard_normal(shape).astype(dtype)
    got = k["batchnorm_backward"](gy, x, mean, invstd, w, training, y)
    two_pass = k["batchnorm_backward"](k["relu_backward"](gy, y), x, mean, invstd, w, training)
    wanted = cpu.REFERENCE["batchnorm_backward"](gy, x, mean, invstd, w, training, y)
    for g, g2, g_ref in zip(got, two_pass, wanted):
        np.testing.assert_array_equal(g, g2)
        close(g, g_ref, dtype, 10 * float(np.abs(g_ref).max()))


@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 5, 7), (8, 32, 30, 30)])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("which", LAYOUTS)
def test_elementwise_kernels_match_the_reference(shape, dtype, which):
    rng = np.random.default_rng(5)
    x = in_layout(rng.standard_normal(shape).astype(dtype), which)
    g = rng.standard_normal(shape).astype(dtype)  # C-order: layouts may differ
    y = cpu.TABLE["relu_forward"](x)
    np.testing.assert_array_equal(y, np.maximum(x, 0))
    assert y.dtype == dtype
    np.testing.assert_array_equal(cpu.TABLE["relu_backward"](g, y),
                                  cpu.REFERENCE["relu_backward"](g, y))
    np.testing.assert_array_equal(cpu.TABLE["add"](x, g), x + g)
    np.testing.assert_array_equal(cpu.TABLE["add"](x, g[..., :1]), x + g[..., :1])  # broadcast
    summed = cpu.TABLE["add_relu"](x, g)
    np.testing.assert_array_equal(summed, np.maximum(x + g, 0))
    assert summed.dtype == dtype and layout.memory_order(summed) == layout.memory_order(x)


def test_relu_keeps_nan_as_numpy_does():
    x = np.full((4, 70000), np.nan, np.float32)  # large enough for the parallel kernel
    x[0, 0] = -1.0
    y = cpu.TABLE["relu_forward"](x)
    assert y[0, 0] == 0 and np.isnan(y[1:]).all()
    y = cpu.TABLE["add_relu"](x, np.zeros_like(x))
    assert y[0, 0] == 0 and np.isnan(y[1:]).all()


@pytest.mark.parametrize("shape,kernel,stride,padding", [c for c in CASES
                                                          if 2 * max(c[3]) <= min(c[1])])
@pytest.mark.parametrize("dtype", DTYPES)
def test_maxpool_matches_the_reference_including_ties(shape, kernel, stride, padding, dtype):
    rng = np.random.default_rng(2)
    x = rng.integers(-3, 3, shape).astype(dtype)  # many ties
    fast, slow = _overridden("maxpool2d_forward")
    (y, arg), (y_ref, arg_ref) = fast(x, kernel, stride, padding), slow(x, kernel, stride, padding)
    assert y.dtype == dtype and arg.dtype == np.int64
    np.testing.assert_array_equal(y, y_ref)
    np.testing.assert_array_equal(arg, arg_ref)
    gy = rng.standard_normal(y.shape).astype(dtype)
    fast, slow = _overridden("maxpool2d_backward")
    np.testing.assert_allclose(fast(gy, arg, shape), slow(gy, arg, shape), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("shape,kernel,stride,padding", [c for c in CASES
                                                          if 2 * max(c[3]) <= min(c[1])])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("include", [True, False])
def test_avgpool_matches_the_reference(shape, kernel, stride, padding, dtype, include):
    rng = np.random.default_rng(6)
    x = rng.standard_normal(shape).astype(dtype)
    fast, slow = _overridden("avgpool2d_forward")
    y = fast(in_layout(x, "channel-major"), kernel, stride, padding, include)
    close(y, slow(x, kernel, stride, padding, include), dtype, 1.0)
    gy = rng.standard_normal(y.shape).astype(dtype)
    fast, slow = _overridden("avgpool2d_backward")
    close(fast(gy, shape, kernel, stride, padding, include),
           slow(gy, shape, kernel, stride, padding, include), dtype, 1.0)


@pytest.mark.parametrize("shape", [(3, 5, 7, 7), (2, 4, 1, 1), (4, 6, 8, 5)])
@pytest.mark.parametrize("dtype", DTYPES)
def test_global_avgpool_matches_the_reference(shape, dtype):
    rng = np.random.default_rng(9)
    x = rng.standard_normal(shape).astype(dtype)
    window = shape[2:]
    fast, slow = _overridden("avgpool2d_forward")
    y = fast(in_layout(x, "channel-major"), window, window, (0, 0), True)
    close(y, slow(x, window, window, (0, 0), True), dtype, 1.0)
    assert y.dtype == dtype and y.shape == shape[:2] + (1, 1)
    gy = rng.standard_normal(y.shape).astype(dtype)
    fast, slow = _overridden("avgpool2d_backward")
    close(fast(gy, shape, window, window, (0, 0), True),
           slow(gy, shape, window, window, (0, 0), True), dtype, 1.0)


@pytest.mark.parametrize("width", [1, 2, 5, 8, 11])
def test_maxpool_3x3_stride_2_fast_path_keeps_ties_and_nan(width):
    # ResNet's pooling has its own row loop: ties and NaN must still follow the reference
    rng = np.random.default_rng(12)
    x = rng.integers(-1, 2, (2, 3, 6, width)).astype(np.float32)
    x[0, 0, 1, width // 2] = np.nan
    fast, slow = _overridden("maxpool2d_forward")
    (y, arg), (y_ref, arg_ref) = (fast(x, (3, 3), (2, 2), (1, 1)),
                                  slow(x, (3, 3), (2, 2), (1, 1)))
    np.testing.assert_array_equal(y, y_ref)
    np.testing.assert_array_equal(arg, arg_ref)


def test_maxpool_numba_and_reference_agree_on_nan():
    x = np.array([[[[1.0, np.nan], [np.nan, 5.0]]]])
    fast, slow = _overridden("maxpool2d_forward")
    (y, arg), (y_ref, arg_ref) = fast(x, (2, 2), (1, 1), (0, 0)), slow(x, (2, 2), (1, 1), (0, 0))
    assert np.isnan(y).all() and np.isnan(y_ref).all()
    np.testing.assert_array_equal(arg, arg_ref)


@pytest.mark.parametrize("size", [7, 100_000])  # the serial and the parallel kernel
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("momentum,dampening,weight_decay,nesterov,first", [
    (0.0, 0.0, 0.0, False, False), (0.9, 0.0, 1e-4, False, True), (0.9, 0.0, 1e-4, False, False),
    (0.9, 0.0, 0.0, True, False), (0.5, 0.3, 0.01, False, False)])
def test_sgd_step_matches_the_reference(size, dtype, momentum, dampening, weight_decay,
                                        nesterov, first):
    rng = np.random.default_rng(7)
    param, grad, buf = (rng.standard_normal(size).astype(dtype) for _ in range(3))
    p1, b1 = param.copy(), None if momentum == 0 else buf.copy()
    p2, b2 = param.copy(), None if momentum == 0 else buf.copy()
    args = (0.1, momentum, dampening, weight_decay, nesterov, first)
    cpu.TABLE["sgd_step_"](p1, grad, b1, *args)
    cpu.REFERENCE["sgd_step_"](p2, grad, b2, *args)
    tol = 1e-6 if dtype == np.float32 else 1e-14
    np.testing.assert_allclose(p1, p2, rtol=tol, atol=tol)
    if b1 is not None:
        np.testing.assert_allclose(b1, b2, rtol=tol, atol=tol)


def test_matmul_matches_numpy_and_restores_the_blas_threads():
    rng = np.random.default_rng(8)
    before = [lib.get_num_threads() for lib in threads._blas()]
    for a_shape, b_shape in (((8, 64), (64, 10)), ((3, 4, 5), (5, 2)), ((5,), (5, 3))):
        a, b = rng.standard_normal(a_shape), rng.standard_normal(b_shape)
        np.testing.assert_allclose(cpu.TABLE["matmul"](a, b), a @ b, rtol=1e-12)
    assert [lib.get_num_threads() for lib in threads._blas()] == before


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("which", LAYOUTS)
def test_pad_and_getitem_backward_match_the_reference_and_keep_the_layout(dtype, which):
    # the CIFAR ResNets' option-A shortcut: every second pixel, then zero channels either side
    x = in_layout(np.random.default_rng(15).standard_normal((3, 4, 6, 5)).astype(dtype), which)
    view = x[:, :, ::2, ::2]
    widths = ((0, 0), (2, 3), (0, 0), (1, 0))
    (fast, slow) = _overridden("pad")
    out = fast(view, widths)
    np.testing.assert_array_equal(out, slow(view, widths))
    assert layout.is_channel_major(out) == (which == "channel-major")
    (fast, slow) = _overridden("getitem_backward")
    index = (slice(None), slice(None), slice(None, None, 2), slice(None, None, 2))
    dropped = index[:2] + (0,) + index[3:]  # an integer index: one axis fewer in g
    for g, idx in ((out[:, 2:6, :, 1:], index), (out[:, 2:6, 0, 1:], dropped)):
        got = fast(g, x.shape, idx)
        np.testing.assert_array_equal(got, slow(g, x.shape, idx))
        assert got.dtype == dtype
    assert layout.is_channel_major(fast(out[:, 2:6, :, 1:], x.shape, index)) == (
        which == "channel-major")


def test_channel_major_layout_helpers():
    x = np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5)
    cm = layout.from_channel_major(layout.channel_major(x))
    assert layout.is_channel_major(cm) and not layout.is_channel_major(x)
    np.testing.assert_array_equal(cm, x)
    assert layout.channel_major(cm).base is not None  # already channel-major: a view
    order = layout.memory_order(cm)
    np.testing.assert_array_equal(layout.flat(cm, order), layout.channel_major(x).reshape(-1))
    assert layout.memory_order(x[:, :, ::2]) is None
    assert layout.like(x, cm).strides == cm.strides


def test_scratch_buffers_are_reused_and_grow():
    a = scratch.scratch((4, 5), np.float32, slot=9)
    b = scratch.scratch((2, 3), np.float64, slot=9)
    assert b.ctypes.data == a.ctypes.data  # the same memory, reused
    c = scratch.scratch((1000, 1000), np.float32, slot=9)
    assert c.shape == (1000, 1000) and c.flags.c_contiguous
    scratch.release()


def test_output_size_is_pytorchs_formula():
    assert output_size(224, 7, 2, 3) == 112
    assert output_size(112, 3, 2, 1) == 56
    assert output_size(8, 3, 2, 0) == 3
