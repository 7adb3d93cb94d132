"""CUDA ReLU and the add fused with it (elementwise.cu); same results as
kernels/cpu/elementwise.py."""
from .runtime import Source, contiguous, flat_grid, i64, xp

SOURCE = Source("elementwise.cu", ("relu_forward", "relu_backward", "add_relu"))


def relu_forward(x):
    """(...) -> max(x, 0); NaN stays NaN."""
    y = xp.empty(x.shape, dtype=x.dtype)
    grid, block = flat_grid(x.size)
    SOURCE.launch("relu_forward", x.dtype, grid, block, (contiguous(x), i64(x.size), y))
    return y


def relu_backward(gy, y):
    """(...) -> gy where the output was positive, else 0."""
    gx = xp.empty(gy.shape, dtype=gy.dtype)
    grid, block = flat_grid(gy.size)
    SOURCE.launch("relu_backward", gy.dtype, grid, block,
                  (contiguous(gy), contiguous(y), i64(gy.size), gx))
    return gx


def add_relu(a, b):
    """(...), (...) of one shape -> max(a + b, 0); NaN stays NaN."""
    y = xp.empty(a.shape, dtype=a.dtype)
    grid, block = flat_grid(a.size)
    SOURCE.launch("add_relu", a.dtype, grid, block, (contiguous(a), contiguous(b), i64(a.size), y))
    return y
