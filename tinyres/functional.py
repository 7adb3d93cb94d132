"""tinyres.functional: the ops with torch.nn.functional's signatures (``import tinyres.functional
as F``), and tinyres's own two fused pairs (not in __all__, which holds torch's names):
batch_norm_relu = relu(batch_norm(...)) and add_relu = relu(add(a, b)), each in one pass."""
from .ops.batchnorm import batch_norm, batch_norm_relu  # noqa: F401 (batch_norm_relu: see above)
from .ops.conv import conv2d
from .ops.dropout import dropout
from .ops.elementwise import add, add_relu, relu  # noqa: F401 (add_relu: see above)
from .ops.linear import linear, matmul
from .ops.loss import cross_entropy, log_softmax
from .ops.pool import adaptive_avg_pool2d, avg_pool2d, max_pool2d
from .ops.shape import flatten, pad, permute, reshape, transpose

__all__ = [
    "adaptive_avg_pool2d", "add", "avg_pool2d", "batch_norm", "conv2d", "cross_entropy",
    "dropout", "flatten", "linear", "log_softmax", "matmul", "max_pool2d", "pad", "permute", "relu",
    "reshape", "transpose",
]
