"""Function: one differentiable op, its forward and backward written side by side.

A subclass (named after its op with the suffix Function: AddFunction, Conv2dFunction, so that
it never shares a name with the nn layer of the same op) writes
``forward(self, *arrays, **params) -> array`` and
``backward(self, grad_output) -> tuple`` (one gradient or None per tensor input) against the
backend ``self.k``; it never imports an array library. ``Op.apply(*tensors, **params)`` runs it
and, when a gradient is wanted, records the Function as the output's ``grad_fn``.

Gradients are never written in place: backward may hand the same array to several inputs.

An op whose backward is itself differentiable (for second derivatives) sets
``supports_double_backward = True`` and also writes ``tensor_backward(self, grad_output)``: the
same formula with Tensor ops, which backward(create_graph=True) runs so that it is recorded.
"""
from . import grad_mode
from .backend import get_backend

# Functions make Tensors, but cannot import tinyres.tensor: Tensor's methods call the ops, which
# are Functions. So tensor.py hands its class over when it is imported (register_tensor_type,
# its last line), and the modules below it (this one, autograd, the ops) make and recognise
# Tensors through wrap() and is_tensor(). Each module then imports only modules below it.
_tensor_type = None


def register_tensor_type(cls):
    """Called once by tinyres.tensor with the Tensor class."""
    global _tensor_type
    _tensor_type = cls


def is_tensor(value):
    """isinstance(value, tinyres.Tensor), for the modules below tinyres.tensor."""
    return isinstance(value, _tensor_type)


def wrap(array, backend, requires_grad=False, grad_fn=None):
    """Tensor.from_array, for the modules below tinyres.tensor: array itself (no copy) as a
    Tensor of backend's device."""
    return _tensor_type.from_array(array, backend, requires_grad, grad_fn)


class GraphFreedError(RuntimeError):
    """Backward reached a Function whose saved arrays were freed by an earlier backward."""


class Function:
    """Base class of every op. Attributes: k (Backend), needs_input_grad, parents (the inputs'
    autograd Nodes, None for an absent input)."""

    def __init__(self, backend, needs_input_grad):
        self.k = backend  # the kernel set current at forward; backward uses the same
        self.needs_input_grad = needs_input_grad  # one bool per tensor input
        self.parents = ()
        self.output_backend = backend  # a device move sets another
        self._saved = ()
        self._freed = False

    @property
    def name(self):
        """The op's name: the class name without its Function suffix ('Add', 'Conv2d')."""
        return op_name(type(self))

    supports_double_backward = False  # True: tensor_backward is written too

    # --- to be written by each op ---------------------------------------------------------------
    def forward(self, *arrays, **params):
        raise NotImplementedError

    def backward(self, grad_output):
        raise NotImplementedError

    def tensor_backward(self, grad_output):
        """backward in Tensor ops (grad_output a Tensor, results Tensors or None), so that the
        gradient is itself recorded in the graph; only for supports_double_backward ops."""
        raise NotImplementedError

    # --- Tensors for tensor_backward -------------------------------------------------------------
    def input_tensor(self, index, array):
        """Input `index` as a Tensor holding `array` (its saved values) at the input's own place
        in the graph, so a tensor_backward that uses it is differentiated w.r.t. that input."""
        return _tensor_type._from_node(array, self.parents[index], self.k)

    def constant(self, array):
        """array as a Tensor outside the graph (a mask, say), on this op's device."""
        return wrap(array, self.k)

    # --- saved state ----------------------------------------------------------------------------
    def save_for_backward(self, *arrays):
        self._saved = arrays

    @property
    def saved(self):
        """The arrays given to save_for_backward."""
        self.check_not_freed()
        return self._saved

    def check_not_freed(self):
        if self._freed:
            raise GraphFreedError(
                f"{self.name}: trying to backward through the graph a second time; its saved"
                " arrays were freed by the first backward(). Pass retain_graph=True to the first"
                " backward() to keep them."
            )

    def free(self):
        """Drop saved arrays and per-op state; a later backward through here raises."""
        self._saved = ()
        self._freed = True

    # --- running ----------------------------------------------------------------------------------
    @classmethod
    def apply(cls, *inputs, **params):
        """Run forward on the inputs' arrays; record the graph when some input requires grad.

        inputs: Tensors (or None for an absent optional tensor such as a bias), all on one
        device with one dtype. params: anything else (ints, tuples, arrays that are constants).
        """
        tensors = [t for t in inputs if t is not None]
        backend = _common_backend(op_name(cls), tensors)
        needs = tuple(t is not None and t.requires_grad for t in inputs)
        record = any(needs) and grad_mode.is_grad_enabled()
        fn = cls(backend, needs)
        data = fn.forward(*[None if t is None else t.data for t in inputs], **params)
        if not record:
            return wrap(data, fn.output_backend)
        fn.parents = tuple(None if t is None else t._node for t in inputs)  # no data kept
        return wrap(data, fn.output_backend, requires_grad=True, grad_fn=fn)


def double_backward_ops():
    """Sorted names of tinyres's ops (Function classes) that set supports_double_backward."""
    found, stack = set(), [Function]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls.supports_double_backward and cls.__module__.startswith("tinyres.ops."):
            found.add(op_name(cls))
    return sorted(found - {"_Binary"})  # _BinaryFunction, the base of Add, Sub, Mul, Div


def op_name(cls):
    """A Function class's op name: AddFunction -> 'Add' (a class of another name: itself)."""
    name = cls.__name__
    return name[:-len("Function")] if name.endswith("Function") and name != "Function" else name


def _common_backend(op, tensors):
    """The Backend of the inputs' one device in the current kernel set (use_kernels); mixed
    devices or dtypes are the caller's bug."""
    first = tensors[0]
    for t in tensors[1:]:
        if t.device != first.device:
            raise ValueError(
                f"{op}: all tensors must be on one device, got {first.device} and {t.device};"
                " move them with .to(device)"
            )
        if t.dtype != first.dtype:
            raise TypeError(
                f"{op}: all tensors must have one dtype, got {first.dtype} and {t.dtype};"
                " convert with .to(dtype)"
            )
    return get_backend(first.device)
