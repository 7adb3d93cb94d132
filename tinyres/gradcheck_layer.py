"""check_layer: gradient check of a layer written by hand in NumPy, in CS231n's convention.

    out, cache = forward(x, w, b, **params)      # params: what is not differentiated
    dx, dw, db = backward(dout, cache)           # one gradient per input, in order

With a random dout (seeded), each returned gradient must equal the float64 central difference
sum((out(x + h) - out(x - h)) * dout) / 2h, per element of each input, exactly as CS231n's
eval_numerical_gradient_array computes it (h=1e-5; subtracting the outputs before summing keeps
the rounding error small).
The error of one gradient is CS231n's rel_error: the maximum over the elements of
|a - n| / max(1e-8, |a| + |n|). Optionally the pair is also compared with a tinyres op
(tinyres.gradcheck_reference): same forward output, same gradients.
"""
import inspect

import numpy as np

from .gradcheck_reference import run_reference


class Comparison:
    """One array against another: its name and shape, the rel error, the worst element's index
    and both values there, ok, and problem (why it could not be compared, else None)."""

    def __init__(self, name, shape, mine=None, other=None, tol=None, problem=None):
        self.name, self.shape, self.problem = name, tuple(shape), problem
        self.error = self.index = self.mine = self.other = None
        if problem is None:
            self.error, self.index = rel_error(mine, other)
            self.mine, self.other = float(mine[self.index]), float(other[self.index])
        self.ok = problem is None and self.error <= tol

    def row(self):
        """One line of the report."""
        head = f"  {self.name:<8} {str(self.shape):<15}"
        if self.problem:
            return f"{head} FAIL: {self.problem}"
        return (f"{head} {self.error:9.1e}  {str(self.index):<15} {self.mine:>12.6g}"
                f" {self.other:>12.6g}  {'ok' if self.ok else 'FAIL'}")


def _header(mine, other):
    return (f"  {'name':<8} {'shape':<15} {'rel error':>9}  {'worst at':<15} {mine:>12}"
            f" {other:>12}")


class LayerCheck:
    """check_layer's result: .ok, .gradients and .reference (lists of Comparison), .errors
    (name -> rel error); str() is the report."""

    def __init__(self, title, gradients, reference, reference_name, tol):
        self.title, self.gradients, self.tol = title, gradients, tol
        self.reference, self.reference_name = reference, reference_name

    @property
    def ok(self):
        return all(c.ok for c in self.gradients + (self.reference or []))

    @property
    def errors(self):
        return {c.name: c.error for c in self.gradients}

    def __str__(self):
        lines = [self.title, "your backward against central differences of your forward:",
                 _header("backward", "numeric")] + [c.row() for c in self.gradients]
        failed = [c.name for c in self.gradients if not c.ok]
        if self.reference is not None:
            lines += [f"yours against tinyres's {self.reference_name} (forward output and"
                      " gradients):", _header("yours", "tinyres")]
            lines += [c.row() for c in self.reference]
            wrong = [c.name for c in self.reference if not c.ok]
            failed += [f"{n} (against {self.reference_name})" for n in wrong]
        lines.append(f"FAILED (rel error > {self.tol:g}): {', '.join(failed)}" if failed
                     else f"all agree (rel error <= {self.tol:g})")
        return "\n".join(lines)

    __repr__ = __str__


def rel_error(a, b):
    """(CS231n's rel_error, index of the worst element): max of |a - b| / max(1e-8, |a| + |b|)
    over the elements (a relative error per element, then the largest)."""
    ratio = np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))
    if ratio.size == 0:
        return 0.0, ()
    worst = int(np.argmax(ratio))
    return float(ratio.reshape(-1)[worst]), tuple(int(i) for i in np.unravel_index(worst, a.shape))


def check_layer(forward, backward, inputs, params=None, *, names=None, tol=1e-6, eps=1e-5,
                seed=0, elements=None, reference=None):
    """Check backward against float64 central differences of forward; a LayerCheck.

    forward(*inputs, **params) -> (out, cache); backward(dout, cache) -> one gradient per input
    (a bare array for a single input). inputs: floating arrays (copied as float64); params:
    keyword arguments that are not differentiated (conv_param={...}, integer labels...).
    names: the inputs' names (default: forward's parameter names). elements: check at most this
    many random elements per input. reference: a name in tinyres.gradcheck_reference.REFERENCES
    ("conv2d", "affine", "relu", "max_pool2d") or a callable of tinyres Tensors with forward's
    signature; its forward output and gradients are compared with yours too.
    """
    params = dict(params or {})
    arrays = [_float64_copy(a, i) for i, a in enumerate(inputs)]
    names = list(names) if names else _parameter_names(forward, len(arrays))
    out, grads, dout = _run_layer(forward, backward, arrays, params, names, seed)

    def output():
        return forward(*arrays, **params)[0]

    rng = np.random.default_rng(seed + 1)
    gradients = [_check_input(output, dout, a, g, "d" + n, n, eps, tol, rng, elements)
                 for a, g, n in zip(arrays, grads, names)]
    compared, reference_name = None, None
    if reference is not None:
        reference_name, expected_out, expected_grads = run_reference(reference, arrays, params,
                                                                     dout)
        compared = [_compare("out", out, expected_out, tol, "forward output")]
        compared += [_compare("d" + n, g, e, tol, "gradient")
                     for g, e, n in zip(grads, expected_grads or (), names)]
    title = (f"check_layer({_name(forward)}, {_name(backward)}): float64, h={eps:g},"
             f" dout ~ N(0, 1) of shape {tuple(out.shape)} (seed {seed})")
    return LayerCheck(title, gradients, compared, reference_name, tol)


