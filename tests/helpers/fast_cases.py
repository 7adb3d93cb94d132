"""The shapes and helpers the fast-kernel tests share (tests/kernels/test_fast_*.py): odd
convolution/pooling geometries, both float dtypes, and both memory layouts the fast kernels must
accept (C-order and the channel-major layout they produce)."""
import numpy as np
import pytest

from tinyres.kernels.cpu.fast import batchnorm, elementwise, layout, optim, pool, threads

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
WEIGHT_OC = [  # (N, C, K, H, W, stride) of the weight gradient by output-channel vectors
    (3, 5, 32, 7, 9, 1),  # odd maps, few input channels
    (2, 17, 64, 1, 1, 1),  # a 1x1 map: every tap but the centre reads the zero border
    (1, 3, 32, 4, 33, 1),  # long rows
    (33, 2, 32, 3, 2, 1),  # more images than one chunk holds per thread
    (3, 16, 32, 9, 9, 2),  # strided, odd size: the last output row reads the bottom border
    (2, 7, 64, 8, 10, 2),
    (1, 4, 96, 2, 3, 2),  # three blocks of 32 output channels
    (3, 6, 16, 9, 7, 1),  # 16 output channels: the tile for two input channels
    (2, 2, 48, 5, 6, 2),  # three blocks of 16, strided
]
WEIGHT_ROWS = [  # (N, C, K, H, W), kernel, stride, padding of weight gradients kernel row by
    # kernel row (7-wide kernels)
    ((2, 3, 64, 33, 31), (7, 7), (2, 2), (3, 3)),  # a stem, odd size: 17 rows of 16
    ((3, 1, 32, 9, 40), (7, 7), (1, 1), (3, 3)),  # stride 1, long rows
    ((2, 2, 96, 12, 13), (3, 7), (2, 2), (1, 2)),  # three blocks; a 3x7 kernel
    ((5, 3, 32, 3, 3), (7, 7), (2, 2), (3, 3)),  # 2x2 outputs: most taps read the border
    ((1, 4, 32, 10, 9), (7, 7), (1, 1), (0, 0)),  # no padding
]
STRIDED_OC = [  # (N, C, K, H, W) of 3x3, stride-2, padding-1 forward passes by output-channel
    (3, 5, 32, 7, 9),  # vectors: odd maps (rows of 5 = 4 + 1 pixels)
    (2, 1, 64, 2, 2),  # a 1x1 output
    (5, 17, 32, 16, 30),  # rows of 15 = 12 + 1 + 1 + 1; more images than one chunk holds
    (1, 3, 96, 56, 56),  # rows of 28 = 4 x 7; three blocks of 32
]
STRIDED_DATA_OC = [  # (N, C, K, H, W) of 3x3, stride-2, padding-1 backward-data passes in phases
    (3, 32, 5, 7, 9),  # odd maps: phases of 4x5, 4x4, 3x5, 3x4 pixels
    (2, 64, 3, 8, 6),  # even maps: the last row and column read gy's zero border
    (1, 96, 4, 1, 1),  # a 1x1 input: three phases are empty
    (5, 32, 64, 15, 2),  # more images than one chunk holds
    (3, 16, 32, 9, 7),  # 16 gx channels: tiles of 16
    (2, 48, 5, 6, 13),  # 48: three blocks of 16
]
DTYPES = [np.float32, np.float64]
LAYOUTS = ["c", "channel-major"]


def in_layout(a, which):
    """a with the same values stored C-order or channel-major."""
    if which == "c" or a.ndim != 4:
        return np.ascontiguousarray(a)
    return layout.from_channel_major(layout.channel_major(a))


def close(actual, expected, dtype, scale=1.0):
    tol = 1e-5 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(actual, expected, rtol=tol, atol=tol * scale)


@pytest.fixture(params=["openmp threads", "python threads"])
def thread_kind(request, monkeypatch):
    """A test twice: the kernels' tasks in Numba's parallel regions (the GEMM kernels calling
    blas.gemm there, where NumPy's OpenBLAS allows it) and on the Python threads
    (threads.native()); small arrays are cut into several tasks too. A test module takes it
    with `pytestmark = pytest.mark.usefixtures("thread_kind")` and imports it."""
    if request.param == "openmp threads" and not threads.NATIVE:
        pytest.skip("Numba's OpenMP threading layer is not available here")
    monkeypatch.setattr(threads, "native", lambda: request.param == "openmp threads")
    for module in (batchnorm, elementwise, optim, pool):
        monkeypatch.setattr(module, "PARALLEL_MIN", 1)
    return request.param
