"""NumPy optimizer updates, in place, with PyTorch's update rules (torch.optim.SGD and Adam)."""
import numpy as np


def sgd_step_(param, grad, buf, lr, momentum, dampening, weight_decay, nesterov, first):
    """param -= lr * d, where d is grad (+ weight decay), through the momentum buffer when
    momentum != 0 (buf is None otherwise); first=True starts the buffer at d, as PyTorch."""
    d = grad if weight_decay == 0 else grad + weight_decay * param
    if momentum != 0:
        if first:
            buf[...] = d
        else:
            buf *= momentum
            buf += (1 - dampening) * d
        d = d + momentum * buf if nesterov else buf
    param -= lr * d


def adam_step_(param, grad, exp_avg, exp_avg_sq, step, lr, beta1, beta2, eps, weight_decay):
    """One Adam step (step counts from 1): moments updated in place, then
    param -= lr / (1 - beta1**step) * m / (sqrt(v) / sqrt(1 - beta2**step) + eps)."""
    g = grad if weight_decay == 0 else grad + weight_decay * param
    exp_avg += (1 - beta1) * (g - exp_avg)
    exp_avg_sq *= beta2
    exp_avg_sq += (1 - beta2) * g * g
    correction1 = 1 - beta1 ** step
    correction2 = 1 - beta2 ** step
    denom = np.sqrt(exp_avg_sq) / np.sqrt(correction2) + eps
    param -= (lr / correction1) * exp_avg / denom
