"""The dtypes tinyres knows: float32 (the default), float64 (for gradient checks) and integers."""
import numpy as np

float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
uint8 = np.dtype(np.uint8)
bool_ = np.dtype(np.bool_)

FLOATS = (float32, float64)
SUPPORTED = (float32, float64, int32, int64, uint8, bool_)


def resolve(dtype):
    """A dtype-like ('float32', numpy.float64, tinyres.float32, ...) -> one of SUPPORTED."""
    try:
        resolved = None if dtype is None else np.dtype(dtype)
    except TypeError:
        resolved = None
    # `None in SUPPORTED` is True (numpy compares None as float64): test it first
    if resolved is None or resolved not in SUPPORTED:
        names = ", ".join(d.name for d in SUPPORTED)
        raise TypeError(f"dtype must be one of {names}; got {dtype!r}")
    return resolved


def is_float(dtype):
    return dtype in FLOATS
