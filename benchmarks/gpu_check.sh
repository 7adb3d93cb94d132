#!/usr/bin/env bash
# The GPU check of the cuda backend, made for one short slot on a machine with an NVIDIA GPU and
# no network (CuPy 14, PyTorch with CUDA, pytest preinstalled). In order, each step bounded:
#
#   step               limit (s)  what
#                      GPU  shim
#   environment         20   15   GPU, driver, library versions
#   install             45   30   pip install -e . (no deps, no index); stops the run if it fails
#   ready               40   60   import tinyres.kernels.cuda, compile every kernel (NVRTC, or
#                                 g++ for the shim); stops the run if it fails
#   model benchmark     80   40   ResNet-50 training step, batch 64 at 224, vs PyTorch CUDA (TF32
#                                 off on both): the result nothing else can give, so it goes first
#   kernel benchmark    60   30   every kernel vs PyTorch on ResNet-50's shapes
#   kernel tests        45   40   every cuda kernel vs the NumPy reference
#   op tests            60   40   gradient checks and PyTorch parity of the ops on cuda
#   summary             15   10   one report from the files below
#
# On the GPU the limits add up to 365 s; a step also ends when the budget (BUDGET = 380 s, less
# the summary's 15) runs out, so the script ends within BUDGET + 10 s = 6.5 minutes whatever
# hangs (a step is killed 5 s after its limit). Expected on an H100/H200, from the sizes (no
# GPU run yet): environment 5-10 s, install 5-10, ready 10-20 (NVRTC, 12 modules), model 30-50
# (ResNet-50 build on the host, cuDNN autotuning, 10 steps per side), kernel benchmark 20-40,
# kernel tests 30-45, op tests: what 60 s allow, most important files first; 3-4 minutes in
# all, which leaves room in a 15-minute slot for the machine's start. A step that runs out of
# time is killed and the next one starts. Tests stop after 20 failures, each test has a 30 s
# limit, and every result is on disk the moment it exists (tests.jsonl, a line per test; the
# benchmarks' JSON after every row), so a step cut short keeps what it did. On the shim the
# model step is a CIFAR ResNet-20 (ResNet-50 takes minutes there) and the tests are a sample
# (the test suite runs them all); the budget is 280 s, for CI. OUT (default ./gpu_out)
# receives: gpu_check.log, steps.jsonl, tests.jsonl, junit_kernels.xml, junit_ops.xml,
# bench_gpu_model.json, bench_gpu_kernels.json (7 files; the device tool brings back 8 at most).
#
#   bash benchmarks/gpu_check.sh           # on the GPU machine (through the device tool: this
#                                          # command, timeout_s 450; it sets OUT)
#   bash benchmarks/gpu_check.sh --shim    # the same steps here: device 'cuda' is the CPU shim
#                                          # (tests/helpers/cuda_shim), PyTorch CPU the reference,
#                                          # small sizes; the numbers mean nothing, the code
#                                          # paths run
#
# Exit status: 0 all steps passed; 1 a step failed or ran out of time; 2 stopped early (install
# or ready failed).
set -uo pipefail
cd "$(dirname "$0")/.."
MODE=gpu
if [[ "${1:-}" == "--shim" ]]; then MODE=shim; elif [[ $# -gt 0 ]]; then
    echo "usage: bash benchmarks/gpu_check.sh [--shim]" >&2; exit 2
fi
OUT="${OUT:-./gpu_out}"
mkdir -p "$OUT"
rm -f "$OUT/steps.jsonl" "$OUT/tests.jsonl"
exec > >(tee "$OUT/gpu_check.log") 2>&1

export PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INDEX=1 PIP_NO_INPUT=1
export TINYRES_REQUIRE_TORCH=1  # the op tests compare with PyTorch: never skip them
export CUPY_TF32=0              # CuPy's float32 matmuls in full float32 (its default, made sure)
export NVIDIA_TF32_OVERRIDE=0   # and no TF32 in cuBLAS/cuDNN for either library
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"  # tests.helpers: the pytest plugins, the shim
PY="${PYTHON:-python3}"
STATUS=0

# step NAME CAP CMD...: CMD with a limit of CAP seconds (less if the budget is nearly spent),
# killed 5 s after its limit; one line per step in steps.jsonl. Returns CMD's exit status.
step() {
    local name=$1 cap=$2; shift 2
    local left=$((DEADLINE - SECONDS - CAP[summary]))  # time stays for the summary
    local limit=$((cap < left ? cap : left)) began=$SECONDS rc result
    echo; echo "=== $name (t = ${SECONDS}s, limit ${limit}s)"
    if ((limit < 5)); then
        echo "SKIPPED (time budget spent): $name"; rc=124; result="skipped: budget spent"
    else
        timeout --kill-after=5 "$limit" "$@"; rc=$?
        result=ok
        if ((rc == 124 || rc == 137)); then result="TIMED OUT after ${limit}s"
        elif ((rc != 0)); then result="FAILED (exit $rc)"; fi
        [[ $result == ok ]] || echo "$result: $name"
    fi
    ((rc == 0)) || STATUS=1
    printf '{"step": "%s", "limit_s": %d, "seconds": %d, "exit": %d, "result": "%s"}\n' \
        "$name" "$limit" $((SECONDS - began)) "$rc" "$result" >> "$OUT/steps.jsonl"
    return $rc
}

# summary: the report at the end of the log, from the files in OUT (its own time limit: it
# runs after the others, in the time they left)
summary() {
    echo; echo "=== summary (t = ${SECONDS}s, limit ${CAP[summary]}s)"
    timeout --kill-after=5 "${CAP[summary]}" "$PY" -m benchmarks.gpu_check_summary "$OUT"
}

# stop REASON: the steps after this one would all fail; report and end now
stop() {
    echo "STOPPED at t = ${SECONDS}s: $1; the later steps would all fail"
    summary
    exit 2
}

# pytest LABEL ...: with the incremental results plugin (a line per test in tests.jsonl as it
# ends), a time limit per test, and at most 20 failures
pytest_args() {
    echo -q -rfE -p no:cacheprovider -p tests.helpers.incremental_results --maxfail=20 \
        --test-timeout 30 --results-jsonl "$OUT/tests.jsonl" --results-step "$1" \
        --junitxml "$OUT/junit_$1.xml"
}

OP_TESTS=(tests/ops/test_batchnorm.py tests/ops/test_loss.py tests/ops/test_linear.py
          tests/ops/test_elementwise.py tests/nn_models/test_resnet_parity.py tests/ops/test_conv.py
          tests/ops/test_pool.py tests/)  # first first
SKIP_IN_OPS=(--ignore=tests/kernels/test_kernels_cuda.py --ignore=tests/kernels/test_cuda_shim.py
             --ignore=tests/gpu/test_cuda_compile.py --ignore=tests/gpu/test_cuda_determinism.py
             --ignore=tests/gpu/test_cuda_host_syncs.py)
declare -A CAP
if [[ $MODE == gpu ]]; then
    CAP=([environment]=20 [install]=45 [ready]=40 [model]=80 [kernels]=60 [kernel_tests]=45
         [op_tests]=60 [summary]=15)
    BUDGET=380
    SHIM=()
    MODEL=(--model resnet50 --batch 64 --size 224 --warmup 3 --reps 7)
    KERNELS=(--warmup 3 --reps 10)
    KERNEL_TESTS=(tests/kernels/test_kernels_cuda.py)
    OPS=(-k cuda "${OP_TESTS[@]}" "${SKIP_IN_OPS[@]}")
else  # the CPU shim: CIFAR ResNet-20 (a ResNet-50 step takes minutes there), small kernels,
    # a sample of the tests (the test suite runs them all): this run checks the script itself
    CAP=([environment]=15 [install]=30 [ready]=60 [model]=40 [kernels]=30 [kernel_tests]=40
         [op_tests]=40 [summary]=10)
    BUDGET=280  # CI: under 5 minutes on 2 cores
    SHIM=(--shim)
    MODEL=(--model cifar_resnet20 --batch 2 --size 8 --warmup 0 --reps 1)
    KERNELS=(--warmup 1 --reps 2)
    KERNEL_TESTS=(tests/kernels/test_cuda_shim.py -k "float32 and plain")
    OPS=(-p tests.helpers.cuda_shim.as_device -k "cuda and not gradcheck"
         tests/ops/test_batchnorm.py tests/ops/test_loss.py tests/ops/test_linear.py
         tests/ops/test_pool.py)
fi
DEADLINE=$((SECONDS + BUDGET))

echo "gpu_check.sh ($MODE): budget ${BUDGET}s, results in $OUT"
step "environment" "${CAP[environment]}" bash -c "
    if [[ $MODE == gpu ]]; then
        nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv
    fi
    $PY - <<'EOF'
import sys, numpy, torch
print('python', sys.version.split()[0], '| numpy', numpy.__version__, '| torch',
      torch.__version__, '| torch.cuda', torch.version.cuda)
try:
    import cupy
    print('cupy', cupy.__version__, '| nvrtc', cupy.cuda.nvrtc.getVersion())
    print('device:', cupy.cuda.runtime.getDeviceProperties(0)['name'].decode())
except Exception as error:
    print('no GPU through CuPy:', type(error).__name__, error)
EOF"

step "install" "${CAP[install]}" "$PY" -m pip install -q --no-build-isolation --no-deps -e . \
    || stop "pip install -e . failed"
step "ready" "${CAP[ready]}" "$PY" -m benchmarks.gpu_ready "${SHIM[@]}" \
    || stop "the cuda backend is not ready (see the NOT READY line above)"

step "model benchmark" "${CAP[model]}" "$PY" -m benchmarks.bench_gpu_model "${SHIM[@]}" \
    "${MODEL[@]}" --json "$OUT/bench_gpu_model.json"
step "kernel benchmark" "${CAP[kernels]}" "$PY" -m benchmarks.bench_gpu_kernels "${SHIM[@]}" \
    "${KERNELS[@]}" --json "$OUT/bench_gpu_kernels.json"
step "kernel tests" "${CAP[kernel_tests]}" "$PY" -m pytest $(pytest_args kernels) \
    "${KERNEL_TESTS[@]}"
step "op tests" "${CAP[op_tests]}" "$PY" -m pytest $(pytest_args ops) "${OPS[@]}"

echo; echo "=== done: exit status $STATUS after ${SECONDS}s ($MODE); results in $OUT"
summary
exit $STATUS
