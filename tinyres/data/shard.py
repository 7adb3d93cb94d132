"""Sharding an epoch's sample order across the ranks of a data-parallel job.

Every rank computes the same permutation (it depends only on the seed and the epoch), so no
indices are ever sent: each rank takes its share of the same list. As torch's
DistributedSampler does by default, the order is PADDED (not dropped) to a multiple of the number
of replicas by repeating its first indices, so every rank gets the same number of samples (and so
of batches and of collective calls) and every sample is seen at least once per epoch.
"""
import math

import numpy as np


def shard_size(num_samples, num_replicas):
    """How many samples each rank gets: ceil(num_samples / num_replicas)."""
    return math.ceil(num_samples / num_replicas)


def shard(order, num_replicas, rank):
    """(N,) epoch order -> (ceil(N / num_replicas),) the indices of `rank`: the order padded by
    wrapping around to a multiple of num_replicas, then every num_replicas-th from position rank
    (so rank r's samples interleave with the others', as torch's DistributedSampler)."""
    total = shard_size(len(order), num_replicas) * num_replicas
    padded = np.resize(order, total)  # np.resize repeats from the start: the padding wraps around
    return padded[rank::num_replicas]


def check_replicas(num_replicas, rank, where="DataLoader"):
    """ValueError unless num_replicas >= 1 and 0 <= rank < num_replicas (both ints)."""
    for name, value in (("num_replicas", num_replicas), ("rank", rank)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{where}: {name} must be an int, got {type(value).__name__}"
                            f" {value!r}")
    if num_replicas < 1:
        raise ValueError(f"{where}: num_replicas must be >= 1, got {num_replicas}")
    if not 0 <= rank < num_replicas:
        raise ValueError(f"{where}: rank must be in [0, num_replicas={num_replicas}), got {rank}")
