"""SyncBatchNorm: W ranks of B samples (threads here, MPI processes in test_distributed_mpi.py)
compute what one process computes on the W * B samples: outputs, input gradients, summed weight
gradients and running statistics; float64 gradient check; convert_sync_batchnorm."""
import numpy as np
import pytest

import tinyres
import tinyres.functional as F
from tinyres import nn
from tinyres.distributed import SyncBatchNorm2d, convert_sync_batchnorm
from tinyres.models import CifarResNet
from tinyres.ops.sync_batchnorm import sync_batch_norm
from tests.helpers.thread_group import run_ranks


class WorldOfOne:
    rank, world_size = 0, 1

    def all_reduce_(self, array):
        pass


def _case(shape, seed=0):
    rng = np.random.default_rng(seed)
    c = shape[1]
    return (rng.standard_normal(shape) * 2 + 0.5, rng.standard_normal(c),
            rng.standard_normal(c), rng.standard_normal(shape))


def _leaf(a, grad=True, dtype="float64"):
    return tinyres.tensor(a, dtype=dtype, requires_grad=grad)


@pytest.mark.parametrize("world_size,shape", [(2, (6, 3, 4, 5)), (3, (6, 2, 3, 3)),
                                              (2, (4, 3))])
def test_ranks_together_equal_one_process_on_the_whole_batch(world_size, shape):
    x, w, b, r = _case(shape)
    c = shape[1]
    xs, ws, bs = _leaf(x), _leaf(w), _leaf(b)
    rm, rv = _leaf(np.zeros(c), False), _leaf(np.ones(c), False)
    y = F.batch_norm(xs, rm, rv, ws, bs, training=True, momentum=0.1)
    (y * _leaf(r, False)).sum().backward()
    per = shape[0] // world_size

    def work(group):
        part = slice(group.rank * per, (group.rank + 1) * per)
        xl, wl, bl = _leaf(x[part]), _leaf(w), _leaf(b)
        rml, rvl = _leaf(np.zeros(c), False), _leaf(np.ones(c), False)
        yl = sync_batch_norm(xl, rml, rvl, wl, bl, 0.1, 1e-5, group)
        (yl * _leaf(r[part], False)).sum().backward()
        return part, yl.numpy(), xl.grad.numpy(), wl.grad.numpy(), bl.grad.numpy(), rml, rvl

    results, calls = run_ranks(world_size, work)
    assert calls == 3  # forward: [sum, count] then centred squares; backward: both sums at once
    for part, yl, gx, gw, gb, rml, rvl in results:
        np.testing.assert_allclose(yl, y.numpy()[part], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(gx, xs.grad.numpy()[part], rtol=1e-9, atol=1e-11)
        np.testing.assert_allclose(rml.numpy(), rm.numpy(), rtol=1e-12)
        np.testing.assert_allclose(rvl.numpy(), rv.numpy(), rtol=1e-12)
    # weight and bias get this rank's share; the data-parallel average sums the shares
    np.testing.assert_allclose(sum(res[3] for res in results), ws.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(sum(res[4] for res in results), bs.grad.numpy(), rtol=1e-10)


def test_sync_batch_norm_gradcheck():
    x, w, b, _ = _case((3, 2, 3, 3))
    assert tinyres.gradcheck(lambda x, w, b: sync_batch_norm(x, None, None, w, b, 0.1, 1e-5,
                                                             WorldOfOne()),
                             [_leaf(x), _leaf(w), _leaf(b)])


def test_sync_batch_norm_rejects_bad_input():
    x = _leaf(np.ones((1, 2, 1, 1)))
    with pytest.raises(ValueError, match="more than 1 value per channel over all ranks"):
        sync_batch_norm(x, None, None, None, None, 0.1, 1e-5, WorldOfOne())
    with pytest.raises(TypeError, match="argument 'group' must have all_reduce_"):
        sync_batch_norm(x, None, None, None, None, 0.1, 1e-5, object())


def test_convert_keeps_the_parameters_and_without_a_job_acts_as_batchnorm():
    tinyres.manual_seed(0)
    plain = CifarResNet(8, in_channels=1)
    tinyres.manual_seed(0)
    model = CifarResNet(8, in_channels=1)
    before = {id(p) for p in model.parameters()}
    model = convert_sync_batchnorm(model)
    assert {id(p) for p in model.parameters()} == before
    assert isinstance(model.bn1, SyncBatchNorm2d)
    assert isinstance(model.layer2[0].bn2, SyncBatchNorm2d)
    assert list(model.state_dict()) == list(plain.state_dict())
    x = tinyres.tensor(np.random.default_rng(0).standard_normal((4, 1, 8, 8)), dtype="float32")
    np.testing.assert_array_equal(model(x).numpy(), plain(x).numpy())  # no group: BatchNorm2d
    for (name, a), b in zip(model.named_buffers(), plain.buffers()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=name)
    bn = nn.BatchNorm2d(3).eval()
    sync = convert_sync_batchnorm(bn)
    assert isinstance(sync, SyncBatchNorm2d) and not sync.training and sync.weight is bn.weight
