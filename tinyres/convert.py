"""Python values in a tensor's terms, by PyTorch's rules: what tinyres.tensor() accepts (lists,
numbers, NumPy arrays, other libraries' arrays such as a torch tensor or a CuPy array) as a
backend array of the right device and dtype, and a Python number next to a tensor in arithmetic
as a constant tensor of that tensor's dtype and device.
"""
import numbers

import numpy as np

from . import dtypes
from .backend import get_backend
from .constants import constant
from .function import is_tensor, wrap


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


def as_operand(value, like):
    """value (a Tensor, or a Python number: a constant tensor of like's dtype and device) for
    arithmetic with the tensor `like`."""
    if is_tensor(value):
        return value
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        if not dtypes.is_float(like.dtype) and value != int(value):
            raise TypeError(f"arithmetic of a {like.dtype} tensor with the non-integer {value!r}"
                            " would truncate it; convert the tensor with .to(dtype='float32')")
        return wrap(constant(value, like.device, like.dtype), like.backend)
    raise TypeError(
        f"arithmetic with a Tensor needs a Tensor or a Python number, got {type(value).__name__}"
        " (wrap arrays with tinyres.tensor())"
    )


def operands(a, b):
    """Both sides of `a (op) b` as tensors; a number takes the other side's dtype and device."""
    if is_tensor(a):
        return a, as_operand(b, a)
    return as_operand(a, b), b
