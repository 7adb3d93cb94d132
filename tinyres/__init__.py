"""tinyres: a from-scratch deep-learning engine specialised to residual networks.

    import tinyres
    import tinyres.functional as F

    x = tinyres.randn(2, 3, requires_grad=True)
    y = F.add(F.relu(x), x)        # a skip connection: x is used twice
    y.sum().backward()             # x.grad = relu'(x) + 1
"""
from . import data, functional, io, models, nn, optim  # noqa: F401
from .backend import available_devices, default_device, get_backend, is_available  # noqa: F401
from .backend import current_kernels, use_kernels  # noqa: F401
from .creation import ones, ones_like, randn, tensor, zeros, zeros_like  # noqa: F401
from .dtypes import bool_, float32, float64, int32, int64, uint8  # noqa: F401
from .function import Function, GraphFreedError  # noqa: F401
from .grad_mode import enable_grad, is_grad_enabled, no_grad  # noqa: F401
from .gradcheck import GradcheckError, check_layer, gradcheck, gradgradcheck  # noqa: F401
from .io import load, save  # noqa: F401
from .random import manual_seed  # noqa: F401
from .summary import summary  # noqa: F401
from .tensor import Tensor  # noqa: F401

__version__ = "0.1.0"
