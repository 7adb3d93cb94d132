"""The cuda backend: CuPy arrays, hand-written CUDA kernels (the *.cu files beside this one,
compiled by NVRTC on first use for float32 and float64) and cuBLAS matrix products.

Importing this package does not import CuPy, so TABLE can be listed anywhere (a test checks its
names against tinyres.backend.KERNELS on machines without a GPU). ``load_table()`` is what
tinyres.backend calls: it raises DeviceUnavailableError saying what is missing, or returns TABLE.
"""
from . import arrays, batchnorm, conv, elementwise, loss, optim, pool, runtime

TABLE = {
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

# every .cu file and the kernel templates its .py instantiates (for the compile tests)
SOURCES = (batchnorm.SOURCE, conv.SOURCE, elementwise.SOURCE, loss.SOURCE, optim.SOURCE,
           pool.SOURCE)


def load_table():
    """The cuda kernel table, once CuPy, a GPU with its driver, and NVRTC are known to be here;
    otherwise DeviceUnavailableError saying which one is missing."""
    runtime.require_device()
    return TABLE
