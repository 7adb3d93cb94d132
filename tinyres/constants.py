"""Python numbers as constant arrays on a device, made once per distinct number.

`x * 0.5` turns 0.5 into a 0-d array of x's dtype on x's device. On a GPU a fresh one is a copy
from the host on every call, so a training loop would make thousands of tiny copies; the cache
keeps one array per (device, dtype, number). It is safe to share them: kernels never write to
their inputs (only kernels whose names end in _ do, and none gets a constant).
"""
from .backend import get_backend

_CACHE = {}
_LIMIT = 1024  # a program looping over many different numbers starts the cache again


def constant(value, device, dtype):
    """value (a Python number) as a 0-d array of dtype on device, shared; never write to it."""
    key = (device, dtype.str, repr(value))  # repr: -0.0 and 0.0 differ, and NaN finds itself
    array = _CACHE.get(key)
    if array is None:
        if len(_CACHE) >= _LIMIT:
            _CACHE.clear()
        array = _CACHE[key] = get_backend(device).asarray(value, dtype)
    return array
