// Optimizer updates in place, PyTorch's rules, written step for step as kernels/cpu/optim.py.
// Grid-stride loops over the flat parameter (64-bit indices); launch any 1-D grid. The host
// folds the per-step constants (1 - dampening, lr / (1 - beta1^step), ...) into T arguments.

__device__ __forceinline__ float sqrt_(float v) { return sqrtf(v); }
__device__ __forceinline__ double sqrt_(double v) { return sqrt(v); }

// d = grad + weight_decay * param; with momentum: buf = d on the first step, else
// buf = momentum * buf + (1 - dampening) * d, then d = d + momentum * buf (nesterov) or buf;
// param -= lr * d. buf is not touched when momentum == 0 (the caller may pass any pointer).
template <typename T>
__global__ void sgd_step(T* __restrict__ param, const T* __restrict__ grad, T* __restrict__ buf,
                         long long n, T lr, T momentum, T one_minus_dampening, T weight_decay,
                         int nesterov, int first)
{
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n;
         i += (long long)blockDim.x * gridDim.x) {
        T d = grad[i];
        if (weight_decay != T(0)) d = d + weight_decay * param[i];
        if (momentum != T(0)) {
            const T b = first ? d : momentum * buf[i] + one_minus_dampening * d;
            buf[i] = b;
            d = nesterov ? d + momentum * b : b;
        }
        param[i] -= lr * d;
    }
}

// g = grad + weight_decay * param; exp_avg += (1 - beta1) * (g - exp_avg);
// exp_avg_sq = beta2 * exp_avg_sq + (1 - beta2) * g * g;
// param -= step_size * exp_avg / (sqrt(exp_avg_sq) / sqrt_correction2 + eps), where
// step_size = lr / (1 - beta1^step) and sqrt_correction2 = sqrt(1 - beta2^step).
template <typename T>
__global__ void adam_step(T* __restrict__ param, const T* __restrict__ grad,
                          T* __restrict__ exp_avg, T* __restrict__ exp_avg_sq, long long n,
                          T one_minus_beta1, T beta2, T one_minus_beta2, T step_size,
                          T sqrt_correction2, T eps, T weight_decay)
{
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n;
         i += (long long)blockDim.x * gridDim.x) {
        T g = grad[i];
        if (weight_decay != T(0)) g = g + weight_decay * param[i];
        const T m = exp_avg[i] + one_minus_beta1 * (g - exp_avg[i]);
        const T v = exp_avg_sq[i] * beta2 + one_minus_beta2 * g * g;
        exp_avg[i] = m;
        exp_avg_sq[i] = v;
        const T denom = sqrt_(v) / sqrt_correction2 + eps;
        param[i] -= step_size * m / denom;
    }
}
