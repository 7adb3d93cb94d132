"""The cuda backend's table, .cu kernels and launch code, run on the CPU: g++ compiles the very
.cu files against tests/helpers/cuda_shim/shim.h and NumPy stands in for CuPy, so index arithmetic,
launch geometry, reductions with __syncthreads and argument types are checked against the
NumPy reference on machines without a GPU (CI). What only a GPU can show (NVRTC, cuBLAS, CuPy
itself, real concurrency) is left to test_kernels_cuda.py.

Out-of-bounds reads and writes (which a lucky comparison could miss) show under AddressSanitizer,
opt-in because it is slow (minutes) and needs its runtime preloaded:

    TINYRES_SHIM_SANITIZE=1 ASAN_OPTIONS=detect_leaks=0 \
    LD_PRELOAD="$(g++ -print-file-name=libasan.so) $(g++ -print-file-name=libubsan.so)" \
    python -m pytest -q -p no:cacheprovider tests/kernels/test_cuda_shim.py
"""
import os
import shutil

import numpy as np
import pytest

from tests.helpers import kernel_cases
from tests.helpers.cuda_shim.device import build_dir
from tests.helpers.cuda_shim.platform import build_all, shim_platform
from tinyres.backend import KERNELS
from tinyres.kernels import cuda
from tinyres.kernels.cuda import runtime

pytestmark = pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is not on PATH")
SANITIZE = ("-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-g")


@pytest.fixture(scope="module")
def shim(request, tmp_path_factory):
    """The cuda TABLE (and its convolution's parts) running on the CPU for this module's tests;
    CuPy's platform after."""
    flags = SANITIZE if os.environ.get("TINYRES_SHIM_SANITIZE") == "1" else ()
    previous = runtime.use(shim_platform(build_dir(request, tmp_path_factory), flags))
    try:
        build_all(cuda.SOURCES, kernel_cases.DTYPES)
        yield kernel_cases.with_parts(cuda.TABLE, cuda.conv)
    finally:
        runtime.use(previous)


def test_the_cases_cover_every_kernel():
    assert {case.kernel for case in kernel_cases.CASES} == set(KERNELS) | set(kernel_cases.PARTS)


@pytest.mark.parametrize("variant", ["plain", "strided-inputs", "small-grids"])
@pytest.mark.parametrize("dtype", kernel_cases.DTYPES)
@pytest.mark.parametrize("case", kernel_cases.CASES, ids=lambda c: c.id)
def test_cuda_kernel_matches_the_reference_on_the_cpu_shim(shim, monkeypatch, case, dtype,
                                                           variant):
    to_device = np.array
    if variant == "strided-inputs":  # the shim refuses a non-contiguous array argument
        to_device = lambda a: kernel_cases.strided(a, np)  # noqa: E731
    if variant == "small-grids":  # every grid-stride loop then takes several turns
        monkeypatch.setattr(runtime, "BLOCK", 32)
        monkeypatch.setattr(runtime, "MAX_BLOCKS_X", 2)
        monkeypatch.setattr(runtime, "MAX_BLOCKS_Y", 3)
    kernel_cases.check(case, dtype, shim, to_device, np.asarray)
