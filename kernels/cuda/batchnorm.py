"""CUDA batch normalisation over (N, H, W) per channel (batchnorm.cu), as PyTorch does it; same
signatures and results as kernels/cpu/batchnorm.py. The fused ReLU (relu=True) is applied as y
is written; its backward runs as relu_backward before the batch norm's (one more pass: the cpu's
speed work, not yet the GPU's)."""
import numpy as np

from .elementwise import relu_backward
from .runtime import (Source, contiguous, flat_grid, i32, plane_grid, scalar, split_grid,
                      writable, write_back, xp)

SOURCE = Source("batchnorm.cu", (
    "channel_partial_sums", "backward_partial_sums", "channel_finish", "channel_invstd",
    "normalize", "backward_input", "update_running"))

PER_BLOCK = 4096  # values per block before a channel's sum is split over several blocks
TARGET_BLOCKS = 1024  # stop splitting once this many blocks run (several per SM on an H100)


def _layout(x):
    """(N, C, L, count = N * L) of x (N, C, ...), checked to fit the kernels' 32-bit ints."""
    n, c = x.shape[:2]
    length = x.size // (n * c) if n * c else 0
    i32(n * length)
    return n, c, length, n * length


def _partial_grid(count, channels):
    """(grid, block) for the partial-sum kernels: splits blocks per channel along x."""
    splits = max(1, min(count // PER_BLOCK, TARGET_BLOCKS // max(channels, 1)))
    return split_grid(splits, channels)


def _channel_mean(x, center):
    """(N, C, L) -> (C,): the mean of x per channel, or of (x - center)^2 when center is given."""
    n, c, length, count = _layout(x)
    grid, block = _partial_grid(count, c)
    partial = xp.empty((c, grid[0]), dtype=np.float64)  # float64 sums, as the reference's
    square = center is not None
    SOURCE.launch("channel_partial_sums", x.dtype, grid, block, (
        x, x if center is None else center, i32(n), i32(c), i32(length), i32(square), partial))
    return _finish(partial, count, x.dtype)


def _finish(partial, divisor, dtype):
    """(C, splits) float64 -> (C,) dtype: each row's sum, rounded to dtype, / divisor."""
    c, splits = partial.shape
    out = xp.empty((c,), dtype=dtype)
    grid, block = flat_grid(c)
    SOURCE.launch("channel_finish", dtype, grid, block, (
        partial, i32(c), i32(splits), scalar(divisor, dtype), out))
    return out


def _invstd(var, eps):
    """(C,) -> 1 / sqrt(var + eps)."""
    invstd = xp.empty(var.shape, dtype=var.dtype)
    grid, block = flat_grid(var.size)
    SOURCE.launch("channel_invstd", var.dtype, grid, block,
                  (contiguous(var), i32(var.size), scalar(eps, var.dtype), invstd))
    return invstd


def _affine_params(weight, bias, channels, dtype):
    """weight and bias as arrays: ones and zeros stand in for None (exact: x * 1 + 0 == x)."""
    weight = xp.ones((channels,), dtype=dtype) if weight is None else contiguous(weight)
    bias = xp.zeros((channels,), dtype=dtype) if bias is None else contiguous(bias)
    return weight, bias


def _normalize(x, mean, invstd, weight, bias, relu):
    n, c, length, _ = _layout(x)
    weight, bias = _affine_params(weight, bias, c, x.dtype)
    y = xp.empty(x.shape, dtype=x.dtype)
    grid, block = plane_grid(n * c, length)
    SOURCE.launch("normalize", x.dtype, grid, block, (
        x, contiguous(mean), invstd, weight, bias, i32(c), i32(length), i32(n * c),
        i32(bool(relu)), y))
    return y


def batchnorm_forward_train(x, weight, bias, eps, relu=False):
    """(N, C, H, W) -> (y, mean, biased var, invstd); statistics of this batch; relu=True:
    y = max(y, 0)."""
    x = contiguous(x)
    mean = _channel_mean(x, None)
    var = _channel_mean(x, mean)  # the centred second pass, as the reference
    invstd = _invstd(var, eps)
    return _normalize(x, mean, invstd, weight, bias, relu), mean, var, invstd


def batchnorm_forward_eval(x, mean, var, weight, bias, eps, relu=False):
    """(N, C, H, W) -> (y, invstd); normalised with the given (running) statistics; relu=True:
    y = max(y, 0)."""
    invstd = _invstd(var, eps)
    return _normalize(contiguous(x), mean, invstd, weight, bias, relu), invstd


def batchnorm_backward(gy, x, mean, invstd, weight, training, relu_output=None):
    """(N, C, H, W) -> (gx, gweight (C,), gbias (C,)); relu_output: a relu=True forward's y,
    through whose ReLU gy passes first."""
    if relu_output is not None:
        gy = relu_backward(gy, relu_output)
    gy, x, mean, invstd = (contiguous(a) for a in (gy, x, mean, invstd))
    n, c, length, count = _layout(x)
    grid, block = _partial_grid(count, c)
    partial_gb = xp.empty((c, grid[0]), dtype=np.float64)
    partial_gw = xp.empty((c, grid[0]), dtype=np.float64)
    SOURCE.launch("backward_partial_sums", x.dtype, grid, block, (
        gy, x, mean, invstd, i32(n), i32(c), i32(length), partial_gb, partial_gw))
    gbias, gweight = _finish(partial_gb, 1, x.dtype), _finish(partial_gw, 1, x.dtype)
    weight, _ = _affine_params(weight, None, c, x.dtype)
    gx = xp.empty(x.shape, dtype=x.dtype)
    grid, block = plane_grid(n * c, length)
    SOURCE.launch("backward_input", x.dtype, grid, block, (
        gy, x, mean, invstd, weight, gbias, gweight, i32(c), i32(length), i32(n * c),
        scalar(count, x.dtype), i32(bool(training)), gx))
    return gx, gweight, gbias


def batchnorm_update_running_(running_mean, running_var, mean, var, count, momentum):
    """In place: r = (1 - momentum) * r + momentum * batch; var stored unbiased (Bessel)."""
    dtype = running_mean.dtype
    targets = [running_mean, running_var]
    work = writable(*targets)
    grid, block = flat_grid(running_mean.size)
    SOURCE.launch("update_running", dtype, grid, block, (
        *work, contiguous(mean), contiguous(var), i32(running_mean.size),
        scalar(momentum, dtype), scalar(1 - momentum, dtype),
        scalar(count / (count - 1), dtype)))
    write_back(targets, work)
