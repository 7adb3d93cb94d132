"""DataLoader: batches of a Dataset as tinyres Tensors, in an order that a seed and an epoch fix.

Reproducibility is by construction, not by shared generator state: epoch e's permutation comes from
a generator seeded with (seed, e), and the random transforms of batch b of epoch e from one seeded
with (seed, e, b). So any batch of any epoch can be rebuilt alone, and a run resumed from
state_dict() sees bit-for-bit the batches the uninterrupted run would have seen.

The loader is a resumable stream: it remembers the next (epoch, batch) to produce. A full pass
moves it to the next epoch; a pass cut short (break) is continued by the next iter(), and
set_epoch(e) jumps to the start of epoch e. Iterate with one iterator at a time.
"""
import math

import numpy as np

from ..backend import get_backend, normalize_device
from ..tensor import Tensor
from .dataset import Dataset

_SHUFFLE, _TRANSFORM = 0, 1  # stream tags: the permutation and the transforms never share draws


class DataLoader:
    """for x, y in DataLoader(ds, batch_size=128, shuffle=True): x (B, C, H, W) float32,
    y (B,) int64, both on `device` (default: tinyres.default_device())."""

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, seed=0,
                 transform=None, device=None):
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be an int >= 1, got {batch_size!r}")
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ValueError(f"DataLoader: seed must be an int >= 0, got {seed!r}")
        if transform is not None and not callable(transform):
            raise TypeError(f"DataLoader: transform must be callable as transform(x, rng), got"
                            f" {type(transform).__name__}")
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.seed = seed
        self.transform = transform
        self.device = normalize_device(device)
        self._epoch, self._batch = 0, 0
        self._order_cache = (None, None)

    def __len__(self):
        """The number of batches in an epoch."""
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    @property
    def epoch(self):
        """The epoch the next batch comes from."""
        return self._epoch

    def set_epoch(self, epoch):
        """Make the next batch the first of `epoch`."""
        if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 0:
            raise ValueError(f"DataLoader.set_epoch: epoch must be an int >= 0, got {epoch!r}")
        self._epoch, self._batch = epoch, 0

    def order(self, epoch):
        """The sample indices of an epoch, (N,) int64: a permutation fixed by (seed, epoch) when
        shuffling, else 0..N-1."""
        n = len(self.dataset)
        key = (self.seed, epoch, n, self.shuffle)
        if self._order_cache[0] != key:  # one permutation per epoch, not per batch
            order = (np.random.default_rng((self.seed, epoch, _SHUFFLE)).permutation(n)
                     if self.shuffle else np.arange(n, dtype=np.int64))
            self._order_cache = (key, order)
        return self._order_cache[1]

    def batch(self, epoch, index):
        """Batch `index` of `epoch` as host arrays: (x (B, C, H, W) float32, y (B,) int64)."""
        indices = self.order(epoch)[index * self.batch_size:(index + 1) * self.batch_size]
        if hasattr(self.dataset, "get_batch"):
            x, y = self.dataset.get_batch(indices)
        else:  # a dataset with only __len__ and __getitem__: stack its items
            x, y = Dataset.get_batch(self.dataset, indices)
        if self.transform is not None:
            rng = np.random.default_rng((self.seed, epoch, _TRANSFORM, index))
            x = self.transform(x, rng)
        return np.asarray(x, np.float32), np.asarray(y, np.int64)

    def __iter__(self):
        backend = get_backend(self.device)
        epoch, start, count = self._epoch, self._batch, len(self)
        for index in range(start, count):
            x, y = self.batch(epoch, index)
            # advance before yielding: a checkpoint taken while this batch trains resumes after it
            self._epoch, self._batch = (epoch, index + 1) if index + 1 < count else (epoch + 1, 0)
            yield (Tensor._from_array(backend.asarray(x, np.float32), backend),
                   Tensor._from_array(backend.asarray(y, np.int64), backend))
        if start >= count:  # an empty epoch (fewer samples than one dropped batch)
            self._epoch, self._batch = epoch + 1, 0

    def state_dict(self):
        """Where the stream stands: epoch, batch, seed, and the layout (batch_size, num_samples,
        shuffle, drop_last) that a loader must share to load it."""
        return {"epoch": self._epoch, "batch": self._batch, "seed": self.seed, **self._layout()}

    def _layout(self):
        """What must be equal for a saved position to mean the same batches."""
        return {"batch_size": self.batch_size, "num_samples": len(self.dataset),
                "shuffle": self.shuffle, "drop_last": self.drop_last}

    def load_state_dict(self, state):
        """Continue from a state_dict() of a loader with the same layout (and take its seed)."""
        for key, ours in self._layout().items():
            if state.get(key) != ours:
                raise ValueError(f"DataLoader.load_state_dict: the state has {key}="
                                 f"{state.get(key)!r}, this loader has {ours}; the batches"
                                 f" would differ")
        if not 0 <= state["batch"] <= len(self):
            raise ValueError(f"DataLoader.load_state_dict: batch must be in [0, {len(self)}],"
                             f" got {state['batch']!r}")
        self.seed = state["seed"]
        self.set_epoch(state["epoch"])
        if state["batch"] == len(self):  # saved after the last batch: the next epoch is next
            self._epoch += 1
        else:
            self._batch = state["batch"]
