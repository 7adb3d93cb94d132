"""CUDA optimizer updates in place (optim.cu), PyTorch's rules; same results as
kernels/cpu/optim.py. Arrays that are not C-contiguous are updated through a contiguous copy."""
import math

from .runtime import Source, contiguous, flat_grid, i32, i64, scalar, writable, write_back

SOURCE = Source("optim.cu", ("sgd_step", "adam_step"))


def sgd_step_(param, grad, buf, lr, momentum, dampening, weight_decay, nesterov, first):
    """param -= lr * d, where d is grad (+ weight decay), through the momentum buffer when
    momentum != 0 (buf is None otherwise); first=True starts the buffer at d, as PyTorch."""
    dtype = param.dtype
    targets = [param] if buf is None else [param, buf]
    work = writable(*targets)
    grid, block = flat_grid(param.size)
    SOURCE.launch("sgd_step", dtype, grid, block, (
        work[0], contiguous(grad), work[-1], i64(param.size), scalar(lr, dtype),
        scalar(momentum, dtype), scalar(1 - dampening, dtype), scalar(weight_decay, dtype),
        i32(bool(nesterov)), i32(bool(first))))
    write_back(targets, work)


def adam_step_(param, grad, exp_avg, exp_avg_sq, step, lr, beta1, beta2, eps, weight_decay):
    """One Adam step (step counts from 1): moments updated in place, then
    param -= lr / (1 - beta1**step) * m / (sqrt(v) / sqrt(1 - beta2**step) + eps)."""
    dtype = param.dtype
    targets = [param, exp_avg, exp_avg_sq]
    work = writable(*targets)
    step_size = lr / (1 - beta1 ** step)
    sqrt_correction2 = math.sqrt(1 - beta2 ** step)
    grid, block = flat_grid(param.size)
    SOURCE.launch("adam_step", dtype, grid, block, (
        work[0], contiguous(grad), work[1], work[2], i64(param.size), scalar(1 - beta1, dtype),
        scalar(beta2, dtype), scalar(1 - beta2, dtype), scalar(step_size, dtype),
        scalar(sqrt_correction2, dtype), scalar(eps, dtype), scalar(weight_decay, dtype)))
    write_back(targets, work)
