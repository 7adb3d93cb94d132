"""Gradient checks: analytic gradients from backward() against float64 central differences.

gradcheck checks tinyres code (ops, your own Functions, models), gradgradcheck second
derivatives, check_layer (gradcheck_layer.py) a layer written by hand in NumPy.

Like torch.autograd.gradcheck's fast mode, the outputs are projected on a fixed random direction
v, so one backward gives the analytic gradient of L = sum(v * outputs) for every input, and each
input element needs two evaluations of L: (L(x + eps) - L(x - eps)) / (2 eps).
"""
import numpy as np

from . import autograd
from .creation import zeros_like
from .grad_mode import enable_grad, no_grad
from .gradcheck_layer import LayerCheck, check_layer  # noqa: F401 - public here too
from .tensor import Tensor


class GradcheckError(AssertionError):
    """The analytic and numeric gradients differ by more than the tolerance."""


def gradcheck(func, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, *, elements=None, seed=0,
              names=None):
    """Check func's backward for every input that requires grad; True or GradcheckError.

    func(*inputs) -> Tensor or tuple of Tensors. Inputs that require grad must be float64.
    elements: check at most this many randomly chosen elements per input (None: all).
    names: optional names of the inputs for the error message.
    """
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    checked = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input requires grad, so there is nothing to check")
    for i in checked:
        if inputs[i].dtype != np.float64:
            raise TypeError(
                f"gradcheck: input {_label(i, names)} must be float64 for finite differences"
                f" to be accurate, got {inputs[i].dtype}; convert with .double()"
            )
    rng = np.random.default_rng(seed)
    directions = [rng.standard_normal(o.shape) for o in _outputs(func(*inputs))]

    def objective():
        with no_grad():
            outs = _outputs(func(*inputs))
        return sum(float(np.sum(o.numpy() * v)) for o, v in zip(outs, directions))

    analytic = analytic_gradients(func, inputs, checked, directions)
    for i in checked:
        size = inputs[i].numel()
        chosen = np.arange(size) if elements is None or elements >= size else np.sort(
            rng.choice(size, elements, replace=False))
        numeric = numeric_gradient(objective, inputs[i], chosen, eps)
        compare(_label(i, names), inputs[i].shape, chosen, analytic[i].ravel()[chosen],
                numeric, atol, rtol)
    return True


def analytic_gradients(func, inputs, checked, directions):
    """{input index: d sum(v * func(*inputs)) / d input} as numpy arrays, by one backward
    (tinyres.autograd.grad: no .grad is written)."""
    pairs = [(o, v) for o, v in zip(_outputs(func(*inputs)), directions) if o.requires_grad]
    grads = (None,) * len(checked)
    if pairs:
        grads = autograd.grad([o for o, _ in pairs], [inputs[i] for i in checked],
                              [Tensor(v, dtype=o.dtype, device=o.device) for o, v in pairs],
                              allow_unused=True)
    return {i: np.zeros(inputs[i].shape) if g is None else np.array(g.numpy(), np.float64)
            for i, g in zip(checked, grads)}


def numeric_gradient(objective, tensor, indices, eps):
    """Central differences of objective() w.r.t. tensor's flat elements at indices; the tensor
    is restored afterwards."""
    original = tensor.data
    backend = tensor.backend
    host = np.array(tensor.numpy(), dtype=np.float64)
    flat = host.reshape(-1)
    out = np.empty(len(indices))
    try:
        for n, j in enumerate(indices):
            value = flat[j]
            flat[j] = value + eps
            tensor.set_data_(backend.asarray(host, tensor.dtype))
            plus = objective()
            flat[j] = value - eps
            tensor.set_data_(backend.asarray(host, tensor.dtype))
            minus = objective()
            flat[j] = value
            out[n] = (plus - minus) / (2 * eps)
    finally:
        tensor.set_data_(original)
    return out


