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
