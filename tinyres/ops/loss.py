"""Log-softmax and softmax cross-entropy, both stable for large logits."""
from ..function import Function
from . import checks


class LogSoftmaxFunction(Function):
    def forward(self, x, axis):
        self.axis = axis
        y = self.k.log_softmax_forward(x, axis)
        self.save_for_backward(y)
        return y

    def backward(self, gy):
        # y = x - logsumexp(x) along the axis, so dy_i/dx_j = [i = j] - softmax(x)_j:
        #   gx = gy - softmax(x) * sum(gy) = gy - exp(y) * sum(gy)
        (y,) = self.saved
        return (self.k.log_softmax_backward(gy, y, self.axis),)


class CrossEntropyFunction(Function):
    """(N, C) logits and (N,) integer labels -> () mean negative log-likelihood."""

    def forward(self, logits, target):
        loss, log_probs = self.k.cross_entropy_forward(logits, target)
        self.save_for_backward(log_probs, target)
        return loss

    def backward(self, gloss):
        # loss = -(1/N) sum_n log softmax(z_n)[t_n]  =>  dloss/dz = (softmax(z) - onehot(t)) / N,
        # times the incoming gloss (a scalar)
        log_probs, target = self.saved
        return (self.k.cross_entropy_backward(gloss, log_probs, target),)


def log_softmax(x, dim):
    """x - logsumexp(x, dim): log-probabilities along dim."""
    checks.floating("log_softmax", "x", x)
    axis = checks.dim_index("log_softmax", "dim", dim, x.ndim)
    return LogSoftmaxFunction.apply(x, axis=axis)


def cross_entropy(logits, target):
    """Mean over the batch of -log softmax(logits)[i, target[i]]: logits (N, C) float,
    target (N,) integer class indices in [0, C)."""
    op = "cross_entropy"
    checks.floating(op, "logits", logits)
    checks.ndim(op, "logits", logits, 2, "(N, C)")
    checks.tensor_arg(op, "target", target)
    if target.dtype.kind not in "iu":
        raise TypeError(f"{op}: argument 'target' must hold integer class indices, got dtype"
                        f" {target.dtype}")
    checks.shape(op, "target", target, logits.shape[:1], "one label per row of logits")
    if target.device != logits.device:
        raise ValueError(f"{op}: argument 'target' must be on {logits.device} like 'logits',"
                         f" got {target.device}")
    # the kernel checks the labels' range where they are (a GPU checks them on the device and
    # reports at the next read: copying them to the host here would stall every training step)
    return CrossEntropyFunction.apply(logits, target=target.data)
