"""CUDA convolution by im2col: conv.cu moves the windows into columns, cuBLAS (through CuPy's
matmul/tensordot) does the products. Same layouts and results as kernels/cpu/conv.py."""
from ..shapes import output_size
from .runtime import Source, contiguous, i32, plane_grid, xp

SOURCE = Source("conv.cu", ("im2col", "col2im"))


def _geometry(x_shape, kernel, stride, padding):
    """(P, Q, the int arguments both kernels take: H, W, R, S, sh, sw, ph, pw, P, Q)."""
    h, w = x_shape[2:]
    p = output_size(h, kernel[0], stride[0], padding[0])
    q = output_size(w, kernel[1], stride[1], padding[1])
    return p, q, tuple(i32(v) for v in (h, w, *kernel, *stride, *padding, p, q))


def im2col(x, kernel, stride, padding):
    """(N, C, H, W) -> (N, C*R*S, P*Q), zero padding."""
    n, c = x.shape[:2]
    p, q, geometry = _geometry(x.shape, kernel, stride, padding)
    crs = c * kernel[0] * kernel[1]
    cols = xp.empty((n, crs, p * q), dtype=x.dtype)
    grid, block = plane_grid(n * crs, p * q)
    SOURCE.launch("im2col", x.dtype, grid, block,
                  (contiguous(x), *geometry, i32(n * crs), cols))
    return cols


def col2im(cols, x_shape, kernel, stride, padding):
    """(N, C*R*S, P*Q) -> (N, C, H, W): the adjoint of im2col (overlapping windows add up)."""
    n, c, h, w = x_shape
    x = xp.empty(tuple(x_shape), dtype=cols.dtype)
    grid, block = plane_grid(n * c, h * w)
    _, _, geometry = _geometry(x_shape, kernel, stride, padding)
    SOURCE.launch("col2im", cols.dtype, grid, block,
                  (contiguous(cols), *geometry, i32(n * c), x))
    return x


def _columns(x, kernel, stride, padding):
    """im2col(x); for a 1x1 stride-1 unpadded kernel that is x itself, reshaped (no copy)."""
    if tuple(kernel) == (1, 1) and tuple(stride) == (1, 1) and tuple(padding) == (0, 0):
        n, c, h, w = x.shape
        return contiguous(x).reshape(n, c, h * w)
    return im2col(x, kernel, stride, padding)


def conv2d_forward(x, w, stride, padding):
    """(N, C, H, W), (K, C, R, S) -> (N, K, P, Q)."""
    n, k = x.shape[0], w.shape[0]
    p = output_size(x.shape[2], w.shape[2], stride[0], padding[0])
    q = output_size(x.shape[3], w.shape[3], stride[1], padding[1])
    cols = _columns(x, w.shape[2:], stride, padding)  # (N, C*R*S, P*Q)
    return xp.matmul(w.reshape(k, -1), cols).reshape(n, k, p, q)


def conv2d_backward_data(gy, w, x_shape, stride, padding):
    """(N, K, P, Q), (K, C, R, S) -> gx (N, C, H, W)."""
    n, k, p, q = gy.shape
    gcols = xp.matmul(w.reshape(k, -1).T, gy.reshape(n, k, p * q))  # (N, C*R*S, P*Q)
    if tuple(w.shape[2:]) == (1, 1) and tuple(stride) == (1, 1) and tuple(padding) == (0, 0):
        return gcols.reshape(tuple(x_shape))  # col2im of a 1x1 kernel moves nothing
    return col2im(gcols, x_shape, w.shape[2:], stride, padding)


def conv2d_backward_weight(gy, x, w_shape, stride, padding):
    """(N, K, P, Q), (N, C, H, W) -> gw (K, C, R, S) = sum_n gy[n] @ cols[n].T."""
    n, k, p, q = gy.shape
    cols = _columns(x, w_shape[2:], stride, padding)  # (N, C*R*S, P*Q)
    gw = xp.tensordot(gy.reshape(n, k, p * q), cols, axes=([0, 2], [0, 2]))  # (K, C*R*S)
    return gw.reshape(tuple(w_shape))
