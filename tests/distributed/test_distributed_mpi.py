"""Data-parallel training across real processes: each test launches `mpiexec -n 2` (skipped only
where mpi4py or mpiexec is missing; CI installs both). Two ranks of B samples take the same SGD
steps as one process on the 2B samples, with SyncBatchNorm and without batchnorm; the ranks stay
identical; the shards cover every sample; a failing rank stops the job with a message; and
`tinyres train --distributed` trains, checkpoints once and resumes."""
import importlib.util
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import tinyres
from tinyres.cli import main
from tests.helpers.paths import HELPERS

BIN = os.path.dirname(sys.executable)  # pip puts mpich's mpiexec beside the venv's python
MPIEXEC = shutil.which("mpiexec", path=BIN + os.pathsep + os.environ.get("PATH", ""))
try:
    import mpi4py  # noqa: F401 - only checks it is there; MPI starts in the subprocesses
    MISSING = None if MPIEXEC else "no mpiexec on PATH (pip install mpich)"
except ImportError:
    MISSING = "mpi4py is not installed (pip install mpi4py mpich)"
if MISSING and os.environ.get("TINYRES_REQUIRE_MPI"):  # CI: the MPI tests may not skip
    raise RuntimeError(f"TINYRES_REQUIRE_MPI is set but {MISSING}")
if MISSING:
    pytest.skip(MISSING, allow_module_level=True)
SCRIPTS = os.path.join(HELPERS, "mpi_scripts")
# one core per rank: threaded BLAS/Numba in two ranks on a small machine would only fight
ENV = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
       "NUMBA_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def mpiexec(args, timeout=120, cwd=None):
    """Run `mpiexec -n 2 ARGS`; the CompletedProcess (text)."""
    return subprocess.run([MPIEXEC, "-n", "2", *args], capture_output=True, text=True,
                          timeout=timeout, env=ENV, cwd=cwd)


