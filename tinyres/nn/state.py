"""Loading a state_dict into a module's tensors: check everything, then change everything."""
from collections.abc import Mapping

import numpy as np

from ..tensor import Tensor


def as_host_array(value, name):
    """A state_dict value (Tensor, numpy array, number) -> numpy array."""
    if isinstance(value, Tensor):
        return value.numpy()
    array = np.asarray(value)
    if array.dtype == object:
        raise TypeError(f"load_state_dict: '{name}' must be a Tensor or a numpy array, got"
                        f" {type(value).__name__}")
    return array


def load_into(targets, incoming, strict):
    """Copy incoming[name] into targets[name] (Tensors) for every shared name.

    Raises ValueError listing every missing key (strict), unexpected key (strict) and shape
    mismatch, before anything is written. Returns (missing, unexpected) key lists.
    """
    if not isinstance(incoming, Mapping):
        raise TypeError(f"load_state_dict: expected a mapping of names to arrays, got"
                        f" {type(incoming).__name__}")
    missing = [k for k in targets if k not in incoming]
    unexpected = [k for k in incoming if k not in targets]
    values, mismatched = {}, []
    for name, target in targets.items():
        if name in incoming:
            host = as_host_array(incoming[name], name)
            if tuple(host.shape) != target.shape:
                mismatched.append(f"{name}: expected shape {target.shape}, got {tuple(host.shape)}")
            values[name] = host
    problems = []
    if strict and missing:
        problems.append(f"missing keys: {missing}")
    if strict and unexpected:
        problems.append(f"unexpected keys: {unexpected}")
    if mismatched:
        problems.append("shape mismatches: " + "; ".join(mismatched))
    if problems:
        raise ValueError("load_state_dict refused, nothing was changed:\n  " + "\n  ".join(problems))
    for name, host in values.items():
        target = targets[name]
        target.data = target._backend.asarray(np.array(host, dtype=target.dtype))
    return missing, unexpected