def _run_layer(forward, backward, arrays, params, names, seed):
    """forward once, backward once with a seeded random dout: (out, gradients, dout)."""
    result = forward(*arrays, **params)
    if not (isinstance(result, tuple) and len(result) == 2):
        raise TypeError(f"check_layer: {_name(forward)} must return (out, cache), as CS231n's"
                        f" layers do; got {type(result).__name__}")
    out = np.asarray(result[0])
    if out.dtype != np.float64:
        raise TypeError(f"check_layer: {_name(forward)} returned {out.dtype} output for float64"
                        " inputs; finite differences need float64 all the way (look for"
                        " astype or float32 in it)")
    dout = np.random.default_rng(seed).standard_normal(out.shape)
    grads = backward(dout, result[1])
    if len(arrays) == 1 and not isinstance(grads, (tuple, list)):
        grads = (grads,)
    if not isinstance(grads, (tuple, list)) or len(grads) != len(arrays):
        count = len(grads) if isinstance(grads, (tuple, list)) else type(grads).__name__
        raise ValueError(
            f"check_layer: {_name(backward)} returned {count} gradients for {len(arrays)} inputs"
            f" ({', '.join(names)}); return one per input, in the order of the inputs"
            f" ({', '.join('d' + n for n in names)})")
    return out, list(grads), dout


def _check_input(output, dout, array, grad, label, name, eps, tol, rng, elements):
    """Comparison of one returned gradient with central differences at all (or some) elements."""
    problem = _shape_problem(grad, array.shape, name, "backward")
    if problem:
        return Comparison(label, array.shape, problem=problem)
    size = array.size
    chosen = np.arange(size) if elements is None or elements >= size else np.sort(
        rng.choice(size, elements, replace=False))
    flat = array.reshape(-1)  # a view: array is our own contiguous copy
    numeric = np.empty(len(chosen))
    for n, j in enumerate(chosen):
        value = flat[j]
        flat[j] = value + eps
        plus = output()
        flat[j] = value - eps
        minus = output()
        flat[j] = value
        numeric[n] = np.sum((plus - minus) * dout) / (2 * eps)
    analytic = np.asarray(grad, np.float64).reshape(-1)[chosen]
    if elements is None or elements >= size:
        return Comparison(label, array.shape, analytic.reshape(array.shape),
                          numeric.reshape(array.shape), tol)
    result = Comparison(label, array.shape, analytic, numeric, tol)
    result.index = tuple(int(i) for i in np.unravel_index(chosen[result.index[0]], array.shape))
    return result


def _compare(label, mine, expected, tol, what):
    """Comparison of yours with the reference's (forward output or a gradient)."""
    problem = _shape_problem(mine, expected.shape, label, what)
    if problem:
        return Comparison(label, expected.shape, problem=problem)
    return Comparison(label, expected.shape, np.asarray(mine, np.float64), expected, tol)


def _shape_problem(value, shape, name, what):
    """Why value cannot be compared with an array of shape (None when it can), with a hint."""
    if value is None or not hasattr(value, "shape"):
        return f"{what} returned {type(value).__name__} for {name}, not an array"
    got = tuple(value.shape)
    if got == tuple(shape):
        return None
    hint = ""
    if got == tuple(reversed(shape)):
        hint = " (transposed?)"
    elif len(got) == len(shape) + 1 and got[1:] == tuple(shape):
        hint = " (not summed over the batch axis?)"
    return f"{what} returned shape {got} for {name} of shape {tuple(shape)}{hint}"


def _float64_copy(value, i):
    array = np.asarray(value.numpy() if hasattr(value, "numpy") else value)
    if array.dtype.kind != "f":
        raise TypeError(f"check_layer: inputs[{i}] has dtype {array.dtype}; inputs are the"
                        " floating arrays to differentiate, pass integer ones (labels, indices)"
                        " in params=")
    return np.array(array, dtype=np.float64)  # a copy: the caller's array is never perturbed


def _parameter_names(forward, count):
    """forward's first `count` parameter names (x, w, b), else input0, input1, ..."""
    try:
        names = [p.name for p in inspect.signature(forward).parameters.values()
                 if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        names = []
    return names[:count] if len(names) >= count else [f"input{i}" for i in range(count)]


def _name(fn):
    return getattr(fn, "__name__", type(fn).__name__)
