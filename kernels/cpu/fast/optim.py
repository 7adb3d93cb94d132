"""Numba SGD step: the whole update in one pass over param, grad and buffer (one range per
thread for large tensors, see threads.py).

The NumPy reference makes up to five passes (and temporaries) per parameter. The arithmetic here
is the reference's, step for step, in the parameter's dtype (the hyper-parameters are cast to it
first), so the results agree to the last bit or nearly.
"""
import numpy as np

from .. import optim as reference
from . import threads
from .numba_setup import njit, prange

PARALLEL_MIN = 1 << 17  # smaller tensors (most of ResNet's) are not worth waking a thread


@njit(nogil=True, cache=True)
def _sgd(param, grad, buf, lr, momentum, keep, weight_decay, nesterov, first, has_buf):
    for i in range(param.size):
        d = grad[i] + weight_decay * param[i] if weight_decay != 0 else grad[i]
        if has_buf:
            if first:
                m = d
            else:
                m = buf[i] * momentum + keep * d
            buf[i] = m
            d = d + momentum * m if nesterov else m
        param[i] -= lr * d


@njit(parallel=True, nogil=True, cache=True)
def _sgd_tasks(param, grad, buf, lr, momentum, keep, weight_decay, nesterov, first, has_buf,
               tasks):
    """_sgd over one range (lo, hi) of the flat arrays per task (threads.py)."""
    for t in prange(tasks.shape[0]):
        lo, hi = tasks[t, 0], tasks[t, 1]
        _sgd(param[lo:hi], grad[lo:hi], buf[lo:hi], lr, momentum, keep, weight_decay, nesterov,
             first, has_buf)


def sgd_step_(param, grad, buf, lr, momentum, dampening, weight_decay, nesterov, first):
    """param -= lr * d as the reference (optim.py), in place, in one pass."""
    if not (param.flags.c_contiguous and (buf is None or buf.flags.c_contiguous)
            and param.dtype.kind == "f"):
        return reference.sgd_step_(param, grad, buf, lr, momentum, dampening, weight_decay,
                               nesterov, first)
    cast = param.dtype.type
    flat = param.reshape(-1)
    g = np.ascontiguousarray(grad, dtype=param.dtype).reshape(-1)
    b = flat if buf is None else buf.reshape(-1)  # never touched when there is no buffer
    scalars = (cast(lr), cast(momentum), cast(1 - dampening), cast(weight_decay),
               bool(nesterov), bool(first), buf is not None)
    threads.by_ranges(_sgd, _sgd_tasks, threads.ranges(flat.size, PARALLEL_MIN), flat, g, b,
                      *scalars)
