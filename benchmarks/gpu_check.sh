#!/usr/bin/env bash
# GPU check of the cuda backend, for a machine with an NVIDIA GPU and no network (CuPy 14,
# PyTorch with CUDA, pytest, hypothesis and numba preinstalled): install tinyres, run the GPU
# tests, then time tinyres-cuda against PyTorch kernel by kernel and on a ResNet-50 training
# step. Everything lands in $OUT (default ./gpu_out): gpu_check.log, two JUnit files,
# bench_gpu_kernels.json and bench_gpu_model.json.
#
#   bash benchmarks/gpu_check.sh            # about 3-5 minutes on an H100; never more than 8
#
# Every step has a time limit taken from one 460 s budget, so the script ends in under 8
# minutes even when a step hangs; a failed or timed-out step makes the exit status 1, but the
# later steps still run (one GPU session should bring back as much as it can).
set -uo pipefail
cd "$(dirname "$0")/.."
OUT="${OUT:-./gpu_out}"
mkdir -p "$OUT"
exec > >(tee "$OUT/gpu_check.log") 2>&1

export PYTHONUNBUFFERED=1
export TINYRES_REQUIRE_TORCH=1  # the op tests compare with PyTorch: never skip them
export CUPY_TF32=0              # CuPy's float32 matmuls in full float32 (its default, made sure)
export NVIDIA_TF32_OVERRIDE=0   # and no TF32 in cuBLAS/cuDNN for either library
PY="${PYTHON:-python3}"
DEADLINE=$((SECONDS + 460))
STATUS=0

step() { echo; echo "=== $1 (t = ${SECONDS}s)"; }

# run CAP CMD...: CMD with a limit of CAP seconds or what is left of the budget, if less
run() {
    local cap=$1; shift
    local left=$((DEADLINE - SECONDS))
    local limit=$((cap < left ? cap : left))
    if ((limit < 10)); then
        echo "SKIPPED (time budget spent): $*"; STATUS=1; return
    fi
    timeout --kill-after=5 "$limit" "$@"
    local rc=$?
    if ((rc == 124 || rc == 137)); then echo "TIMED OUT after ${limit}s: $*"; fi
    if ((rc != 0)); then echo "FAILED (exit $rc): $*"; STATUS=1; fi
}

step "environment"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv || true
"$PY" - <<'EOF' || STATUS=1
import sys, numpy, cupy, torch
print("python", sys.version.split()[0], "| numpy", numpy.__version__, "| cupy", cupy.__version__,
      "| torch", torch.__version__, "| torch.cuda", torch.version.cuda)
print("device:", cupy.cuda.runtime.getDeviceProperties(0)["name"].decode(),
      "| nvrtc", cupy.cuda.nvrtc.getVersion())
EOF

step "install tinyres (editable, no dependencies: the machine has no network)"
run 90 "$PY" -m pip install -q --no-build-isolation --no-deps -e .
"$PY" -c "import tinyres; print('cuda available:', tinyres.is_available('cuda'))"

step "GPU kernel tests: every cuda kernel against the NumPy reference"
run 100 "$PY" -m pytest -x -q -p no:cacheprovider tests/test_kernels_cuda.py \
    --junitxml="$OUT/junit_kernels_cuda.xml"

step "op tests on cuda: gradient checks and PyTorch parity of every op (-k cuda)"
run 150 "$PY" -m pytest -x -q -p no:cacheprovider tests/ -k cuda \
    --ignore=tests/test_kernels_cuda.py --ignore=tests/test_cuda_shim.py \
    --ignore=tests/test_cuda_compile.py --junitxml="$OUT/junit_ops_cuda.xml"

step "kernel timings: tinyres-cuda vs PyTorch CUDA (ResNet-50 shapes, batch 64, TF32 off)"
run 110 "$PY" -m benchmarks.bench_gpu_kernels --json "$OUT/bench_gpu_kernels.json"

step "whole-model timing: ResNet-50 training step, batch 64 at 224, tinyres-cuda vs PyTorch CUDA"
run 100 "$PY" -m benchmarks.bench_gpu_model --json "$OUT/bench_gpu_model.json"

step "done: exit status $STATUS after ${SECONDS}s; results in $OUT"
exit $STATUS
