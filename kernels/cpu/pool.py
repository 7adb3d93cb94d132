"""NumPy reference pooling, built on the windows of the im2col reference."""
import numpy as np

from .conv import col2im, windows


def maxpool2d_forward(x, kernel, stride, padding):
    """(N, C, H, W) -> (y, argmax) (N, C, P, Q); argmax = h * W + w, first maximum wins."""
    n, c, h, w = x.shape
    win = windows(x, kernel, stride, padding, fill=-np.inf)
    p, q = win.shape[4:]
    flat = win.reshape(n, c, -1, p, q)
    best = np.argmax(flat, axis=2)  # (N, C, P, Q) position inside the window
    y = np.take_along_axis(flat, best[:, :, None], axis=2)[:, :, 0]
    r, s = np.divmod(best, kernel[1])
    rows = np.arange(p).reshape(p, 1) * stride[0] - padding[0] + r
    cols = np.arange(q).reshape(1, q) * stride[1] - padding[1] + s
    return y, (rows * w + cols).astype(np.int64)


def maxpool2d_backward(gy, argmax, x_shape, kernel=None, stride=None, padding=None):
    """(N, C, P, Q) -> gx (N, C, H, W): each gradient goes to its window's maximum (argmax
    alone says where; the window geometry is for backends that gather)."""
    n, c, h, w = x_shape
    planes = np.arange(n * c).reshape(n, c, 1, 1) * (h * w)
    gx = np.bincount((argmax + planes).ravel(), weights=gy.ravel(), minlength=n * c * h * w)
    return gx.astype(gy.dtype).reshape(x_shape)


def _divisor(x_shape, kernel, stride, padding, count_include_pad, dtype):
    """Scalar R*S, or (P, Q) counts of the real (unpadded) elements of each window."""
    if count_include_pad:
        return dtype.type(kernel[0] * kernel[1])
    ones = np.ones((1, 1) + tuple(x_shape[2:]), dtype=dtype)
    return windows(ones, kernel, stride, padding).sum(axis=(2, 3))[0, 0]


def avgpool2d_forward(x, kernel, stride, padding, count_include_pad=True):
    """(N, C, H, W) -> (N, C, P, Q), zero padding."""
    total = windows(x, kernel, stride, padding).sum(axis=(2, 3))
    return total / _divisor(x.shape, kernel, stride, padding, count_include_pad, x.dtype)


def avgpool2d_backward(gy, x_shape, kernel, stride, padding, count_include_pad=True):
    """(N, C, P, Q) -> gx (N, C, H, W): each window spreads its gradient evenly."""
    n, c, p, q = gy.shape
    share = gy / _divisor(x_shape, kernel, stride, padding, count_include_pad, gy.dtype)
    cols = np.broadcast_to(share[:, :, None], (n, c, kernel[0] * kernel[1], p, q))
    return col2im(cols.reshape(n, -1, p * q), x_shape, kernel, stride, padding)
