"""The cuda backend's link to the device: CuPy (imported lazily), the .cu sources compiled on
first use, and launch geometry.

Everything CuPy-specific lives here. The kernel files reach the array library only through
``xp`` (CuPy's NumPy-compatible namespace) and launch kernels only through ``Source.launch``, so
a test can swap in another ``Platform`` (NumPy arrays and the same .cu files built by g++, see
tests/helpers/cuda_shim) and run the whole cuda table on a machine without a GPU.
"""
import pathlib

import numpy as np

from ..errors import DeviceUnavailableError

HERE = pathlib.Path(__file__).resolve().parent
CTYPES = {np.dtype(np.float32): "float", np.dtype(np.float64): "double"}
NVRTC_OPTIONS = ("--std=c++17",)

BLOCK = 256  # threads per block of the elementwise and plane kernels
REDUCE_BLOCK = 256  # threads per block of the reductions: kBlock in loss.cu, batchnorm.cu
MAX_BLOCKS_X = 4096  # grid-stride loops cover the rest; enough blocks to fill an H100 many times
MAX_BLOCKS_Y = 65535  # CUDA's limit on gridDim.y; the kernels loop over y with a stride too


class Platform:
    """What the kernels need from a device: an array module, a device-to-host copy, and
    ``build(path, expressions) -> {expression: kernel}`` where ``kernel(grid, block, args)``
    launches one instantiated template such as ``im2col<float>``."""

    def __init__(self, name, xp, to_host, build):
        self.name = name
        self.xp = xp
        self.to_host = to_host
        self.build = build
        self.built = {}  # (path, dtype) -> {kernel name: launchable}
        self.scratch = {}  # small device arrays kept between launches (loss.py's label flag)
        self.checks = {}  # name -> check(): device-side checks to report at the next read


# --- CuPy ---------------------------------------------------------------------------------------
def import_cupy():
    """The cupy module, or DeviceUnavailableError saying how to install it."""
    try:
        import cupy
    except ImportError as error:
        raise DeviceUnavailableError(
            "device 'cuda' is unavailable: CuPy is not installed: pip install cupy-cuda13x"
            f" ({error})"
        ) from error
    return cupy


def require_device():
    """Raise DeviceUnavailableError unless CuPy, a CUDA GPU with its driver, and NVRTC are here."""
    cupy = import_cupy()
    try:  # any failure to reach the driver (missing, too old, no device) means no device
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as error:  # noqa: BLE001 - CUDARuntimeError, or a missing libcudart
        raise DeviceUnavailableError(
            "device 'cuda' is unavailable: CuPy is installed but no CUDA GPU/driver is"
            f" available: {error}"
        ) from error
    if count == 0:
        raise DeviceUnavailableError(
            "device 'cuda' is unavailable: CuPy is installed but no CUDA GPU/driver is"
            " available: the driver reports 0 devices"
        )
    try:
        cupy.cuda.nvrtc.getVersion()
    except Exception as error:  # noqa: BLE001 - the library is found at run time
        raise DeviceUnavailableError(
            "device 'cuda' is unavailable: CuPy and a GPU are here, but NVRTC (the CUDA"
            " runtime compiler that builds tinyres's kernels) cannot be loaded:"
            f" {error}; pip install 'nvidia-cuda-nvrtc==13.*'"
        ) from error


def _cupy_platform():
    cupy = import_cupy()

    def build(path, expressions):
        module = cupy.RawModule(code=path.read_text(), options=NVRTC_OPTIONS,
                                name_expressions=list(expressions))
        return {expression: module.get_function(expression) for expression in expressions}

    return Platform("cupy", cupy, cupy.asnumpy, build)


_platform = None


def platform():
    """The Platform in use: CuPy's, created on first use."""
    global _platform
    if _platform is None:
        _platform = _cupy_platform()
    return _platform


def use(new):
    """Make ``new`` (a Platform, or None for CuPy's) the platform in use; returns the old one.
    For tests that run the cuda kernels on the CPU."""
    global _platform
    old, _platform = _platform, new
    return old


class _ArrayModule:
    """``xp.zeros(...)`` etc.: the array module of the platform in use, looked up per call."""

    def __getattr__(self, name):
        return getattr(platform().xp, name)


xp = _ArrayModule()


