"""Every fast convolution kernel of the cpu backend (fast.FAST) equals the NumPy reference
kernel, in float32 and float64, on odd shapes, strides and paddings, whatever the memory layout of
the inputs (C-order or the channel-major layout the fast kernels produce)."""
import numba
import numpy as np
import pytest

from tests.helpers.fast_cases import (CASES, DIRECT, DTYPES, LAYOUTS, STRIDED_DATA_OC, STRIDED_OC,
                                      WEIGHT_OC, WEIGHT_ROWS, close, in_layout,
                                      thread_kind)  # noqa: F401 (a fixture)
from tinyres.kernels import cpu
from tinyres.kernels.cpu import conv as reference_conv
from tinyres.kernels.cpu.fast import (conv_direct, conv_direct_oc, conv_direct_strided,
                                      conv_direct_weight_oc, conv_im2col, conv_rows,
                                      conv_winograd, layout)
from tinyres.kernels.cpu.fast import conv as fast_conv
from tinyres.kernels.shapes import output_size


pytestmark = pytest.mark.usefixtures("thread_kind")  # each test on both kinds of thread


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
    padded = np.empty_like(cols)  # the short rows' im2col, through a padded copy
    for n0, n1 in ranges:
        xpad = np.full((c, n1 - n0, h + 2 * padding[0], w + 2 * padding[1]), np.nan, dtype)
        conv_im2col.im2col_padded_cm(layout.channel_major(x), n0, n1, *geometry, xpad,
                                     padded[:, n0 * p * q:n1 * p * q])
    np.testing.assert_array_equal(padded, cols)  # the NaNs in the scratch were overwritten
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
    y = cpu.TABLE["conv2d_forward"](in_layout(x, which), w, stride, padding)
    y_ref = cpu.REFERENCE["conv2d_forward"](x, w, stride, padding)
    assert y.dtype == dtype and y.shape == y_ref.shape
    scale = float(np.abs(y_ref).max())
    close(y, y_ref, dtype, scale)
    gy = rng.standard_normal(y.shape).astype(dtype)
    for name, args in (("conv2d_backward_data", (gy, w, shape, stride, padding)),
                       ("conv2d_backward_weight", (gy, x, w.shape, stride, padding))):
        fast = cpu.TABLE[name](*[in_layout(a, which) if isinstance(a, np.ndarray) else a
                                 for a in args])
        slow = cpu.REFERENCE[name](*args)
        assert fast.dtype == dtype and fast.shape == slow.shape, name
        close(fast, slow, dtype, float(np.abs(slow).max()))


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
        fast = cpu.TABLE[name](*[in_layout(v, which) if isinstance(v, np.ndarray) else v
                                 for v in a], (1, 1), (1, 1))
        slow = cpu.REFERENCE[name](*a, (1, 1), (1, 1))
        assert fast.dtype == dtype and fast.shape == slow.shape, name
        close(fast, slow, dtype, float(np.abs(slow).max()))


def _matches_reference(name, args, dtype, which):
    """cpu.TABLE[name] on args (arrays in the given layout) equals the reference kernel; the
    fast result."""
    fast = cpu.TABLE[name](*[in_layout(a, which) if isinstance(a, np.ndarray) else a
                             for a in args])
    slow = cpu.REFERENCE[name](*args)
    assert fast.dtype == dtype and fast.shape == slow.shape
    close(fast, slow, dtype, float(np.abs(slow).max()))
    return fast


@pytest.mark.parametrize("shape", WEIGHT_OC, ids=str)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("which", LAYOUTS)
def test_weight_gradient_by_output_channels_matches_the_reference(monkeypatch, shape, dtype,
                                                                  which):
    monkeypatch.setattr(conv_direct_weight_oc, "CHUNK_BYTES", 4096)  # many chunks per thread
    n, c, k, h, w, s = shape
    rng = np.random.default_rng(12)
    x = rng.standard_normal((n, c, h, w)).astype(dtype)
    gy = rng.standard_normal((n, k, output_size(h, 3, s, 1), output_size(w, 3, s, 1)))
    gy = gy.astype(dtype)
    args = (gy, x, (k, c, 3, 3), (s, s), (1, 1))
    taken = conv_direct_weight_oc.applies(x.shape, args[2], (s, s), (1, 1), dtype)
    assert taken == (conv_direct.simd.HAS_AVX512 and dtype == np.float32)
    assert _matches_reference("conv2d_backward_weight", args, dtype, which).flags.c_contiguous


@pytest.mark.parametrize("shape,kernel,stride,padding", WEIGHT_ROWS, ids=str)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("which", LAYOUTS)
@pytest.mark.parametrize("band_bytes", [1, 4 * 32 * 40])  # bands of 1 row, of 40 // Q rows
def test_weight_gradient_by_kernel_rows_matches_the_reference(monkeypatch, shape, kernel, stride,
                                                              padding, dtype, which, band_bytes):
    monkeypatch.setattr(conv_direct_weight_oc, "BAND_BYTES", band_bytes)
    n, c, k, h, w = shape
    rng = np.random.default_rng(16)
    x = rng.standard_normal((n, c, h, w)).astype(dtype)
    w_shape = (k, c, *kernel)
    gy = rng.standard_normal((n, k, *(output_size(*axis) for axis in
                                      zip((h, w), kernel, stride, padding)))).astype(dtype)
    taken = fast_conv._weight_by_kernel_rows(x.shape, w_shape, stride, padding, dtype)
    assert taken == (conv_direct.simd.HAS_AVX512 and dtype == np.float32)
    _matches_reference("conv2d_backward_weight", (gy, x, w_shape, stride, padding), dtype, which)


