"""NumPy kernels for log-softmax and softmax cross-entropy (numerically stable)."""
import numpy as np

from ..labels import bad_label_message


def log_softmax_forward(x, axis):
    """(...) -> x - logsumexp(x, axis), shifted by the max so exp never overflows."""
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def log_softmax_backward(gy, y, axis):
    """(...) -> gy - softmax * sum(gy, axis)."""
    return gy - np.exp(y) * np.sum(gy, axis=axis, keepdims=True)


def cross_entropy_forward(logits, target):
    """(N, C), (N,) int -> (loss () = mean_i -log p[i, target_i], log_probs (N, C)); ValueError
    for a label outside [0, C) (NumPy would wrap -1 around to C - 1)."""
    classes = logits.shape[1]
    bad = target[(target < 0) | (target >= classes)]
    if bad.size:
        raise ValueError(bad_label_message(classes, bad[0]))
    log_probs = log_softmax_forward(logits, 1)
    picked = log_probs[np.arange(logits.shape[0]), target]
    return np.asarray(-np.mean(picked), dtype=logits.dtype), log_probs


def cross_entropy_backward(gloss, log_probs, target):
    """() , (N, C), (N,) -> glogits (N, C) = (softmax - onehot) * gloss / N."""
    n = log_probs.shape[0]
    grad = np.exp(log_probs)
    grad[np.arange(n), target] -= 1
    grad *= gloss / n
    return grad

