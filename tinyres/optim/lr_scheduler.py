"""Learning-rate schedules, as torch.optim.lr_scheduler: MultiStepLR, CosineAnnealingLR, LinearLR
and SequentialLR (e.g. a linear warm-up, then cosine or step decay).

Each schedule is a closed form lr(t) = f(t, base_lr) of the step count t, where base_lr is the
group's "initial_lr" (its lr when the first scheduler was made). PyTorch computes the same values
recursively; the two agree to float64 rounding. Because every schedule sets the lr outright, two
schedulers stepped together do not compose: chain them in time with SequentialLR.

    sched = SequentialLR(opt, [LinearLR(opt, 0.1, total_iters=5), CosineAnnealingLR(opt, 95)], [5])
    for epoch in range(100):
        train_one_epoch(...)
        sched.step()
"""
import bisect
import math

from .optimizer import Optimizer, check_range


class LRScheduler:
    """Base class: step() advances last_epoch and writes lr_at(last_epoch) into each group."""

    def __init__(self, optimizer, last_epoch=-1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__}: optimizer must be a tinyres Optimizer, got"
                            f" {type(optimizer).__name__}")
        self.optimizer = optimizer
        for i, group in enumerate(optimizer.param_groups):
            if last_epoch == -1:
                group.setdefault("initial_lr", group["lr"])
            elif "initial_lr" not in group:
                raise ValueError(f"{type(self).__name__}: last_epoch={last_epoch} resumes a"
                                 f" schedule, but param group {i} has no 'initial_lr'")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self.step()

    def lr_at(self, t):
        """The lr of every group after t steps (t = 0: on construction)."""
        return [self._lr(t, base) for base in self.base_lrs]

    def _lr(self, t, base_lr):
        raise NotImplementedError

    def step(self):
        """Advance one step (an epoch or an iteration: the caller decides) and set the lrs."""
        self.last_epoch += 1
        self._last_lr = self.lr_at(self.last_epoch)
        for group, lr in zip(self.optimizer.param_groups, self._last_lr):
            group["lr"] = lr

    def get_last_lr(self):
        """The lrs set by the last step(), one per param group."""
        return list(self._last_lr)

    def state_dict(self):
        """Everything but the optimizer (which has its own state_dict)."""
        return {key: v for key, v in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state_dict):
        """Restore what state_dict() saved: exactly its keys, each value of the same kind as
        ours (a saved state may not set other attributes, or change their types)."""
        check_state(type(self).__name__, self.state_dict(), state_dict)
        self.__dict__.update(state_dict)


class MultiStepLR(LRScheduler):
    """lr = base_lr * gamma ** (number of milestones <= t): He et al.'s divide-by-10 recipe."""

    def __init__(self, optimizer, milestones, gamma=0.1, last_epoch=-1):
        milestones = list(milestones)
        for m in milestones:
            if isinstance(m, bool) or not isinstance(m, int) or m < 0:
                raise ValueError(f"MultiStepLR: milestones must be ints >= 0, got {milestones!r}")
        check_range("MultiStepLR", "gamma", gamma)
        self.milestones = sorted(milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def _lr(self, t, base_lr):
        return base_lr * self.gamma ** bisect.bisect_right(self.milestones, t)


class CosineAnnealingLR(LRScheduler):
    """lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * t / T_max)) / 2 (periodic past T_max,
    as PyTorch's)."""

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):  # noqa: N803 - torch's name
        if isinstance(T_max, bool) or not isinstance(T_max, int) or T_max < 1:
            raise ValueError(f"CosineAnnealingLR: T_max must be an int >= 1, got {T_max!r}")
        check_range("CosineAnnealingLR", "eta_min", eta_min)
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def _lr(self, t, base_lr):
        cosine = (1 + math.cos(math.pi * t / self.T_max)) / 2
        return self.eta_min + (base_lr - self.eta_min) * cosine


