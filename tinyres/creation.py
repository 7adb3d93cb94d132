"""Making tensors: tinyres.tensor() (a copy of data), zeros, ones, randn and the *_like twins,
shaped like PyTorch's creation functions."""
from . import dtypes, random
from .backend import get_backend
from .convert import shape_args
from .tensor import Tensor


def tensor(data, requires_grad=False, dtype=None, device=None):
    """A new leaf tensor holding a copy of data; floats default to float32, ints to int64."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, device=device)


def zeros(*shape, dtype=None, requires_grad=False, device=None):
    backend = get_backend(device)
    array = backend.zeros(shape_args(shape), _float_dtype(dtype))
    return Tensor.from_array(array, backend, requires_grad)


def ones(*shape, dtype=None, requires_grad=False, device=None):
    backend = get_backend(device)
    array = backend.ones(shape_args(shape), _float_dtype(dtype))
    return Tensor.from_array(array, backend, requires_grad)


def randn(*shape, dtype=None, requires_grad=False, device=None):
    """Standard normal samples from tinyres's seeded generator (see tinyres.manual_seed)."""
    backend = get_backend(device)
    host = random.generator().standard_normal(shape_args(shape))
    array = backend.asarray(host, _float_dtype(dtype))
    return Tensor.from_array(array, backend, requires_grad)


def zeros_like(t, requires_grad=False):
    return zeros(*t.shape, dtype=t.dtype, requires_grad=requires_grad, device=t.device)


def ones_like(t, requires_grad=False):
    return ones(*t.shape, dtype=t.dtype, requires_grad=requires_grad, device=t.device)


def _float_dtype(dtype):
    return dtypes.float32 if dtype is None else dtypes.resolve(dtype)
