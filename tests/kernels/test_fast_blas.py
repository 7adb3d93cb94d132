"""blas.gemm (NumPy's OpenBLAS called from Numba code) equals np.matmul for the operand layouts
the GEMM convolutions pass it, and with it those convolutions run their passes in Numba's
parallel regions only, never on the Python threads."""
import numpy as np
import pytest

from tinyres.kernels import cpu
from tinyres.kernels.cpu.fast import blas, threads
from tinyres.kernels.cpu.fast import conv as fast_conv

needs_blas = pytest.mark.skipif(not blas.AVAILABLE,
                                reason="NumPy's BLAS is not an OpenBLAS with 64-bit symbols")


def test_gemm_is_found_where_numpy_ships_openblas():
    libs = [lib for lib in threads._blas() if getattr(lib, "internal_api", "") == "openblas"]
    if not libs:
        pytest.skip("NumPy's BLAS is not OpenBLAS (or threadpoolctl is missing)")
    assert blas.AVAILABLE


@needs_blas
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("m,k,n", [(37, 50, 23), (1, 5, 7), (5, 1, 3), (4, 6, 1), (0, 3, 2),
                                   (3, 0, 2), (3, 4, 0)])
@pytest.mark.parametrize("a_order", ["C", "F"])
@pytest.mark.parametrize("b_order", ["C", "F"])
@pytest.mark.parametrize("beta", [0, 1])
def test_gemm_matches_matmul(dtype, m, k, n, a_order, b_order, beta):
    rng = np.random.default_rng(0)
    a = np.asarray(rng.standard_normal((m, k)), dtype=dtype, order=a_order)
    b = np.asarray(rng.standard_normal((k, n)), dtype=dtype, order=b_order)
    wide = np.full((m, n + 3), np.nan if beta == 0 else 2.0, dtype=dtype)
    out = wide[:, 1:n + 1]  # a slice of a wider array: rows n + 3 apart
    blas.gemm(a, b, out, beta)
    expected = a @ b + (2.0 if beta else 0.0)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(out, expected, rtol=tol, atol=tol)
    untouched = np.delete(wide, np.s_[1:n + 1], axis=1)
    assert (np.isnan(untouched) if beta == 0 else untouched == 2.0).all()


@needs_blas
def test_gemm_reads_column_slices_and_transposed_views():
    rng = np.random.default_rng(1)
    big = rng.standard_normal((6, 20)).astype(np.float32)
    w = rng.standard_normal((4, 6)).astype(np.float32)
    out = np.empty((4, 7), np.float32)
    blas.gemm(w, big[:, 5:12], out, 0)  # the columns of a group of images
    np.testing.assert_allclose(out, w @ big[:, 5:12], rtol=1e-5, atol=1e-5)
    out_t = np.empty((6, 6), np.float32)
    blas.gemm(big[:, 5:12] @ np.eye(7, dtype=np.float32), big[:, 5:12].T, out_t, 0)
    np.testing.assert_allclose(out_t, big[:, 5:12] @ big[:, 5:12].T, rtol=1e-5, atol=1e-5)


@needs_blas
@pytest.mark.parametrize("x_shape,w_shape,stride,padding", [  # float64: no direct kernel
    ((4, 8, 9, 9), (6, 8, 3, 3), (1, 1), (1, 1)),  # Winograd
    ((3, 6, 7, 7), (8, 6, 3, 3), (1, 1), (1, 1)),  # 7x7 maps: by output rows, short rows
    ((2, 3, 20, 20), (4, 3, 5, 5), (1, 1), (2, 2)),  # by output rows
    ((3, 6, 9, 9), (4, 6, 1, 1), (2, 2), (0, 0)),  # by output rows, strided 1x1
    ((40, 5, 7, 7), (4, 5, 3, 3), (1, 1), (1, 1)),  # by image groups, short rows
    ((4, 3, 20, 20), (4, 3, 5, 5), (1, 1), (2, 2)),  # by image groups
    ((50, 4, 9, 9), (3, 4, 1, 1), (2, 2), (0, 0)),  # by image groups, strided 1x1
    ((3, 5, 20, 20), (3, 5, 1, 1), (1, 1), (0, 0)),  # by image groups: x is its own columns
])
def test_gemm_convolutions_never_use_the_python_threads_in_parallel_regions(
        monkeypatch, x_shape, w_shape, stride, padding):
    monkeypatch.setattr(threads, "native", lambda: True)

    def refuse(*args, **kwargs):
        raise AssertionError("a pass went to the Python threads")
    monkeypatch.setattr(threads, "_shares", refuse)
    rng = np.random.default_rng(2)
    x = rng.standard_normal(x_shape)
    w = rng.standard_normal(w_shape)
    y = fast_conv.conv2d_forward(x, w, stride, padding)
    gx = fast_conv.conv2d_backward_data(y, w, x_shape, stride, padding)
    gw = fast_conv.conv2d_backward_weight(y, x, w_shape, stride, padding)
    for name, fast, args in (("conv2d_forward", y, (x, w, stride, padding)),
                             ("conv2d_backward_data", gx, (y, w, x_shape, stride, padding)),
                             ("conv2d_backward_weight", gw, (y, x, w_shape, stride, padding))):
        slow = cpu.REFERENCE[name](*args)
        np.testing.assert_allclose(fast, slow, rtol=1e-10, atol=1e-10 * np.abs(slow).max())
