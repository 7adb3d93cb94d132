"""ThreadGroup: W 'ranks' as threads of one process, summing arrays through a barrier, so the
maths of the data-parallel pieces is tested without MPI (the MPI tests run them for real)."""
import threading

import numpy as np


class _Shared:
    def __init__(self, world_size):
        self.barrier = threading.Barrier(world_size, timeout=30)
        self.slots = [None] * world_size
        self.calls = 0


class ThreadGroup:
    """One rank's view: rank, world_size and all_reduce_ (sum, in place, the same order of
    additions on every rank, so every rank gets the same bits)."""

    def __init__(self, shared, rank, world_size):
        self.shared, self.rank, self.world_size = shared, rank, world_size

    def all_reduce_(self, array):
        shared = self.shared
        shared.slots[self.rank] = np.array(array, copy=True)
        shared.barrier.wait()
        total = shared.slots[0].copy()
        for other in shared.slots[1:]:
            total += other
        if self.rank == 0:
            shared.calls += 1
        shared.barrier.wait()  # nobody overwrites a slot before everyone has summed
        array[...] = total


def run_ranks(world_size, work):
    """[work(group) for each rank], each in its own thread; re-raises the first error."""
    shared = _Shared(world_size)
    results, errors = [None] * world_size, []

    def target(rank):
        try:
            results[rank] = work(ThreadGroup(shared, rank, world_size))
        except BaseException as error:  # noqa: BLE001 - handed to the test thread
            errors.append(error)
            shared.barrier.abort()

    threads = [threading.Thread(target=target, args=(r,)) for r in range(world_size)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results, shared.calls
