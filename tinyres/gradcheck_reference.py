"""tinyres's own ops in CS231n's calling convention, so check_layer can tell a learner "your
forward is a convolution" as well as "your backward matches your forward".

Each reference takes float64 Tensors (the layer's inputs) and the layer's params, exactly as the
learner's forward does, and returns one Tensor; its backward with the same dout gives the
gradients to compare with the learner's.
"""
import numpy as np

from . import functional as F
from .tensor import Tensor


def conv2d(x, w, b, conv_param):
    """conv_forward_naive: x (N, C, H, W), w (F, C, HH, WW), b (F,), conv_param {'stride',
    'pad'} -> (N, F, H', W')."""
    return F.conv2d(x, w, b, stride=conv_param.get("stride", 1),
                    padding=conv_param.get("pad", 0))


def affine(x, w, b):
    """affine_forward: x (N, d_1, ..., d_k) flattened to (N, D), w (D, M), b (M,) -> (N, M)."""
    return F.linear(x.reshape(x.shape[0], -1), w.T, b)


def relu(x):
    """relu_forward: max(x, 0) elementwise."""
    return F.relu(x)


def max_pool2d(x, pool_param):
    """max_pool_forward_naive: x (N, C, H, W), pool_param {'pool_height', 'pool_width',
    'stride'} -> (N, C, H', W')."""
    kernel = (pool_param["pool_height"], pool_param["pool_width"])
    return F.max_pool2d(x, kernel, stride=pool_param["stride"])


REFERENCES = {"conv2d": conv2d, "affine": affine, "relu": relu, "max_pool2d": max_pool2d}


def run_reference(reference, arrays, params, dout):
    """(name, forward output, gradients) of a reference (a REFERENCES name or a callable) at the
    layer's inputs, backpropagating dout; all float64 numpy arrays."""
    if isinstance(reference, str):
        if reference not in REFERENCES:
            raise ValueError(f"check_layer: unknown reference {reference!r}; known:"
                             f" {', '.join(sorted(REFERENCES))}, or pass a function of Tensors")
        name, fn = reference, REFERENCES[reference]
    elif callable(reference):
        name, fn = getattr(reference, "__name__", "reference"), reference
    else:
        raise TypeError(f"check_layer: reference must be a name or a callable, got"
                        f" {type(reference).__name__}")
    tensors = [Tensor(a, dtype="float64", requires_grad=True) for a in arrays]
    out = fn(*tensors, **params)
    if not isinstance(out, Tensor):
        raise TypeError(f"check_layer: reference {name} must return a Tensor, got"
                        f" {type(out).__name__}")
    if out.shape != tuple(dout.shape):  # the outputs' comparison fails: no gradients to compare
        return name, out.numpy(), None
    out.backward(Tensor(dout, dtype="float64"))
    grads = [np.zeros(a.shape) if t.grad is None else t.grad.numpy()
             for a, t in zip(arrays, tensors)]
    return name, out.numpy(), grads
