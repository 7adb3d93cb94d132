"""What tinyres.tensor() accepts, as a backend array: lists, numbers, NumPy arrays and other
libraries' arrays (a torch tensor, a CuPy array) on the device and in the dtype PyTorch's rules
give. Tensor() and the creation functions build on it; it knows nothing of Tensor.
"""
import numpy as np

from . import dtypes
from .backend import get_backend


def shape_args(shape):
    """(2, 3) or ((2, 3),) or ([2, 3],) -> (2, 3): the shapes zeros(), reshape() ... take."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(n) for n in shape)


def device_of(data):
    """'cuda' for a GPU array (it has __cuda_array_interface__), else None (the default)."""
    return "cuda" if hasattr(data, "__cuda_array_interface__") else None


def host_or_device(data, backend):
    """data as something backend.asarray accepts: the cuda backend takes GPU arrays as they are,
    the cpu backend gets a host copy of them."""
    if hasattr(data, "__cuda_array_interface__"):
        if backend.name == "cuda":
            return data
        cuda = get_backend("cuda")
        return cuda.to_host(cuda.asarray(data))
    if hasattr(data, "__array__") and not isinstance(data, (np.ndarray, np.generic)):
        # another library's host array (a torch tensor): a numpy view of it, in its dtype; the
        # caller copies it, as it copies any array that asarray hands back unchanged
        return np.asarray(data)
    return data


def infer_dtype(data, dtype):
    """PyTorch's rules: an explicit dtype wins; float arrays keep float32/64; Python floats give
    float32 and Python ints int64."""
    if dtype is not None:
        return dtypes.resolve(dtype)
    if hasattr(data, "__cuda_array_interface__"):  # e.g. a torch.cuda tensor: no numpy dtype
        return dtypes.resolve(np.dtype(data.__cuda_array_interface__["typestr"]))
    if hasattr(data, "dtype"):
        return dtypes.resolve(data.dtype)
    kind = np.asarray(data).dtype.kind
    if kind == "f":
        return dtypes.float32
    if kind in "iu":
        return dtypes.int64
    if kind == "b":
        return dtypes.bool_
    raise TypeError(f"tensor(): cannot make a tensor from {type(data).__name__} data")


def to_array(data, dtype, backend, copy):
    """data as an array of backend's device in dtype (see infer_dtype); copy=True never hands
    back the caller's own array, copy=False shares it when it already fits."""
    host = host_or_device(data, backend)
    array = backend.asarray(host, infer_dtype(host, dtype))
    if copy and array is host:  # asarray kept the caller's array: copy, so the two never alias
        array = backend.copy(array)
    return array
