"""GPU readiness: .cu files compile, deterministic kernels, no host syncs, gpu_check.sh."""
