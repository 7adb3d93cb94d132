"""The backward pass: walk the graph behind a tensor in reverse topological order.

The idea, in a dozen lines (micrograd's; _walk below is this loop plus hooks and freeing):

    # each op's output remembers its grad_fn, and the grad_fn its inputs' nodes (parents)
    def backward(loss):
        order = topological_order(loss)          # each node after the nodes it was made from
        grads = {loss: 1}
        for node in reversed(order):             # each node after every node made from it,
            g = grads.pop(node)                  # so g is complete: every use has added its part
            if node.grad_fn is None:             # a leaf (a parameter, an input):
                node.tensor().grad += g          # .grad adds up over backward calls
                continue
            for parent, pg in zip(node.grad_fn.parents, node.grad_fn.backward(g)):
                grads[parent] = grads.get(parent, 0) + pg   # x used twice: two parts summed

Every tensor is visited after all the tensors computed from it, so by the time a tensor's
Function runs its backward, every contribution to the tensor's gradient (both paths of a skip
connection, say) has been summed. Gradients of intermediate tensors are dropped once consumed,
unless the tensor asked to keep them (retain_grad).

The graph is made of Nodes, not Tensors: a Function keeps the Nodes of its inputs, and a Node
keeps everything backward needs (grad_fn, hooks, shape) but only a weak reference to its Tensor.
So an intermediate array lives only as long as an op saved it or the user holds its Tensor (a
batch-norm output consumed by a ReLU is freed at once, as in PyTorch), not until backward.

Gradients are arrays, computed by each Function's backward. With create_graph=True they are
Tensors instead, computed by each Function's tensor_backward (the same formula in Tensor ops),
so the backward pass is itself recorded and can be differentiated: second derivatives.
"""
import contextlib
import weakref

from . import grad_mode
from .function import double_backward_ops, is_tensor, wrap


class Node:
    """A tensor's place in the graph: its grad_fn, requires_grad, gradient hooks and
    retain_grad flag, and a weak reference to the Tensor (for .grad of leaves and retained).
    No device: a gradient travels with the backend of the op that computed it."""

    __slots__ = ("grad_fn", "requires_grad", "hooks", "retains_grad", "shape", "_tensor")

    def __init__(self, tensor, requires_grad, grad_fn):
        self.grad_fn = grad_fn
        self.requires_grad = requires_grad
        self.hooks = []
        self.retains_grad = False
        self.shape = tuple(tensor.data.shape)
        self._tensor = weakref.ref(tensor)

    def tensor(self):
        """The Tensor, or None once nobody holds it any more."""
        return self._tensor()

    def run_hooks(self, grad, backend):
        """grad after every hook (a hook may return a replacement Tensor). grad is an array of
        backend's device, or a Tensor under create_graph, which hooks then see (and may replace)
        as it is."""
        graph = is_tensor(grad)
        for hook in list(self.hooks):
            result = hook(grad if graph else wrap(grad, backend))
            if result is not None:
                if result.shape != self.shape or result.dtype != grad.dtype:
                    raise ValueError(
                        f"a hook returned a gradient of shape {result.shape} and dtype"
                        f" {result.dtype}, expected {self.shape} and {grad.dtype}"
                    )
                grad = result if graph else result.data
        return grad


def tensor_id(node):
    """id() of a node's Tensor while someone holds it (to look up names keyed by id(tensor)),
    else a key that matches nothing."""
    tensor = node.tensor()
    return ("dead", id(node)) if tensor is None else id(tensor)


def topological_order(root):
    """Nodes (of root, a Tensor or a Node or a list of them, and of the tensors they depend on
    that require grad), each after its inputs (iterative DFS, so ResNet-1202's thousands of nodes
    do not hit Python's recursion limit)."""
    order, seen = [], set()
    roots = root if isinstance(root, (list, tuple)) else [root]
    stack = [(getattr(r, "_node", r), False) for r in roots]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        if node.grad_fn is not None:
            for parent in node.grad_fn.parents:
                if parent is not None and parent.requires_grad and id(parent) not in seen:
                    stack.append((parent, False))
    return order


def backward(root, grad=None, retain_graph=None, create_graph=False):
    """Accumulate d(root)/d(leaf) into leaf.grad for every leaf that requires grad.

    root: Tensor that requires grad; grad: array-like or Tensor of root's shape (None for a
    one-element root, meaning 1). retain_graph=False frees each Function's saved arrays
    (default: create_graph). create_graph=True computes the gradients with Tensor ops, so they
    carry a graph of their own and can be differentiated again (see Function.tensor_backward).
    """
    if not root.requires_grad:
        raise RuntimeError(
            "backward(): this tensor does not require grad and has no grad_fn; create an input"
            " with requires_grad=True (and not inside no_grad) to get gradients"
        )
    seed = _seed_gradient(root, grad, "grad", create_graph)
    _propagate([root], [seed], retain_graph, create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=False):
    """torch.autograd.grad: the gradients of sum_i <grad_outputs[i], outputs[i]> w.r.t. each
    input, as a tuple of Tensors (no .grad is written). outputs, inputs: a Tensor or a sequence;
    grad_outputs: None or one array-like/Tensor (None for a one-element output) per output."""
    outputs, inputs = _as_tuple(outputs), _as_tuple(inputs)
    grad_outputs = (None,) * len(outputs) if grad_outputs is None else _as_tuple(grad_outputs)
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"grad(): {len(outputs)} outputs but {len(grad_outputs)} grad_outputs")
    for what, tensors in (("outputs", outputs), ("inputs", inputs)):
        for i, t in enumerate(tensors):
            if not getattr(t, "requires_grad", False):
                raise RuntimeError(f"grad(): {what}[{i}] does not require grad")
    seeds = [_seed_gradient(o, g, f"grad_outputs[{i}]", create_graph)
             for i, (o, g) in enumerate(zip(outputs, grad_outputs))]
    found = _propagate(outputs, seeds, retain_graph, create_graph, {id(t._node) for t in inputs})
    result = []
    for i, t in enumerate(inputs):
        g = found.get(id(t._node))
        if g is None and not allow_unused:
            raise RuntimeError(f"grad(): inputs[{i}] was not used to compute the outputs; pass"
                               " allow_unused=True to get None for it")
        result.append(g if g is None or create_graph else _wrap(t, g))
    return tuple(result)


