"""tinyres.distributed: data-parallel training over the processes of an MPI job (mpi4py), with
NCCL (cupy.cuda.nccl) for GPU arrays.

    # mpiexec -n 4 python train.py
    from tinyres import distributed as dist

    group = dist.init_process_group()           # rank, world_size, local_rank from MPI
    model = dist.convert_sync_batchnorm(model)  # batch statistics over all ranks
    model = dist.DistributedDataParallel(model) # rank 0's weights everywhere
    loader = DataLoader(train, 128, shuffle=True, seed=0,
                        num_replicas=group.world_size, rank=group.rank)
    ...
    loss.backward()
    model.allreduce_gradients()                 # bucketed all-reduce: mean gradient
    optimizer.step()

Importing this package does not import mpi4py: init_process_group() does.
"""
from .broadcast import broadcast_buffers, broadcast_parameters, broadcast_tensors  # noqa: F401
from .buckets import GradientBuckets, allreduce_gradients  # noqa: F401
from .data_parallel import DistributedDataParallel  # noqa: F401
from .failure import abort_on_error, install_excepthook  # noqa: F401
from .process_group import (ProcessGroup, destroy_process_group, get_group,  # noqa: F401
                            get_local_rank, get_rank, get_world_size, init_process_group,
                            is_initialized)
from .sync_batchnorm import SyncBatchNorm2d, convert_sync_batchnorm  # noqa: F401
