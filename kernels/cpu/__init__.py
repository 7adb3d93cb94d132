"""The cpu backend: NumPy reference kernels (REFERENCE) and the table tinyres uses (TABLE),
which is the reference with Numba / OpenBLAS kernels in place of the hot ones. Tests check that
the two agree.

The fast kernels store image batches channel-major (see layout.py): same (N, C, H, W) shapes and
values as the reference, other strides.
"""
from . import (activation, arrays, batchnorm, batchnorm_numba, conv, conv_dispatch, conv_numba,
               elementwise_numba, linalg, loss, optim, optim_numba, pool, pool_numba)

REFERENCE = {
    "asarray": arrays.asarray,
    "to_host": arrays.to_host,
    "zeros": arrays.zeros,
    "ones": arrays.ones,
    "full": arrays.full,
    "copy": arrays.copy,
    "astype": arrays.astype,
    "add": arrays.add,
    "sub": arrays.sub,
    "mul": arrays.mul,
    "div": arrays.div,
    "neg": arrays.neg,
    "power": arrays.power,
    "add_": arrays.add_,
    "matmul": arrays.matmul,
    "sum": arrays.sum,
    "sum_to_shape": arrays.sum_to_shape,
    "expand": arrays.expand,
    "reshape": arrays.reshape,
    "transpose": arrays.transpose,
    "getitem": arrays.getitem,
    "getitem_backward": arrays.getitem_backward,
    "pad": arrays.pad,
    "im2col": conv.im2col,
    "col2im": conv.col2im,
    "conv2d_forward": conv.conv2d_forward,
    "conv2d_backward_data": conv.conv2d_backward_data,
    "conv2d_backward_weight": conv.conv2d_backward_weight,
    "batchnorm_forward_train": batchnorm.batchnorm_forward_train,
    "batchnorm_forward_eval": batchnorm.batchnorm_forward_eval,
    "batchnorm_backward": batchnorm.batchnorm_backward,
    "batchnorm_update_running_": batchnorm.batchnorm_update_running_,
    "relu_forward": activation.relu_forward,
    "relu_backward": activation.relu_backward,
    "maxpool2d_forward": pool.maxpool2d_forward,
    "maxpool2d_backward": pool.maxpool2d_backward,
    "avgpool2d_forward": pool.avgpool2d_forward,
    "avgpool2d_backward": pool.avgpool2d_backward,
    "log_softmax_forward": loss.log_softmax_forward,
    "log_softmax_backward": loss.log_softmax_backward,
    "cross_entropy_forward": loss.cross_entropy_forward,
    "cross_entropy_backward": loss.cross_entropy_backward,
    "sgd_step_": optim.sgd_step_,
    "adam_step_": optim.adam_step_,
}

NUMBA_OVERRIDES = {
    "add": elementwise_numba.add,
    "matmul": linalg.matmul,
    "im2col": conv_numba.im2col,
    "col2im": conv_numba.col2im,
    "conv2d_forward": conv_dispatch.conv2d_forward,
    "conv2d_backward_data": conv_dispatch.conv2d_backward_data,
    "conv2d_backward_weight": conv_dispatch.conv2d_backward_weight,
    "batchnorm_forward_train": batchnorm_numba.batchnorm_forward_train,
    "batchnorm_forward_eval": batchnorm_numba.batchnorm_forward_eval,
    "batchnorm_backward": batchnorm_numba.batchnorm_backward,
    "relu_forward": elementwise_numba.relu_forward,
    "relu_backward": elementwise_numba.relu_backward,
    "maxpool2d_forward": pool_numba.maxpool2d_forward,
    "maxpool2d_backward": pool_numba.maxpool2d_backward,
    "avgpool2d_forward": pool_numba.avgpool2d_forward,
    "avgpool2d_backward": pool_numba.avgpool2d_backward,
    "sgd_step_": optim_numba.sgd_step_,
}

TABLE = {**REFERENCE, **NUMBA_OVERRIDES}
