"""tinyres.distributed without an MPI job: importing tinyres never imports mpi4py, a process
that joined no job is rank 0 of 1, and `tinyres train --distributed` without mpi4py says what to
install in one line. (The real thing runs in test_distributed_mpi.py, under mpiexec.)"""
import subprocess
import sys

import pytest

from tinyres import distributed as dist
from tinyres.cli import main


def test_importing_tinyres_and_its_distributed_package_imports_no_mpi_nor_torch():
    code = ("import sys, tinyres, tinyres.distributed, tinyres.commands.parallel;"
            " print(sorted(m for m in ('mpi4py', 'mpi4py.MPI', 'torch', 'cupy')"
            " if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.strip() == "[]", done.stderr


def test_without_a_job_this_process_is_rank_0_of_1():
    assert not dist.is_initialized() and dist.get_group() is None
    assert (dist.get_rank(), dist.get_world_size(), dist.get_local_rank()) == (0, 1, 0)
    with pytest.raises(RuntimeError, match="call tinyres.distributed.init_process_group"):
        dist.DistributedDataParallel(dist.SyncBatchNorm2d(2))


def test_distributed_without_mpi4py_is_one_clear_line(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "mpi4py", None)  # `from mpi4py import MPI` now fails
    assert main(["train", "--distributed", "--data", "digits"]) == 2
    err = capsys.readouterr().err
    assert "tinyres train: error: --distributed: tinyres.distributed needs mpi4py" in err
    assert "pip install mpi4py mpich" in err and err.count("\n") == 1
    assert not dist.is_initialized()


def test_a_bad_backend_is_refused_before_mpi_starts(monkeypatch):
    monkeypatch.setitem(sys.modules, "mpi4py", None)
    with pytest.raises(ValueError, match="backend must be one of \\('mpi', 'nccl'\\), got 'gloo'"):
        dist.init_process_group("gloo")


def test_a_ctrl_c_swallowed_inside_a_callback_still_aborts_the_job(monkeypatch, capsys):
    """A KeyboardInterrupt raised in a C callback (Numba compiling) is dropped there; the SIGINT
    handler's timer aborts the job anyway, with the message and status 130."""
    import os
    import signal
    import threading
    import time
    from types import SimpleNamespace

    from tinyres.distributed import failure
    aborted = threading.Event()
    codes = []
    comm = SimpleNamespace(Abort=lambda code: (codes.append(code), aborted.set()))
    group = SimpleNamespace(comm=comm, rank=1, world_size=2)
    monkeypatch.setattr(failure, "SWALLOWED_SECONDS", 0.05)
    monkeypatch.setattr(failure, "FORWARD_SECONDS", 0.0)
    before = signal.getsignal(signal.SIGINT)
    with failure.abort_on_error(group, "tinyres train"):
        try:  # the callback that swallows the interrupt
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(1)
        except KeyboardInterrupt:
            pass
        assert aborted.wait(5), "the job was not aborted"
    assert codes == [130]
    assert "tinyres train: rank 1 of 2" in capsys.readouterr().err
    assert signal.getsignal(signal.SIGINT) is before  # the handler is put back


def test_an_interrupt_swallowed_by_a_c_callback_prints_no_traceback(monkeypatch, capsys):
    """Python reports an exception raised inside a C callback as 'Exception ignored in ...' with
    a traceback (CI saw one when Ctrl-C hit Numba writing its cache); inside abort_on_error a
    KeyboardInterrupt is left to the one-line message, other exceptions are still reported, and
    the hook is put back afterwards."""
    import ctypes
    import sys
    from types import SimpleNamespace

    from tinyres.distributed import failure
    group = SimpleNamespace(comm=SimpleNamespace(Abort=lambda code: None), rank=0, world_size=2)
    callback_type = ctypes.CFUNCTYPE(None)

    def raising(kind):
        def body():
            raise kind("raised in a C callback")
        return callback_type(body)
    monkeypatch.setattr(sys, "unraisablehook", sys.__unraisablehook__)  # not pytest's: it prints
    before = sys.unraisablehook
    with failure.abort_on_error(group, "tinyres train"):  # (it would swallow an AssertionError)
        raising(KeyboardInterrupt)()  # swallowed by ctypes: reported as unraisable
        after_interrupt = capsys.readouterr().err
        raising(ValueError)()
        after_error = capsys.readouterr().err
    assert "Traceback" not in after_interrupt
    assert "ValueError: raised in a C callback" in after_error
    assert sys.unraisablehook is before
