"""ProcessGroup: this process's place in an MPI job (rank, world size, local rank) and the
collectives the job's processes share.

    group = init_process_group()          # under `mpiexec -n 4 python train.py`
    group.rank, group.world_size, group.local_rank

Rank and world size come from MPI's COMM_WORLD; the local rank (this process's index among those
on its machine, which picks its GPU) from a shared-memory split of it. Collectives take backend
arrays and work in place: numpy arrays go through MPI; cupy arrays through NCCL when the group was
made with backend='nccl', else through host memory and MPI. mpi4py is imported here, on first
use, never by `import tinyres`.
"""
import numpy as np

from .failure import abort_on_error, install_excepthook
from .mpi_collectives import MpiCollectives
from .nccl_collectives import NcclCollectives  # it imports CuPy only when a job asks for NCCL

INSTALL_HINT = "pip install mpi4py mpich"
BACKENDS = ("mpi", "nccl")
_default = None


def import_mpi():
    """mpi4py's MPI module (initialising MPI), or ImportError saying what to install."""
    try:
        from mpi4py import MPI
    except ImportError as error:
        raise ImportError(f"tinyres.distributed needs mpi4py and an MPI library:"
                          f" {INSTALL_HINT} ({error})") from error
    return MPI


class ProcessGroup:
    """The ranks of one job. rank, world_size, local_rank, local_size: ints; comm: mpi4py's
    communicator; all_reduce_/broadcast_ on backend arrays in place."""

    def __init__(self, comm=None, backend="mpi", timeout=None):
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
        mpi = import_mpi()
        self.comm = mpi.COMM_WORLD if comm is None else comm
        self.backend = backend
        self.rank, self.world_size = self.comm.Get_rank(), self.comm.Get_size()
        local = self.comm.Split_type(mpi.COMM_TYPE_SHARED, key=self.rank)
        self.local_rank, self.local_size = local.Get_rank(), local.Get_size()
        local.Free()
        self.mpi = MpiCollectives(self.comm, mpi, timeout)
        self.nccl = None
        if backend == "nccl":
            # a rank failing here would leave the others in NCCL's setup broadcast forever
            with abort_on_error(self, "tinyres.distributed: NCCL setup"):
                self.nccl = NcclCollectives(self.comm, self.local_rank)

    def __repr__(self):
        return (f"ProcessGroup(rank={self.rank}, world_size={self.world_size},"
                f" local_rank={self.local_rank}, backend={self.backend!r})")

    def all_reduce_(self, array):
        """array (a backend array: numpy or cupy) <- its sum over all ranks, in place."""
        if self.world_size > 1:
            self._route(array, "all_reduce_")

    def broadcast_(self, array, root=0):
        """array <- rank root's array, in place."""
        if self.world_size > 1:
            self._route(array, "broadcast_", root)

    def sum_numbers(self, values):
        """[float, ...] -> their sums over all ranks (for metrics: loss totals, counts)."""
        totals = np.array(values, dtype=np.float64)
        self.all_reduce_(totals)
        return totals.tolist()

    def barrier(self):
        """Return once every rank has called barrier()."""
        if self.world_size > 1:
            self.mpi.barrier()

    def _route(self, array, method, *args):
        if isinstance(array, np.ndarray):
            return getattr(self.mpi, method)(array, *args)
        if self.nccl is not None:
            return getattr(self.nccl, method)(array, *args)
        host = array.get()  # a cupy array without NCCL: through host memory (slow but correct)
        getattr(self.mpi, method)(host, *args)
        array.set(host)


def init_process_group(backend="mpi", timeout=None, abort_on_exception=True):
    """Join the MPI job this process was started in (a job of one without mpiexec); returns the
    default ProcessGroup. backend: 'mpi' (cpu arrays) or 'nccl' (cuda arrays, one GPU per rank).
    timeout: seconds a collective may wait before aborting the job (None: forever).
    abort_on_exception: an uncaught exception on any rank aborts the whole job."""
    global _default
    if _default is not None:
        raise RuntimeError(f"init_process_group() was already called: {_default}")
    group = ProcessGroup(backend=backend, timeout=timeout)
    if abort_on_exception and group.world_size > 1:
        install_excepthook(group)
    _default = group
    return group


def is_initialized():
    return _default is not None


def get_group():
    """The default group made by init_process_group(); None before it."""
    return _default


def require_group(group=None):
    """group, else the default one; RuntimeError when neither exists."""
    group = _default if group is None else group
    if group is None:
        raise RuntimeError("no process group: call tinyres.distributed.init_process_group()"
                           " first (under mpiexec -n N)")
    return group


def get_rank(group=None):
    """This process's rank (0 when no group was initialised)."""
    group = _default if group is None else group
    return 0 if group is None else group.rank


def get_world_size(group=None):
    """The number of processes in the job (1 when no group was initialised)."""
    group = _default if group is None else group
    return 1 if group is None else group.world_size


def get_local_rank(group=None):
    """This process's index among those on its machine (0 when no group was initialised)."""
    group = _default if group is None else group
    return 0 if group is None else group.local_rank


def destroy_process_group():
    """Forget the default group (MPI itself is finalised by mpi4py at exit)."""
    global _default
    _default = None
