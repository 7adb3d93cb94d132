"""A kernels.cuda Platform that runs on the CPU: NumPy arrays for CuPy's (with poisoned empty()),
and the very .cu files of kernels/cuda compiled by g++ against shim.h, launched through ctypes.

    previous = runtime.use(shim_platform(tmp_dir))   # the cuda TABLE now runs on the CPU
    ...
    runtime.use(previous)

Every launch checks what CuPy cannot: each argument's C type against the kernel's parameter
(so pass numpy scalars, never Python numbers), that arrays are C-contiguous (a kernel indexes
raw memory), and CUDA's launch limits; __syncthreads() works (see shim.h).
"""
import ctypes
import hashlib
import os
import pathlib
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from tinyres.kernels.cuda import runtime

HERE = pathlib.Path(__file__).resolve().parent
SHIM = HERE / "shim.h"
CXX = shutil.which("g++") or shutil.which("c++")
CXXFLAGS = ("-std=c++17", "-O1", "-shared", "-fPIC", "-Wall", "-Wextra", "-Werror")

SCALARS = {
    np.dtype(np.float32): ("f", ctypes.c_float),
    np.dtype(np.float64): ("d", ctypes.c_double),
    np.dtype(np.int32): ("i", ctypes.c_int32),
    np.dtype(np.int64): ("l", ctypes.c_int64),
}


class ShimKernel:
    """One instantiated kernel: ``kernel(grid, block, args)`` as CuPy's RawKernel."""

    def __init__(self, function, expression):
        self.function = function
        self.expression = expression

    def __call__(self, grid, block, args):
        dims = (ctypes.c_uint * 6)(*_dim3(grid), *_dim3(block))
        values = [self._c_value(i, a) for i, a in enumerate(args)]
        params = (ctypes.c_void_p * max(len(values), 1))(
            *[ctypes.addressof(value) for _, value in values])
        codes = "".join(code for code, _ in values).encode()
        error = ctypes.create_string_buffer(512)
        if self.function(dims, params, codes, error, len(error)):
            raise RuntimeError(f"{self.expression}: {error.value.decode()}")

    def _c_value(self, index, arg):
        """(type code, ctypes value) of one kernel argument."""
        if isinstance(arg, np.ndarray):
            if not arg.flags.c_contiguous:
                raise ValueError(f"{self.expression}: argument {index} is not C-contiguous;"
                                 " a kernel would read it as if it were")
            code, _ = SCALARS[arg.dtype]
            return code.upper(), ctypes.c_void_p(arg.ctypes.data)
        if isinstance(arg, np.generic) and arg.dtype in SCALARS:
            code, ctype = SCALARS[arg.dtype]
            return code, ctype(arg.item())
        raise TypeError(f"{self.expression}: argument {index} is {type(arg).__name__} {arg!r};"
                        " pass a numpy scalar (runtime.i32, i64, scalar) so its C type is fixed")


class PoisonedNumpy:
    """NumPy, except that empty() fills its arrays with NaN (or a huge integer): an output
    element that a kernel forgets to write then fails the comparison instead of happening to
    hold the right value from memory that NumPy reused."""

    def __getattr__(self, name):
        return getattr(np, name)

    @staticmethod
    def empty(shape, dtype=float):
        a = np.empty(shape, dtype=dtype)
        a.fill(np.nan if a.dtype.kind == "f" else np.iinfo(a.dtype).max)
        return a


def _dim3(dims):
    dims = tuple(int(d) for d in dims)
    return dims + (1,) * (3 - len(dims))


def _compile(path, expressions, build_dir, extra_flags):
    """g++ shim.h + path with one exported launcher per expression -> the loaded library."""
    harness = f'#include "{SHIM}"\n#include "{path}"\n' + "".join(
        f"SHIM_EXPORT(tinyres_launch_{i}, {e})\n" for i, e in enumerate(expressions))
    key = hashlib.sha256((harness + path.read_text() + SHIM.read_text()
                          + " ".join(extra_flags)).encode()).hexdigest()[:16]
    library = build_dir / f"{path.stem}_{key}.so"
    if not library.exists():  # the name is a hash of everything that goes in: reuse is safe
        source = build_dir / f"{path.stem}_{key}.cpp"
        source.write_text(harness)
        partial = build_dir / f"{path.stem}_{key}.{os.getpid()}.tmp"
        result = subprocess.run([CXX, *CXXFLAGS, *extra_flags, str(source), "-o", str(partial)],
                                capture_output=True, text=True)
        if result.returncode:
            raise RuntimeError(f"g++ could not build {path.name} with the shim:\n{result.stderr}")
        os.replace(partial, library)  # atomic: a concurrent run never loads half a library
    return ctypes.CDLL(str(library))


def shim_platform(build_dir, extra_flags=()):
    """A runtime.Platform whose kernels are g++ builds of the .cu files, in build_dir."""
    build_dir = pathlib.Path(build_dir)

    def build(path, expressions):
        library = _compile(path, expressions, build_dir, tuple(extra_flags))
        kernels = {}
        for i, expression in enumerate(expressions):
            function = getattr(library, f"tinyres_launch_{i}")
            function.restype = ctypes.c_int
            kernels[expression] = ShimKernel(function, expression)
        return kernels

    return runtime.Platform("cpu-shim", PoisonedNumpy(), np.asarray, build)


def build_all(sources, dtypes):
    """Compile every source for every dtype on the platform in use, in parallel (g++ takes
    about a second per file, mostly for the C++ headers)."""
    jobs = [(source, dtype) for source in sources for dtype in dtypes]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        list(pool.map(lambda job: job[0].function(job[0].kernels[0], job[1]), jobs))
