"""NumPy reference convolution by im2col: windows copied into columns, then one GEMM per image.

Layout: cols (N, C*R*S, P*Q) with row index (c * R + r) * S + s, so that for each image
y[n] = w.reshape(K, C*R*S) @ cols[n] is already (K, P*Q), i.e. NCHW without a transpose.
"""
import numpy as np

from ..shapes import output_size


def windows(x, kernel, stride, padding, fill=0.0):
    """(N, C, H, W) -> (N, C, R, S, P, Q): every kernel window, padding filled with `fill`."""
    n, c, h, w = x.shape
    (r_size, s_size), (sh, sw), (ph, pw) = kernel, stride, padding
    p_size = output_size(h, r_size, sh, ph)
    q_size = output_size(w, s_size, sw, pw)
    padded = x
    if ph or pw:
        padded = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=fill)
    out = np.empty((n, c, r_size, s_size, p_size, q_size), dtype=x.dtype)
    for r in range(r_size):
        for s in range(s_size):
            out[:, :, r, s] = padded[:, :, r:r + sh * (p_size - 1) + 1:sh,
                                     s:s + sw * (q_size - 1) + 1:sw]
    return out


def im2col(x, kernel, stride, padding):
    """(N, C, H, W) -> (N, C*R*S, P*Q), zero padding."""
    cols = windows(x, kernel, stride, padding)
    n, c, r, s, p, q = cols.shape
    return cols.reshape(n, c * r * s, p * q)


def col2im(cols, x_shape, kernel, stride, padding):
    """(N, C*R*S, P*Q) -> (N, C, H, W): the adjoint of im2col (overlapping windows add up)."""
    n, c, h, w = x_shape
    (r_size, s_size), (sh, sw), (ph, pw) = kernel, stride, padding
    p_size = output_size(h, r_size, sh, ph)
    q_size = output_size(w, s_size, sw, pw)
    six = cols.reshape(n, c, r_size, s_size, p_size, q_size)
    padded = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=cols.dtype)
    for r in range(r_size):
        for s in range(s_size):
            padded[:, :, r:r + sh * (p_size - 1) + 1:sh,
                   s:s + sw * (q_size - 1) + 1:sw] += six[:, :, r, s]
    return np.ascontiguousarray(padded[:, :, ph:ph + h, pw:pw + w])


def conv2d_forward(x, w, stride, padding):
    """(N, C, H, W), (K, C, R, S) -> (N, K, P, Q)."""
    n, k = x.shape[0], w.shape[0]
    p = output_size(x.shape[2], w.shape[2], stride[0], padding[0])
    q = output_size(x.shape[3], w.shape[3], stride[1], padding[1])
    cols = im2col(x, w.shape[2:], stride, padding)  # (N, C*R*S, P*Q)
    return np.matmul(w.reshape(k, -1), cols).reshape(n, k, p, q)


def conv2d_backward_data(gy, w, x_shape, stride, padding):
    """(N, K, P, Q), (K, C, R, S) -> gx (N, C, H, W)."""
    n, k, p, q = gy.shape
    gcols = np.matmul(w.reshape(k, -1).T, gy.reshape(n, k, p * q))  # (N, C*R*S, P*Q)
    return col2im(gcols, x_shape, w.shape[2:], stride, padding)


def conv2d_backward_weight(gy, x, w_shape, stride, padding):
    """(N, K, P, Q), (N, C, H, W) -> gw (K, C, R, S) = sum_n gy[n] @ cols[n].T."""
    n, k, p, q = gy.shape
    cols = im2col(x, w_shape[2:], stride, padding)  # (N, C*R*S, P*Q)
    gw = np.tensordot(gy.reshape(n, k, p * q), cols, axes=([0, 2], [0, 2]))  # (K, C*R*S)
    return gw.reshape(w_shape)
