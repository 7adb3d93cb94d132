"""matmul for the cpu backend: NumPy's (OpenBLAS), single-threaded when the product is small.

A network's own matrix products (ResNet's final linear layer and its gradients: 8 x 2048 x 1000)
are short on one core; run with two OpenBLAS threads they gain nothing and leave OpenBLAS's
worker spinning against the next kernels (threads.single_blas; the figures:
benchmarks/RESULTS.md, "What was done, with the figures that decided it", item 6).
"""
import numpy as np

from . import threads

SMALL = 1 << 26  # multiply-adds (64 M): up to this, one core


def matmul(a, b):
    """a @ b: (..., M, K) @ (..., K, N) -> (..., M, N)."""
    a, b = np.asarray(a), np.asarray(b)
    if a.ndim == 0 or b.ndim == 0:
        return np.matmul(a, b)
    work = a.size * (b.shape[-1] if b.ndim > 1 else 1)
    if work <= SMALL:
        return threads.single_blas(np.matmul, a, b)
    threads.openblas_in_use()  # its threads will spin for a while (threads.native())
    return np.matmul(a, b)
