"""The NCCL path against stand-ins for CuPy and MPI: which GPU each rank takes, how the unique id
travels, and the exact NcclCommunicator calls (pointers, counts, dtypes, stream). No GPU runs
here: this checks the wiring, not NCCL; a real run needs a machine with GPUs."""
import sys
import types

import numpy as np
import pytest

from tinyres.distributed.nccl_collectives import NcclCollectives


class FakeArray:
    """What the code reads from a cupy.ndarray."""

    def __init__(self, size, dtype="float32", device=0, contiguous=True):
        self.size, self.dtype = size, np.dtype(dtype)
        self.data = types.SimpleNamespace(ptr=1000 + size)
        self.flags = types.SimpleNamespace(c_contiguous=contiguous)
        self.device = types.SimpleNamespace(id=device)
        self.assigned = None

    def __setitem__(self, index, value):
        self.assigned = value


class FakeComm:
    """mpi4py's communicator: rank, size and a pickling bcast."""

    def __init__(self, rank, size):
        self.rank, self.size, self.sent = rank, size, []

    def Get_rank(self):  # noqa: N802 - mpi4py's names
        return self.rank

    def Get_size(self):  # noqa: N802
        return self.size

    def bcast(self, value, root=0):
        self.sent.append(value)
        return value if value is not None else tuple(range(128))


@pytest.fixture
def fake_cupy(monkeypatch):
    calls = []

    class Communicator:
        def __init__(self, ndev, unique_id, rank):
            calls.append(("init", ndev, len(unique_id), rank))

        def allReduce(self, send, recv, count, dtype, op, stream):  # noqa: N802 - CuPy's name
            calls.append(("allReduce", send, recv, count, dtype, op, stream))

        def broadcast(self, send, recv, count, dtype, root, stream):
            calls.append(("broadcast", send, recv, count, dtype, root, stream))

    nccl = types.SimpleNamespace(NcclCommunicator=Communicator, NCCL_SUM=0, NCCL_INT32=2,
                                 NCCL_INT64=4, NCCL_FLOAT32=7, NCCL_FLOAT64=8,
                                 get_unique_id=lambda: tuple(range(128)))
    device = types.SimpleNamespace(use=lambda: None)
    cuda = types.ModuleType("cupy.cuda")
    cuda.nccl = nccl
    cuda.runtime = types.SimpleNamespace(getDeviceCount=lambda: 2)
    cuda.Device = lambda index: calls.append(("device", index)) or device
    cuda.get_current_stream = lambda: types.SimpleNamespace(ptr=77)
    cupy = types.ModuleType("cupy")
    cupy.cuda = cuda
    cupy.ascontiguousarray = lambda a: FakeArray(a.size, a.dtype, a.device.id)
    monkeypatch.setitem(sys.modules, "cupy", cupy)
    monkeypatch.setitem(sys.modules, "cupy.cuda", cuda)
    monkeypatch.setitem(sys.modules, "cupy.cuda.nccl", nccl)
    return calls


def test_rank_uses_gpu_local_rank_and_joins_with_rank_0s_unique_id(fake_cupy):
    comm = FakeComm(rank=1, size=2)
    NcclCollectives(comm, local_rank=1)
    assert comm.sent == [None]  # rank 1 makes no id: it receives rank 0's
    assert fake_cupy == [("device", 1), ("init", 2, 128, 1)]
    root = FakeComm(rank=0, size=2)
    NcclCollectives(root, local_rank=0)
    assert root.sent == [tuple(range(128))]


def test_all_reduce_and_broadcast_are_in_place_on_the_current_stream(fake_cupy):
    nccl = NcclCollectives(FakeComm(0, 2), 0)
    a = FakeArray(10)
    nccl.all_reduce_(a)
    nccl.broadcast_(FakeArray(3, "float64"), root=0)
    assert fake_cupy[-2:] == [("allReduce", 1010, 1010, 10, 7, 0, 77),
                              ("broadcast", 1003, 1003, 3, 8, 0, 77)]
    strided = FakeArray(4, "int64", contiguous=False)
    nccl.all_reduce_(strided)
    assert fake_cupy[-1][3:5] == (4, 4) and strided.assigned is not None  # copied back


def test_misuse_says_what_is_wrong(fake_cupy):
    with pytest.raises(RuntimeError, match="the machine has 2 GPU\\(s\\); start at most 2"):
        NcclCollectives(FakeComm(2, 3), local_rank=2)
    nccl = NcclCollectives(FakeComm(0, 2), 0)
    with pytest.raises(ValueError, match="communicator is on GPU 0, the array on GPU 1"):
        nccl.all_reduce_(FakeArray(2, device=1))
    with pytest.raises(TypeError, match="got float16"):
        nccl.all_reduce_(FakeArray(2, "float16"))
