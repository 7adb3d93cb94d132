"""Optimizer: parameter groups, per-parameter state and PyTorch-shaped state_dict().

Subclasses give their defaults, a `_check_group` that validates hyper-parameters and a `_update`
that calls one backend kernel per parameter. State buffers live on each parameter's device and
dtype, and follow it: model.to("cuda") or model.double() after the optimizer was built (or took
steps) moves the same Parameter objects, and the next step() or state_dict() moves their state
after them. state_dict() copies the buffers to the host as numpy arrays, so a checkpoint is
picklable and loads onto any device.
"""
import copy

import numpy as np

from ..backend import get_backend, move
from ..dtypes import is_float
from ..grad_mode import enable_grad
from ..tensor import Tensor


class Optimizer:
    """Base class: `param_groups` (a list of dicts: "params" plus hyper-parameters) and `state`
    (a dict keyed by id(param), one dict of buffers per parameter that has taken a step)."""

    STATE_KEYS = ()  # subclasses: the buffers a parameter's state holds once it has stepped
    COUNTERS = ()  # ... of which these are ints (Adam's "step"), the others parameter-shaped

    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        self.param_groups = []
        self.state = {}
        self._placement = {}  # id(param) -> (device, dtype) its state buffers were made on
        groups = _as_groups(params, type(self).__name__)
        for group in groups:
            self.add_param_group(group)

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            hyper = ", ".join(f"{setting}={v}" for setting, v in group.items()
                              if setting != "params")
            lines.append(f"  group {i}: {len(group['params'])} params, {hyper}")
        return "\n".join(lines + [")"])

    def add_param_group(self, group):
        """Add {"params": [...], hyper-parameter overrides}; unset hyper-parameters take the
        defaults given to the constructor."""
        name = type(self).__name__
        if not isinstance(group, dict) or "params" not in group:
            raise TypeError(f"{name}: a param group must be a dict with a 'params' key,"
                            f" got {group!r}")
        unknown = sorted(set(group) - set(self.defaults) - {"params"})
        if unknown:
            raise ValueError(f"{name}: unknown hyper-parameters {unknown} in a param group;"
                             f" expected some of {sorted(self.defaults)}")
        params = _as_params(group["params"], name)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError(f"{name}: a parameter appears in more than one param group")
        full = {**self.defaults,
                **{setting: v for setting, v in group.items() if setting != "params"}}
        self._check_group(full)
        self.param_groups.append({"params": params, **full})

    def zero_grad(self):
        """Forget every parameter's gradient (sets .grad to None, as PyTorch's default)."""
        for group in self.param_groups:
            for p in group["params"]:
                p.grad = None

    def step(self, closure=None):
        """Update every parameter that has a gradient; closure() (re-evaluating the loss with
        gradients enabled) is called first when given, and its value returned."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                _check_grad(p, type(self).__name__)
                self._update(p, p.grad, self._state_of(p), group)
        return loss

    def _state_of(self, p):
        """p's state dict, its buffers moved first to p's device and dtype if p has moved since
        they were made (Module.to moves parameters in place; the optimizer keeps them)."""
        state = self.state.setdefault(id(p), {})
        here = (p.device, p.dtype)
        made = self._placement.get(id(p), here)
        if made != here:
            source, target = get_backend(made[0]), get_backend(here[0])
            for key, value in state.items():
                if not isinstance(value, (int, float)):  # Adam's step count stays a number
                    value = move(value, source, target)
                    state[key] = target.astype(value, p.dtype) if is_float(value.dtype) else value
        self._placement[id(p)] = here
        return state

    # --- to be given by subclasses ----------------------------------------------------------------
    def _check_group(self, group):
        """Raise ValueError for a bad hyper-parameter in a (complete) group."""

    def _update(self, param, grad, state, group):
        """One in-place step of param (a Tensor) with grad (a Tensor); state: this param's dict."""
        raise NotImplementedError

    # --- checkpoints ------------------------------------------------------------------------------
    def state_dict(self):
        """{"state": {param index: {name: numpy array or number}}, "param_groups": [hyper-parameters
        + "params": [param indices]]}; params are numbered across groups in order, as PyTorch."""
        groups, state, index = [], {}, 0
        for group in self.param_groups:
            indices = list(range(index, index + len(group["params"])))
            for i, p in zip(indices, group["params"]):
                if self.state.get(id(p)):
                    state[i] = {buffer: _to_host(v, p) for buffer, v in self._state_of(p).items()}
            hyper = {setting: copy.deepcopy(v) for setting, v in group.items()
                     if setting != "params"}
            groups.append({**hyper, "params": indices})
            index += len(indices)
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restore hyper-parameters and buffers saved by state_dict(); buffers go to each
        parameter's device and dtype. The groups must hold the same numbers of parameters."""
        name = type(self).__name__
        saved_groups = _check_layout(state_dict, self.param_groups, name)
        # saved index -> our parameter, group by group in order (PyTorch's rule)
        by_index = {i: p for group, saved in zip(self.param_groups, saved_groups)
                    for i, p in zip(saved["params"], group["params"])}
        new_state = {}
        for key, entry in state_dict["state"].items():
            if key not in by_index:
                raise ValueError(f"{name}.load_state_dict: state key {key!r} is not a parameter"
                                 f" index listed in the saved param_groups")
            p = by_index[key]
            self._check_entry(entry, key)
            new_state[id(p)] = {buffer: _to_device(v, p, f"state[{key}][{buffer!r}]", name)
                                for buffer, v in entry.items()}
        merged = []
        for group, saved in zip(self.param_groups, saved_groups):
            merged.append({**group, **{setting: copy.deepcopy(v) for setting, v in saved.items()
                                       if setting != "params"}})
            self._check_group(merged[-1])  # may normalise values (betas list -> tuple)
        for group, values in zip(self.param_groups, merged):  # all checked: now change
            group.update({setting: v for setting, v in values.items() if setting != "params"})
        self.state = new_state
        self._placement.update({id(p): (p.device, p.dtype) for p in by_index.values()})

    def _check_entry(self, entry, key):
        """A saved parameter state holds exactly STATE_KEYS: counters as ints, the rest arrays."""
        name = type(self).__name__
        if not isinstance(entry, dict) or set(entry) != set(self.STATE_KEYS):
            keys = sorted(entry) if isinstance(entry, dict) else type(entry).__name__
            raise ValueError(f"{name}.load_state_dict: state[{key}] must hold"
                             f" {list(self.STATE_KEYS)}, got {keys} (saved by another"
                             " optimizer?)")
        for buffer, v in entry.items():
            ok = ((type(v) is int and v >= 0) if buffer in self.COUNTERS
                  else isinstance(v, np.ndarray))
            if not ok:
                kind = "an int >= 0" if buffer in self.COUNTERS else "an array"
                raise ValueError(f"{name}.load_state_dict: state[{key}][{buffer!r}] must be {kind},"
                                 f" got {type(v).__name__}")


