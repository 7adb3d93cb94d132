"""Collectives on host (NumPy) arrays through MPI, in place, with an optional deadline.

Each call starts a non-blocking collective and waits for it: briefly spinning (a partner that is
already there answers within microseconds), then sleeping between polls, so a rank that waits for
a slow one (rank 0 writing a checkpoint, say) gives its core back instead of busy-waiting as
MPICH's blocking calls do. With a timeout, a wait longer than that aborts the whole job with a
message: the partner is dead or stuck, and MPI collectives would otherwise wait forever.
"""
import time

import numpy as np

from .failure import abort

SPIN_SECONDS = 0.002  # poll flat out this long before sleeping between polls
SLEEP_SECONDS = 0.0002


class MpiCollectives:
    """all_reduce_ (sum) and broadcast_ of C-contiguous numpy arrays over an MPI communicator."""

    def __init__(self, comm, mpi, timeout=None):
        if timeout is not None and not timeout > 0:
            raise ValueError(f"timeout must be None or a number of seconds > 0, got {timeout!r}")
        self.comm, self.mpi, self.timeout = comm, mpi, timeout

    def all_reduce_(self, array):
        """array (any shape) <- its sum over all ranks, in place."""
        with _contiguous(array) as buf:
            self._wait(self.comm.Iallreduce(self.mpi.IN_PLACE, buf, op=self.mpi.SUM),
                       "all_reduce")

    def broadcast_(self, array, root=0):
        """array (any shape) <- root's array, in place."""
        with _contiguous(array) as buf:
            self._wait(self.comm.Ibcast(buf, root=root), "broadcast")

    def barrier(self):
        """Return once every rank has called barrier()."""
        self._wait(self.comm.Ibarrier(), "barrier")

    def _wait(self, request, what):
        began = time.monotonic()
        while not request.Test():
            waited = time.monotonic() - began
            if self.timeout is not None and waited > self.timeout:
                abort(self.comm, f"tinyres.distributed: rank {self.comm.Get_rank()} waited"
                                 f" {waited:.0f} s (timeout {self.timeout:g} s) in {what}: another"
                                 " rank has died or is stuck; aborting the job")
            if waited > SPIN_SECONDS:
                time.sleep(SLEEP_SECONDS)


class _contiguous:
    """with _contiguous(a) as buf: a C-contiguous buffer of a, copied back into a on exit when a
    is not contiguous itself (MPI needs one block of memory)."""

    def __init__(self, array):
        if not isinstance(array, np.ndarray):
            raise TypeError(f"MPI collectives take numpy arrays, got {type(array).__name__}")
        self.array = array
        self.buf = array if array.flags.c_contiguous else np.ascontiguousarray(array)

    def __enter__(self):
        return self.buf

    def __exit__(self, *exc):
        if self.buf is not self.array:
            self.array[...] = self.buf
        return False
