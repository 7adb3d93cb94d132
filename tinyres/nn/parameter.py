"""Parameter: a leaf Tensor that a Module registers as learnable (requires_grad=True)."""
from ..tensor import Tensor


class Parameter(Tensor):
    """Parameter(tensor) -> a learnable leaf sharing the tensor's data."""

    def __init__(self, data, requires_grad=True):
        if isinstance(data, Tensor):
            self._init(data.data, data.backend, requires_grad, None)
        else:
            super().__init__(data, requires_grad=requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()
