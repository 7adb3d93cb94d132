"""Batch normalisation as PyTorch's F.batch_norm: per-channel statistics over (N, H, W)."""
from ..function import Function
from . import checks


class BatchNormFunction(Function):
    """(N, C, ...) -> same shape. Train mode normalises with this batch's statistics and updates
    the running ones in place; eval mode normalises with the running statistics."""

    relu = False  # BatchNormReLUFunction: the ReLU after it, fused

    def forward(self, x, weight, bias, running_mean, running_var, training, momentum, eps):
        k = self.k
        shape = tuple(x.shape)
        self.empty = x.size == 0  # eval mode on an empty batch (train mode refuses it before)
        if self.empty:
            self.shape = shape
            return k.zeros(shape, x.dtype)
        x = k.reshape(x, (shape[0], shape[1], -1, 1))  # (N, C, L, 1): the kernels' layout
        if training:
            y, mean, var, invstd = k.batchnorm_forward_train(x, weight, bias, eps, self.relu)
            if running_mean is not None:
                count = x.shape[0] * x.shape[2]
                k.batchnorm_update_running_(running_mean, running_var, mean, var, count, momentum)
        else:
            y, invstd = k.batchnorm_forward_eval(x, running_mean, running_var, weight, bias, eps,
                                                 self.relu)
            mean = k.copy(running_mean)  # the buffer may change before backward runs
        self.training = training
        # the fused ReLU's output says where its gradient passes (ReLUFunction keeps it too)
        self.save_for_backward(x, mean, invstd, weight, y if self.relu else None)
        return k.reshape(y, shape)

    def backward(self, gy):
        # xhat = (x - mean) * invstd, y = gamma * xhat + beta; per channel over its N values:
        #   gbeta = sum(gy),  ggamma = sum(gy * xhat),
        #   gx = gamma * invstd / N * (N * gy - sum(gy) - xhat * sum(gy * xhat))   (train: mean
        #   and invstd are functions of x),  gx = gamma * invstd * gy   (eval: constants)
        # with the ReLU fused (output r), gy is first replaced by gy * 1[r > 0] (ReLU's backward)
        k = self.k
        needs = self.needs_input_grad
        if self.empty:  # nothing was normalised: every gradient is zero
            channels = (self.shape[1],)
            return (k.zeros(self.shape, gy.dtype), k.zeros(channels, gy.dtype) if needs[1]
                    else None, k.zeros(channels, gy.dtype) if needs[2] else None)
        x, mean, invstd, weight, relu_output = self.saved
        g4 = k.reshape(gy, x.shape)
        gx, gweight, gbias = k.batchnorm_backward(g4, x, mean, invstd, weight, self.training,
                                                  relu_output)
        return (
            k.reshape(gx, gy.shape) if needs[0] else None,
            gweight if needs[1] else None,
            gbias if needs[2] else None,
        )


class BatchNormReLUFunction(BatchNormFunction):
    """relu(batch_norm(x)) in one pass over memory each way: the kernels apply the ReLU as they
    write y and its mask as they read the gradient (the maths: BatchNormFunction.backward)."""

    relu = True


def check_arguments(op, x, running_mean, running_var, weight, bias):
    """x floating (N, C, ...); the four per-channel tensors (C,) or None, like x's device and
    dtype; running statistics both given or both None."""
    checks.floating(op, "x", x)
    checks.ndim(op, "x", x, (2, 3, 4), "(N, C, ...)")
    channels = (x.shape[1],)
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is not None:
            checks.same_device_dtype(op, "x", x, **{name: t})
            checks.shape(op, name, t, channels, "one value per channel of x")
    if (running_mean is None) != (running_var is None):
        raise ValueError(f"{op}: give both running_mean and running_var, or neither")


def batch_norm(x, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """x (N, C) or (N, C, L) or (N, C, H, W); running stats, weight, bias (C,) or None.

    training=True: normalise with the batch mean and biased variance, and (when running stats
    are given) update them in place: r = (1 - momentum) r + momentum batch, variance unbiased.
    training=False: normalise with running_mean and running_var (both required).
    """
    return _batch_norm(BatchNormFunction, "batch_norm", x, running_mean, running_var, weight,
                       bias, training, momentum, eps)


def batch_norm_relu(x, running_mean, running_var, weight=None, bias=None, training=False,
                    momentum=0.1, eps=1e-5):
    """relu(batch_norm(x, ...)), the same values and gradients, in one pass over memory each
    way: the kernels apply the ReLU as they write y, and its mask as they read the gradient.
    Arguments as batch_norm's."""
    return _batch_norm(BatchNormReLUFunction, "batch_norm_relu", x, running_mean, running_var,
                       weight, bias, training, momentum, eps)


def _batch_norm(function, op, x, running_mean, running_var, weight, bias, training, momentum,
                eps):
    check_arguments(op, x, running_mean, running_var, weight, bias)
    if not training and running_mean is None:
        raise ValueError(f"{op}: eval mode (training=False) needs running_mean and running_var")
    if training and x.numel() // x.shape[1] < 2:
        raise ValueError(
            f"{op}: train mode needs more than 1 value per channel to compute a variance,"
            f" got x of shape {x.shape}"
        )
    if not isinstance(momentum, (int, float)) or not 0 <= momentum <= 1:
        raise ValueError(f"{op}: argument 'momentum' must be a number in [0, 1], got {momentum!r}")
    checks.positive(op, "eps", eps)
    rm = None if running_mean is None else running_mean.data
    rv = None if running_var is None else running_var.data
    return function.apply(x, weight, bias, running_mean=rm, running_var=rv,
                          training=bool(training), momentum=float(momentum), eps=float(eps))
