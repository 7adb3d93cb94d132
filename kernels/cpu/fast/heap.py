"""Freed activation memory kept for the next step, instead of handed back to the kernel.

A training step allocates and frees the same activations, gradients and temporaries every step.
glibc's malloc hands a freed block of more than 128 KiB back to the operating system (munmap for
a block it mmapped, a trim for free memory at the top of the heap; it raises those thresholds
itself only part of the way), and maps fresh pages at the next allocation: the first write to
each 4 KiB page is then a page fault in which the kernel zero-fills it. Measured on a CIFAR
ResNet-20 training step (batch 128, 28x28, 2 threads): 11,600 page faults and 30 ms of system
time per step; with the memory kept, 3 faults and 2-4 ms (benchmarks/RESULTS.md, "Freed memory
kept"). The peak resident memory does not change: the step reaches the same peak every time.

keep_freed_memory() sets two glibc malloc parameters, once per process:
    M_MMAP_THRESHOLD  64 MiB (or 32 MiB, the most older glibc accept): blocks below it come from
                      the heap, whose freed memory malloc reuses, instead of their own mmap
    M_TRIM_THRESHOLD  2 GiB (the largest int): free memory at the heap's top is not handed back
The cost: memory freed at the end of a run stays resident until the process ends (or the
caller runs malloc_trim(0)). TINYRES_KEEP_FREED_MEMORY=0 leaves malloc's defaults. Elsewhere
than glibc (macOS, musl) this does nothing.
"""
import ctypes
import os

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLDS = (64 << 20, 32 << 20)  # the first one this glibc accepts is used
TRIM_THRESHOLD = 2**31 - 1

_state = {"done": False, "kept": False}


def _glibc():
    """glibc, or None when the process's C library is another one."""
    try:
        libc = ctypes.CDLL(None)
        libc.gnu_get_libc_version.restype = ctypes.c_char_p
        libc.gnu_get_libc_version()
        return libc
    except (OSError, AttributeError):
        return None


def keep_freed_memory():
    """Set malloc's two thresholds (see the module's docstring), once; True when they are set."""
    if _state["done"]:
        return _state["kept"]
    _state["done"] = True
    if os.environ.get("TINYRES_KEEP_FREED_MEMORY", "1").strip() == "0":
        return False
    libc = _glibc()
    if libc is None:
        return False
    libc.mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    if not any(libc.mallopt(M_MMAP_THRESHOLD, size) for size in MMAP_THRESHOLDS):
        return False
    _state["kept"] = bool(libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    return _state["kept"]
