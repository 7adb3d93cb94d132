"""Fixtures shared by the tests: `device` runs a test once per device and cpu kernel set (ids
cpu, cpu-reference, cuda; cuda skips cleanly where there is no GPU), `torch` gives PyTorch as the
reference (required when TINYRES_REQUIRE_TORCH=1, as in CI, so that the comparisons cannot
silently skip)."""
import os

import pytest
from hypothesis import settings

import tinyres

# tests/ is a package (tests.ops.test_conv, tests.helpers.harness, ...): pytest puts the
# repository root on sys.path, so `tests.helpers` and `benchmarks` import from there.
settings.register_profile("tinyres", deadline=None, derandomize=True, max_examples=40)
settings.load_profile("tinyres")

CUDA = tinyres.is_available("cuda")
DEVICES = [pytest.param(("cpu", "fast"), id="cpu"),
           pytest.param(("cpu", "reference"), id="cpu-reference"),
           pytest.param(("cuda", "fast"), id="cuda",
                        marks=pytest.mark.skipif(not CUDA, reason="no GPU"))]


@pytest.fixture(params=DEVICES)
def device(request):
    """The device name ('cpu' or 'cuda'); the test runs inside use_kernels() of its kernel set:
    cpu with the fast table, cpu with the NumPy reference table, then cuda where available.
    A test marked @pytest.mark.fast_kernels_only skips the reference run (too slow there)."""
    device, kernels = request.param
    if kernels == "reference" and request.node.get_closest_marker("fast_kernels_only"):
        pytest.skip("the reference kernels run the op tests; this one is too slow there")
    with tinyres.use_kernels(kernels):
        yield device


def _import_torch():
    try:
        import torch
    except ImportError:
        if os.environ.get("TINYRES_REQUIRE_TORCH"):
            raise
        return None
    return torch


@pytest.fixture(scope="session")
def torch():
    module = _import_torch()
    if module is None:
        pytest.skip("PyTorch is not installed (pip install torch==2.13.0)")
    return module
