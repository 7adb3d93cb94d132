"""Gradient checks: analytic gradients from backward() against float64 central differences.

Like torch.autograd.gradcheck's fast mode, the outputs are projected on a fixed random direction
v, so one backward gives the analytic gradient of L = sum(v * outputs) for every input, and each
input element needs two evaluations of L: (L(x + eps) - L(x - eps)) / (2 eps).
"""
import numpy as np

from .grad_mode import no_grad
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
    """{input index: d sum(v * func(*inputs)) / d input} as numpy arrays, by one backward.
    The inputs' own .grad are left as they were."""
    kept = {i: inputs[i].grad for i in checked}
    for i in checked:
        inputs[i].grad = None
    outs = _outputs(func(*inputs))
    total = None
    for out, v in zip(outs, directions):
        if out.requires_grad:
            term = (out * Tensor(v, dtype=out.dtype, device=out.device)).sum()
            total = term if total is None else total + term
    if total is not None:
        total.backward()
    grads = {}
    for i in checked:
        g = inputs[i].grad
        grads[i] = np.zeros(inputs[i].shape) if g is None else np.array(g.numpy(), np.float64)
        inputs[i].grad = kept[i]
    return grads


def numeric_gradient(objective, tensor, indices, eps):
    """Central differences of objective() w.r.t. tensor's flat elements at indices; the tensor
    is restored afterwards."""
    original = tensor.data
    backend = tensor._backend
    host = np.array(tensor.numpy(), dtype=np.float64)
    flat = host.reshape(-1)
    out = np.empty(len(indices))
    try:
        for n, j in enumerate(indices):
            value = flat[j]
            flat[j] = value + eps
            tensor.data = backend.asarray(host, tensor.dtype)
            plus = objective()
            flat[j] = value - eps
            tensor.data = backend.asarray(host, tensor.dtype)
            minus = objective()
            flat[j] = value
            out[n] = (plus - minus) / (2 * eps)
    finally:
        tensor.data = original
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


def _outputs(result):
    outs = result if isinstance(result, (tuple, list)) else (result,)
    for out in outs:
        if not isinstance(out, Tensor):
            raise TypeError(f"gradcheck: func must return Tensors, got {type(out).__name__}")
    return tuple(outs)


def _label(i, names):
    return f"{i} ({names[i]!r})" if names else str(i)
