"""Matrix products: ``a @ b`` and the fully connected layer y = x @ weight.T + bias.

Both support double backward: tensor_backward is their backward in Tensor ops.
"""
from ..function import Function
from . import checks
from .reduce import sum_to_shape


def _swap_last(k, a):
    """(..., M, N) -> (..., N, M) view."""
    axes = tuple(range(a.ndim - 2)) + (a.ndim - 1, a.ndim - 2)
    return k.transpose(a, axes)


class MatMulFunction(Function):
    """(..., M, K) @ (..., K, N) with broadcast batch axes."""

    supports_double_backward = True

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return self.k.matmul(a, b)

    def backward(self, g):
        # C = A @ B  =>  gA = g @ B^T,  gB = A^T @ g  (summed back over broadcast batch axes)
        a, b = self.saved
        k = self.k
        ga = gb = None
        if self.needs_input_grad[0]:
            ga = k.sum_to_shape(k.matmul(g, _swap_last(k, b)), a.shape)
        if self.needs_input_grad[1]:
            gb = k.sum_to_shape(k.matmul(_swap_last(k, a), g), b.shape)
        return ga, gb

    def tensor_backward(self, g):
        a, b = self.saved
        ta, tb = self.input_tensor(0, a), self.input_tensor(1, b)
        ga = gb = None
        if self.needs_input_grad[0]:
            ga = sum_to_shape(g @ tb.transpose(-2, -1), a.shape)
        if self.needs_input_grad[1]:
            gb = sum_to_shape(ta.transpose(-2, -1) @ g, b.shape)
        return ga, gb


class LinearFunction(Function):
    """(*, in), (out, in), (out,) -> (*, out)."""

    supports_double_backward = True

    def forward(self, x, weight, bias):
        k = self.k
        self.save_for_backward(x if self.needs_input_grad[1] else None,
                               weight if self.needs_input_grad[0] else None)
        y = k.matmul(x, k.transpose(weight, (1, 0)))
        return y if bias is None else k.add(y, bias)

    def backward(self, g):
        # y = x @ W^T + b  =>  gx = g @ W,  gW = g^T @ x (the batch rows summed by the product),
        # gb = g summed over the rows
        x, weight = self.saved
        k = self.k
        gx = gw = gb = None
        if self.needs_input_grad[0]:
            gx = k.matmul(g, weight)
        rows = k.reshape(g, (-1, g.shape[-1]))  # (batch, out)
        if self.needs_input_grad[1]:
            gw = k.matmul(k.transpose(rows, (1, 0)), k.reshape(x, (-1, x.shape[-1])))
        if self.needs_input_grad[2]:
            gb = k.sum(rows, 0)
        return gx, gw, gb

    def tensor_backward(self, g):
        x, weight = self.saved
        gx = gw = gb = None
        if self.needs_input_grad[0]:
            gx = g @ self.input_tensor(1, weight)
        rows = g.reshape(-1, g.shape[-1])  # (batch, out)
        if self.needs_input_grad[1]:
            gw = rows.T @ self.input_tensor(0, x).reshape(-1, x.shape[-1])
        if self.needs_input_grad[2]:
            gb = rows.sum(0)
        return gx, gw, gb


def matmul(a, b):
    """a @ b like NumPy: 1-D operands are treated as a row (a) or a column (b), then dropped."""
    checks.tensor_arg("matmul", "a", a)
    checks.tensor_arg("matmul", "b", b)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: operands must be at least 1-D, got {a.shape} and {b.shape}")
    checks.same_device_dtype("matmul", "a", a, b=b)
    a2 = a.reshape(1, -1) if a.ndim == 1 else a
    b2 = b.reshape(-1, 1) if b.ndim == 1 else b
    if a2.shape[-1] != b2.shape[-2]:
        raise ValueError(
            f"matmul: inner sizes differ: a {a.shape} has {a2.shape[-1]} columns,"
            f" b {b.shape} has {b2.shape[-2]} rows"
        )
    batch_a, batch_b = a2.shape[:-2][::-1], b2.shape[:-2][::-1]
    if any(m != n and 1 not in (m, n) for m, n in zip(batch_a, batch_b)):
        raise ValueError(f"matmul: the batch axes of a {a.shape} and b {b.shape} do not"
                         f" broadcast: {a2.shape[:-2]} against {b2.shape[:-2]}")
    out = MatMulFunction.apply(a2, b2)
    shape = out.shape
    if a.ndim == 1:
        shape = shape[:-2] + shape[-1:]
    if b.ndim == 1:
        shape = shape[:-1]
    return out if shape == out.shape else out.reshape(shape)


def linear(x, weight, bias=None):
    """y = x @ weight.T + bias: x (*, in_features), weight (out, in), bias (out,) -> (*, out)."""
    checks.floating("linear", "x", x)
    checks.floating("linear", "weight", weight)
    checks.ndim("linear", "weight", weight, 2, "(out_features, in_features)")
    if x.ndim < 1 or x.shape[-1] != weight.shape[1]:
        raise ValueError(
            f"linear: argument 'x' must end in in_features = {weight.shape[1]} (weight"
            f" {weight.shape}), got shape {x.shape}"
        )
    checks.same_device_dtype("linear", "x", x, weight=weight, bias=bias)
    if bias is not None:
        checks.shape("linear", "bias", bias, (weight.shape[0],), "(out_features,)")
    return LinearFunction.apply(x, weight, bias)