def _as_groups(params, name):
    """params: an iterable of Tensors or of param-group dicts -> a list of group dicts."""
    if isinstance(params, Tensor):
        raise TypeError(f"{name}: params must be an iterable of Tensors or of dicts, got a Tensor"
                        " (wrap it in a list)")
    params = list(params)
    if not params:
        raise ValueError(f"{name}: params is empty; expected at least one Tensor or param group")
    if all(isinstance(p, dict) for p in params):
        return params
    return [{"params": params}]


def _as_params(params, name):
    if isinstance(params, Tensor):
        return [params]
    params = list(params)
    for p in params:
        if not isinstance(p, Tensor):
            raise TypeError(f"{name}: params must be tinyres Tensors, got {type(p).__name__}")
        if not p.is_leaf:
            raise ValueError(f"{name}: can only optimize leaf tensors, got one made by an op"
                             f" ({p.grad_fn.name})")
    if len({id(p) for p in params}) != len(params):
        raise ValueError(f"{name}: a param group lists the same parameter twice")
    return params


def check_range(name, arg, value, low=0.0, high=None):
    """ValueError unless value is a real number with low <= value (< high when high is given)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name}: {arg} must be a number, got {type(value).__name__} {value!r}")
    if value < low or (high is not None and value >= high):
        expected = f">= {low}" if high is None else f"in [{low}, {high})"
        raise ValueError(f"{name}: {arg} must be {expected}, got {value!r}")


def _check_grad(p, name):
    g = p.grad
    if g.shape != p.shape or g.device != p.device or g.dtype != p.dtype:
        raise ValueError(
            f"{name}.step: a gradient must match its parameter; parameter {p.shape} {p.dtype}"
            f" on {p.device}, gradient {g.shape} {g.dtype} on {g.device}"
        )


def _to_host(value, p):
    """A state entry as something picklable and device-free (a fresh numpy array or a number)."""
    if isinstance(value, (int, float)):
        return value
    return np.array(p.backend.to_host(value), copy=True)


def _to_device(value, p, what, name):
    if isinstance(value, (int, float, np.integer, np.floating)) and np.ndim(value) == 0:
        return value.item() if isinstance(value, np.generic) else value
    if not isinstance(value, np.ndarray):
        raise TypeError(f"{name}.load_state_dict: {what} must be a numpy array or a number,"
                        f" got {type(value).__name__}")
    if value.shape != p.shape:
        raise ValueError(f"{name}.load_state_dict: {what} has shape {value.shape}, expected the"
                         f" parameter's shape {p.shape}")
    array = p.backend.asarray(value, p.dtype)
    return p.backend.copy(array) if array is value else array  # never alias the caller's dict


def _check_layout(state_dict, groups, name):
    """The saved param_groups, after checking they line up with ours."""
    if not isinstance(state_dict, dict) or set(state_dict) != {"state", "param_groups"}:
        keys = sorted(state_dict) if isinstance(state_dict, dict) else type(state_dict).__name__
        raise ValueError(f"{name}.load_state_dict: expected a dict with keys 'state' and"
                         f" 'param_groups', got {keys}")
    saved = state_dict["param_groups"]
    if not isinstance(saved, list) or len(saved) != len(groups):
        count = len(saved) if isinstance(saved, list) else f"a {type(saved).__name__} of"
        raise ValueError(f"{name}.load_state_dict: the state dict has {count} param groups,"
                         f" this optimizer has {len(groups)}")
    if not isinstance(state_dict["state"], dict):
        raise ValueError(f"{name}.load_state_dict: 'state' must be a dict, got"
                         f" {type(state_dict['state']).__name__}")
    for i, (group, entry) in enumerate(zip(groups, saved)):
        if not isinstance(entry, dict) or not isinstance(entry.get("params"), list):
            raise ValueError(f"{name}.load_state_dict: param group {i} must be a dict with a"
                             f" 'params' list of indices, got {entry!r:.80}")
        if set(entry) != set(group):
            raise ValueError(f"{name}.load_state_dict: param group {i} has the settings"
                             f" {sorted(entry)}, this optimizer {sorted(group)} (saved by"
                             " another optimizer?)")
        if len(entry["params"]) != len(group["params"]):
            raise ValueError(f"{name}.load_state_dict: param group {i} holds"
                             f" {len(entry['params'])} parameters in the state dict,"
                             f" {len(group['params'])} in this optimizer")
    return saved
