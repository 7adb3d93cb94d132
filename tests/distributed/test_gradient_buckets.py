"""GradientBuckets: flat buckets of about bucket_cap_mb, one all-reduce each, the mean gradient
handed back to every parameter (threads as ranks; the MPI tests run it across processes)."""
import numpy as np
import pytest

import tinyres
from tinyres.distributed import GradientBuckets
from tinyres.models import CifarResNet
from tests.helpers.thread_group import run_ranks


def _model_with_grads(seed):
    tinyres.manual_seed(0)
    model = CifarResNet(8, in_channels=1)
    rng = np.random.default_rng(seed)
    for p in model.parameters():
        p.grad = tinyres.tensor(rng.standard_normal(p.shape), dtype=p.dtype)
    return model


def test_buckets_respect_the_cap_and_cover_every_parameter_once():
    model = _model_with_grads(0)
    params = list(model.parameters())
    one = GradientBuckets(params)
    assert len(one.buckets) == 1 and one.buckets[0].size == sum(p.numel() for p in params)
    small = GradientBuckets(params + params[:3], bucket_cap_mb=0.02)  # repeats counted once
    cap = 0.02 * (1 << 20)
    assert len(small.buckets) > 3
    for bucket in small.buckets:
        assert bucket.size * 4 <= cap or len(bucket.params) == 1
    assert [p for bucket in small.buckets for p in bucket.params] == params


@pytest.mark.parametrize("cap", [25.0, 0.01])
def test_allreduce_gives_every_rank_the_mean_gradient(cap):
    expected = {}
    for seed in (1, 2, 3):
        for name, p in _model_with_grads(seed).named_parameters():
            expected[name] = expected.get(name, 0) + p.grad.numpy().astype(np.float64) / 3

    def work(group):
        model = _model_with_grads(group.rank + 1)
        buckets = GradientBuckets(model.parameters(), bucket_cap_mb=cap)
        buckets.allreduce_(group)
        return len(buckets.buckets), {n: p.grad.numpy() for n, p in model.named_parameters()}

    results, calls = run_ranks(3, work)
    assert calls == results[0][0]  # one all-reduce per bucket
    for _, grads in results:
        for name, grad in grads.items():
            np.testing.assert_allclose(grad, expected[name], rtol=1e-5, atol=1e-6, err_msg=name)


def test_bad_cap_is_refused():
    with pytest.raises(ValueError, match="bucket_cap_mb must be a number > 0, got 0"):
        GradientBuckets([], bucket_cap_mb=0)
