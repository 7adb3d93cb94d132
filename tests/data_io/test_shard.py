"""DataLoader(num_replicas, rank): the ranks' shards of an epoch cover every sample (the padding
repeats fewer than num_replicas of them), every rank has as many batches, and the resumable state
carries over."""
import numpy as np
import pytest

from tinyres.data import ArrayDataset, DataLoader
from tinyres.data.shard import shard


def _dataset(n):
    return ArrayDataset(np.arange(n, dtype=np.float32).reshape(n, 1, 1, 1), np.arange(n))


@pytest.mark.parametrize("n,replicas", [(12, 2), (13, 2), (10, 3), (2, 3), (0, 2)])
def test_shards_cover_every_sample_and_pad_to_equal_length(n, replicas):
    order = np.random.default_rng(0).permutation(n)
    shards = [shard(order, replicas, r) for r in range(replicas)]
    assert len({len(s) for s in shards}) == 1
    seen = np.concatenate(shards)
    counts = np.bincount(seen, minlength=n)
    assert (counts >= 1).all()
    assert counts.sum() - n == len(seen) - n < replicas  # only the padding repeats


def test_loaders_of_one_job_see_each_sample_once_per_epoch():
    data = _dataset(20)
    loaders = [DataLoader(data, 3, shuffle=True, seed=5, num_replicas=2, rank=r) for r in (0, 1)]
    assert len(loaders[0]) == len(loaders[1]) == 4  # 10 samples each, batches 3 + 3 + 3 + 1
    for epoch in range(2):
        labels = [y.numpy() for loader in loaders for _, y in loader]
        assert sorted(np.concatenate(labels).tolist()) == list(range(20))
    single = DataLoader(data, 3, shuffle=True, seed=5)
    np.testing.assert_array_equal(np.sort(np.concatenate([lo.order(1) for lo in loaders])),
                                  np.sort(single.order(1)))  # the same epoch, split in two


def test_state_is_shared_by_the_ranks_and_checks_the_world_size():
    data = _dataset(20)
    rank0 = DataLoader(data, 3, shuffle=True, num_replicas=2, rank=0)
    for _ in zip(range(2), rank0):
        pass
    rank1 = DataLoader(data, 3, shuffle=True, num_replicas=2, rank=1)
    rank1.load_state_dict(rank0.state_dict())
    assert (rank1.epoch, rank1._batch) == (0, 2)
    alone = DataLoader(data, 3, shuffle=True)
    with pytest.raises(ValueError, match="the state has num_replicas=2, this loader has 1"):
        alone.load_state_dict(rank0.state_dict())
    old = {k: v for k, v in alone.state_dict().items() if k != "num_replicas"}
    alone.load_state_dict(old)  # checkpoints from before data parallelism: one replica


@pytest.mark.parametrize("kwargs,message", [
    (dict(num_replicas=0), "num_replicas must be >= 1, got 0"),
    (dict(num_replicas=2, rank=2), r"rank must be in \[0, num_replicas=2\), got 2"),
    (dict(num_replicas=2.0), "num_replicas must be an int, got float"),
])
def test_bad_replicas_are_refused(kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message):
        DataLoader(_dataset(4), 2, **kwargs)