def test_weight_gradient_by_kernel_rows_is_taken_for_7_wide_kernels_only():
    ok = conv_direct.simd.HAS_AVX512

    def taken(k, kernel, stride=(2, 2), dtype=np.float32):
        return fast_conv._weight_by_kernel_rows((8, 3, 224, 224), (k, 3, *kernel), stride,
                                                (3, 3), dtype)
    assert taken(64, (7, 7)) == ok and taken(32, (5, 7)) == ok
    assert not taken(64, (7, 5)) and not taken(64, (3, 3))  # other widths
    assert not taken(48, (7, 7))  # output channels not a multiple of 32
    assert not taken(64, (7, 7), (2, 1))  # one stride both ways
    assert not taken(64, (7, 7), dtype=np.float64)


@pytest.mark.parametrize("shape", STRIDED_OC, ids=str)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("which", LAYOUTS)
def test_strided_forward_by_output_channels_matches_the_reference(monkeypatch, shape, dtype,
                                                                  which):
    monkeypatch.setattr(conv_direct_oc, "CHUNK_BYTES", 4096)  # many chunks per thread
    monkeypatch.setattr(conv_rows, "applies", lambda plan: False)  # small outputs too
    n, c, k, h, w = shape
    rng = np.random.default_rng(13)
    x = rng.standard_normal((n, c, h, w)).astype(dtype)
    wt = rng.standard_normal((k, c, 3, 3)).astype(dtype)
    taken = fast_conv._strided_by_output_channels(x.shape, wt.shape, (2, 2), (1, 1), dtype)
    assert taken == (conv_direct.simd.HAS_AVX512 and dtype == np.float32)
    _matches_reference("conv2d_forward", (x, wt, (2, 2), (1, 1)), dtype, which)


@pytest.mark.parametrize("shape", STRIDED_DATA_OC, ids=str)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("which", LAYOUTS)
def test_strided_backward_data_in_phases_matches_the_reference(monkeypatch, shape, dtype, which):
    monkeypatch.setattr(conv_direct_oc, "CHUNK_BYTES", 4096)  # many chunks per thread
    n, c, k, h, w = shape
    rng = np.random.default_rng(14)
    wt = rng.standard_normal((k, c, 3, 3)).astype(dtype)
    gy = rng.standard_normal((n, k, output_size(h, 3, 2, 1), output_size(w, 3, 2, 1)))
    gy = gy.astype(dtype)
    taken = fast_conv._strided_data_by_phases((n, c, h, w), wt.shape, (2, 2), (1, 1), dtype)
    assert taken == (conv_direct.simd.HAS_AVX512 and dtype == np.float32)
    _matches_reference("conv2d_backward_data", (gy, wt, (n, c, h, w), (2, 2), (1, 1)), dtype,
                       which)


def test_strided_passes_by_output_channels_are_taken_where_they_were_measured_faster():
    # benchmarks/RESULTS.md, "Strided convolutions by output-channel vectors"
    ok = conv_direct.simd.HAS_AVX512

    def forward(c, k, size=32):
        return fast_conv._strided_by_output_channels((8, c, size, size), (k, c, 3, 3), (2, 2),
                                                     (1, 1), np.float32)

    def data(c, k):
        return fast_conv._strided_data_by_phases((8, c, 16, 16), (k, c, 3, 3), (2, 2), (1, 1),
                                                 np.float32)
    assert forward(16, 32) == ok and forward(512, 512) == ok and not forward(32, 48)
    # 7x7 outputs at batch 8 (N*P*Q = 392): im2col + GEMM by output rows was faster
    # (benchmarks/RESULTS.md, "Issue 13, fifth round")
    assert not forward(256, 512, 14) and not forward(512, 512, 14)
    assert data(32, 64) == ok and data(64, 128) == ok and data(128, 128) == ok
    assert data(16, 32) == ok and data(48, 64) == ok  # in tiles of 16 gx channels
    assert not data(24, 32)  # gx's channels (24) are not a multiple of 16
    assert not data(128, 256)  # 256 gy channels: a block's weights leave L2


@pytest.mark.parametrize("width", range(1, 61))
def test_output_rows_are_cut_into_pieces_that_have_a_tile(width):
    cuts = conv_direct_oc.pieces(width)
    assert set(cuts[:, 1]) <= set(conv_direct_oc.WIDTHS)
    assert cuts[0, 0] == 0 and (cuts[1:, 0] == np.cumsum(cuts[:-1, 1])).all()
    assert cuts[:, 1].sum() == width


def test_weight_gradient_by_output_channels_is_taken_where_it_was_measured_faster():
    # benchmarks/RESULTS.md, "Weight gradient by output-channel vectors"
    ok = conv_direct.simd.HAS_AVX512

    def taken(c, k, stride):
        return fast_conv._weight_by_output_channels((8, c, 16, 16), (k, c, 3, 3), stride, (1, 1),
                                                    np.float32)
    assert taken(32, 32, (1, 1)) == ok and taken(64, 64, (1, 1)) == ok
    assert not taken(128, 128, (1, 1))  # Winograd does 2.25x fewer multiplications
    assert taken(16, 32, (2, 2)) == ok and taken(256, 256, (2, 2)) == ok
    assert not taken(256, 512, (2, 2))  # the threads' sums leave L2
    assert taken(16, 16, (1, 1)) == ok and taken(16, 48, (2, 2)) == ok  # blocks of 16
    assert not taken(3, 16, (1, 1))  # blocks of 16 take input channels two at a time
    assert not taken(16, 24, (1, 1)) and not taken(32, 32, (2, 1))


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
        close(fast, slow, np.float32, float(np.abs(slow).max()))
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
        close(fast, slow, np.float32, float(np.abs(slow).max()))


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
