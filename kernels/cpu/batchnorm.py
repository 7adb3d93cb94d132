"""NumPy batch normalisation over (N, H, W) for each channel of (N, C, H, W), as PyTorch does it.

Per-channel sums accumulate in float64 (as PyTorch's CPU kernels do): with few values per channel
(deep layers, small batches) the backward's n * gy - sum(gy) - xhat * sum(gy * xhat) cancels, and
float32 sums would leave errors of 1e-3 relative in the gradient.
"""
import numpy as np

from .elementwise import relu_backward, relu_forward

AXES = (0, 2, 3)


def _channel_sum(a):
    """(N, C, H, W) -> (C,) summed in float64, returned in a's dtype."""
    return np.sum(a, axis=AXES, dtype=np.float64).astype(a.dtype)


def _channel(v):
    """(C,) -> (1, C, 1, 1) so that it broadcasts against (N, C, H, W)."""
    return v.reshape(1, -1, 1, 1)


def _affine(xhat, weight, bias):
    y = xhat if weight is None else xhat * _channel(weight)
    return y if bias is None else y + _channel(bias)


def _then_relu(y, relu):
    """y, or max(y, 0) when the batch norm is fused with the ReLU after it."""
    return relu_forward(y) if relu else y


def batchnorm_forward_train(x, weight, bias, eps, relu=False):
    """(N, C, H, W) -> (y, mean, biased var, invstd); statistics of this batch. relu=True:
    y = max(batch norm of x, 0)."""
    count = x.size // x.shape[1]
    mean = _channel_sum(x) / count
    centred = x - _channel(mean)
    var = _channel_sum(centred * centred) / count
    invstd = 1.0 / np.sqrt(var + eps)
    y = _affine(centred * _channel(invstd), weight, bias)
    return _then_relu(y, relu), mean, var, invstd


def batchnorm_forward_eval(x, mean, var, weight, bias, eps, relu=False):
    """(N, C, H, W) -> (y, invstd); normalised with the given (running) statistics; relu=True:
    y = max(that, 0)."""
    invstd = 1.0 / np.sqrt(var + eps)
    y = _affine((x - _channel(mean)) * _channel(invstd), weight, bias)
    return _then_relu(y, relu), invstd


def batchnorm_backward(gy, x, mean, invstd, weight, training, relu_output=None):
    """(N, C, H, W) -> (gx, gweight (C,), gbias (C,)). relu_output: the y of a relu=True
    forward; gy then passes the ReLU first (it counts only where y > 0)."""
    if relu_output is not None:
        gy = relu_backward(gy, relu_output)
    xhat = (x - _channel(mean)) * _channel(invstd)
    gbias = _channel_sum(gy)
    gweight = _channel_sum(gy * xhat)
    scale = invstd if weight is None else weight * invstd
    if not training:
        return gy * _channel(scale), gweight, gbias
    count = x.size // x.shape[1]
    # d/dx of (x - mean) * invstd with mean and invstd functions of x:
    gx = _channel(scale / count) * (count * gy - _channel(gbias) - xhat * _channel(gweight))
    return gx, gweight, gbias


def batchnorm_update_running_(running_mean, running_var, mean, var, count, momentum):
    """In place: r = (1 - momentum) * r + momentum * batch; var stored unbiased (Bessel)."""
    unbiased = var * (count / (count - 1))
    running_mean[...] = (1 - momentum) * running_mean + momentum * mean
    running_var[...] = (1 - momentum) * running_var + momentum * unbiased
