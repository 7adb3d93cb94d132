"""CuPy kernels for plain array work: creation, arithmetic, reductions, shapes and indexing.
CuPy's own array functions do these; same signatures and results as kernels/cpu/arrays.py."""
import numpy as np

from ..shapes import broadcast_axes
from . import runtime
from .runtime import xp


def asarray(data, dtype=None):
    """Host data (ndarray, list, number) or a device array on the GPU; no copy when a CuPy
    array already fits. Another library's GPU array (``__cuda_array_interface__``) is copied,
    so a tensor never shares memory with it.

    A host ndarray (a batch from the loader) is staged through pinned memory by CuPy itself: it
    copies the array into a pinned buffer of its pool and starts an asynchronous copy on the
    current stream, so the host does not wait (cupy/_core/core.pyx, _send_object_to_gpu; the
    GPU test test_batches_reach_the_gpu_through_pinned_memory checks it)."""
    if hasattr(data, "__cuda_array_interface__") and not isinstance(data, xp.ndarray):
        return xp.array(data, dtype=dtype, copy=True)
    return xp.asarray(data, dtype=dtype)


def to_host(a):
    """A numpy.ndarray with a's values (a copy from device memory)."""
    return runtime.to_host(a)


def zeros(shape, dtype):
    return xp.zeros(shape, dtype=dtype)


def ones(shape, dtype):
    return xp.ones(shape, dtype=dtype)


def full(shape, value, dtype):
    return xp.full(shape, value, dtype=dtype)


def copy(a):
    return xp.array(a, order="C", copy=True)


def astype(a, dtype):
    return a.astype(dtype, copy=False)


def add(a, b):
    return xp.add(a, b)


def sub(a, b):
    return xp.subtract(a, b)


def mul(a, b):
    return xp.multiply(a, b)


def div(a, b):
    return xp.divide(a, b)


def neg(a):
    return xp.negative(a)


def power(a, exponent):
    return xp.power(a, exponent)


def matmul(a, b):
    return xp.matmul(a, b)


def sum(a, axis=None, keepdims=False):  # noqa: A001 - kernel names mirror NumPy's
    """Sum over axis; always an array (0-d when everything is summed)."""
    return xp.asarray(xp.sum(a, axis=axis, keepdims=keepdims))


def argmax(a, axis):
    """Index (int64) of the first maximum along axis; the first NaN when there is one."""
    return xp.argmax(a, axis=axis).astype(np.int64, copy=False)


def equal(a, b):
    return xp.equal(a, b)


def sum_to_shape(a, shape):
    """(...) -> shape: undo broadcasting by summing the broadcast axes (a gradient rule)."""
    shape = tuple(shape)
    if a.shape == shape:
        return a
    return xp.sum(a, axis=broadcast_axes(a.shape, shape), keepdims=True).reshape(shape)


def expand(a, shape):
    """A new (writable, contiguous) array: a broadcast to shape."""
    return xp.array(xp.broadcast_to(a, shape), order="C", copy=True)


def reshape(a, shape):
    return xp.reshape(a, shape)


def transpose(a, axes):
    return xp.transpose(a, axes)


def getitem(a, index):
    return a[index]


def getitem_backward(g, shape, index):
    """zeros(shape) with g at index: the gradient of basic indexing (no repeated elements)."""
    out = xp.zeros(shape, dtype=g.dtype)
    out[index] = g
    return out


def pad(a, widths):
    return xp.pad(a, widths)
