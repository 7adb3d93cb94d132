"""The child process of the hostile-file corpus: loads files under an address-space limit and
prints one JSON line per file (ok + a digest of what loaded, or the error's type and message).

    python runner.py CASES.json 0,1,2 HEADROOM_MIB

It imports tinyres and warms the cpu backend first (numba and OpenBLAS reserve address space),
then limits the address space to what it uses plus HEADROOM_MIB, so that a file that makes a
loader allocate a GiB fails with MemoryError instead of using the machine's memory, and a file
that crashes the interpreter shows as a signal in the parent (which reruns files one by one to
say which did it). Run with whichever tinyres is importable (the corpus table runs it on old
code too)."""
import hashlib
import json
import resource
import sys
import time


def vm_size():
    """This process's address space in bytes (Linux /proc)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmSize in /proc/self/status")


def digest(obj):
    """A JSON-able summary of a loaded object: arrays by dtype, shape and SHA-256 of the bytes."""
    import numpy as np
    if hasattr(obj, "numpy") and callable(obj.numpy):
        obj = obj.numpy()
    if isinstance(obj, np.ndarray):
        array = np.ascontiguousarray(obj)
        return ["array", array.dtype.str.replace(">", "<") if array.dtype.itemsize > 1
                else array.dtype.str, list(array.shape), hashlib.sha256(
                    array.astype(array.dtype.newbyteorder("<")).tobytes()).hexdigest()[:16]]
    if isinstance(obj, dict):
        return {str(k): digest(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [digest(v) for v in obj]
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    return f"{type(obj).__name__}: {repr(obj)[:40]}"  # e.g. bytes an old loader let through


def load(loader, path):
    if loader == "pth":
        from tinyres.io import load_pth
        return load_pth(path)
    if loader == "npz":
        from tinyres import load as load_checkpoint
        return load_checkpoint(path)
    if loader == "cifar":
        from tinyres.data.cifar10 import read_batch
        return read_batch(path)
    if loader == "alloc":  # the harness's own checks: this must fail under the limit...
        import numpy as np
        return np.ones(int(path), np.uint8).sum()
    if loader == "segfault":  # ... and this must show as a crash of this file only
        import ctypes
        return ctypes.string_at(0)
    raise ValueError(loader)


def main(cases_file, indices, headroom_mib):
    with open(cases_file) as f:
        cases = json.load(f)
    import numpy  # noqa: F401
    import tinyres
    import tinyres.data.cifar10  # noqa: F401
    tinyres.get_backend("cpu")  # what loading a checkpoint into Tensors touches
    limit = vm_size() + (headroom_mib << 20)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"ready": True, "limit": limit, "baseline_kb": baseline}), flush=True)
    for i in indices:
        loader, path = cases[i]
        began = time.perf_counter()
        try:
            record = {"status": "ok", "digest": digest(load(loader, path))}
        except Exception as error:  # noqa: BLE001 - reported; the parent decides what is right
            record = {"status": "error", "type": type(error).__name__, "message": str(error)}
        record.update(index=i, seconds=round(time.perf_counter() - began, 3),
                      maxrss_kb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
        print(json.dumps(record), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], [int(i) for i in sys.argv[2].split(",") if i], int(sys.argv[3]))
