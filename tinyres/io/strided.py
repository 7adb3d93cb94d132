"""A tensor view that a file describes (storage, offset, size, stride), checked and copied out.

PyTorch saves a tensor as a view of a flat storage: element (i, j, ...) of the tensor is
storage[offset + i * stride[0] + j * stride[1] + ...]. Handing file-controlled offsets and strides
to numpy's strided views lets a crafted file read memory outside the storage (numpy's own bounds
check overflows on huge strides). Here the arithmetic is done with Python integers, which do not
overflow: the view is proved to lie inside its storage, and the elements are copied out with
index arrays that numpy bounds-checks once more.
"""
import numpy as np

from .limits import MAX_NDIM

CHUNK = 1 << 16  # elements gathered per step (1 MiB of int64 indices in flight)


def check_view(size, stride, offset, storage_numel):
    """The number of elements of a valid view, else ValueError saying why. Strides must be >= 0;
    zero and overlapping strides (views that repeat elements) are allowed, and copied out."""
    if not (isinstance(size, tuple) and isinstance(stride, tuple)) or len(size) != len(stride):
        raise ValueError(f"size {_show(size)} and stride {_show(stride)} must be tuples of the"
                         " same length")
    if len(size) > MAX_NDIM:
        raise ValueError(f"{len(size)} dimensions, more than limits.MAX_NDIM = {MAX_NDIM}")
    for name, values in (("size", size), ("stride", stride), ("offset", (offset,))):
        if not all(type(v) is int and v >= 0 for v in values):
            raise ValueError(f"{name} {_show(values if name != 'offset' else offset)} must hold"
                             " integers >= 0")
    numel = 1
    for n in size:
        numel *= n
    if numel == 0:
        if offset > storage_numel:
            raise ValueError(f"offset {offset} lies past the end of its storage of"
                             f" {storage_numel} elements")
        return 0
    extent = 1 + sum((n - 1) * s for n, s in zip(size, stride))
    if offset + extent > storage_numel:
        raise ValueError(f"offset {_show(offset)} + extent {_show(extent)} (size {_show(size)},"
                         f" stride {_show(stride)}) lies outside its storage of"
                         f" {storage_numel} elements")
    return numel


def copy_view(storage, size, stride, offset):
    """A C-contiguous copy of the view (size, stride, offset) of the 1-D array storage; the view
    must have passed check_view. Elements are gathered CHUNK at a time through index arrays
    (which numpy bounds-checks once more), so the extra memory is small whatever the strides."""
    numel = 1
    for n in size:
        numel *= n
    stride = normalise_strides(size, stride)  # a size-1 axis may carry any stride: never used
    if stride == contiguous_strides(size):
        return storage[offset:offset + numel].reshape(size).copy()
    out = np.empty(numel, storage.dtype)
    for start in range(0, numel, CHUNK):
        flat = np.arange(start, min(start + CHUNK, numel), dtype=np.int64)  # C-order positions
        index = np.full(len(flat), offset, dtype=np.int64)
        for n, s in zip(reversed(size), reversed(stride)):  # the last axis varies fastest
            index += (flat % n) * s
            flat //= n
        out[start:start + len(index)] = storage[index]
    return out.reshape(size)


def contiguous_strides(size):
    """C-order strides (in elements) of a tensor of this size; dims of size 1 take any stride in
    PyTorch, so they are given the C-order value here and compared after normalising."""
    strides, step = [], 1
    for n in reversed(size):
        strides.append(step)
        step *= max(n, 1)
    return tuple(reversed(strides))


def normalise_strides(size, stride):
    """stride with the entries of size-1 dims replaced by their C-order value (they never move)."""
    c_order = contiguous_strides(size)
    return tuple(c if n == 1 else s for n, s, c in zip(size, stride, c_order))


def _show(value):
    """A short text for a value from a file (never the whole of a crafted giant)."""
    if type(value) is int:
        return str(value) if value.bit_length() <= 64 else f"(a {value.bit_length()}-bit number)"
    if type(value) is tuple and len(value) <= MAX_NDIM and all(type(v) is int for v in value):
        return "(" + ", ".join(_show(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    return f"(a {type(value).__name__})"