def _load_script(name):
    spec = importlib.util.spec_from_file_location(name, os.path.join(SCRIPTS, name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def ranks(tmp_path_factory):
    """What each rank of data_parallel_step.py saved: [rank0 dict, rank1 dict]."""
    folder = tmp_path_factory.mktemp("data_parallel")
    done = mpiexec([sys.executable, os.path.join(SCRIPTS, "data_parallel_step.py"), str(folder)])
    assert done.returncode == 0, done.stdout + done.stderr
    return [dict(np.load(folder / f"rank{r}.npz")) for r in (0, 1)]


def _reference(case, steps):
    """One process, the combined batch of 2 * PER_RANK, plain BatchNorm2d."""
    script = _load_script("data_parallel_step")
    model = script.build(case, seed=0)
    opt = script.optimizer(model)
    for step in range(steps):
        script.sgd_step(model, opt, *script.batch(step, 2))
    return script.state(model)


@pytest.mark.parametrize("case", ["syncbn", "nobn"])
def test_one_step_on_two_ranks_equals_one_step_on_the_combined_batch(ranks, case):
    expected = _reference(case, 1)
    assert ranks[0][f"{case}/buckets"] > 1  # the bucketing is exercised, not one flat buffer
    for rank in ranks:
        for name, value in expected.items():
            np.testing.assert_allclose(rank[f"{case}/1/{name}"], value, rtol=0, atol=1e-5,
                                       err_msg=f"{case} {name}")


@pytest.mark.parametrize("case", ["syncbn", "nobn"])
def test_ranks_stay_identical_and_on_the_single_process_path(ranks, case):
    expected = _reference(case, 5)
    for name, value in expected.items():
        key = f"{case}/5/{name}"
        np.testing.assert_array_equal(ranks[0][key], ranks[1][key], err_msg=name)
        np.testing.assert_allclose(ranks[0][key], value, rtol=0, atol=1e-4, err_msg=name)


def test_the_shards_cover_the_epoch(ranks):
    for epoch in ("epoch0", "epoch1"):
        seen = np.concatenate([ranks[0][epoch], ranks[1][epoch]])
        assert len(ranks[0][epoch]) == len(ranks[1][epoch]) == 6  # 11 samples, padded to 12
        assert sorted(set(seen.tolist())) == list(range(11)) and len(seen) == 12
    assert not np.array_equal(ranks[0]["epoch0"], ranks[0]["epoch1"])  # reshuffled per epoch
    assert [int(r["local_rank"]) for r in ranks] == [0, 1]


@pytest.mark.parametrize("mode,message", [
    ("raise", "rank 1 of 2 .* failed with RuntimeError: rank 1 failed on purpose"),
    ("stall", r"rank 0 waited \d+ s \(timeout 2 s\) in all_reduce: another rank has died"),
])
def test_a_failing_rank_stops_the_job_with_a_message(mode, message):
    done = mpiexec([sys.executable, os.path.join(SCRIPTS, "failing_rank.py"), mode], timeout=60)
    assert done.returncode != 0
    assert "unreachable" not in done.stdout
    assert re.search(message, done.stderr), done.stderr


def test_train_command_checkpoints_on_rank_0_and_resumes(tmp_path):
    pytest.importorskip("sklearn", reason="digits comes with scikit-learn")
    tinyres_cmd = [os.path.join(BIN, "tinyres")] if os.path.exists(
        os.path.join(BIN, "tinyres")) else [sys.executable, "-m", "tinyres.cli"]
    common = [*tinyres_cmd, "train", "--distributed", "--data", "digits", "--batch-size", "64",
              "--no-progress", "--checkpoint-dir", "run", "--metrics-out", "m.json",
              "--schedule", "constant"]  # a schedule that lets a resumed run go on for longer
    first = mpiexec([*common, "--epochs", "1"], cwd=tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    assert first.stdout.count("training cifar_resnet20 on digits") == 1  # rank 1 is silent
    assert "x 2 processes" in first.stdout
    assert os.listdir(tmp_path / "run") == ["last.npz"]
    saved = tinyres.load(tmp_path / "run" / "last.npz")
    assert saved["epoch"] == 1 and saved["loader"]["num_replicas"] == 2
    assert not any(key.startswith("module.") for key in saved["model"])
    second = mpiexec([*common, "--epochs", "2", "--resume"], cwd=tmp_path)
    assert second.returncode == 0, second.stdout + second.stderr
    assert second.stdout.count("resumed from run: 1 epoch done") == 1
    metrics = json.loads((tmp_path / "m.json").read_text())
    assert metrics["epochs"] == 2 and metrics["history"][0] == saved["history"][0]
    assert main(["eval", str(tmp_path / "run")]) == 0  # a plain model loads it


def test_train_command_failure_on_a_rank_is_one_line_per_rank_and_a_stop(tmp_path):
    done = mpiexec([sys.executable, "-m", "tinyres.cli", "train", "--distributed", "--data",
                    "cifar10", "--no-progress"], timeout=60, cwd=tmp_path)
    assert done.returncode != 0
    assert "tinyres train: rank" in done.stderr and "cifar10 needs --data-root" in done.stderr
    assert "Traceback" not in done.stderr


def _rank_pid(marker, rank):
    """The pid of the process of the given MPI rank whose command line holds marker (Linux /proc;
    MPICH's hydra sets PMI_RANK, Open MPI OMPI_COMM_WORLD_RANK)."""
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if marker.encode() not in f.read():
                    continue
            with open(f"/proc/{pid}/environ", "rb") as f:
                env = f.read().split(b"\0")
        except OSError:
            continue
        if f"PMI_RANK={rank}".encode() in env or f"OMPI_COMM_WORLD_RANK={rank}".encode() in env:
            return int(pid)
    return None


@pytest.mark.parametrize("rank", [0, 1])
def test_ctrl_c_on_one_rank_stops_the_whole_job_within_seconds(rank, tmp_path):
    """SIGINT to one rank: that rank says so and aborts the job; the other does not wait in a
    collective for --dist-timeout (here 60 s) and MPI_Finalize does not hang."""
    marker = str(tmp_path / "run")
    command = [MPIEXEC, "-n", "2", sys.executable, "-m", "tinyres.cli", "train", "--distributed",
               "--data", "digits", "--batch-size", "16", "--no-progress", "--epochs", "50",
               "--checkpoint-dir", marker, "--dist-timeout", "60"]
    with open(tmp_path / "out", "w") as out, open(tmp_path / "err", "w") as err:
        job = subprocess.Popen(command, stdout=out, stderr=err, cwd=tmp_path,
                               env={**ENV, "PYTHONUNBUFFERED": "1"})  # the line comes at once
        deadline = time.monotonic() + 60
        while "training cifar_resnet20" not in (tmp_path / "out").read_text():
            assert job.poll() is None and time.monotonic() < deadline, "the job did not start"
            time.sleep(0.2)  # the line comes once both ranks are training (in the guard)
        pid = _rank_pid(marker, rank)
        assert pid is not None, "no process of that rank found"
        os.kill(pid, signal.SIGINT)
        sent = time.monotonic()
        try:
            job.wait(timeout=20)
        finally:
            job.kill()
    stopped_after = time.monotonic() - sent
    stderr = (tmp_path / "err").read_text()
    assert stopped_after < 10, stderr
    assert job.returncode != 0
    assert re.search(f"tinyres train: rank {rank} of 2 .*: interrupted.*; aborting the job",
                     stderr), stderr
    assert "Traceback" not in stderr
