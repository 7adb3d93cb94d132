// Log-softmax and softmax cross-entropy, one thread block per row, numerically stable (the row
// maximum is subtracted before exp). A "row" is the D values along the softmax axis of an array
// seen as (outer, D, inner): element d of row (o, i) is at (o * D + d) * inner + i, so any axis
// works without a transpose (inner = 1 for the last axis, and for cross-entropy's (N, C)).
//
// Launch: blockDim.x == kBlock (the shared-memory reductions assume it), grid (rows or fewer,)
// for the row kernels; nll_mean runs as one block.

constexpr int kBlock = 256;

__device__ __forceinline__ float exp_(float v) { return expf(v); }
__device__ __forceinline__ double exp_(double v) { return exp(v); }
__device__ __forceinline__ float log_(float v) { return logf(v); }
__device__ __forceinline__ double log_(double v) { return log(v); }
__device__ __forceinline__ float nan_(float) { return nanf(""); }
__device__ __forceinline__ double nan_(double) { return nan(""); }

// The sum (or maximum) of every thread's v, returned to every thread of the block. All threads
// of the block must call it; shared holds kBlock values and is free again when it returns.
template <typename T>
__device__ T block_sum(T v, T* shared)
{
    shared[threadIdx.x] = v;
    __syncthreads();
    for (int half = kBlock / 2; half > 0; half /= 2) {
        if ((int)threadIdx.x < half) shared[threadIdx.x] += shared[threadIdx.x + half];
        __syncthreads();
    }
    const T total = shared[0];
    __syncthreads();
    return total;
}

template <typename T>
__device__ T block_max(T v, T* shared)
{
    shared[threadIdx.x] = v;
    __syncthreads();
    for (int half = kBlock / 2; half > 0; half /= 2) {
        if ((int)threadIdx.x < half) {
            const T other = shared[threadIdx.x + half];
            if (other > shared[threadIdx.x]) shared[threadIdx.x] = other;
        }
        __syncthreads();
    }
    const T best = shared[0];
    __syncthreads();
    return best;
}

// x -> y = x - max - log(sum(exp(x - max))) along each row.
template <typename T>
__global__ void log_softmax_forward(const T* __restrict__ x, int D, int inner, int rows,
                                    T* __restrict__ y)
{
    __shared__ T shared[kBlock];
    for (int row = blockIdx.x; row < rows; row += gridDim.x) {  // the same for the whole block
        const long long base = (long long)(row / inner) * D * inner + row % inner;
        const T* in = x + base;
        T m = in[0];  // any element of the row is a neutral start for its maximum
        for (int d = threadIdx.x; d < D; d += blockDim.x) {
            const T v = in[(long long)d * inner];
            if (v > m) m = v;
        }
        m = block_max(m, shared);
        T s = T(0);
        for (int d = threadIdx.x; d < D; d += blockDim.x) s += exp_(in[(long long)d * inner] - m);
        const T lse = log_(block_sum(s, shared));
        for (int d = threadIdx.x; d < D; d += blockDim.x) {
            y[base + (long long)d * inner] = (in[(long long)d * inner] - m) - lse;
        }
    }
}

// gy, y (log-probabilities) -> gx = gy - exp(y) * sum(gy) along each row.
template <typename T>
__global__ void log_softmax_backward(const T* __restrict__ gy, const T* __restrict__ y, int D,
                                     int inner, int rows, T* __restrict__ gx)
{
    __shared__ T shared[kBlock];
    for (int row = blockIdx.x; row < rows; row += gridDim.x) {
        const long long base = (long long)(row / inner) * D * inner + row % inner;
        T s = T(0);
        for (int d = threadIdx.x; d < D; d += blockDim.x) s += gy[base + (long long)d * inner];
        s = block_sum(s, shared);
        for (int d = threadIdx.x; d < D; d += blockDim.x) {
            const long long i = base + (long long)d * inner;
            gx[i] = gy[i] - exp_(y[i]) * s;
        }
    }
}

// log_probs (N, C), target (N,) -> loss () = -mean_i log_probs[i, target[i]]. One block.
// The labels are checked here, on the device, so that no step waits for a copy to the host: a
// label outside [0, C) makes the loss NaN and sets bad = (1, label, C), which the host reads at
// its next device-to-host copy and reports (kernels/cuda/loss.py), as PyTorch's device-side
// assert. Threads that find different bad labels race to write theirs: any one is reported.
template <typename T>
__global__ void nll_mean(const T* __restrict__ log_probs, const long long* __restrict__ target,
                         int N, int C, T* __restrict__ loss, long long* __restrict__ bad)
{
    __shared__ T shared[kBlock];
    T s = T(0);
    for (int i = threadIdx.x; i < N; i += blockDim.x) {
        const long long t = target[i];
        if (t >= 0 && t < C) {
            s += log_probs[(long long)i * C + t];
        } else {
            s += nan_(s);
            bad[0] = 1;
            bad[1] = t;
            bad[2] = C;
        }
    }
    s = block_sum(s, shared);
    if (threadIdx.x == 0) *loss = -(s / T(N));
}

// gloss (), log_probs (N, C), target (N,) -> glogits = (softmax - onehot) * gloss / N. Planes
// are the N rows along grid y, classes along grid x (any blockDim.x for this one).
template <typename T>
__global__ void cross_entropy_backward(const T* __restrict__ gloss,
                                       const T* __restrict__ log_probs,
                                       const long long* __restrict__ target, int N, int C,
                                       T* __restrict__ glogits)
{
    const T scale = *gloss / T(N);  // read on the device: no host round trip for the loss grad
    for (int i = blockIdx.y; i < N; i += gridDim.y) {
        const long long t = target[i];
        for (int c = blockIdx.x * blockDim.x + threadIdx.x; c < C; c += blockDim.x * gridDim.x) {
            const long long k = (long long)i * C + c;
            T g = exp_(log_probs[k]);
            if (c == t) g -= T(1);
            glogits[k] = g * scale;
        }
    }
}