def _propagate(roots, seeds, retain_graph, create_graph, wanted=None):
    """Run every Function's backward from the roots down. wanted=None: accumulate into the .grad
    of leaves and retained tensors; else a set of node ids whose gradients are returned, by id,
    and no .grad is written. Gradients are arrays, or Tensors under create_graph."""
    retain_graph = create_graph if retain_graph is None else retain_graph
    grads = {}  # id(node) -> (its gradient so far, the backend of that gradient's device)
    for root, seed in zip(roots, seeds):
        previous = grads.get(id(root._node))
        grads[id(root._node)] = (seed if previous is None else previous[0] + seed, root.backend)
    with grad_mode.enable_grad() if create_graph else contextlib.nullcontext():
        return _walk(roots, grads, retain_graph, create_graph, wanted)


def _walk(roots, grads, retain_graph, create_graph, wanted):
    """The pass itself, in reverse topological order; see _propagate."""
    found = {}
    for node in reversed(topological_order(list(roots))):
        entry = grads.pop(id(node), None)
        if entry is None:
            continue
        g = node.run_hooks(*entry)
        if wanted is not None:
            if id(node) in wanted:
                found[id(node)] = g
        elif node.grad_fn is None or node.retains_grad:
            tensor = node.tensor()
            if tensor is not None:  # else nobody can read its .grad any more
                tensor._accumulate_grad(g)
        fn = node.grad_fn
        if fn is None:
            continue
        input_grads = _run_backward(fn, g, create_graph)
        if not retain_graph:
            fn.free()
        for parent, parent_grad in zip(fn.parents, input_grads):
            if parent is None or parent_grad is None or not parent.requires_grad:
                continue
            _check_gradient(fn, parent, parent_grad)
            previous = grads.get(id(parent))
            if previous is not None:
                parent_grad = (previous[0] + parent_grad if create_graph
                               else fn.k.add(previous[0], parent_grad))
            grads[id(parent)] = (parent_grad, fn.k)  # backward returns arrays of fn.k's device
    return found


def _run_backward(fn, g, create_graph):
    """fn's input gradients: by its array backward, or by its Tensor-level one (recorded)."""
    fn.check_not_freed()
    if not create_graph:
        return fn.backward(g)
    if not fn.supports_double_backward:
        raise RuntimeError(
            f"backward(create_graph=True): {fn.name} has no double backward (its backward"
            " computes on arrays, so it cannot be differentiated again). tinyres's ops that have"
            f" one: {', '.join(double_backward_ops())}; a Function of yours has one when it sets"
            " supports_double_backward = True and writes tensor_backward"
        )
    return fn.tensor_backward(g)


def _seed_gradient(root, grad, name, create_graph):
    """The gradient that starts the pass at root: an array, or under create_graph a Tensor (the
    caller's own, graph included, when grad is a Tensor)."""
    k = root.backend
    if grad is None:
        if root.numel() != 1:
            raise RuntimeError(
                f"backward(): {name} can be implied only for a one-element output, got shape"
                f" {root.shape}; pass {name}= of that shape (or reduce with .sum() first)"
            )
        data = k.ones(root.shape, root.dtype)
        return _wrap(root, data) if create_graph else data
    data = grad.data if is_tensor(grad) else k.asarray(grad, root.dtype)
    if tuple(data.shape) != root.shape or data.dtype != root.dtype:
        raise ValueError(
            f"backward(): argument '{name}' must have shape {root.shape} and dtype {root.dtype},"
            f" got shape {tuple(data.shape)} and dtype {data.dtype}"
        )
    if is_tensor(grad) and grad.device != root.device:
        raise ValueError(
            f"backward(): argument '{name}' must be on {root.device}, got {grad.device}"
        )
    if not create_graph:
        return data
    return grad if is_tensor(grad) else _wrap(root, data)


def _wrap(like, array):
    """array as a constant Tensor on like's device."""
    return wrap(array, like.backend)


def _as_tuple(value):
    return tuple(value) if isinstance(value, (list, tuple)) else (value,)


def _check_gradient(fn, parent, grad):
    """A backward that returns a wrongly shaped gradient is a bug in that op: say which."""
    if tuple(grad.shape) != parent.shape:
        raise RuntimeError(
            f"{fn.name}.backward returned a gradient of shape {tuple(grad.shape)} for an input"
            f" of shape {parent.shape}"
        )
