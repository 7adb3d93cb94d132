"""Every fast kernel of the cpu backend (fast.FAST) equals the NumPy reference kernel, in
float32 and float64, on odd shapes, strides and paddings, whatever the memory layout of the
inputs (C-order or the channel-major layout the fast kernels produce)."""
import numba
import numpy as np
import pytest

from tinyres.kernels import cpu
from tinyres.kernels.cpu import conv as reference_conv
from tinyres.kernels.cpu.fast import (conv_direct, conv_direct_strided, conv_im2col, conv_winograd,
                                      layout, scratch, threads)
from tinyres.kernels.cpu.fast import conv as fast_conv
from tinyres.kernels.shapes import output_size

CASES = [
    # (N, C, H, W), kernel, stride, padding
    ((2, 8, 8, 9), (3, 3), (1, 1), (1, 1)),  # Winograd (8x8 and larger maps, 8+ channels)
    ((3, 9, 11, 10), (3, 3), (1, 1), (1, 1)),  # Winograd, odd size, 2 image groups
    ((2, 3, 8, 9), (3, 3), (1, 1), (1, 1)),  # 3 channels: im2col
    ((1, 2, 7, 7), (7, 7), (2, 2), (3, 3)),  # the ResNet stem
    ((3, 4, 9, 8), (1, 1), (2, 2), (0, 0)),  # strided 1x1 (subsampling)
    ((3, 5, 6, 7), (1, 1), (1, 1), (0, 0)),  # 1x1: a plain GEMM
    ((2, 1, 5, 11), (2, 4), (1, 3), (1, 2)),
    ((1, 5, 4, 4), (3, 1), (3, 1), (0, 0)),
    ((4, 3, 7, 7), (3, 3), (1, 1), (1, 1)),  # 3x3 on 7x7 maps: im2col, not Winograd
    ((3, 2, 9, 9), (3, 3), (2, 2), (1, 1)),  # strided 3x3
    ((1, 5, 1, 1), (3, 3), (1, 1), (1, 1)),  # direct 3x3 (float32): a 1x1 map
    ((2, 3, 2, 3), (3, 3), (1, 1), (1, 1)),  # direct: 2x3 maps, tiles spanning images
    ((2, 3, 17, 14), (7, 7), (2, 2), (3, 3)),  # direct forward on phases: a stem, odd size
    ((3, 5, 9, 7), (3, 3), (3, 2), (1, 1)),  # direct on 6 phases
]
DIRECT = [  # (N, C, K, H, W) of 3x3, stride-1, padding-1 convolutions (direct in float32)
    (1, 1, 1, 1, 1),
    (2, 3, 5, 2, 3),
    (1, 17, 33, 7, 7),  # C, K not multiples of 8 or 16; the last tile partly past the end
    (3, 16, 24, 8, 8),
    (2, 70, 9, 5, 6),  # more input channels than one pass (C_BLOCK) takes
    (4, 8, 4, 1, 40),  # one-row images
    (1, 2, 130, 3, 4),  # many output-channel blocks on a tiny map (threads split channels)
]
DTYPES = [np.float32, np.float64]
LAYOUTS = ["c", "channel-major"]


def _overridden(name):
    return cpu.fast.FAST[name], cpu.REFERENCE[name]


def _in_layout(a, which):
    """a with the same values stored C-order or channel-major."""
    if which == "c" or a.ndim != 4:
        return np.ascontiguousarray(a)
    return layout.from_channel_major(layout.channel_major(a))


def _close(actual, expected, dtype, scale=1.0):
    tol = 1e-5 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(actual, expected, rtol=tol, atol=tol * scale)


