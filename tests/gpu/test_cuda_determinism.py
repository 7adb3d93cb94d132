"""The cuda kernels are deterministic (run on the CPU shim): max-pool backward gathers each
element's gradients in a fixed order with no atomics, and batch norm sums in float64 as the CPU
reference does, so their results equal the NumPy reference bit for bit, on every run and for
every launch geometry the runtime can pick. That is what makes cuda training bit-for-bit
resumable (train.py's promise), not just close."""
import shutil

import numpy as np
import pytest

from tests.helpers.cuda_shim.device import build_dir, shim_as_cuda
from tinyres.kernels.cpu import REFERENCE
from tinyres.kernels.cuda import batchnorm, runtime

pytestmark = pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is not on PATH")

GEOMETRIES = {  # launch settings the runtime could use: the results must not depend on them
    "default": {},
    "small-grids": {"BLOCK": 32, "MAX_BLOCKS_X": 2, "MAX_BLOCKS_Y": 3},
    "wide-blocks": {"BLOCK": 1024, "MAX_BLOCKS_X": 1},
}
SPLITS = {  # batch norm's per-channel reductions split over 1 block or many
    "one-block": {"PER_BLOCK": 10**9},
    "many-blocks": {"PER_BLOCK": 512, "TARGET_BLOCKS": 10**6},
}


@pytest.fixture(scope="module")
def table(request, tmp_path_factory):
    with shim_as_cuda(build_dir(request, tmp_path_factory)) as cuda_table:
        yield cuda_table


def _geometry(monkeypatch, settings, module=runtime):
    for name, value in settings.items():
        monkeypatch.setattr(module, name, value)


@pytest.mark.parametrize("geometry", sorted(GEOMETRIES))
@pytest.mark.parametrize("window", [((3, 3), (2, 2), (1, 1)), ((3, 3), (1, 1), (1, 1)),
                                    ((2, 3), (1, 2), (0, 1))])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_maxpool_backward_equals_the_reference_bit_for_bit(table, monkeypatch, geometry, window,
                                                           dtype):
    rng = np.random.default_rng(1)
    x = rng.integers(-2, 2, (2, 3, 13, 12)).astype(dtype)  # ties: overlapping windows agree
    _, argmax = REFERENCE["maxpool2d_forward"](x, *window)  # on one element, many times
    gy = rng.standard_normal(argmax.shape).astype(dtype)
    assert np.unique(argmax, return_counts=True)[1].max() > 2  # collisions, or nothing is shown
    expected = REFERENCE["maxpool2d_backward"](gy, argmax, x.shape, *window)
    _geometry(monkeypatch, GEOMETRIES[geometry])
    for _ in range(2):
        np.testing.assert_array_equal(table["maxpool2d_backward"](gy, argmax, x.shape, *window),
                                      expected)


@pytest.mark.parametrize("splits", sorted(SPLITS))
@pytest.mark.parametrize("geometry", sorted(GEOMETRIES))
@pytest.mark.parametrize("shape", [(16, 3, 40, 41), (3, 8, 2, 2)])
def test_batchnorm_sums_equal_the_float64_reference_bit_for_bit(table, monkeypatch, splits,
                                                                geometry, shape):
    """float32 sums of 26240 values per channel would be off by a few ulps (sums of x and gy),
    and the result would change with the number of blocks per channel."""
    rng = np.random.default_rng(2)
    x = (3 + rng.standard_normal(shape)).astype(np.float32)  # an offset: sums far from zero
    gy = (0.5 + rng.standard_normal(shape)).astype(np.float32)
    w, b = (rng.standard_normal(shape[1]).astype(np.float32) for _ in range(2))
    _, mean, var, invstd = REFERENCE["batchnorm_forward_train"](x, w, b, 1e-5)
    _, gw, gb = REFERENCE["batchnorm_backward"](gy, x, mean, invstd, w, True)
    _geometry(monkeypatch, GEOMETRIES[geometry])
    _geometry(monkeypatch, SPLITS[splits], batchnorm)
    for _ in range(2):
        _, our_mean, our_var, _ = table["batchnorm_forward_train"](x, w, b, 1e-5)
        _, our_gw, our_gb = table["batchnorm_backward"](gy, x, mean, invstd, w, True)
        for ours, theirs in ((our_mean, mean), (our_var, var), (our_gw, gw), (our_gb, gb)):
            np.testing.assert_array_equal(ours, theirs)
