"""The cpu backend's two kernel tables: REFERENCE, one short NumPy function per kernel (the
modules beside this file, one per op: conv.py, batchnorm.py, pool.py, elementwise.py, loss.py,
optim.py, and arrays.py for the plain array work), and TABLE, what tinyres uses by default: the
reference with the fast kernels of fast/ (Numba, OpenBLAS, Winograd, direct convolutions) in
place of the hot ones. Tests check that the two agree.

The fast kernels store image batches channel-major (see fast/layout.py): same (N, C, H, W)
shapes and values as the reference, other strides.
"""
from . import arrays, batchnorm, conv, elementwise, fast, loss, optim, pool

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
    "matmul": arrays.matmul,
    "sum": arrays.sum,
    "argmax": arrays.argmax,
    "equal": arrays.equal,
    "sum_to_shape": arrays.sum_to_shape,
    "expand": arrays.expand,
    "reshape": arrays.reshape,
    "transpose": arrays.transpose,
    "getitem": arrays.getitem,
    "getitem_backward": arrays.getitem_backward,
    "pad": arrays.pad,
    "conv2d_forward": conv.conv2d_forward,
    "conv2d_backward_data": conv.conv2d_backward_data,
    "conv2d_backward_weight": conv.conv2d_backward_weight,
    "batchnorm_forward_train": batchnorm.batchnorm_forward_train,
    "batchnorm_forward_eval": batchnorm.batchnorm_forward_eval,
    "batchnorm_backward": batchnorm.batchnorm_backward,
    "batchnorm_update_running_": batchnorm.batchnorm_update_running_,
    "relu_forward": elementwise.relu_forward,
    "relu_backward": elementwise.relu_backward,
    "add_relu": elementwise.add_relu,
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

TABLE = {**REFERENCE, **fast.FAST}
