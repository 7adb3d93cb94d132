"""Synchronised batch normalisation: BatchNorm's training-mode maths with the per-channel sums
taken over every rank's samples, as if the ranks' batches were one.

Forward all-reduces [sum(x), count] to get the global mean, then sum((x - mean)^2) to get the
global biased variance (two passes, as the single-process kernel, so the two agree to rounding).
Backward all-reduces [sum(gy), sum(gy * xhat)]: each rank's x influences every rank's output
through the shared statistics, so its gradient needs the global sums; weight and bias get the
local sums, which the data-parallel gradient average then sums over the ranks.

The op knows maths, not transport: `group` is anything with all_reduce_(array) summing a backend
array over the ranks in place (tinyres.distributed.ProcessGroup). Per-channel sums accumulate in
float64, as the cpu batchnorm kernels do, and go over the wire in float64.
"""
from .. import dtypes
from ..function import Function
from . import checks
from .batchnorm import check_arguments

AXES = (0, 2, 3)  # (N, C, L, 1): every axis but the channel's


def _channel_sum(k, a):
    """(N, C, L, 1) -> (C,) float64."""
    return k.sum(k.astype(a, dtypes.float64), AXES)


def _channel(k, v):
    """(C,) -> (1, C, 1, 1), to broadcast against (N, C, L, 1)."""
    return k.reshape(v, (1, -1, 1, 1))


def _concat(k, first, second):
    """(A,), (B,) -> (A + B,) by zero-padding both and adding (no concatenate kernel needed)."""
    a, b = first.shape[0], second.shape[0]
    return k.add(k.pad(first, ((0, b),)), k.pad(second, ((a, 0),)))


def _all_reduced(k, group, first, second):
    """(A,), (B,) float64 on this rank -> their sums over all ranks, as (A,), (B,)."""
    packed = _concat(k, first, second)
    group.all_reduce_(packed)
    a = first.shape[0]
    return k.getitem(packed, slice(0, a)), k.getitem(packed, slice(a, None))


class SyncBatchNormFunction(Function):
    """(N, C, ...) -> same shape, training mode: normalised with the mean and biased variance of
    the samples of all ranks; running statistics (when given) updated in place with them."""

    def forward(self, x, weight, bias, running_mean, running_var, momentum, eps, group):
        k, dtype, f64 = self.k, x.dtype, dtypes.float64
        shape = tuple(x.shape)
        x = k.reshape(x, (shape[0], shape[1], -1, 1))  # (N, C, L, 1)
        local_count = k.full((1,), x.shape[0] * x.shape[2], f64)
        sums, count = _all_reduced(k, group, _channel_sum(k, x), local_count)
        count = int(k.to_host(count)[0])  # the same on every rank; the kernels take a number
        if count < 2:
            raise ValueError(f"sync_batch_norm: train mode needs more than 1 value per channel"
                             f" over all ranks to compute a variance, got {count}")
        mean = k.astype(k.div(sums, k.asarray(count, f64)), dtype)  # (C,)
        centred = k.sub(x, _channel(k, mean))
        squares = _channel_sum(k, k.mul(centred, centred))
        group.all_reduce_(squares)
        var = k.div(squares, k.asarray(count, f64))  # biased, float64
        invstd = k.astype(k.power(k.add(var, k.asarray(eps, f64)), -0.5), dtype)
        y = k.mul(centred, _channel(k, invstd))
        if weight is not None:
            y = k.mul(y, _channel(k, weight))
        if bias is not None:
            y = k.add(y, _channel(k, bias))
        if running_mean is not None:
            k.batchnorm_update_running_(running_mean, running_var, mean, k.astype(var, dtype),
                                        count, momentum)
        self.count, self.group = count, group
        self.save_for_backward(x, mean, invstd, weight)
        return k.reshape(y, shape)

    def backward(self, gy):
        x, mean, invstd, weight = self.saved
        k, dtype, needs = self.k, x.dtype, self.needs_input_grad
        g = k.reshape(gy, x.shape)
        xhat = k.mul(k.sub(x, _channel(k, mean)), _channel(k, invstd))
        gbias, gweight = _channel_sum(k, g), _channel_sum(k, k.mul(g, xhat))  # this rank's sums
        gx = None
        if needs[0]:  # the same on every rank: all of them call the all-reduce, or none does
            sum_g, sum_gxhat = _all_reduced(k, self.group, gbias, gweight)
            n = k.asarray(self.count, dtype)
            scale = invstd if weight is None else k.mul(weight, invstd)
            # d/dx of (x - mean) * invstd, with mean and invstd functions of every rank's x:
            inner = k.sub(k.sub(k.mul(g, n), _channel(k, k.astype(sum_g, dtype))),
                          k.mul(xhat, _channel(k, k.astype(sum_gxhat, dtype))))
            gx = k.reshape(k.mul(_channel(k, k.div(scale, n)), inner), gy.shape)
        return (gx,
                k.astype(gweight, dtype) if needs[1] else None,
                k.astype(gbias, dtype) if needs[2] else None)


def sync_batch_norm(x, running_mean, running_var, weight, bias, momentum, eps, group):
    """x (N, C) or (N, C, L) or (N, C, H, W); running stats, weight, bias (C,) or None; group
    sums arrays over the ranks. Training mode only: eval mode needs no communication (use
    F.batch_norm with the running statistics)."""
    op = "sync_batch_norm"
    check_arguments(op, x, running_mean, running_var, weight, bias)
    checks.positive(op, "eps", eps)
    if not hasattr(group, "all_reduce_"):
        raise TypeError(f"{op}: argument 'group' must have all_reduce_(array) (a"
                        f" tinyres.distributed.ProcessGroup), got {type(group).__name__}")
    rm = None if running_mean is None else running_mean.data
    rv = None if running_var is None else running_var.data
    return SyncBatchNormFunction.apply(x, weight, bias, running_mean=rm, running_var=rv,
                               momentum=float(momentum), eps=float(eps), group=group)
