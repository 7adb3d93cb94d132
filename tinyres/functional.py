"""tinyres.functional: the ops with torch.nn.functional's signatures (``import tinyres.functional
as F``)."""
from .ops.batchnorm import batch_norm
from .ops.conv import conv2d
from .ops.dropout import dropout
from .ops.elementwise import add, relu
from .ops.linear import linear, matmul
from .ops.loss import cross_entropy, log_softmax
from .ops.pool import adaptive_avg_pool2d, avg_pool2d, max_pool2d
from .ops.shape import flatten, pad, permute, reshape, transpose

__all__ = [
    "adaptive_avg_pool2d", "add", "avg_pool2d", "batch_norm", "conv2d", "cross_entropy",
    "dropout", "flatten", "linear", "log_softmax", "matmul", "max_pool2d", "pad", "permute", "relu",
    "reshape", "transpose",
]
