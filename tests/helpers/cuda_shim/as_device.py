"""An opt-in pytest plugin: device 'cuda' becomes the cuda backend's table running on the CPU
shim (NumPy arrays, the .cu kernels built by g++), so every op test's cuda parametrisation
(gradient checks, PyTorch parity) runs through the cuda kernels and their launch code on a
machine without a GPU. Slow: minutes (the ResNet-50 parity tests take most of them):

    python -m pytest -p tests.helpers.cuda_shim.as_device -k cuda tests/ \\
        --ignore=tests/kernels/test_kernels_cuda.py     # from the repository root

The tests that expect no GPU (test_backend.py) are skipped then, as on a GPU machine.
"""
import tinyres.backend
from tinyres.kernels import cuda
from tinyres.kernels.cuda import runtime

from .device import SHARED_BUILD_DIR
from .platform import shim_platform

SHARED_BUILD_DIR.mkdir(exist_ok=True)
runtime.use(shim_platform(SHARED_BUILD_DIR))
tinyres.backend._LOADERS["cuda"] = lambda kernels: cuda.TABLE  # not CuPy and a GPU
