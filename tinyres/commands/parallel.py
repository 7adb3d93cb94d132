"""How `tinyres train` runs: as one process, or (--distributed) as one rank of an MPI job.

A job is what the training loop needs to know about the others: rank and world size (the data
shard), whether this process is the main one (rank 0 writes checkpoints, metrics and logs), how to
wrap the model (SyncBatchNorm + DistributedDataParallel), what to call after backward and how to
add the epoch's totals over the ranks: the `parallel` hooks of RunConfig (run_config.py), which a
DataParallelJob is. A failure on any rank aborts the whole job.
"""
import contextlib

from .. import distributed as dist
from .usage import UsageError


class SingleProcess:
    """The ordinary run: one process, nothing to share."""

    rank, world_size, is_main = 0, 1, True
    parallel = None  # RunConfig.parallel: nothing to share

    def wrap(self, model):
        return model

    def guard(self, prefix):
        return contextlib.nullcontext()


class DataParallelJob:
    """One rank of `mpiexec -n N tinyres train --distributed`."""

    def __init__(self, group):
        self.parallel = self  # RunConfig.parallel: is_main, after_backward, sum_totals
        self.group = group
        self.rank, self.world_size = group.rank, group.world_size
        self.is_main = self.rank == 0
        self.model = None

    def wrap(self, model):
        """Batch statistics over all ranks, rank 0's weights everywhere, gradient averaging."""
        model = dist.convert_sync_batchnorm(model, self.group)
        self.model = dist.DistributedDataParallel(model, self.group)
        return self.model

    def after_backward(self):
        self.model.allreduce_gradients()

    def sum_totals(self, values):
        return self.group.sum_numbers(values)

    def guard(self, prefix):
        """Any error on this rank: one line naming the rank, then every rank stops."""
        return dist.abort_on_error(self.group, prefix)


def start(distributed, device, timeout):
    """SingleProcess, or (distributed) this process's DataParallelJob; UsageError without
    mpi4py. device 'cuda' uses NCCL between the GPUs, one GPU per rank."""
    if not distributed:
        return SingleProcess()
    backend = "nccl" if device is not None and device.startswith("cuda") else "mpi"
    try:
        group = dist.init_process_group(backend, timeout=timeout)
    except ImportError as error:  # no mpi4py; or no CuPy/NCCL for --device cuda
        raise UsageError(f"--distributed: {error}") from error
    return DataParallelJob(group)