@pytest.mark.parametrize("shape,kernel,stride,padding", CASES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_im2col_and_col2im_match_the_reference(shape, kernel, stride, padding, dtype):
    # the channel-major column builders of the GEMM convolutions, run on two image ranges as
    # their threads do, against the reference's (N, C*R*S, P*Q) columns
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(dtype)
    n, c, h, w = shape
    p, q = (output_size(*axis) for axis in zip(shape[2:], kernel, stride, padding))
    geometry = (*kernel, *stride, *padding, p, q)
    ranges = [(0, n // 2), (n // 2, n)] if n > 1 else [(0, n)]
    cols = np.empty((c * kernel[0] * kernel[1], n * p * q), dtype)
    for n0, n1 in ranges:
        conv_im2col.im2col_cm(layout.channel_major(x), n0, n1, *geometry,
                              cols[:, n0 * p * q:n1 * p * q])
    expected = reference_conv.im2col(x, kernel, stride, padding)
    np.testing.assert_array_equal(cols.reshape(-1, n, p * q).transpose(1, 0, 2), expected)
    g = rng.standard_normal(expected.shape).astype(dtype)
    gcols = np.ascontiguousarray(g.transpose(1, 0, 2)).reshape(-1, n * p * q)
    out = np.empty((c, n, h, w), dtype)
    for n0, n1 in ranges:
        conv_im2col.col2im_cm(gcols[:, n0 * p * q:n1 * p * q], n0, n1, *geometry, out)
    np.testing.assert_allclose(layout.from_channel_major(out),
                               reference_conv.col2im(g, shape, kernel, stride, padding),
                               rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("shape,kernel,stride,padding", CASES)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("which", LAYOUTS)
def test_conv_kernels_match_the_reference(shape, kernel, stride, padding, dtype, which):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape).astype(dtype)
    w = rng.standard_normal((3, shape[1], *kernel)).astype(dtype)
    y = cpu.TABLE["conv2d_forward"](_in_layout(x, which), w, stride, padding)
    y_ref = cpu.REFERENCE["conv2d_forward"](x, w, stride, padding)
    assert y.dtype == dtype and y.shape == y_ref.shape
    scale = float(np.abs(y_ref).max())
    _close(y, y_ref, dtype, scale)
    gy = rng.standard_normal(y.shape).astype(dtype)
    for name, args in (("conv2d_backward_data", (gy, w, shape, stride, padding)),
                       ("conv2d_backward_weight", (gy, x, w.shape, stride, padding))):
        fast = cpu.TABLE[name](*[_in_layout(a, which) if isinstance(a, np.ndarray) else a
                                 for a in args])
        slow = cpu.REFERENCE[name](*args)
        assert fast.dtype == dtype and fast.shape == slow.shape, name
        _close(fast, slow, dtype, float(np.abs(slow).max()))


@pytest.mark.parametrize("shape", DIRECT, ids=str)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("which", LAYOUTS)
def test_direct_3x3_kernels_match_the_reference(monkeypatch, shape, dtype, which):
    monkeypatch.setattr(fast_conv, "DIRECT_MAX_CHANNELS", 1 << 30)  # wide ones too
    n, c, k, h, w = shape
    rng = np.random.default_rng(10)
    x = rng.standard_normal((n, c, h, w)).astype(dtype)
    wt = rng.standard_normal((k, c, 3, 3)).astype(dtype)
    gy = rng.standard_normal((n, k, h, w)).astype(dtype)
    args = {"conv2d_forward": (x, wt), "conv2d_backward_data": (gy, wt, x.shape),
            "conv2d_backward_weight": (gy, x, wt.shape)}
    for name, a in args.items():
        fast = cpu.TABLE[name](*[_in_layout(v, which) if isinstance(v, np.ndarray) else v
                                 for v in a], (1, 1), (1, 1))
        slow = cpu.REFERENCE[name](*a, (1, 1), (1, 1))
        assert fast.dtype == dtype and fast.shape == slow.shape, name
        _close(fast, slow, dtype, float(np.abs(slow).max()))


def test_direct_kernels_are_taken_for_float32_on_avx512_where_they_fit():
    taken = conv_direct.applies((2, 16, 8, 8), (16, 16, 3, 3), (1, 1), (1, 1), np.float32)
    assert taken == conv_direct.simd.HAS_AVX512
    assert not conv_direct.applies((2, 16, 8, 8), (16, 16, 3, 3), (1, 1), (1, 1), np.float64)
    assert not conv_direct.applies((2, 16, 8, 8), (16, 16, 3, 3), (2, 2), (1, 1), np.float32)
    stem = conv_direct_strided.applies((2, 3, 224, 224), (64, 3, 7, 7), (2, 2), (3, 3),
                                       np.float32)
    assert stem == conv_direct.simd.HAS_AVX512
    # without padding a 7x7/2 output is smaller than the input's phases: not on phases
    assert not conv_direct_strided.applies((2, 3, 9, 9), (4, 3, 7, 7), (2, 2), (0, 0),
                                           np.float32)


def test_direct_3x3_ignores_what_lies_past_the_batch():
    # tiles end past N*H*W: those lanes must neither count nor be written (NaN would show)
    rng = np.random.default_rng(11)
    size = 2 * 7 * 7

    def channel_major_before_nan(c):
        block = np.full(c * size + 40, np.nan, np.float32)
        block[:c * size] = rng.standard_normal(c * size)
        return block, layout.from_channel_major(block[:c * size].reshape(c, 2, 7, 7))
    xblock, x = channel_major_before_nan(3)
    gblock, gy = channel_major_before_nan(5)
    wt = rng.standard_normal((5, 3, 3, 3)).astype(np.float32)
    for name, args in (("conv2d_forward", (x, wt)), ("conv2d_backward_data", (gy, wt, x.shape)),
                       ("conv2d_backward_weight", (gy, x, wt.shape))):
        fast = cpu.TABLE[name](*args, (1, 1), (1, 1))
        slow = cpu.REFERENCE[name](*[np.ascontiguousarray(a) if isinstance(a, np.ndarray)
                                     else a for a in args], (1, 1), (1, 1))
        _close(fast, slow, np.float32, float(np.abs(slow).max()))
    assert np.isnan(xblock[3 * size:]).all() and np.isnan(gblock[5 * size:]).all()


@pytest.mark.parametrize("enabled", [True, False])
def test_winograd_and_im2col_paths_agree(monkeypatch, enabled):
    monkeypatch.setattr(conv_winograd, "ENABLED", enabled)
    monkeypatch.setattr(fast_conv, "DIRECT", False)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((5, 8, 12, 9)).astype(np.float32)
    w = rng.standard_normal((4, 8, 3, 3)).astype(np.float32)
    assert conv_winograd.applies(x.shape, w.shape, (1, 1), (1, 1)) == enabled
    gy = rng.standard_normal((5, 4, 12, 9)).astype(np.float32)
    for name, args in (("conv2d_forward", (x, w)), ("conv2d_backward_data", (gy, w, x.shape)),
                       ("conv2d_backward_weight", (gy, x, w.shape))):
        fast = cpu.TABLE[name](*args, (1, 1), (1, 1))
        slow = cpu.REFERENCE[name](*args, (1, 1), (1, 1))
        _close(fast, slow, np.float32, float(np.abs(slow).max()))


def test_conv_results_do_not_depend_on_the_thread_count():
    rng = np.random.default_rng(3)
    x = layout.from_channel_major(rng.standard_normal((4, 7, 10, 10)).astype(np.float32))
    w = rng.standard_normal((5, 4, 3, 3)).astype(np.float32)
    results = []
    for n in (1, min(2, numba.config.NUMBA_NUM_THREADS)):
        numba.set_num_threads(n)
        try:
            results.append(cpu.TABLE["conv2d_forward"](x, w, (1, 1), (1, 1)))
        finally:
            numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
    np.testing.assert_allclose(results[0], results[1], rtol=1e-6, atol=1e-6)


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
    fast = cpu.TABLE["batchnorm_forward_train"](_in_layout(x, which), w, b, 1e-5)
    slow = cpu.REFERENCE["batchnorm_forward_train"](x, w, b, 1e-5)
    for got, want in zip(fast, slow):
        assert got.dtype == dtype and got.shape == want.shape
        _close(got, want, dtype, float(np.abs(want).max()))
    _, mean, var, invstd = slow
    fast = cpu.TABLE["batchnorm_forward_eval"](_in_layout(x, which), mean, var, w, b, 1e-5)
    for got, want in zip(fast, cpu.REFERENCE["batchnorm_forward_eval"](x, mean, var, w, b, 1e-5)):
        _close(got, want, dtype, float(np.abs(want).max()))
    gy = rng.standard_normal(shape).astype(dtype)
    for training in (True, False):
        fast = cpu.TABLE["batchnorm_backward"](_in_layout(gy, which), _in_layout(x, which), mean,
                                               invstd, w, training)
        slow = cpu.REFERENCE["batchnorm_backward"](gy, x, mean, invstd, w, training)
        for got, want in zip(fast, slow):
            assert got.dtype == dtype and got.shape == want.shape
            _close(got, want, dtype, 10 * float(np.abs(want).max()))


@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 5, 7), (8, 32, 30, 30)])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("which", LAYOUTS)
def test_elementwise_kernels_match_the_reference(shape, dtype, which):
    rng = np.random.default_rng(5)
    x = _in_layout(rng.standard_normal(shape).astype(dtype), which)
    g = rng.standard_normal(shape).astype(dtype)  # C-order: layouts may differ
    y = cpu.TABLE["relu_forward"](x)
    np.testing.assert_array_equal(y, np.maximum(x, 0))
    assert y.dtype == dtype
    np.testing.assert_array_equal(cpu.TABLE["relu_backward"](g, y),
                                  cpu.REFERENCE["relu_backward"](g, y))
    np.testing.assert_array_equal(cpu.TABLE["add"](x, g), x + g)
    np.testing.assert_array_equal(cpu.TABLE["add"](x, g[..., :1]), x + g[..., :1])  # broadcast


