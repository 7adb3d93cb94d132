"""Gradient check of a whole model: for every parameter (and the input), backward's gradient of
the cross-entropy loss against float64 central differences at a few sampled elements."""
import fnmatch

import numpy as np

from . import functional as F
from .gradcheck import numeric_gradient
from .grad_mode import no_grad


def matching(names, patterns):
    """The names that match any of the glob patterns ('layer1.0.*', 'fc.*'), in order."""
    return [n for n in names if any(fnmatch.fnmatchcase(n, p) for p in patterns)]


def check_model(model, x, y, elements=4, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0, only=None):
    """model and x in float64; y integer labels. Returns one dict per parameter (and 'input'):
    name, shape, checked, max_abs_error, worst_relative_error, ok, retried. only: a list of the
    names to check (default: all); the others cost nothing but the one backward.

    A deep net is not differentiable everywhere: a ReLU or max-pool input within eps of its kink
    flips sides between x + eps and x - eps, and that element's difference quotient is wrong
    although backward is right. With a few million such inputs behind a stem weight, that
    happens. So an element that disagrees is measured again with steps eps/10 and eps/100: when
    those two agree with each other (the function is smooth at that scale), they replace the
    first estimate ('retried' counts these); a wrong backward disagrees at every step."""
    def loss():
        return F.cross_entropy(model(x), y)

    def objective():
        with no_grad():
            return loss().item()

    model.zero_grad()
    x.grad = None
    loss().backward()
    rng = np.random.default_rng(seed)
    rows = []
    for name, tensor in [("input", x)] + list(model.named_parameters()):
        if only is not None and name not in only:
            continue
        size = tensor.numel()
        chosen = np.sort(rng.choice(size, min(elements, size), replace=False))
        analytic = tensor.grad.numpy().reshape(-1)[chosen].astype(np.float64)
        numeric, retried = _numeric(objective, tensor, chosen, analytic, eps, atol, rtol)
        error = np.abs(analytic - numeric)
        rows.append({
            "name": name, "shape": tensor.shape, "checked": len(chosen),
            "max_abs_error": float(error.max()),
            "worst_relative_error": float(np.max(error / np.maximum(np.abs(numeric), 1e-7))),
            "ok": bool(np.all(error <= atol + rtol * np.abs(numeric))), "retried": retried,
        })
    return rows


def _numeric(objective, tensor, chosen, analytic, eps, atol, rtol):
    """Central differences at chosen, with smaller steps where a kink may lie within eps (see
    check_model); returns (estimates, how many were replaced)."""
    numeric = numeric_gradient(objective, tensor, chosen, eps)
    off = np.abs(analytic - numeric) > atol + rtol * np.abs(numeric)
    if not off.any():
        return numeric, 0
    small = numeric_gradient(objective, tensor, chosen[off], eps / 10)
    smaller = numeric_gradient(objective, tensor, chosen[off], eps / 100)
    smooth = np.abs(small - smaller) <= atol + rtol * np.abs(smaller)
    replaced = numeric.copy()
    replaced[np.flatnonzero(off)[smooth]] = smaller[smooth]
    return replaced, int(smooth.sum())