def compare(label, shape, indices, analytic, numeric, atol, rtol):
    """Raise GradcheckError naming the worst element when |a - n| > atol + rtol * |n|."""
    allowed = atol + rtol * np.abs(numeric)
    excess = np.abs(analytic - numeric) / allowed
    bad = int(np.sum(excess > 1))
    if bad:
        worst = int(np.argmax(excess))
        where = np.unravel_index(indices[worst], shape) if shape else ()
        raise GradcheckError(
            f"gradcheck: input {label} of shape {shape}: gradient wrong at element"
            f" {tuple(int(w) for w in where)}: numeric {numeric[worst]:.10g}, analytic"
            f" {analytic[worst]:.10g} (allowed difference {allowed[worst]:.3g});"
            f" {bad} of {len(indices)} checked elements differ"
        )


def gradgradcheck(func, inputs, grad_outputs=None, eps=1e-6, atol=1e-5, rtol=1e-3, *,
                  elements=None, seed=0, names=None):
    """Check func's second derivatives (torch.autograd.gradgradcheck); True or GradcheckError.

    The first-order gradients g(inputs, grad_outputs) = d sum(grad_outputs * func(*inputs)) /
    d inputs, taken with backward(create_graph=True), must equal the plain backward's, and their
    own gradients must match central differences (gradcheck of g over inputs and grad_outputs).
    grad_outputs: float64 Tensors like func's outputs (default: seeded random, requires_grad).
    Every op on the way must support double backward (tinyres.function.double_backward_ops()).
    """
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    names = list(names) if names else [str(i) for i in range(len(inputs))]
    outs = [o for o in _outputs(func(*inputs)) if o.requires_grad]
    if grad_outputs is None:
        rng = np.random.default_rng(seed + 1)
        grad_outputs = [Tensor(rng.standard_normal(o.shape), dtype=o.dtype, device=o.device,
                               requires_grad=True) for o in outs]
    grad_outputs = (grad_outputs,) if isinstance(grad_outputs, Tensor) else tuple(grad_outputs)
    wanted = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]

    def first_order(*args, create_graph=True):
        with enable_grad():  # gradcheck's finite differences run under no_grad
            outs = [o for o in _outputs(func(*args[:len(inputs)])) if o.requires_grad]
            grads = autograd.grad(outs, [args[i] for i in wanted], args[len(inputs):],
                                  create_graph=create_graph, allow_unused=True)
        return tuple(zeros_like(args[i]) if g is None else g for i, g in zip(wanted, grads))

    plain = first_order(*inputs, *grad_outputs, create_graph=False)
    recorded = first_order(*inputs, *grad_outputs)
    for i, a, b in zip(wanted, plain, recorded):
        _same_first_order(_label(i, names), a.numpy(), b.numpy(), atol, rtol)
    every = names + [f"grad_outputs[{j}]" for j in range(len(grad_outputs))]
    try:
        return gradcheck(first_order, inputs + grad_outputs, eps, atol, rtol, elements=elements,
                         seed=seed, names=every)
    except GradcheckError as error:
        raise GradcheckError("gradgradcheck: second derivatives wrong: the gradient of the"
                             " first-order gradient w.r.t. " + str(error)[len("gradcheck: "):]
                             ) from None


def _same_first_order(label, plain, recorded, atol, rtol):
    """tensor_backward (create_graph=True) and backward must give one first derivative."""
    bad = np.abs(recorded - plain) > atol + rtol * np.abs(plain)
    if np.any(bad):
        where = np.unravel_index(int(np.argmax(np.abs(recorded - plain))), plain.shape)
        raise GradcheckError(
            f"gradgradcheck: input {label}: the first derivative from backward(create_graph="
            f"True) differs from backward()'s at element {tuple(int(w) for w in where)}:"
            f" {recorded[where]:.10g} vs {plain[where]:.10g}; {int(bad.sum())} of {bad.size}"
            " elements differ (is tensor_backward the same formula as backward?)"
        )


def _outputs(result):
    outs = result if isinstance(result, (tuple, list)) else (result,)
    for out in outs:
        if not isinstance(out, Tensor):
            raise TypeError(f"gradcheck: func must return Tensors, got {type(out).__name__}")
    return tuple(outs)


def _label(i, names):
    return f"{i} ({names[i]!r})" if names else str(i)


# `import tinyres` makes tinyres.gradcheck this function (as torch.autograd.gradcheck is one),
# which hides the module; these keep tinyres.gradcheck.check_layer(...) working all the same
gradcheck.check_layer = check_layer
gradcheck.gradgradcheck = gradgradcheck
