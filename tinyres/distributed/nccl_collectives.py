"""Collectives on GPU (CuPy) arrays through NCCL (cupy.cuda.nccl), in place.

One process per GPU: rank r uses GPU `local_rank` (its index among the ranks on its machine).
Rank 0 makes NCCL's unique id, MPI broadcasts it, and every rank joins the NCCL communicator with
it. Calls are queued on CuPy's current stream, so they run in order with the kernels around them
and the host does not wait. CuPy is imported only here, when a job asks for backend='nccl'.

NOT RUN in tinyres's CI (no GPU there): written against CuPy's documented NcclCommunicator API.
"""


def _import_cupy():
    try:
        import cupy
        from cupy.cuda import nccl
    except ImportError as error:
        raise ImportError("backend='nccl' needs CuPy built with NCCL (pip install cupy-cuda13x;"
                          f" tinyres[gpu]): {error}") from error
    return cupy, nccl


class NcclCollectives:
    """all_reduce_ (sum) and broadcast_ of C-contiguous cupy arrays over NCCL."""

    def __init__(self, comm, local_rank):
        cupy, nccl = _import_cupy()
        count = cupy.cuda.runtime.getDeviceCount()
        if local_rank >= count:
            raise RuntimeError(f"rank {comm.Get_rank()} is process {local_rank} on its machine"
                               f" but the machine has {count} GPU(s); start at most {count}"
                               " processes per machine (mpiexec -ppn)")
        cupy.cuda.Device(local_rank).use()  # before anything allocates on the wrong GPU
        unique_id = nccl.get_unique_id() if comm.Get_rank() == 0 else None
        unique_id = comm.bcast(unique_id, root=0)  # a tuple of 128 ints, pickled by mpi4py
        self.cupy, self.nccl = cupy, nccl
        self.device = local_rank
        self.comm = nccl.NcclCommunicator(comm.Get_size(), unique_id, comm.Get_rank())
        self.types = {"float32": nccl.NCCL_FLOAT32, "float64": nccl.NCCL_FLOAT64,
                      "int64": nccl.NCCL_INT64, "int32": nccl.NCCL_INT32}

    def all_reduce_(self, array):
        """array (any shape, on this rank's GPU) <- its sum over all ranks, in place."""
        buf = self._buffer(array)
        self.comm.allReduce(buf.data.ptr, buf.data.ptr, buf.size, self._type(buf),
                            self.nccl.NCCL_SUM, self._stream())
        self._copy_back(buf, array)

    def broadcast_(self, array, root=0):
        """array <- root's array, in place."""
        buf = self._buffer(array)
        self.comm.broadcast(buf.data.ptr, buf.data.ptr, buf.size, self._type(buf), root,
                            self._stream())
        self._copy_back(buf, array)

    def _type(self, array):
        name = array.dtype.name
        if name not in self.types:
            raise TypeError(f"NCCL collectives take {sorted(self.types)} arrays, got {name}")
        return self.types[name]

    def _stream(self):
        return self.cupy.cuda.get_current_stream().ptr

    def _buffer(self, array):
        """array itself, or a contiguous copy (NCCL needs one block of memory)."""
        if array.device.id != self.device:
            raise ValueError(f"this rank's NCCL communicator is on GPU {self.device}, the array"
                             f" on GPU {array.device.id}")
        return array if array.flags.c_contiguous else self.cupy.ascontiguousarray(array)

    @staticmethod
    def _copy_back(buf, array):
        if buf is not array:
            array[...] = buf  # queued on the same stream, after the collective
