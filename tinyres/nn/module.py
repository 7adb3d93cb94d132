"""Module: the base of every layer and model, shaped like torch.nn.Module.

The idea, in a dozen lines: a model is a tree of attributes. Assigning a Parameter or a Module
to an attribute records it in a table, in order; everything else walks that tree.

    class Block(Module):
        def __init__(self):
            super().__init__()
            self.conv = Conv2d(3, 3, 3, padding=1)   # recorded in self._modules["conv"]
            self.scale = Parameter(ones(3))           # recorded in self._parameters["scale"]

        def forward(self, x):                        # called by block(x), between the hooks
            return self.conv(x) + x

    block.named_parameters()   # conv.weight, conv.bias, scale: the tree, depth first
    block.state_dict()         # the same names -> values, PyTorch's keys in PyTorch's order
    block.to("cuda"), block.eval()                   # the same walk, each tensor or module

Assigning a Parameter or a Module to an attribute registers it (in assignment order, which is
the order of state_dict()); register_buffer() adds non-learnable state such as BN's running
statistics. Parameters and buffers are named by their attribute path: 'layer1.0.conv1.weight'.
"""
from collections import OrderedDict, namedtuple

from ..dtypes import is_float, resolve
from ..tensor import Tensor
from ..hooks import HookHandle
from .backward_hooks import BackwardHookCall
from .parameter import Parameter
from .state import load_into

IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class Module:
    """Base class: subclasses set attributes in __init__ and write forward()."""

    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_forward_pre_hooks", [])
        object.__setattr__(self, "_forward_hooks", [])
        object.__setattr__(self, "_backward_hooks", [])
        object.__setattr__(self, "_backward_pre_hooks", [])
        object.__setattr__(self, "training", True)

    # --- registration ---------------------------------------------------------------------------
    def __setattr__(self, name, value):
        params, modules, buffers = (self.__dict__.get(t) for t in
                                    ("_parameters", "_modules", "_buffers"))
        if params is None:
            raise AttributeError(f"call Module.__init__() before assigning {name!r}")
        if isinstance(value, Parameter):
            _discard(name, modules, buffers, self.__dict__)
            params[name] = value
        elif isinstance(value, Module):
            _discard(name, params, buffers, self.__dict__)
            modules[name] = value
        elif name in params or name in modules:
            if value is not None:
                kind = "parameter" if name in params else "submodule"
                raise TypeError(f"cannot assign {type(value).__name__} to {kind} {name!r}"
                                " (a Parameter, a Module or None is expected)")
            (params if name in params else modules)[name] = None
        elif name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign {type(value).__name__} to buffer {name!r}"
                                " (a Tensor or None is expected)")
            buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name):
        for table in ("_parameters", "_buffers", "_modules"):
            entries = self.__dict__.get(table)
            if entries is not None and name in entries:
                return entries[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def register_buffer(self, name, tensor):
        """Non-learnable state saved in state_dict (e.g. running_mean); tensor or None."""
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"register_buffer: '{name}' must be a Tensor or None, got"
                            f" {type(tensor).__name__}")
        self.__dict__.pop(name, None)
        self._buffers[name] = tensor

    def register_parameter(self, name, param):
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter: '{name}' must be a Parameter or None")
        self._parameters[name] = param

    # --- traversal ------------------------------------------------------------------------------
    def named_modules(self, prefix=""):
        """(name, module) for self and every descendant, depth first, each module once."""
        seen, stack = set(), [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            children = [(f"{name}.{n}" if name else n, m)
                        for n, m in module._modules.items() if m is not None]
            stack.extend(reversed(children))

    def modules(self):
        return (m for _, m in self.named_modules())

    def named_children(self):
        return ((n, m) for n, m in self._modules.items() if m is not None)

    def children(self):
        return (m for _, m in self.named_children())

    def _named_members(self, table):
        seen = set()
        for prefix, module in self.named_modules():
            for name, value in getattr(module, table).items():
                if value is None or id(value) in seen:
                    continue
                seen.add(id(value))
                yield (f"{prefix}.{name}" if prefix else name), value

    def named_parameters(self):
        return self._named_members("_parameters")

    def parameters(self):
        return (p for _, p in self.named_parameters())

    def named_buffers(self):
        return self._named_members("_buffers")

    def buffers(self):
        return (b for _, b in self.named_buffers())

    def apply(self, fn):
        """fn(module) for every module, children first (like PyTorch)."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # --- modes and gradients ----------------------------------------------------------------------
    def train(self, mode=True):
        for module in self.modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self):
        return self.train(False)

    def zero_grad(self):
        for p in self.parameters():
            p.grad = None

    def requires_grad_(self, requires_grad=True):
        for p in self.parameters():
            p.requires_grad = requires_grad
        return self

    # --- state ------------------------------------------------------------------------------------
    def state_dict(self):
        """OrderedDict name -> detached Tensor: each module's parameters, then its buffers, then
        its children's (PyTorch's key order)."""
        return OrderedDict((name, t.detach()) for name, t in self._state_targets().items())

    def load_state_dict(self, state_dict, strict=True):
        """Copy values (numpy arrays or Tensors) into the parameters and buffers, in their own
        device and dtype. Everything is checked first; on any problem nothing changes."""
        missing, unexpected = load_into(self._state_targets(), state_dict, strict)
        return IncompatibleKeys(missing, unexpected)

    def _state_targets(self):
        targets = OrderedDict()
        for prefix, module in self.named_modules():
            dot = f"{prefix}." if prefix else ""
            for name, value in list(module._parameters.items()) + list(module._buffers.items()):
                if value is not None:
                    targets[dot + name] = value
        return targets

    # --- devices and dtypes -------------------------------------------------------------------------
    def to(self, device=None, dtype=None):
        """Move every parameter and buffer (in place, so optimizers keep their references) to a
        device, and floating ones to a dtype. Returns self."""
        dtype = None if dtype is None else resolve(dtype)
        for tensor in list(self.parameters()) + list(self.buffers()):
            tensor.move_(device, dtype if is_float(tensor.dtype) else None)  # drops .grad
        return self

    def double(self):
        return self.to(dtype="float64")

    def float(self):
        return self.to(dtype="float32")

    # --- calling --------------------------------------------------------------------------------------
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args, **kwargs):
        for hook in list(self._forward_pre_hooks):
            replaced = hook(self, args)
            if replaced is not None:
                args = replaced if isinstance(replaced, tuple) else (replaced,)
        backward = None
        if self._backward_hooks or self._backward_pre_hooks:
            backward = BackwardHookCall(self, self._backward_hooks, self._backward_pre_hooks)
            args = backward.setup_inputs(args)
        out = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks):
            replaced = hook(self, args, out)
            if replaced is not None:
                out = replaced
        return out if backward is None else backward.setup_outputs(out)

    def register_forward_pre_hook(self, hook):
        """hook(module, args) -> None or new args, before forward."""
        self._forward_pre_hooks.append(hook)
        return HookHandle(self._forward_pre_hooks, hook)

    def register_forward_hook(self, hook):
        """hook(module, args, output) -> None or a new output, after forward."""
        self._forward_hooks.append(hook)
        return HookHandle(self._forward_hooks, hook)

    def register_full_backward_hook(self, hook):
        """hook(module, grad_input, grad_output) -> None or a new grad_input, once the gradients
        of the module's inputs are known; tuples with one entry per positional argument (None
        where no gradient) and per output."""
        self._backward_hooks.append(hook)
        return HookHandle(self._backward_hooks, hook)

    def register_full_backward_pre_hook(self, hook):
        """hook(module, grad_output) -> None or a new grad_output, once the gradients of the
        module's outputs are known and before they flow into it."""
        self._backward_pre_hooks.append(hook)
        return HookHandle(self._backward_pre_hooks, hook)

    # --- printing -------------------------------------------------------------------------------------
    def extra_repr(self):
        return ""

    def __repr__(self):
        lines = [f"({name}): " + repr(m).replace("\n", "\n  ") for name, m in self.named_children()]
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not lines:
            return head + ")"
        return head + "\n  " + "\n  ".join(lines) + "\n)"


def _discard(name, *tables):
    for table in tables:
        table.pop(name, None)