class LinearLR(LRScheduler):
    """lr = base_lr * factor, factor going linearly from start_factor (t = 0) to end_factor
    (t >= total_iters): a linear warm-up with the defaults' shape."""

    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5,
                 last_epoch=-1):
        if isinstance(start_factor, bool) or not 0 < start_factor <= 1:
            raise ValueError(f"LinearLR: start_factor must be in (0, 1], got {start_factor!r}")
        check_range("LinearLR", "end_factor", end_factor, 0.0, None)
        if end_factor > 1:
            raise ValueError(f"LinearLR: end_factor must be in [0, 1], got {end_factor!r}")
        if isinstance(total_iters, bool) or not isinstance(total_iters, int) or total_iters < 1:
            raise ValueError(f"LinearLR: total_iters must be an int >= 1, got {total_iters!r}")
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def _lr(self, t, base_lr):
        progress = min(t, self.total_iters) / self.total_iters
        return base_lr * (self.start_factor + (self.end_factor - self.start_factor) * progress)


class SequentialLR(LRScheduler):
    """schedulers[i] runs from milestones[i - 1] (its own t = 0 there) to milestones[i]."""

    def __init__(self, optimizer, schedulers, milestones, last_epoch=-1):
        schedulers, milestones = list(schedulers), list(milestones)
        if not schedulers or len(milestones) != len(schedulers) - 1:
            raise ValueError(f"SequentialLR: expected len(schedulers) - 1 milestones, got"
                             f" {len(schedulers)} schedulers and milestones {milestones!r}")
        if milestones != sorted(milestones) or any(m < 0 for m in milestones):
            raise ValueError(f"SequentialLR: milestones must be increasing ints >= 0, got"
                             f" {milestones!r}")
        for s in schedulers:
            if not isinstance(s, LRScheduler) or s.optimizer is not optimizer:
                raise ValueError("SequentialLR: every scheduler must be a tinyres LRScheduler of"
                                 " the same optimizer as SequentialLR's")
        self._schedulers = schedulers
        self.milestones = milestones
        super().__init__(optimizer, last_epoch)

    def lr_at(self, t):
        i = bisect.bisect_right(self.milestones, t)
        start = self.milestones[i - 1] if i > 0 else 0
        return self._schedulers[i].lr_at(t - start)

    def state_dict(self):
        state = super().state_dict()
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def load_state_dict(self, state_dict):
        check_state("SequentialLR", self.state_dict(), state_dict)
        state = dict(state_dict)
        for scheduler, saved in zip(self._schedulers, state.pop("_schedulers")):
            scheduler.load_state_dict(saved)
        self.__dict__.update(state)


def check_state(name, ours, theirs):
    """ValueError unless theirs has exactly our keys and each value the kind of ours: the same
    type (int stays int), lists of the same length, dicts checked the same way."""
    if not isinstance(theirs, dict) or set(theirs) != set(ours):
        keys = sorted(theirs) if isinstance(theirs, dict) else type(theirs).__name__
        raise ValueError(f"{name}.load_state_dict: expected the keys {sorted(ours)}, got {keys}"
                         " (a state saved by another kind of schedule?)")
    for key, value in ours.items():
        _check_kind(f"{name}.load_state_dict: {key!r}", value, theirs[key])


def _check_kind(where, ours, theirs):
    if isinstance(ours, dict):
        check_state(where, ours, theirs)
    elif isinstance(ours, (list, tuple)):
        if not isinstance(theirs, (list, tuple)) or len(theirs) != len(ours):
            raise ValueError(f"{where} must be a list of {len(ours)} items, got {theirs!r:.60}")
        for a, b in zip(ours, theirs):
            _check_kind(where, a, b)
    elif type(theirs) is not type(ours) and not (
            type(ours) is float and type(theirs) is int):  # a hand-written 0 for 0.0 is fine
        raise ValueError(f"{where} must be of type {type(ours).__name__}, got {theirs!r:.60}")
