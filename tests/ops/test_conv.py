"""conv2d: float64 gradient checks over a grid, parity with PyTorch, random shapes, bad input."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import tinyres
import tinyres.functional as F
from tests.helpers.harness import check_against_torch, check_gradients

GRID = [
    (kernel, stride, padding, size, batch)
    for kernel in (1, 3, 7)
    for stride in (1, 2)
    for padding in (0, 1, 3)
    for size in (8, 9)  # even and odd; the width is size + 1, the other parity
    for batch in (1, 3)
]


def _inputs(kernel, size, batch, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, 2, size, size + 1))
    w = rng.standard_normal((3, 2, kernel, kernel))
    b = rng.standard_normal(3)
    return x, w, b


@pytest.mark.parametrize("kernel,stride,padding,size,batch", GRID)
def test_conv2d_gradcheck(device, kernel, stride, padding, size, batch):
    x, w, b = _inputs(kernel, size, batch)
    check_gradients(lambda x, w, b: F.conv2d(x, w, b, stride, padding), [x, w, b], device)


@pytest.mark.parametrize("kernel,stride,padding,size,batch", GRID)
def test_conv2d_matches_torch(device, torch, kernel, stride, padding, size, batch):
    x, w, b = _inputs(kernel, size, batch, seed=1)
    check_against_torch(
        torch,
        lambda x, w, b: F.conv2d(x, w, b, stride, padding),
        lambda x, w, b: torch.nn.functional.conv2d(x, w, b, stride, padding),
        [x, w, b], device,
    )


def test_conv2d_without_bias_and_with_rectangular_kernel(device, torch):
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal((2, 3, 7, 10)), rng.standard_normal((4, 3, 3, 5))
    check_against_torch(
        torch,
        lambda x, w: F.conv2d(x, w, stride=(2, 1), padding=(1, 2)),
        lambda x, w: torch.nn.functional.conv2d(x, w, stride=(2, 1), padding=(1, 2)),
        [x, w], device,
    )


@st.composite
def conv_cases(draw):
    kernel = (draw(st.integers(1, 5)), draw(st.integers(1, 5)))
    padding = (draw(st.integers(0, 3)), draw(st.integers(0, 3)))
    size = [draw(st.integers(max(1, k - 2 * p), 12)) for k, p in zip(kernel, padding)]
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    shape = (draw(st.integers(1, 3)), draw(st.integers(1, 4)), *size)
    out_channels = draw(st.integers(1, 4))
    return shape, out_channels, kernel, stride, padding, draw(st.integers(0, 2**16))


@given(conv_cases())
def test_conv2d_random_shapes_match_torch(torch, case):
    shape, out_channels, kernel, stride, padding, seed = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    w = rng.standard_normal((out_channels, shape[1], *kernel))
    b = rng.standard_normal(out_channels)
    check_against_torch(
        torch,
        lambda x, w, b: F.conv2d(x, w, b, stride, padding),
        lambda x, w, b: torch.nn.functional.conv2d(x, w, b, stride, padding),
        [x, w, b], "cpu",
    )


def test_conv2d_rejects_bad_input():
    x = tinyres.randn(2, 3, 8, 8)
    with pytest.raises(ValueError, match=r"'weight' must have 3 input channels.*\(4, 4, 3, 3\)"):
        F.conv2d(x, tinyres.randn(4, 4, 3, 3))
    with pytest.raises(ValueError, match=r"'x' must be 4-D \(N, C, H, W\), got shape \(3, 8, 8\)"):
        F.conv2d(tinyres.randn(3, 8, 8), tinyres.randn(4, 3, 3, 3))
    with pytest.raises(TypeError, match=r"'x' must be float32 or float64, got dtype int64"):
        F.conv2d(tinyres.tensor(np.zeros((1, 3, 8, 8), np.int64)), tinyres.randn(4, 3, 3, 3))
    with pytest.raises(TypeError, match=r"'weight' must have dtype float32 like 'x', got float64"):
        F.conv2d(x, tinyres.randn(4, 3, 3, 3, dtype="float64"))
    with pytest.raises(ValueError, match=r"kernel height 7 is larger than the padded input height"
                                         r" 4 \+ 2\*1 = 6"):
        F.conv2d(tinyres.randn(1, 3, 4, 9), tinyres.randn(2, 3, 7, 3), padding=1)
    with pytest.raises(ValueError, match=r"'bias' must have shape \(4,\)"):
        F.conv2d(x, tinyres.randn(4, 3, 3, 3), tinyres.randn(5))
    with pytest.raises(ValueError, match=r"'stride' must be an int >= 1"):
        F.conv2d(x, tinyres.randn(4, 3, 3, 3), stride=0)
