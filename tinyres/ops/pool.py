"""Pooling: max (padding with -inf), average, and adaptive average (global pooling)."""
from ..function import Function
from . import checks


class MaxPool2dFunction(Function):
    def forward(self, x, kernel, stride, padding):
        self.x_shape = tuple(x.shape)
        self.window = (kernel, stride, padding)
        if x.size == 0:  # an empty batch or channel axis: an empty output, as PyTorch
            self.save_for_backward(None)
            return self.k.zeros(checks.window_output(self.x_shape, kernel, stride, padding),
                                x.dtype)
        y, argmax = self.k.maxpool2d_forward(x, kernel, stride, padding)
        self.save_for_backward(argmax)
        return y

    def backward(self, gy):
        # y = the max of each window: its gradient goes to the argmax of the window (summed
        # where windows overlap); every other input of the window gets 0
        (argmax,) = self.saved
        if argmax is None:
            return (self.k.zeros(self.x_shape, gy.dtype),)
        return (self.k.maxpool2d_backward(gy, argmax, self.x_shape, *self.window),)


class AvgPool2dFunction(Function):
    def forward(self, x, kernel, stride, padding, count_include_pad):
        self.x_shape = tuple(x.shape)
        self.args = (kernel, stride, padding, count_include_pad)
        if x.size == 0:  # an empty batch or channel axis: an empty output, as PyTorch
            return self.k.zeros(checks.window_output(self.x_shape, kernel, stride, padding),
                                x.dtype)
        return self.k.avgpool2d_forward(x, *self.args)

    def backward(self, gy):
        # y = the mean of an R x S window (R * S inputs): each input of the
        # window gets gy / (R * S), summed over the windows it falls in (count_include_pad=False
        # divides by the unpadded inputs of the window instead)
        if gy.size == 0:
            return (self.k.zeros(self.x_shape, gy.dtype),)
        return (self.k.avgpool2d_backward(gy, self.x_shape, *self.args),)


def _window_args(op, x, kernel_size, stride, padding):
    """Check x and normalise kernel/stride/padding to pairs; stride defaults to the kernel."""
    checks.floating(op, "x", x)
    checks.ndim(op, "x", x, 4, "(N, C, H, W)")
    kernel = checks.pair(op, "kernel_size", kernel_size, 1)
    stride = kernel if stride is None else checks.pair(op, "stride", stride, 1)
    padding = checks.pair(op, "padding", padding, 0)
    for size, p in zip(kernel, padding):
        if 2 * p > size:
            raise ValueError(
                f"{op}: padding {padding} must be at most half of kernel_size {kernel}"
            )
    checks.window_fits(op, x, kernel, padding)
    return kernel, stride, padding


def max_pool2d(x, kernel_size, stride=None, padding=0):
    """(N, C, H, W) -> (N, C, P, Q): the maximum of each window; padding counts as -inf."""
    kernel, stride, padding = _window_args("max_pool2d", x, kernel_size, stride, padding)
    return MaxPool2dFunction.apply(x, kernel=kernel, stride=stride, padding=padding)


def avg_pool2d(x, kernel_size, stride=None, padding=0, count_include_pad=True):
    """(N, C, H, W) -> (N, C, P, Q): the mean of each window; padding counts as 0 (and is in
    the divisor unless count_include_pad=False)."""
    kernel, stride, padding = _window_args("avg_pool2d", x, kernel_size, stride, padding)
    return AvgPool2dFunction.apply(x, kernel=kernel, stride=stride, padding=padding,
                           count_include_pad=bool(count_include_pad))


def adaptive_avg_pool2d(x, output_size):
    """(N, C, H, W) -> (N, C, oh, ow), for sizes that divide H and W (1 = global pooling)."""
    op = "adaptive_avg_pool2d"
    checks.floating(op, "x", x)
    checks.ndim(op, "x", x, 4, "(N, C, H, W)")
    out = checks.pair(op, "output_size", output_size, 1)
    h, w = x.shape[2:]
    if h % out[0] or w % out[1]:
        raise ValueError(
            f"{op}: output_size {out} must divide the input size ({h}, {w})"
        )
    kernel = (h // out[0], w // out[1])
    return AvgPool2dFunction.apply(x, kernel=kernel, stride=kernel, padding=(0, 0),
                           count_include_pad=True)
