"""Reusable scratch memory for the temporaries *inside* one kernel call (im2col columns, the
subsampled input of a strided 1x1 convolution), so that the hot path does not page-fault tens of
megabytes of fresh memory on every call.

Only arrays that die before the kernel returns may live here: anything a kernel returns can be
held by the autograd graph, and must never be handed out again. Each (thread, slot) owns one
growing buffer; a kernel that needs two temporaries at once uses two slots.
"""
import threading

import numpy as np

_local = threading.local()


def scratch(shape, dtype, slot=0):
    """An uninitialised C-contiguous array that stays valid until the next scratch(slot=slot)
    call on this thread."""
    dtype = np.dtype(dtype)
    nbytes = dtype.itemsize * int(np.prod(shape, dtype=np.int64))
    buffers = getattr(_local, "buffers", None)
    if buffers is None:
        buffers = _local.buffers = {}
    buffer = buffers.get(slot)
    if buffer is None or buffer.nbytes < nbytes:
        buffer = buffers[slot] = np.empty(max(nbytes, 1), dtype=np.uint8)
    return buffer[:nbytes].view(dtype).reshape(shape)


def release():
    """Drop this thread's scratch buffers (they come back, smaller, on the next call)."""
    _local.buffers = {}
