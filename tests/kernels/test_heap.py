"""kernels/cpu/fast/heap.py: with the fast cpu kernels loaded, freed activation-sized blocks are
reused by malloc instead of being handed back and faulted in again (each case in a child
process: the setting is process-wide)."""
import os
import subprocess
import sys

import pytest

from tinyres.kernels.cpu.fast import heap

pytestmark = pytest.mark.skipif(heap._glibc() is None, reason="glibc's malloc only")

CHILD = """
import resource
import numpy as np
import tinyres
tinyres.get_backend("cpu")  # loads the fast kernel table
def step():  # a step's worth of activations: 16 fresh 8 MB arrays written, kept, then freed
    kept = [np.ones(2 << 20, np.float32) for _ in range(16)]
    del kept
step()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(10):
    step()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _page_faults(keep):
    env = dict(os.environ, TINYRES_KEEP_FREED_MEMORY=keep)
    out = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True,
                         timeout=120, check=True)
    return int(out.stdout.strip().splitlines()[-1])


def test_freed_activations_are_reused_without_page_faults():
    # 10 steps of 16 fresh 8 MB arrays (327,680 pages): by default malloc hands most of what
    # is freed back to the system and faults it in again (82,000 faults on the machine this
    # test was written on)
    assert _page_faults("1") < 1000
    assert _page_faults("0") > 20_000
