"""The fast cpu kernels: FAST, the kernels that take the place of the NumPy reference ones
(kernels/cpu/*.py) in the default table, one module per op as there: conv.py (which algorithm
computes which convolution: direct, Winograd, im2col + GEMM by image groups or by rows),
batchnorm.py, pool.py, elementwise.py, linear.py, optim.py, arrays.py. What they share:
layout.py (image batches stored channel-major), threads.py (one thread pool, OpenBLAS kept
single-threaded inside it), scratch.py (per-thread temporaries), numba_setup.py, simd.py (LLVM IR
for the direct convolutions' micro-kernels). heap.py keeps freed memory for the next step (the
cpu backend calls it when it loads this table). Every fast kernel has the reference kernel's
signature and results (tests/kernels/test_fast_*.py).
"""
from . import arrays, batchnorm, conv, elementwise, heap, linear, optim, pool  # noqa: F401 (heap)

FAST = {
    "add": elementwise.add,
    "matmul": linear.matmul,
    "conv2d_forward": conv.conv2d_forward,
    "conv2d_backward_data": conv.conv2d_backward_data,
    "conv2d_backward_weight": conv.conv2d_backward_weight,
    "batchnorm_forward_train": batchnorm.batchnorm_forward_train,
    "batchnorm_forward_eval": batchnorm.batchnorm_forward_eval,
    "batchnorm_backward": batchnorm.batchnorm_backward,
    "relu_forward": elementwise.relu_forward,
    "relu_backward": elementwise.relu_backward,
    "add_relu": elementwise.add_relu,
    "maxpool2d_forward": pool.maxpool2d_forward,
    "maxpool2d_backward": pool.maxpool2d_backward,
    "avgpool2d_forward": pool.avgpool2d_forward,
    "avgpool2d_backward": pool.avgpool2d_backward,
    "sgd_step_": optim.sgd_step_,
    "pad": arrays.pad,
    "getitem_backward": arrays.getitem_backward,
}