def test_relu_keeps_nan_as_numpy_does():
    x = np.full((4, 70000), np.nan, np.float32)  # large enough for the parallel kernel
    x[0, 0] = -1.0
    y = cpu.TABLE["relu_forward"](x)
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
    y = fast(_in_layout(x, "channel-major"), kernel, stride, padding, include)
    _close(y, slow(x, kernel, stride, padding, include), dtype, 1.0)
    gy = rng.standard_normal(y.shape).astype(dtype)
    fast, slow = _overridden("avgpool2d_backward")
    _close(fast(gy, shape, kernel, stride, padding, include),
           slow(gy, shape, kernel, stride, padding, include), dtype, 1.0)


@pytest.mark.parametrize("shape", [(3, 5, 7, 7), (2, 4, 1, 1), (4, 6, 8, 5)])
@pytest.mark.parametrize("dtype", DTYPES)
def test_global_avgpool_matches_the_reference(shape, dtype):
    rng = np.random.default_rng(9)
    x = rng.standard_normal(shape).astype(dtype)
    window = shape[2:]
    fast, slow = _overridden("avgpool2d_forward")
    y = fast(_in_layout(x, "channel-major"), window, window, (0, 0), True)
    _close(y, slow(x, window, window, (0, 0), True), dtype, 1.0)
    assert y.dtype == dtype and y.shape == shape[:2] + (1, 1)
    gy = rng.standard_normal(y.shape).astype(dtype)
    fast, slow = _overridden("avgpool2d_backward")
    _close(fast(gy, shape, window, window, (0, 0), True),
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
