"""Step 3 of gpu_check.sh: is the cuda backend ready? Imports tinyres.kernels.cuda from this
checkout, makes the device (CuPy + GPU + NVRTC, or with --shim the CPU shim) and compiles every
kernel for float32 and float64, so that the steps after it measure kernels, not compilers. Exit
status 1 with one line saying what is missing: gpu_check.sh then stops at once.

    python -m benchmarks.gpu_ready [--shim]
"""
import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shim", action="store_true", help="the CPU shim as the device")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    try:
        import tinyres
        import tinyres.kernels.cuda as cuda
    except Exception as error:  # noqa: BLE001 - any failure here stops the check
        print(f"NOT READY: import tinyres.kernels.cuda failed: {type(error).__name__}: {error}")
        return 1
    where = os.path.dirname(os.path.abspath(tinyres.__file__))
    if not where.startswith(ROOT + os.sep):
        print(f"NOT READY: tinyres is imported from {where}, not from this checkout {ROOT}"
              " (the editable install did not take)")
        return 1
    if args.shim:
        sys.path.insert(0, ROOT)
        import tests.helpers.cuda_shim.as_device  # noqa: F401 - device 'cuda' is the shim now
    try:
        tinyres.get_backend("cuda")
        for source in cuda.SOURCES:  # NVRTC (or g++) builds every kernel now, once
            for dtype in ("float32", "float64"):
                source.function(source.kernels[0], dtype)
    except Exception as error:  # noqa: BLE001 - DeviceUnavailableError, a compile error, ...
        print(f"NOT READY: {type(error).__name__}: {error}")
        return 1
    print(f"ready: tinyres from {where}; {len(cuda.SOURCES)} .cu files compiled for float32"
          f" and float64 in {time.perf_counter() - began:.1f} s"
          f" ({'the CPU shim' if args.shim else 'NVRTC'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
