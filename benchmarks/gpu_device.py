"""Where the GPU benchmarks run: a real GPU (tinyres's cuda backend on CuPy, PyTorch CUDA as the
reference), or with --shim the cuda backend on the CPU shim (tests/helpers/cuda_shim: the same
.cu kernels built by g++, NumPy arrays) with PyTorch on the CPU as the reference. On the shim the
timings mean nothing; the benchmark's code paths (the kernels' launch code, the comparison, the
report) run all the same, so a bug in them shows here, before the one short GPU slot.

    dev = gpu_device.select(shim=args.shim)
    a = dev.xp.asarray(host)            # an array of tinyres's cuda backend
    t = dev.torch_view(a)               # the PyTorch tensor sharing its memory
    ms = gpu_ms(fn, *dev.ours_timer, warmup, reps)
"""
import dataclasses
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


class HostEvent:
    """A stand-in for a CUDA event on the CPU: the host clock when recorded."""

    def record(self):
        self.seconds = time.perf_counter()

    def synchronize(self):
        pass


def host_elapsed(start, end):
    return (end.seconds - start.seconds) * 1e3


HOST_TIMER = (HostEvent, host_elapsed, lambda: None)


@dataclasses.dataclass
class Device:
    """What a GPU benchmark needs from the machine it runs on."""
    name: str  # 'cuda' or 'shim'
    description: str  # the GPU's name, or what stands in for it
    xp: object  # the array module of tinyres's cuda arrays (cupy, or numpy on the shim)
    to_numpy: object  # (array) -> numpy.ndarray
    torch_device: str  # where the PyTorch reference runs
    torch_view: object  # (array) -> a torch tensor sharing its memory
    ours_timer: tuple  # (make_event, elapsed(start, end) -> ms, synchronize)
    theirs_timer: tuple
    free_memory: object  # () -> None: give cached device memory back between cases
    peak_bytes: object  # () -> (tinyres's, PyTorch's) bytes at their peaks, or (None, None)
    reset_peak: object  # () -> None: start PyTorch's peak count again


def select(shim):
    """The Device for this run: the CPU shim when shim is true, else the GPU."""
    return _shim() if shim else _cuda()


def _cuda():
    import cupy
    import torch
    pool = cupy.get_default_memory_pool()
    return Device(
        name="cuda", description=torch.cuda.get_device_name(), xp=cupy,
        to_numpy=cupy.asnumpy, torch_device="cuda",
        torch_view=lambda a: torch.as_tensor(a, device="cuda"),
        ours_timer=(cupy.cuda.Event, cupy.cuda.get_elapsed_time,
                    cupy.cuda.Device().synchronize),
        theirs_timer=(lambda: torch.cuda.Event(enable_timing=True),
                      lambda start, end: start.elapsed_time(end), torch.cuda.synchronize),
        free_memory=pool.free_all_blocks,
        peak_bytes=lambda: (pool.total_bytes(), torch.cuda.max_memory_reserved()),
        reset_peak=torch.cuda.reset_peak_memory_stats)


def _shim():
    import numpy as np
    import torch
    root = os.path.dirname(HERE)
    if root not in sys.path:
        sys.path.insert(0, root)
    import tests.helpers.cuda_shim.as_device  # noqa: F401 - device 'cuda' is now the shim
    torch.set_num_threads(1)  # tiny sizes: threads only add noise on a shared machine
    return Device(
        name="shim", description="CPU shim (g++ builds of the .cu kernels; PyTorch CPU)",
        xp=np, to_numpy=np.asarray, torch_device="cpu", torch_view=torch.from_numpy,
        ours_timer=HOST_TIMER, theirs_timer=HOST_TIMER, free_memory=lambda: None,
        peak_bytes=lambda: (None, None), reset_peak=lambda: None)
