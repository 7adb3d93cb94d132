"""NumPy kernels for plain array work: creation, arithmetic, reductions, shapes and indexing."""
import numpy as np

from ..shapes import broadcast_axes


def asarray(data, dtype=None):
    """Host data (ndarray, list, number) as an ndarray; no copy when it already fits."""
    return np.asarray(data, dtype=dtype)


def to_host(a):
    """The array itself: cpu arrays already live in host memory."""
    return np.asarray(a)


def zeros(shape, dtype):
    return np.zeros(shape, dtype=dtype)


def ones(shape, dtype):
    return np.ones(shape, dtype=dtype)


def full(shape, value, dtype):
    return np.full(shape, value, dtype=dtype)


def copy(a):
    return np.array(a, order="C", copy=True)  # not ascontiguousarray: it turns 0-d into 1-d


def astype(a, dtype):
    return a.astype(dtype, copy=False)


add = np.add
sub = np.subtract
mul = np.multiply
div = np.divide
neg = np.negative
power = np.power
matmul = np.matmul


def sum(a, axis=None, keepdims=False):  # noqa: A001 - kernel names mirror NumPy's
    """Sum over axis; a 0-d array (not a NumPy scalar) when everything is summed."""
    return np.asarray(np.sum(a, axis=axis, keepdims=keepdims))


def argmax(a, axis):
    """Index (int64) of the first maximum along axis; the first NaN when there is one."""
    return np.asarray(np.argmax(a, axis=axis), dtype=np.int64)


def equal(a, b):
    """a == b elementwise, as a bool array."""
    return np.asarray(np.equal(a, b))


def sum_to_shape(a, shape):
    """(...) -> shape: undo NumPy broadcasting by summing the broadcast axes (a gradient rule)."""
    shape = tuple(shape)
    if a.shape == shape:
        return a
    return np.sum(a, axis=broadcast_axes(a.shape, shape), keepdims=True).reshape(shape)


def expand(a, shape):
    """A new (writable, contiguous) array: a broadcast to shape."""
    return np.array(np.broadcast_to(a, shape))


def reshape(a, shape):
    return np.reshape(a, shape)


def transpose(a, axes):
    return np.transpose(a, axes)


def getitem(a, index):
    return a[index]


def getitem_backward(g, shape, index):
    """zeros(shape) with g at index: the gradient of basic indexing (no repeated elements)."""
    out = np.zeros(shape, dtype=g.dtype)
    out[index] = g
    return out


def pad(a, widths):
    return np.pad(a, widths)
