"""Pooling: gradient checks over a grid, parity with PyTorch, random shapes, ties, bad input."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import tinyres
import tinyres.functional as F
from tests.helpers.harness import check_against_torch, check_gradients, distinct

GRID = [
    (kernel, stride, padding, size, batch)
    for kernel in (1, 3, 7)
    for stride in (1, 2)
    for padding in (0, 1, 3)
    for size in (8, 9)
    for batch in (1, 3)
    if 2 * padding <= kernel  # PyTorch's rule: padding at most half the kernel
]


def _x(size, batch, seed=0):
    return distinct((batch, 2, size, size + 1), np.random.default_rng(seed))


@pytest.mark.parametrize("kernel,stride,padding,size,batch", GRID)
def test_max_pool2d_gradcheck(device, kernel, stride, padding, size, batch):
    check_gradients(lambda x: F.max_pool2d(x, kernel, stride, padding), [_x(size, batch)],
                    device)


@pytest.mark.parametrize("kernel,stride,padding,size,batch", GRID)
@pytest.mark.parametrize("count_include_pad", [True, False])
def test_avg_pool2d_gradcheck(device, kernel, stride, padding, size, batch, count_include_pad):
    check_gradients(lambda x: F.avg_pool2d(x, kernel, stride, padding, count_include_pad),
                    [_x(size, batch)], device)


@pytest.mark.parametrize("kernel,stride,padding,size,batch", GRID)
def test_pools_match_torch(device, torch, kernel, stride, padding, size, batch):
    x = [_x(size, batch, seed=1)]
    tf = torch.nn.functional
    check_against_torch(torch, lambda x: F.max_pool2d(x, kernel, stride, padding),
                        lambda x: tf.max_pool2d(x, kernel, stride, padding), x, device)
    for include in (True, False):
        check_against_torch(torch, lambda x: F.avg_pool2d(x, kernel, stride, padding, include),
                            lambda x: tf.avg_pool2d(x, kernel, stride, padding,
                                                    count_include_pad=include), x, device)


@pytest.mark.parametrize("output_size", [1, (2, 3)])
def test_adaptive_avg_pool2d(device, torch, output_size):
    x = [np.random.default_rng(0).standard_normal((2, 3, 4, 6))]
    check_gradients(lambda x: F.adaptive_avg_pool2d(x, output_size), x, device)
    check_against_torch(torch, lambda x: F.adaptive_avg_pool2d(x, output_size),
                        lambda x: torch.nn.functional.adaptive_avg_pool2d(x, output_size),
                        x, device)


def test_max_pool2d_ties_go_to_the_first_element(device, torch):
    x = np.zeros((1, 1, 4, 4), np.float32)
    check_against_torch(torch, lambda x: F.max_pool2d(x, 2, 1),
                        lambda x: torch.nn.functional.max_pool2d(x, 2, 1), [x], device)


def test_max_pool2d_pads_with_minus_infinity(device):
    x = tinyres.tensor(-np.ones((1, 1, 2, 2)), device=device)
    y = F.max_pool2d(x, 3, 1, padding=1)
    np.testing.assert_array_equal(y.numpy(), -np.ones((1, 1, 2, 2)))  # not 0 from padding


@st.composite
def pool_cases(draw):
    kernel = (draw(st.integers(1, 5)), draw(st.integers(1, 5)))
    padding = (draw(st.integers(0, kernel[0] // 2)), draw(st.integers(0, kernel[1] // 2)))
    size = [draw(st.integers(max(1, k - 2 * p), 11)) for k, p in zip(kernel, padding)]
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    shape = (draw(st.integers(1, 3)), draw(st.integers(1, 3)), *size)
    return shape, kernel, stride, padding, draw(st.integers(0, 2**16))


@given(pool_cases())
def test_max_pool2d_random_shapes_match_torch(torch, case):
    shape, kernel, stride, padding, seed = case
    x = [np.random.default_rng(seed).standard_normal(shape)]
    check_against_torch(torch, lambda x: F.max_pool2d(x, kernel, stride, padding),
                        lambda x: torch.nn.functional.max_pool2d(x, kernel, stride, padding),
                        x, "cpu")


def test_pools_reject_bad_input():
    x = tinyres.randn(1, 2, 5, 5)
    with pytest.raises(ValueError, match=r"padding \(2, 2\) must be at most half of kernel_size"):
        F.max_pool2d(x, 3, 1, padding=2)
    with pytest.raises(ValueError, match=r"kernel width 9 is larger than the padded input width"):
        F.avg_pool2d(x, (3, 9))
    with pytest.raises(ValueError, match=r"'x' must be 4-D \(N, C, H, W\), got shape \(2, 5, 5\)"):
        F.max_pool2d(tinyres.randn(2, 5, 5), 2)
    with pytest.raises(ValueError, match=r"output_size \(2, 2\) must divide the input size"):
        F.adaptive_avg_pool2d(x, 2)
    with pytest.raises(TypeError, match=r"'x' must be float32 or float64, got dtype int64"):
        F.max_pool2d(tinyres.tensor(np.zeros((1, 1, 4, 4), np.int64)), 2)
