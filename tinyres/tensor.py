"""Tensor: an array on a device, plus what autograd needs (requires_grad, grad, grad_fn).

``tensor.data`` is the backend's array (numpy.ndarray on the cpu, cupy.ndarray on cuda) and
``tensor.backend`` the kernel table of its device. Every method that computes goes through an op
in tinyres.ops, so it is differentiable and device-blind. Code outside this file changes a
tensor's values in place only through set_data_() and move_().

Tensor's methods call the ops; the ops are Functions, which make Tensors. So this module imports
the ops and hands its class to tinyres.function (the last line), never the other way round.
"""
import copy

import numpy as np

from . import autograd, dtypes, function, ops
from .backend import get_backend, move, normalize_device
from .convert import as_operand, device_of, operands, shape_args, to_array
from .hooks import HookHandle


class Tensor:
    """An n-dimensional array that can record the ops applied to it and backpropagate."""

    __array_ufunc__ = None  # numpy_array * tensor -> Tensor.__rmul__, not an object array

    def __init__(self, data, requires_grad=False, dtype=None, device=None):
        """Like tinyres.tensor(): copy data (list, number, ndarray, Tensor) onto a device."""
        if isinstance(data, Tensor):  # on its own device already: no round trip through the host
            backend = get_backend(data.device if device is None else device)
            data = data.data if data.backend is backend else data.numpy()
        else:
            backend = get_backend(device_of(data) if device is None else device)
        self._init(to_array(data, dtype, backend, copy=True), backend, requires_grad, None)

    def _init(self, array, backend, requires_grad, grad_fn):
        if requires_grad and not dtypes.is_float(array.dtype):
            raise TypeError(
                f"requires_grad=True needs a floating dtype (float32 or float64), got {array.dtype}"
            )
        self.data = array
        self._backend = backend
        self._node = autograd.Node(self, bool(requires_grad), grad_fn)
        self.grad = None

    @classmethod
    def from_array(cls, array, backend, requires_grad=False, grad_fn=None):
        """A tensor holding `array` itself (no copy), an array of `backend`'s device: how ops,
        the creation functions and data loaders make tensors. grad_fn: the Function that
        computed it (set by Function.apply; None for a leaf)."""
        tensor = cls.__new__(cls)
        tensor._init(array, backend, requires_grad, grad_fn)
        return tensor

    @classmethod
    def _from_node(cls, array, node, backend):
        """A second Tensor at an existing place of the graph (an op's saved input, for
        Function.input_tensor): gradients through it reach that node."""
        tensor = cls.__new__(cls)
        tensor.data, tensor._backend, tensor._node, tensor.grad = array, backend, node, None
        return tensor

    # --- description ------------------------------------------------------------------------------
    @property
    def shape(self):
        return tuple(self.data.shape)

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def backend(self):
        """The Backend (kernel table) of this tensor's device that its array belongs to."""
        return self._backend

    @property
    def device(self):
        return self._backend.name

    @property
    def ndim(self):
        return len(self.data.shape)

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def requires_grad(self):
        return self._node.requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        self._node.requires_grad = bool(value)

    @property
    def grad_fn(self):
        """The Function that computed this tensor (None for a leaf)."""
        return self._node.grad_fn

    def numel(self):
        return int(np.prod(self.shape, dtype=np.int64))

    def size(self, dim=None):
        return self.shape if dim is None else self.shape[dim]

    def __len__(self):
        if not self.shape:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __repr__(self):
        grad = ", requires_grad=True" if self.requires_grad else ""
        device = "" if self.device == "cpu" else f", device='{self.device}'"
        values = np.array2string(self.numpy(), separator=", ", prefix="tensor(")
        return f"tensor({values}, dtype={self.dtype.name}{device}{grad})"

    # --- changing the values in place (autograd does not see it) ---------------------------------
    def set_data_(self, array):
        """Hold `array` from now on instead of the old values, without a copy: an array of this
        tensor's shape, dtype and device (e.g. made by self.backend). Whoever holds the tensor
        (a module, an optimizer) sees the new values. Returns self."""
        if tuple(array.shape) != self.shape or array.dtype != self.dtype:
            raise ValueError(f"set_data_: the array must have shape {self.shape} and dtype"
                             f" {self.dtype}, got {tuple(array.shape)} and {array.dtype}")
        if hasattr(array, "__cuda_array_interface__") != hasattr(self.data,
                                                                 "__cuda_array_interface__"):
            raise ValueError(f"set_data_: the array must be in the memory of {self.device},"
                             f" got a {type(array).__name__}")
        self.data = array
        return self

    def move_(self, device=None, dtype=None):
        """In place: the values moved to device and/or converted to dtype, and the gradient
        (which would no longer fit) dropped; what Module.to does to every parameter and buffer,
        so that optimizers keep them. Returns self. tensor.to() is the differentiable copy."""
        if device is not None:
            target = get_backend(device)
            self.data, self._backend = move(self.data, self._backend, target), target
        if dtype is not None:
            self.data = self._backend.astype(self.data, dtypes.resolve(dtype))
        self.grad = None
        return self

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
        """A new leaf tensor holding a copy of data, in this tensor's dtype and on its device
        unless told otherwise (torch.Tensor.new_tensor)."""
        return Tensor(data, requires_grad, self.dtype if dtype is None else dtype,
                      self.device if device is None else device)

    # --- leaving the graph or the device ------------------------------------------------------------
    def numpy(self):
        """The values as a numpy.ndarray (shares memory on the cpu)."""
        return self._backend.to_host(self.data)

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self.numel() != 1:
            raise ValueError(f"item() needs a one-element tensor, got shape {self.shape}")
        return self.numpy().reshape(()).item()

    def tolist(self):
        return self.numpy().tolist()

    def detach(self):
        """The same data, cut from the graph (requires_grad=False)."""
        return Tensor.from_array(self.data, self._backend)

    def __deepcopy__(self, memo):
        """copy.deepcopy (of a model, say): a new leaf with copies of the data and .grad, the
        same requires_grad, class and gradient hooks; backward through the copy fills the
        copy's .grad (a plain deepcopy would keep the graph node, whose weak reference names
        the original). Like PyTorch, only leaves can be copied: a computed tensor's copy would
        have no graph to differentiate (copy .detach() instead)."""
        if not self.is_leaf:
            raise RuntimeError("deepcopy: only leaf tensors (made by the user, not computed by"
                               " an op) can be deep-copied; deep-copy t.detach() instead")
        new = type(self).__new__(type(self))
        memo[id(self)] = new
        new._init(self._backend.copy(self.data), self._backend, self.requires_grad, None)
        new._node.hooks = list(self._node.hooks)
        new.grad = copy.deepcopy(self.grad, memo)
        for name, value in self.__dict__.items():  # a subclass's own attributes
            if name not in new.__dict__:
                setattr(new, name, copy.deepcopy(value, memo))
        return new

    def to(self, device=None, dtype=None):
        """A copy on another device and/or dtype (self when nothing changes); differentiable."""
        out = self
        if device is not None and normalize_device(device) != self.device:
            out = ops.shape.ToDeviceFunction.apply(out, target=get_backend(device))
        if dtype is not None and dtypes.resolve(dtype) != out.dtype:
            out = ops.shape.CastFunction.apply(out, dtype=dtypes.resolve(dtype))
        return out

    def cpu(self):
        return self.to("cpu")

    def cuda(self):
        return self.to("cuda")

    def float(self):
        return self.to(dtype=dtypes.float32)

    def double(self):
        return self.to(dtype=dtypes.float64)

    # --- autograd -----------------------------------------------------------------------------------
    def backward(self, grad=None, retain_graph=None, create_graph=False):
        """Accumulate gradients into the .grad of every leaf this tensor depends on;
        create_graph=True records them too, for second derivatives (see autograd.backward)."""
        autograd.backward(self, grad, retain_graph, create_graph)

    def register_hook(self, hook):
        """hook(grad: Tensor) -> Tensor or None, called when this tensor's gradient is complete;
        a returned Tensor replaces the gradient. Returns a handle with .remove()."""
        if not self.requires_grad:
            raise RuntimeError("register_hook(): this tensor does not require grad")
        self._node.hooks.append(hook)
        return HookHandle(self._node.hooks, hook)

    def retain_grad(self):
        """Keep this non-leaf tensor's gradient in .grad after backward."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad(): this tensor does not require grad")
        self._node.retains_grad = True

    @property
    def retains_grad(self):
        """Whether this non-leaf tensor keeps its .grad (False for leaves, as in PyTorch)."""
        return self._node.retains_grad and not self.is_leaf

    def _accumulate_grad(self, grad):
        if isinstance(grad, Tensor):  # create_graph: keep the gradient's graph, never in place
            self.grad = grad if self.grad is None else self.grad + grad
        elif self.grad is None:
            self.grad = Tensor.from_array(grad, self._backend)
        else:
            self.grad.data = self._backend.add(self.grad.data, grad)

    # --- arithmetic (PyTorch broadcasting) ----------------------------------------------------------
    def __add__(self, other):
        return ops.elementwise.AddFunction.apply(*operands(self, other))

    def __radd__(self, other):
        return ops.elementwise.AddFunction.apply(*operands(other, self))

    def __sub__(self, other):
        return ops.elementwise.SubFunction.apply(*operands(self, other))

    def __rsub__(self, other):
        return ops.elementwise.SubFunction.apply(*operands(other, self))

    def __mul__(self, other):
        return ops.elementwise.MulFunction.apply(*operands(self, other))

    def __rmul__(self, other):
        return ops.elementwise.MulFunction.apply(*operands(other, self))

    def __truediv__(self, other):
        return ops.elementwise.DivFunction.apply(*operands(self, other))

    def __rtruediv__(self, other):
        return ops.elementwise.DivFunction.apply(*operands(other, self))

    def __neg__(self):
        return ops.elementwise.NegFunction.apply(self)

    def __pow__(self, exponent):
        if not isinstance(exponent, (int, float)) or isinstance(exponent, bool):
            raise TypeError(f"** needs a Python number exponent, got {type(exponent).__name__}")
        return ops.elementwise.PowScalarFunction.apply(self, exponent=exponent)

    def __matmul__(self, other):
        return ops.linear.matmul(self, other)

    def __rmatmul__(self, other):
        return ops.linear.matmul(as_operand(other, self), self)

    # --- reductions -----------------------------------------------------------------------------------
    def sum(self, axis=None, keepdims=False, *, dim=None):
        """Sum over axis (int, tuple or None for all); `dim` is accepted as PyTorch's name."""
        return ops.reduce.sum(self, axis if dim is None else dim, keepdims)

    def mean(self, axis=None, keepdims=False, *, dim=None):
        return ops.reduce.mean(self, axis if dim is None else dim, keepdims)

    # --- shapes ---------------------------------------------------------------------------------------
    def reshape(self, *shape):
        """A new shape of the same size (one entry may be -1): a view when the layout allows,
        else a copy."""
        return ops.shape.reshape(self, shape_args(shape))

    def view(self, *shape):
        """A new shape sharing this tensor's memory, or a ValueError (see ops.shape.view)."""
        return ops.shape.view(self, shape_args(shape))

    def permute(self, *dims):
        return ops.shape.permute(self, shape_args(dims))

    def transpose(self, dim0, dim1):
        return ops.shape.transpose(self, dim0, dim1)

    @property
    def T(self):  # noqa: N802 - NumPy's and PyTorch's name
        return self.permute(*reversed(range(self.ndim)))

    def flatten(self, start_dim=0, end_dim=-1):
        return ops.shape.flatten(self, start_dim, end_dim)

    def __getitem__(self, index):
        return ops.shape.getitem(self, index)

    def relu(self):
        return ops.elementwise.relu(self)


function.register_tensor_type(Tensor)  # see function.py: the layers below make Tensors
