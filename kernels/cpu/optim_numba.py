"""Numba SGD step: the whole update in one parallel pass over param, grad and buffer.

The NumPy reference makes up to five passes (and temporaries) per parameter. The arithmetic here
is the reference's, step for step, in the parameter's dtype (the hyper-parameters are cast to it
first), so the results agree to the last bit or nearly.
"""
import numpy as np

from . import optim
from .numba_setup import njit, prange

PARALLEL_MIN = 1 << 16  # smaller tensors (most of ResNet's) are not worth a thread launch



@njit(parallel=True, cache=True)
def _sgd_parallel(param, grad, buf, lr, momentum, keep, weight_decay, nesterov, first, has_buf):
    for i in prange(param.size):
        _sgd_one(param, grad, buf, i, lr, momentum, keep, weight_decay, nesterov, first, has_buf)


@njit(cache=True)
def _sgd_serial(param, grad, buf, lr, momentum, keep, weight_decay, nesterov, first, has_buf):
    for i in range(param.size):
        _sgd_one(param, grad, buf, i, lr, momentum, keep, weight_decay, nesterov, first, has_buf)


@njit(inline="always")
def _sgd_one(param, grad, buf, i, lr, momentum, keep, weight_decay, nesterov, first, has_buf):
    d = grad[i] + weight_decay * param[i] if weight_decay != 0 else grad[i]
    if has_buf:
        if first:
            m = d
        else:
            m = buf[i] * momentum + keep * d
        buf[i] = m
        d = d + momentum * m if nesterov else m
    param[i] -= lr * d


def sgd_step_(param, grad, buf, lr, momentum, dampening, weight_decay, nesterov, first):
    """param -= lr * d as the reference (optim.py), in place, in one pass."""
    if not (param.flags.c_contiguous and (buf is None or buf.flags.c_contiguous)
            and param.dtype.kind == "f"):
        return optim.sgd_step_(param, grad, buf, lr, momentum, dampening, weight_decay,
                               nesterov, first)
    cast = param.dtype.type
    flat = param.reshape(-1)
    g = np.ascontiguousarray(grad, dtype=param.dtype).reshape(-1)
    b = flat if buf is None else buf.reshape(-1)  # never touched when there is no buffer
    step = _sgd_parallel if flat.size >= PARALLEL_MIN else _sgd_serial
    step(flat, g, b, cast(lr), cast(momentum), cast(1 - dampening), cast(weight_decay),
         bool(nesterov), bool(first), buf is not None)
