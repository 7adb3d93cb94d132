"""CUDA log-softmax and softmax cross-entropy (loss.cu); same results as kernels/cpu/loss.py."""
import numpy as np

from ..labels import bad_label_message
from . import runtime
from .runtime import REDUCE_BLOCK, Source, contiguous, i32, plane_grid, row_grid, xp

SOURCE = Source("loss.cu", ("log_softmax_forward", "log_softmax_backward", "nll_mean",
                            "cross_entropy_backward"))


def _rows(shape, axis):
    """(D, inner, rows): the array seen as (outer, D, inner) around axis; rows = outer * inner."""
    axis = axis % len(shape)
    d = shape[axis]
    inner = int(np.prod(shape[axis + 1:], dtype=np.int64))
    outer = int(np.prod(shape[:axis], dtype=np.int64))
    return d, inner, outer * inner


def log_softmax_forward(x, axis):
    """(...) -> x - logsumexp(x, axis), shifted by the max so exp never overflows."""
    d, inner, rows = _rows(x.shape, axis)
    y = xp.empty(x.shape, dtype=x.dtype)
    if d == 0:
        return y
    grid, block = row_grid(rows)
    SOURCE.launch("log_softmax_forward", x.dtype, grid, block,
                  (contiguous(x), i32(d), i32(inner), i32(rows), y))
    return y


def log_softmax_backward(gy, y, axis):
    """(...) -> gy - softmax * sum(gy, axis)."""
    d, inner, rows = _rows(gy.shape, axis)
    gx = xp.empty(gy.shape, dtype=gy.dtype)
    if d == 0:
        return gx
    grid, block = row_grid(rows)
    SOURCE.launch("log_softmax_backward", gy.dtype, grid, block,
                  (contiguous(gy), contiguous(y), i32(d), i32(inner), i32(rows), gx))
    return gx


def cross_entropy_forward(logits, target):
    """(N, C), (N,) int -> (loss () = mean_i -log p[i, target_i], log_probs (N, C))."""
    n, c = logits.shape
    log_probs = log_softmax_forward(logits, 1)
    loss = xp.empty((), dtype=logits.dtype)
    SOURCE.launch("nll_mean", logits.dtype, (1,), (REDUCE_BLOCK,),
                  (log_probs, _labels(target), i32(n), i32(c), loss, _bad_label_flag()))
    runtime.check_before_next_read("cross_entropy labels", _raise_for_a_bad_label)
    return loss, log_probs


def cross_entropy_backward(gloss, log_probs, target):
    """(), (N, C), (N,) -> glogits (N, C) = (softmax - onehot) * gloss / N."""
    n, c = log_probs.shape
    glogits = xp.empty((n, c), dtype=log_probs.dtype)
    grid, block = plane_grid(n, c)
    SOURCE.launch("cross_entropy_backward", log_probs.dtype, grid, block,
                  (contiguous(xp.asarray(gloss, dtype=log_probs.dtype)), contiguous(log_probs),
                   _labels(target), i32(n), i32(c), glogits))
    return glogits


def _labels(target):
    """Class indices as the contiguous int64 array the kernels read."""
    return xp.ascontiguousarray(target, dtype=np.int64)


def _bad_label_flag():
    """The (found, label, classes) int64 flag that nll_mean sets on the device; zeros if clear."""
    scratch = runtime.platform().scratch
    if "bad_label" not in scratch:
        scratch["bad_label"] = xp.zeros((3,), dtype=np.int64)
    return scratch["bad_label"]


def _raise_for_a_bad_label():
    """ValueError if an earlier nll_mean found a label out of range (one 24-byte read)."""
    flag = _bad_label_flag()
    found, label, classes = (int(v) for v in runtime.platform().to_host(flag))
    if found:
        flag.fill(0)
        raise ValueError(bad_label_message(classes, label) + " (found on the device by an"
                         " earlier cross_entropy call; this is the first read since)")
