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


def converted(host, target, name):
    """host as a fresh array of target's dtype, or a message saying why it cannot be: values
    never change kind silently (a float into an integer buffer is refused, not truncated)."""
    kinds = {"b": "b", "i": "biu", "u": "bu", "f": "biuf"}[np.dtype(target.dtype).kind]
    if host.dtype.kind not in kinds:
        return None, (f"{name}: dtype {host.dtype} cannot be loaded into {target.dtype}"
                      f" without changing its values' kind")
    return np.array(host, dtype=target.dtype), None


def load_into(targets, incoming, strict):
    """Copy incoming[name] into targets[name] (Tensors) for every shared name.

    Raises ValueError listing every missing key (strict), unexpected key (strict), shape and
    dtype mismatch, before anything is written (all or nothing). Returns (missing, unexpected).
    """
    if not isinstance(incoming, Mapping):
        raise TypeError(f"load_state_dict: expected a mapping of names to arrays, got"
                        f" {type(incoming).__name__}")
    missing = [key for key in targets if key not in incoming]
    unexpected = [key for key in incoming if key not in targets]
    values, mismatched = {}, []
    for name, target in targets.items():
        if name in incoming:
            try:
                host = as_host_array(incoming[name], name)
            except (TypeError, ValueError) as error:
                mismatched.append(str(error))
                continue
            if tuple(host.shape) != target.shape:
                mismatched.append(f"{name}: expected shape {target.shape}, got {tuple(host.shape)}")
                continue
            values[name], problem = converted(host, target, name)
            if problem:
                mismatched.append(problem)
    problems = []
    if strict and missing:
        problems.append(f"missing keys: {missing}")
    if strict and unexpected:
        problems.append(f"unexpected keys: {unexpected}")
    if mismatched:
        problems.append("shape or dtype mismatches: " + "; ".join(mismatched))
    if problems:
        raise ValueError("load_state_dict refused, nothing was changed:\n  "
                         + "\n  ".join(problems))
    for name, array in values.items():  # every value is checked and converted: now write
        target = targets[name]
        target.set_data_(target.backend.asarray(array))
    return missing, unexpected