def to_host(a):
    """(device array) -> numpy.ndarray, after reporting what device-side checks found since the
    last read (a copy to the host waits for the device anyway: the checks cost no extra wait)."""
    current = platform()
    while current.checks:
        _, check = current.checks.popitem()
        check()
    return current.to_host(a)


def check_before_next_read(name, check):
    """Run check() (which reads device memory and may raise) before the next to_host()."""
    platform().checks[name] = check


# --- kernels ----------------------------------------------------------------------------------
class Source:
    """One .cu file and the kernel templates it defines; each dtype's instantiations are
    compiled together the first time one of them is launched."""

    def __init__(self, filename, kernels):
        self.path = HERE / filename
        self.kernels = tuple(kernels)

    def expressions(self, dtype):
        """The template instantiations for one dtype, e.g. ('im2col<float>', ...)."""
        ctype = CTYPES.get(np.dtype(dtype))
        if ctype is None:
            raise TypeError(
                f"{self.path.name}: kernels run in float32 or float64, got dtype {dtype}"
            )
        return tuple(f"{name}<{ctype}>" for name in self.kernels)

    def function(self, name, dtype):
        """The launchable kernel ``name`` instantiated for ``dtype`` (compiled on first use)."""
        current = platform()
        key = (self.path, np.dtype(dtype))
        functions = current.built.get(key)
        if functions is None:
            expressions = self.expressions(dtype)
            built = current.build(self.path, expressions)
            functions = {n: built[e] for n, e in zip(self.kernels, expressions)}
            current.built[key] = functions
        return functions[name]

    def launch(self, name, dtype, grid, block, args):
        """Run kernel ``name`` for ``dtype``; an empty grid (no work) launches nothing."""
        if 0 in grid:
            return
        self.function(name, dtype)(grid, block, args)


# --- launch geometry and arguments -------------------------------------------------------------
def blocks(size, per_block, limit):
    """ceil(size / per_block), at most limit; 0 when there is nothing to do."""
    return min(-(-size // per_block), limit)


def flat_grid(size):
    """(grid, block) for a grid-stride loop over ``size`` elements."""
    return (blocks(size, BLOCK, MAX_BLOCKS_X),), (BLOCK,)


def plane_grid(planes, plane_size):
    """(grid, block) for kernels that walk planes along y and a plane's elements along x; a
    block is no wider than a plane (rounded up to a warp) so small planes waste few threads."""
    width = min(BLOCK, max(32, -(-plane_size // 32) * 32))
    return (blocks(plane_size, width, MAX_BLOCKS_X), blocks(planes, 1, MAX_BLOCKS_Y)), (width,)


def row_grid(rows):
    """(grid, block) for kernels that give each row a block of REDUCE_BLOCK threads."""
    return (blocks(rows, 1, MAX_BLOCKS_X),), (REDUCE_BLOCK,)


def split_grid(splits, channels):
    """(grid, block) for kernels that give each channel ``splits`` blocks of REDUCE_BLOCK
    threads along x and walk the channels along y."""
    return (splits, blocks(channels, 1, MAX_BLOCKS_Y)), (REDUCE_BLOCK,)


def i32(value):
    """A kernel's ``int`` argument (numpy scalars fix the C type that CuPy passes)."""
    if not -2**31 <= value < 2**31:
        raise ValueError(f"a kernel size argument must fit in 32 bits, got {value}")
    return np.int32(value)


def i64(value):
    """A kernel's ``long long`` argument."""
    return np.int64(value)


def scalar(value, dtype):
    """A kernel's ``T`` argument: value rounded to the arrays' dtype."""
    return np.dtype(dtype).type(value)


def contiguous(a):
    """a as a C-contiguous array (a itself when it already is): kernels index raw memory."""
    return xp.ascontiguousarray(a)


def writable(*arrays):
    """Arrays an in-place kernel can write through: each one itself when C-contiguous, else a
    contiguous copy that ``write_back`` copies into the original afterwards."""
    return [a if a.flags.c_contiguous else xp.ascontiguousarray(a) for a in arrays]


def write_back(originals, copies):
    """Copy the results of an in-place kernel into the originals it could not write to."""
    for original, copy in zip(originals, copies):
        if copy is not original:
            original[...] = copy
