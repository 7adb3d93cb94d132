"""The fault test: a tiny training run (fault_run.py) is killed with SIGKILL a dozen times, at
random moments and, every other time, inside its checkpoint write; after each kill the folder
holds a checkpoint that loads, and the run that finally finishes ends with exactly the state of a
run that was never interrupted (parameters, buffers, optimizer, schedule, loader, RNG, history).

To land inside the write every time (it takes ~10 ms), those runs get TINYRES_TEST_SAVE_PAUSE, a
sleep after each archive member that only this test sets; the kill comes when the temporary
file has appeared (at the first or the second checkpoint of that run)."""
import os
import random
import subprocess
import sys
import time

import numpy as np
import pytest

import tinyres
from tinyres.io.checkpoint import TEMP_PREFIX
from tests.helpers.paths import HELPERS

pytest.importorskip("sklearn", reason="the run trains on scikit-learn's bundled digits")
RUN = os.path.join(HELPERS, "fault_run.py")
EPOCHS, KILLS = 20, 12
ENV = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
       "NUMBA_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def _start(folder, pause=None):
    env = dict(ENV, TINYRES_TEST_SAVE_PAUSE=pause) if pause else ENV
    return subprocess.Popen([sys.executable, RUN, str(folder), str(EPOCHS)], env=env,
                            stderr=subprocess.PIPE)


def _temporaries(folder):
    return [n for n in os.listdir(folder) if n.startswith(TEMP_PREFIX)] \
        if os.path.isdir(folder) else []


def _kill_inside_a_write(proc, folder, writes):
    """Kill proc once its `writes`-th checkpoint write has begun; True if it was inside one."""
    seen, deadline = 0, time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline:
        if _temporaries(folder):
            seen += 1
            if seen == writes:
                proc.kill()
                return True
            while _temporaries(folder) and proc.poll() is None:
                time.sleep(0.002)  # this write finishes; wait for the next
        time.sleep(0.002)
    return False


def _state(folder):
    state = tinyres.load(os.path.join(folder, "last.npz"))
    for record in state["history"]:
        record.pop("seconds")  # wall time: the only thing that may differ
    return state


def _assert_same(a, b, where="state"):
    if isinstance(a, dict):
        assert list(a) == list(b), where
        for key in a:
            _assert_same(a[key], b[key], f"{where}[{key!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, (tinyres.Tensor, np.ndarray)):
        x, y = (v.numpy() if isinstance(v, tinyres.Tensor) else v for v in (a, b))
        assert x.dtype == y.dtype and np.array_equal(x, y), where  # bit for bit
    else:
        assert a == b, where


def _finish_and_compare(folder, reference):
    """Run to the end without a kill; the result must be the uninterrupted run's, bit for bit."""
    final = subprocess.run([sys.executable, RUN, str(folder), str(EPOCHS)], env=ENV,
                           stderr=subprocess.PIPE)
    assert final.returncode == 0, final.stderr.decode()[-2000:]
    assert os.listdir(folder) == ["last.npz"]  # the killed writes' leftovers were removed
    _assert_same(_state(reference), _state(folder))


@pytest.mark.slow
def test_kill_9_at_random_moments_then_resume_gives_the_uninterrupted_result(tmp_path):
    reference = tmp_path / "reference"
    began = time.monotonic()
    assert subprocess.run([sys.executable, RUN, str(reference), str(EPOCHS)], env=ENV,
                          stderr=subprocess.PIPE).returncode == 0
    whole_run = time.monotonic() - began  # start-up and 20 epochs on this machine, now
    rng = random.Random(12)
    kills = in_write = runs = 0
    folder, epoch = tmp_path / "killed0", 0
    while kills < KILLS:
        inside = kills % 2 == 0
        proc = _start(folder, "0.01" if inside else None)
        if inside:
            in_write += _kill_inside_a_write(proc, folder, rng.choice((1, 2)))
        else:
            time.sleep(rng.uniform(0.05, 0.45) * whole_run)  # start-up, an epoch or a write
            proc.kill()
        proc.wait()
        assert proc.returncode in (0, -9), proc.stderr.read().decode()[-2000:]
        if proc.returncode == 0:  # it finished before the kill (a fast machine): check it,
            _finish_and_compare(folder, reference)  # then go on killing a fresh run
            runs += 1
            folder, epoch = tmp_path / f"killed{runs}", 0
            continue
        kills += 1
        if os.path.exists(folder / "last.npz"):
            saved = tinyres.load(folder / "last.npz")  # loads after every kill
            assert saved["epoch"] >= epoch  # never a step back
            epoch = saved["epoch"]
    _finish_and_compare(folder, reference)
    assert in_write >= KILLS // 2 - 1  # (a write may end between two polls of the folder)
