"""The Numba kernels of the cpu backend equal the NumPy reference kernels."""
import numpy as np
import pytest

from tinyres.kernels import cpu
from tinyres.kernels.cpu.conv import output_size

CASES = [
    # (N, C, H, W), kernel, stride, padding
    ((2, 3, 8, 9), (3, 3), (1, 1), (1, 1)),
    ((1, 2, 7, 7), (7, 7), (2, 2), (3, 3)),
    ((3, 4, 9, 8), (1, 1), (2, 2), (0, 0)),
    ((2, 1, 5, 11), (2, 4), (1, 3), (1, 2)),
    ((1, 5, 4, 4), (3, 1), (3, 1), (0, 0)),
]
DTYPES = [np.float32, np.float64]


def _overridden(name):
    return cpu.NUMBA_OVERRIDES[name], cpu.REFERENCE[name]


@pytest.mark.parametrize("shape,kernel,stride,padding", CASES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_im2col_and_col2im_match_the_reference(shape, kernel, stride, padding, dtype):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(dtype)
    fast, slow = _overridden("im2col")
    cols = fast(x, kernel, stride, padding)
    assert cols.dtype == dtype
    np.testing.assert_array_equal(cols, slow(x, kernel, stride, padding))
    g = rng.standard_normal(cols.shape).astype(dtype)
    fast, slow = _overridden("col2im")
    out = fast(g, shape, kernel, stride, padding)
    assert out.dtype == dtype
    np.testing.assert_allclose(out, slow(g, shape, kernel, stride, padding), rtol=1e-6,
                               atol=1e-6)


@pytest.mark.parametrize("shape,kernel,stride,padding", CASES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_conv_kernels_match_the_reference(shape, kernel, stride, padding, dtype):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape).astype(dtype)
    w = rng.standard_normal((3, shape[1], *kernel)).astype(dtype)
    y = cpu.TABLE["conv2d_forward"](x, w, stride, padding)
    np.testing.assert_allclose(y, cpu.REFERENCE["conv2d_forward"](x, w, stride, padding),
                               rtol=1e-5, atol=1e-5)
    gy = rng.standard_normal(y.shape).astype(dtype)
    for name, args in (("conv2d_backward_data", (gy, w, shape, stride, padding)),
                       ("conv2d_backward_weight", (gy, x, w.shape, stride, padding))):
        fast = cpu.TABLE[name](*args)
        assert fast.dtype == dtype
        np.testing.assert_allclose(fast, cpu.REFERENCE[name](*args), rtol=1e-5, atol=1e-4)


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


def test_maxpool_numba_and_reference_agree_on_nan():
    x = np.array([[[[1.0, np.nan], [np.nan, 5.0]]]])
    fast, slow = _overridden("maxpool2d_forward")
    (y, arg), (y_ref, arg_ref) = fast(x, (2, 2), (1, 1), (0, 0)), slow(x, (2, 2), (1, 1), (0, 0))
    assert np.isnan(y).all() and np.isnan(y_ref).all()
    np.testing.assert_array_equal(arg, arg_ref)


def test_output_size_is_pytorchs_formula():
    assert output_size(224, 7, 2, 3) == 112
    assert output_size(112, 3, 2, 1) == 56
    assert output_size(8, 3, 2, 0) == 3
