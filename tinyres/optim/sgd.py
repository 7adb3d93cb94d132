"""SGD with momentum, dampening, weight decay and Nesterov momentum, as torch.optim.SGD.

    d = grad + weight_decay * p
    buf = d (first step), else momentum * buf + (1 - dampening) * d
    p -= lr * (d + momentum * buf if nesterov else buf)       (p -= lr * d when momentum == 0)

The update runs in the backend kernel `sgd_step_`, so it runs wherever the parameter lives.
"""
from ..backend import get_backend
from .optimizer import Optimizer, check_range


class SGD(Optimizer):
    """Stochastic gradient descent; state per parameter: "momentum_buffer" (when momentum != 0)."""

    STATE_KEYS = ("momentum_buffer",)

    def __init__(self, params, lr, momentum=0, dampening=0, weight_decay=0, nesterov=False):
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov)
        super().__init__(params, defaults)

    def _check_group(self, group):
        for arg in ("lr", "momentum", "dampening", "weight_decay"):
            check_range("SGD", arg, group[arg])
        if not isinstance(group["nesterov"], bool):
            raise TypeError(f"SGD: nesterov must be True or False, got {group['nesterov']!r}")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(
                "SGD: nesterov=True needs momentum > 0 and dampening == 0, got"
                f" momentum={group['momentum']!r}, dampening={group['dampening']!r}"
            )

    def _update(self, param, grad, state, group):
        k = get_backend(param.device)  # the current kernel set, like the ops
        buf, first = None, False
        if group["momentum"] != 0:
            buf = state.get("momentum_buffer")
            first = buf is None
            if first:
                buf = state["momentum_buffer"] = k.zeros(param.shape, param.dtype)
        k.sgd_step_(param.data, grad.data, buf, float(group["lr"]), float(group["momentum"]),
                    float(group["dampening"]), float(group["weight_decay"]), group["nesterov"],
                    first)
