"""The differentiable ops: one module per family, each a Function plus a lowercase wrapper that
checks its arguments. They compute only through backend kernels (``self.k``)."""
from . import batchnorm, conv, elementwise, linear, loss, pool, reduce, shape  # noqa: F401
