"""Module backward hooks, shaped like PyTorch's register_full_backward_hook / _pre_hook.

tinyres has tensor hooks only, so a module's backward hooks are built from them: the module's
tensor inputs and outputs are routed through identity nodes (tinyres.ops.identity) whose tensor
hooks see the gradients. A "gate" makes one callback see all the gradients of a group of
tensors (all the outputs, or all the inputs) at once, before any of them flows further back, and
lets it replace them:

    one tensor:    x -> Identity -> w                 hook on w sees and may replace dL/dw
    n tensors:     x_i -> Identity -> v_i -> Pick(v_1..v_n, i) -> w_i

Every v_j feeds every Pick, so the backward pass (reverse topological order) visits every w_i
before any v_j. Hooks on the w_i record the gradients; the first hook on a v_j calls the
callback with all of them, and each v_j's hook hands back its replacement.

As in PyTorch: grad_input has one entry per positional argument (None for non-tensors and, when
no input needs a gradient, for all: the hook then fires once the output gradients are known);
a tensor argument that got no gradient while another did gets zeros; forward hooks see the
routed inputs. One difference: a None that a hook returns for a tensor becomes a zero gradient
here, where PyTorch sends no gradient at all (the leaf's .grad stays None there).
"""
from ..creation import zeros_like
from ..dtypes import is_float
from ..grad_mode import is_grad_enabled
from ..ops.identity import IdentityFunction, PickFunction
from ..tensor import Tensor


def gate(values, on_grads):
    """values: list (Tensors and anything else); on_grads(grads) -> None or replacements, both
    lists aligned with values (None where no gradient). Returns values with the Tensors that
    require grad replaced by identity nodes that call on_grads once per backward pass."""
    slots = [i for i, v in enumerate(values) if isinstance(v, Tensor) and v.requires_grad]
    if not slots or not is_grad_enabled():
        return list(values), False
    state = _GateState(values, slots, on_grads)
    out = list(values)
    if len(slots) == 1:
        (i,) = slots
        out[i] = IdentityFunction.apply(values[i])
        out[i].register_hook(state.single)
        return out, True
    firsts = [IdentityFunction.apply(values[i]) for i in slots]
    for j, (i, first) in enumerate(zip(slots, firsts)):
        out[i] = PickFunction.apply(*firsts, index=j)
        out[i].register_hook(state.recorder(i))
        first.register_hook(state.releaser(i))
    return out, True


class _GateState:
    """The gradients seen so far in this backward pass, and the callback's answer."""

    def __init__(self, values, slots, on_grads):
        self.size, self.slots, self.on_grads = len(values), slots, on_grads
        self.tensors = {i: values[i] for i in slots}  # for zero replacements
        self.grads, self.answer, self.pending = [None] * self.size, None, False

    def single(self, grad):
        (i,) = self.slots
        grads = [None] * self.size
        grads[i] = grad
        return self._replacement(self.on_grads(grads), i)

    def recorder(self, i):
        def record(grad):
            self.grads[i], self.pending = grad, True
        return record

    def releaser(self, i):
        def release(grad):
            if self.pending:  # the first input visited in this pass: all the outputs are in
                self.answer = self.on_grads(list(self.grads))
                self.grads, self.pending = [None] * self.size, False
            return self._replacement(self.answer, i)
        return release

    def _replacement(self, answer, i):
        if answer is None:
            return None
        if len(answer) != self.size:
            raise ValueError(f"a backward hook returned {len(answer)} gradients, expected"
                             f" {self.size} (one per positional argument or output)")
        # None for a tensor means "no gradient", as in PyTorch (here: zeros)
        return zeros_like(self.tensors[i]) if answer[i] is None else answer[i]


class BackwardHookCall:
    """The backward hooks of one call of a module: wraps its inputs and outputs (PyTorch's
    torch.utils.hooks.BackwardHook, built on tensor hooks)."""

    def __init__(self, module, hooks, pre_hooks):
        self.module, self.hooks, self.pre_hooks = module, list(hooks), list(pre_hooks)
        self.grad_outputs, self.inputs, self.inputs_gated = None, (), False

    def setup_inputs(self, args):
        """args (the positional arguments) -> the same with their tensors behind a gate."""
        self.inputs = args
        if not self.hooks:
            return args
        gated, self.inputs_gated = gate(list(args), self._on_grad_inputs)
        return tuple(gated)

    def setup_outputs(self, output):
        """The module's output (a Tensor or a tuple) -> the same behind a gate."""
        outputs = output if isinstance(output, tuple) else (output,)
        gated, _ = gate(list(outputs), self._on_grad_outputs)
        return tuple(gated) if isinstance(output, tuple) else gated[0]

    def _on_grad_outputs(self, grads):
        """All output gradients are known: run the pre-hooks, which may replace them."""
        grad_output = tuple(grads)
        for hook in self.pre_hooks:
            replaced = hook(self.module, grad_output)
            if replaced is not None:
                grad_output = _as_tuple(replaced, len(grad_output), "backward pre-hook")
        self.grad_outputs = grad_output
        if self.hooks and not self.inputs_gated:  # no input needs a gradient: fire now
            for hook in self.hooks:
                hook(self.module, (None,) * len(self.inputs), grad_output)
            self.grad_outputs = None
        return list(grad_output)

    def _on_grad_inputs(self, grads):
        """All input gradients are known: run the full backward hooks (PyTorch's order)."""
        if self.grad_outputs is None:  # the gradient reached the inputs around the outputs
            return None
        # every tensor argument gets a gradient, zeros where none arrived (as PyTorch)
        grad_input = tuple(zeros_like(x) if g is None and _is_float_tensor(x) else g
                           for g, x in zip(grads, self.inputs))
        for hook in self.hooks:
            replaced = hook(self.module, grad_input, self.grad_outputs)
            if replaced is not None:
                grad_input = _as_tuple(replaced, len(grad_input), "full backward hook")
        self.grad_outputs = None
        return list(grad_input)


def _is_float_tensor(value):
    return isinstance(value, Tensor) and is_float(value.dtype)


def _as_tuple(value, size, what):
    value = (value,) if isinstance(value, Tensor) else tuple(value)
    if len(value) != size:
        raise ValueError(f"a {what} returned {len(value)} gradients, expected {size}")
    return value
