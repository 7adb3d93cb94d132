"""Reductions: sum and mean over some or all axes."""
from ..function import Function
from . import checks


def _axes(op, axis, ndim):
    """None | int | tuple -> a sorted tuple of non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    items = (axis,) if isinstance(axis, int) else tuple(axis)
    axes = sorted({checks.dim_index(op, "axis", a, ndim) for a in items})
    if len(axes) != len(items):
        raise ValueError(f"{op}: argument 'axis' repeats an axis: {axis!r}")
    return tuple(axes)


class SumFunction(Function):
    supports_double_backward = True

    def forward(self, x, axes, keepdims):
        self.in_shape = tuple(x.shape)
        self.kept_shape = tuple(1 if i in axes else n for i, n in enumerate(x.shape))
        return self.k.sum(x, axes, keepdims)

    def backward(self, g):
        g = self.k.reshape(g, self.kept_shape)
        return (self.k.expand(g, self.in_shape),)

    def tensor_backward(self, g):
        # broadcast by adding zeros: Add's backward sums back, the adjoint of broadcasting
        zeros = self.constant(self.k.zeros(self.in_shape, g.dtype))
        return (g.reshape(self.kept_shape) + zeros,)


def sum(x, axis=None, keepdims=False):  # noqa: A001 - PyTorch's name
    checks.tensor_arg("sum", "x", x)
    return SumFunction.apply(x, axes=_axes("sum", axis, x.ndim), keepdims=keepdims)


def mean(x, axis=None, keepdims=False):
    checks.floating("mean", "x", x)
    axes = _axes("mean", axis, x.ndim)
    count = 1
    for a in axes:
        count *= x.shape[a]
    return SumFunction.apply(x, axes=axes, keepdims=keepdims) * (1.0 / count)


def sum_to_shape(x, shape):
    """A Tensor x broadcast from shape, summed back to shape with Tensor ops (differentiable):
    (2, 3, 4) -> (3, 1) sums axis 0 and axis 2. For the ops' tensor_backward."""
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and x.shape[lead + i] != 1)
    if axes:
        x = x.sum(axis=axes, keepdims=True)
    return x.reshape(shape) if x.shape != tuple(shape) else x
