"""The backward pass: walk the graph behind a tensor in reverse topological order.

Every tensor is visited after all the tensors computed from it, so by the time a tensor's
Function runs its backward, every contribution to the tensor's gradient (both paths of a skip
connection, say) has been summed. Gradients of intermediate tensors are dropped once consumed,
unless the tensor asked to keep them (retain_grad).

The graph is made of Nodes, not Tensors: a Function keeps the Nodes of its inputs, and a Node
keeps everything backward needs (grad_fn, hooks, shape) but only a weak reference to its Tensor.
So an intermediate array lives only as long as an op saved it or the user holds its Tensor (a
batch-norm output consumed by a ReLU is freed at once, as in PyTorch), not until backward.
"""
import weakref


class Node:
    """A tensor's place in the graph: its grad_fn, requires_grad, gradient hooks and
    retain_grad flag, and a weak reference to the Tensor (for .grad of leaves and retained)."""

    __slots__ = ("grad_fn", "requires_grad", "hooks", "retains_grad", "shape", "backend",
                 "_tensor")

    def __init__(self, tensor, requires_grad, grad_fn):
        self.grad_fn = grad_fn
        self.requires_grad = requires_grad
        self.hooks = []
        self.retains_grad = False
        self.shape = tuple(tensor.data.shape)
        self.backend = tensor._backend
        self._tensor = weakref.ref(tensor)

    def tensor(self):
        """The Tensor, or None once nobody holds it any more."""
        return self._tensor()

    def run_hooks(self, grad):
        """grad after every hook (a hook may return a replacement Tensor)."""
        from .tensor import Tensor
        tensor = self.tensor()
        backend = self.backend if tensor is None else tensor._backend
        for hook in list(self.hooks):
            result = hook(Tensor._from_array(grad, backend))
            if result is not None:
                if result.shape != self.shape or result.dtype != grad.dtype:
                    raise ValueError(
                        f"a hook returned a gradient of shape {result.shape} and dtype"
                        f" {result.dtype}, expected {self.shape} and {grad.dtype}"
                    )
                grad = result.data
        return grad


def tensor_id(node):
    """id() of a node's Tensor while someone holds it (to look up names keyed by id(tensor)),
    else a key that matches nothing."""
    tensor = node.tensor()
    return ("dead", id(node)) if tensor is None else id(tensor)


def topological_order(root):
    """Nodes (of root, a Tensor or a Node, and of the tensors it depends on that require grad),
    each after its inputs (iterative DFS, so ResNet-1202's thousands of nodes do not hit
    Python's recursion limit)."""
    order, seen = [], set()
    stack = [(getattr(root, "_node", root), False)]
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


def backward(root, grad=None, retain_graph=False):
    """Accumulate d(root)/d(leaf) into leaf.grad for every leaf that requires grad.

    root: Tensor that requires grad; grad: array-like or Tensor of root's shape (None for a
    one-element root, meaning 1). retain_graph=False frees each Function's saved arrays.
    """
    if not root.requires_grad:
        raise RuntimeError(
            "backward(): this tensor does not require grad and has no grad_fn; create an input"
            " with requires_grad=True (and not inside no_grad) to get gradients"
        )
    grads = {id(root._node): _seed_gradient(root, grad)}
    for node in reversed(topological_order(root)):
        g = grads.pop(id(node), None)
        if g is None:
            continue
        g = node.run_hooks(g)
        if node.grad_fn is None or node.retains_grad:
            tensor = node.tensor()
            if tensor is not None:  # else nobody can read its .grad any more
                tensor._accumulate_grad(g)
        fn = node.grad_fn
        if fn is None:
            continue
        fn.check_not_freed()
        input_grads = fn.backward(g)
        if not retain_graph:
            fn.free()
        for parent, parent_grad in zip(fn.parents, input_grads):
            if parent is None or parent_grad is None or not parent.requires_grad:
                continue
            _check_gradient(fn, parent, parent_grad)
            previous = grads.get(id(parent))
            grads[id(parent)] = parent_grad if previous is None else fn.k.add(previous, parent_grad)


def _seed_gradient(root, grad):
    k = root._backend
    if grad is None:
        if root.numel() != 1:
            raise RuntimeError(
                f"backward(): grad can be implied only for a one-element output, got shape"
                f" {root.shape}; pass grad= of that shape (or reduce with .sum() first)"
            )
        return k.ones(root.shape, root.dtype)
    data = grad.data if hasattr(grad, "grad_fn") else k.asarray(grad, root.dtype)
    if tuple(data.shape) != root.shape or data.dtype != root.dtype:
        raise ValueError(
            f"backward(): argument 'grad' must have shape {root.shape} and dtype {root.dtype},"
            f" got shape {tuple(data.shape)} and dtype {data.dtype}"
        )
    if hasattr(grad, "grad_fn") and grad.device != root.device:
        raise ValueError(
            f"backward(): argument 'grad' must be on {root.device}, got {grad.device}"
        )
    return data


def _check_gradient(fn, parent, grad):
    """A backward that returns a wrongly shaped gradient is a bug in that op: say which."""
    if tuple(grad.shape) != parent.shape:
        raise RuntimeError(
            f"{fn.name}.backward returned a gradient of shape {tuple(grad.shape)} for an input"
            f" of shape {parent.shape}"
        )
