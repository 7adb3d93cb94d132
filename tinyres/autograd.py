"""The backward pass: walk the graph behind a tensor in reverse topological order.

Every tensor is visited after all the tensors computed from it, so by the time a tensor's
Function runs its backward, every contribution to the tensor's gradient (both paths of a skip
connection, say) has been summed. Gradients of intermediate tensors are dropped once consumed,
unless the tensor asked to keep them (retain_grad).
"""


def topological_order(root):
    """Tensors that root depends on and that require grad, each after its inputs (iterative DFS,
    so ResNet-1202's thousands of nodes do not hit Python's recursion limit)."""
    order, seen = [], set()
    stack = [(root, False)]
    while stack:
        tensor, inputs_done = stack.pop()
        if inputs_done:
            order.append(tensor)
            continue
        if id(tensor) in seen:
            continue
        seen.add(id(tensor))
        stack.append((tensor, True))
        if tensor.grad_fn is not None:
            for parent in tensor.grad_fn.parents:
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
    grads = {id(root): _seed_gradient(root, grad)}
    for tensor in reversed(topological_order(root)):
        g = grads.pop(id(tensor), None)
        if g is None:
            continue
        g = tensor._run_hooks(g)
        if tensor.grad_fn is None or tensor._retains_grad:
            tensor._accumulate_grad(g)
        fn = tensor.grad_fn
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
