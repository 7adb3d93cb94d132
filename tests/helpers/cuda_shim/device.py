"""The cuda backend on the CPU shim for one test or module: inside ``shim_as_cuda(directory)``
the cuda kernels run as g++ builds (see platform.py) and device 'cuda' is that table, so whole
models and training loops run through the cuda backend's code on a machine without a GPU.

    with shim_as_cuda(tmp_path) as table:      # table: the cuda kernel table
        model.to("cuda") ...
"""
import contextlib
import pathlib
import tempfile

import tinyres.backend
from tinyres.kernels import cuda
from tinyres.kernels.cuda import runtime

from .platform import shim_platform

SHARED_BUILD_DIR = pathlib.Path(tempfile.gettempdir()) / "tinyres_cuda_shim"


def build_dir(request, tmp_path_factory):
    """Where a test module's shim builds go: pytest's cache, else the shared one of as_device.py
    (libraries are named by a hash of their sources and flags, so reusing them is safe)."""
    cache = getattr(request.config, "cache", None)  # None with -p no:cacheprovider
    if cache is not None:
        return cache.mkdir("cuda_shim")
    SHARED_BUILD_DIR.mkdir(exist_ok=True)
    return SHARED_BUILD_DIR


@contextlib.contextmanager
def shim_as_cuda(directory, extra_flags=()):
    """Device 'cuda' runs the cuda table on the shim inside the block (its g++ builds go to
    directory); as before after it."""
    previous = runtime.use(shim_platform(directory, extra_flags))
    loaders, backends = tinyres.backend._LOADERS, tinyres.backend._BACKENDS
    loader = loaders["cuda"]
    cached = {key: backends.pop(key) for key in list(backends) if key[0] == "cuda"}
    loaders["cuda"] = lambda kernels: cuda.TABLE  # one cuda table, whatever the kernel set
    try:
        yield cuda.TABLE
    finally:
        loaders["cuda"] = loader
        for key in [key for key in backends if key[0] == "cuda"]:
            del backends[key]
        backends.update(cached)
        runtime.use(previous)
