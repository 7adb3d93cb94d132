"""Run under `mpiexec -n 2 python data_parallel_step.py OUT_DIR`: data-parallel SGD steps with
and without SyncBatchNorm, and one epoch of sharded loading; each rank saves what it got to
OUT_DIR/rank{r}.npz for tests/distributed/test_distributed_mpi.py, which also imports the setup
below to compute the single-process reference on the combined batch."""
import sys

import numpy as np

import tinyres
import tinyres.functional as F
from tinyres import optim
from tinyres.data import ArrayDataset, DataLoader
from tinyres.models import CifarResNet

PER_RANK = 4  # samples per rank and step
STEPS = 5
CASES = ("syncbn", "nobn")


def build(case, seed=0):
    """The model of a case, initialised from `seed`."""
    tinyres.manual_seed(seed)
    return CifarResNet(8, in_channels=1, batchnorm=(case == "syncbn"))


def optimizer(model):
    return optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)


def batch(step, world_size):
    """Step's combined batch: x (W * PER_RANK, 1, 8, 8) float32, y (W * PER_RANK,) int64."""
    rng = np.random.default_rng(step)
    n = world_size * PER_RANK
    return (rng.standard_normal((n, 1, 8, 8)).astype(np.float32),
            rng.integers(0, 10, n).astype(np.int64))


def sgd_step(model, opt, x, y, after_backward=None):
    loss = F.cross_entropy(model(tinyres.tensor(x)), tinyres.tensor(y))
    opt.zero_grad()
    loss.backward()
    if after_backward is not None:
        after_backward()
    opt.step()


def state(model):
    """name -> numpy array for every parameter and buffer."""
    return {name: t.numpy().copy() for name, t in model.state_dict().items()}


def run_case(case, group, out):
    from tinyres import distributed as dist
    model = build(case, seed=group.rank)  # rank 1 starts elsewhere: the broadcast must fix it
    model = dist.DistributedDataParallel(dist.convert_sync_batchnorm(model),
                                         bucket_cap_mb=0.02)  # several buckets
    opt = optimizer(model)
    mine = slice(group.rank * PER_RANK, (group.rank + 1) * PER_RANK)
    for step in range(STEPS):
        x, y = batch(step, group.world_size)
        sgd_step(model, opt, x[mine], y[mine], model.allreduce_gradients)
        if step == 0:
            out.update({f"{case}/1/{k}": v for k, v in state(model).items()})
    out.update({f"{case}/{STEPS}/{k}": v for k, v in state(model).items()})
    out[f"{case}/buckets"] = np.array(len(model.buckets.buckets))


def main(folder):
    from tinyres import distributed as dist
    group = dist.init_process_group(timeout=120)
    out = {}
    for case in CASES:
        run_case(case, group, out)
    data = ArrayDataset(np.zeros((11, 1, 1, 1), np.float32), np.arange(11))
    loader = DataLoader(data, 2, shuffle=True, seed=7, num_replicas=group.world_size,
                        rank=group.rank)
    out["epoch0"] = np.concatenate([y.numpy() for _, y in loader])
    out["epoch1"] = np.concatenate([y.numpy() for _, y in loader])
    out["local_rank"] = np.array(group.local_rank)
    np.savez(f"{folder}/rank{group.rank}.npz", **out)


if __name__ == "__main__":
    main(sys.argv[1])
