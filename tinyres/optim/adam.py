"""Adam with L2 weight decay (added to the gradient), as torch.optim.Adam (amsgrad=False).

    g = grad + weight_decay * p
    m = beta1 * m + (1 - beta1) * g;    v = beta2 * v + (1 - beta2) * g * g
    p -= lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)

The update runs in the backend kernel `adam_step_`, so it runs wherever the parameter lives.
"""
from ..backend import get_backend
from .optimizer import Optimizer, check_range


class Adam(Optimizer):
    """Adam; state per parameter: "step" (int), "exp_avg" and "exp_avg_sq" (parameter-shaped)."""

    STATE_KEYS = ("step", "exp_avg", "exp_avg_sq")
    COUNTERS = ("step",)

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0):
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)
        super().__init__(params, defaults)

    def _check_group(self, group):
        for arg in ("lr", "eps", "weight_decay"):
            check_range("Adam", arg, group[arg])
        betas = group["betas"]
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"Adam: betas must be a pair (beta1, beta2), got {betas!r}")
        check_range("Adam", "betas[0]", betas[0], 0.0, 1.0)
        check_range("Adam", "betas[1]", betas[1], 0.0, 1.0)
        group["betas"] = tuple(betas)

    def _update(self, param, grad, state, group):
        k = get_backend(param.device)  # the current kernel set, like the ops
        if not state:
            state["step"] = 0
            state["exp_avg"] = k.zeros(param.shape, param.dtype)
            state["exp_avg_sq"] = k.zeros(param.shape, param.dtype)
        state["step"] += 1
        beta1, beta2 = group["betas"]
        k.adam_step_(param.data, grad.data, state["exp_avg"], state["exp_avg_sq"], state["step"],
                     float(group["lr"]), float(beta1), float(beta2), float(group["eps"]),
                     float(group["weight_decay"]))
