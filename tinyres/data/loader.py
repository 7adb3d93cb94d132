"""DataLoader: batches of a Dataset as tinyres Tensors, in an order that a seed and an epoch fix.

Reproducibility is by construction, not by shared generator state: epoch e's permutation comes from
a generator seeded with (seed, e), and the random transforms of batch b of epoch e from one seeded
with (seed, e, b). So any batch of any epoch can be rebuilt alone, and a run resumed from
state_dict() sees bit-for-bit the batches the uninterrupted run would have seen.

The loader is a resumable stream: it remembers the next (epoch, batch) to produce. A full pass
moves it to the next epoch; a pass cut short (break) is continued by the next iter(), and
set_epoch(e) jumps to the start of epoch e. Iterate with one iterator at a time.

Data-parallel training: DataLoader(..., num_replicas=W, rank=r) gives rank r its shard of each
epoch's order (see shard.py: padded to equal shards), so the W loaders of a job, built with the
same seed, together cover every sample once per epoch (the padding repeats < W of them).
"""
import math

import numpy as np

from ..backend import get_backend, normalize_device
from ..tensor import Tensor
from .dataset import Dataset
from .shard import check_replicas, shard, shard_size

_SHUFFLE, _TRANSFORM = 0, 1  # stream tags: the permutation and the transforms never share draws
_LAYOUT_DEFAULTS = {"num_replicas": 1}  # what checkpoints written before a key existed meant


class DataLoader:
    """for x, y in DataLoader(ds, batch_size=128, shuffle=True): x (B, C, H, W) float32,
    y (B,) int64, both on `device` (default: tinyres.default_device()). num_replicas and rank:
    this loader yields only rank's shard of every epoch (data-parallel training)."""

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, seed=0,
                 transform=None, device=None, num_replicas=1, rank=0):
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be an int >= 1, got {batch_size!r}")
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ValueError(f"DataLoader: seed must be an int >= 0, got {seed!r}")
        if transform is not None and not callable(transform):
            raise TypeError(f"DataLoader: transform must be callable as transform(x, rng), got"
                            f" {type(transform).__name__}")
        check_replicas(num_replicas, rank)
        self.num_replicas, self.rank = num_replicas, rank
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
        """The number of batches in an epoch (of this rank's shard)."""
        n = self.num_samples
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    @property
    def num_samples(self):
        """Samples per epoch for this rank: len(dataset), or its padded shard."""
        return shard_size(len(self.dataset), self.num_replicas)

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
        """The sample indices of an epoch, (num_samples,) int64: a permutation fixed by (seed,
        epoch) when shuffling, else 0..N-1; with num_replicas > 1, this rank's shard of it."""
        n = len(self.dataset)
        key = (self.seed, epoch, n, self.shuffle, self.num_replicas, self.rank)
        if self._order_cache[0] != key:  # one permutation per epoch, not per batch
            order = (np.random.default_rng((self.seed, epoch, _SHUFFLE)).permutation(n)
                     if self.shuffle else np.arange(n, dtype=np.int64))
            if self.num_replicas > 1:
                order = shard(order, self.num_replicas, self.rank)
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
            # each rank its own augmentation draws (one rank keeps the single-process stream)
            ranks = (self.rank,) if self.num_replicas > 1 else ()
            rng = np.random.default_rng((self.seed, epoch, _TRANSFORM, index) + ranks)
            x = self.transform(x, rng)
        return np.asarray(x, np.float32), np.asarray(y, np.int64)

    def __iter__(self):
        backend = get_backend(self.device)
        epoch, start, count = self._epoch, self._batch, len(self)
        for index in range(start, count):
            x, y = self.batch(epoch, index)
            # advance before yielding: a checkpoint taken while this batch trains resumes after it
            self._epoch, self._batch = (epoch, index + 1) if index + 1 < count else (epoch + 1, 0)
            yield (Tensor.from_array(backend.asarray(x, np.float32), backend),
                   Tensor.from_array(backend.asarray(y, np.int64), backend))
        if start >= count:  # an empty epoch (fewer samples than one dropped batch)
            self._epoch, self._batch = epoch + 1, 0

    def state_dict(self):
        """Where the stream stands: epoch, batch, seed, and the layout (batch_size, num_samples,
        shuffle, drop_last, num_replicas) that a loader must share to load it. Every rank of a
        job is at the same position, so rank 0's state resumes them all."""
        return {"epoch": self._epoch, "batch": self._batch, "seed": self.seed, **self._layout()}

    def _layout(self):
        """What must be equal for a saved position to mean the same batches."""
        return {"batch_size": self.batch_size, "num_samples": len(self.dataset),
                "shuffle": self.shuffle, "drop_last": self.drop_last,
                "num_replicas": self.num_replicas}

    def load_state_dict(self, state):
        """Continue from a state_dict() of a loader with the same layout (and take its seed)."""
        for key, ours in self._layout().items():
            theirs = state.get(key, _LAYOUT_DEFAULTS.get(key))
            if theirs != ours:
                raise ValueError(f"DataLoader.load_state_dict: the state has {key}="
                                 f"{theirs!r}, this loader has {ours}; the batches"
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
