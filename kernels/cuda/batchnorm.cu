// Batch normalisation of x (N, C, L) (L = H * W) per channel, as kernels/cpu/batchnorm.py:
// biased variance of the centred values (two passes: mean, then squares), PyTorch's backward.
//
// Per-channel reductions run in two deterministic stages: channel_partial_sums gives block
// (k, c) the k-th of `splits` equal shares of channel c's N*L values and writes one partial
// sum, channel_finish adds a channel's partials in order. Several blocks per channel keep the
// GPU busy when C is small (64 channels of 64 * 112 * 112 values in ResNet's first layer).
// The sums accumulate in double, as the CPU reference's float64 sums do: with few values per
// channel the backward's count * gy - gbias - xhat * gweight cancels, and float32 sums would
// leave errors of 1e-3 in the gradient. It costs little: the kernels are bound by reading x.
// No atomics: for one launch geometry (fixed by the shapes) every run gives the same bits.
// Launch: the partial kernels with grid (splits, min(C, 65535)) and blockDim.x == kBlock;
// channel kernels with a 1-D grid over C; the elementwise ones with planes (n, c) along grid y
// and a plane's L values along grid x (any blockDim.x).

constexpr int kBlock = 256;

__device__ __forceinline__ float sqrt_(float v) { return sqrtf(v); }
__device__ __forceinline__ double sqrt_(double v) { return sqrt(v); }

// The sum of every thread's v, returned to every thread; all threads of the block call it.
__device__ double block_sum(double v, double* shared)
{
    shared[threadIdx.x] = v;
    __syncthreads();
    for (int half = kBlock / 2; half > 0; half /= 2) {
        if ((int)threadIdx.x < half) shared[threadIdx.x] += shared[threadIdx.x + half];
        __syncthreads();
    }
    const double total = shared[0];
    __syncthreads();  // shared may be written again right after
    return total;
}

// Sum over value m of channel c, m = n * L + l in [begin, end), of f(x[n, c, l]), where f is the
// identity (square == 0) or (x - mu)^2 (computed in T, as the reference squares in x's dtype);
// strided by the block's threads, then over the block; in double.
template <typename T>
__device__ double share_sum(const T* x, int C, int L, int c, int begin, int end, int square,
                            T mu, double* shared)
{
    double s = 0.0;
    for (int m = begin + threadIdx.x; m < end; m += blockDim.x) {
        const int n = m / L;
        const T v = x[((long long)n * C + c) * L + (m - n * L)];
        s += square ? (double)((v - mu) * (v - mu)) : (double)v;
    }
    return block_sum(s, shared);
}

// x (N, C, L) -> partial (C, splits) in double: block (k, c) sums its share of channel c's N*L
// values, of x itself (square == 0) or of (x - center[c])^2.
template <typename T>
__global__ void channel_partial_sums(const T* __restrict__ x, const T* __restrict__ center,
                                     int N, int C, int L, int square,
                                     double* __restrict__ partial)
{
    __shared__ double shared[kBlock];
    const int count = N * L;
    const int chunk = (count + gridDim.x - 1) / gridDim.x;
    const int begin = blockIdx.x * chunk;
    const int end = begin + chunk < count ? begin + chunk : count;
    for (int c = blockIdx.y; c < C; c += gridDim.y) {  // the same for the whole block
        const T mu = square ? center[c] : T(0);
        const double s = share_sum(x, C, L, c, begin, end, square, mu, shared);
        if (threadIdx.x == 0) partial[(long long)c * gridDim.x + blockIdx.x] = s;
    }
}

// gy, x (N, C, L) -> partial_gb, partial_gw (C, splits) in double: shares of sum(gy) and of
// sum(gy * xhat), xhat = (x - mean[c]) * invstd[c] (the product in T, as the reference), split
// as in channel_partial_sums.
template <typename T>
__global__ void backward_partial_sums(const T* __restrict__ gy, const T* __restrict__ x,
                                      const T* __restrict__ mean, const T* __restrict__ invstd,
                                      int N, int C, int L, double* __restrict__ partial_gb,
                                      double* __restrict__ partial_gw)
{
    __shared__ double shared[kBlock];
    const int count = N * L;
    const int chunk = (count + gridDim.x - 1) / gridDim.x;
    const int begin = blockIdx.x * chunk;
    const int end = begin + chunk < count ? begin + chunk : count;
    for (int c = blockIdx.y; c < C; c += gridDim.y) {
        double gb = 0.0;
        double gw = 0.0;
        for (int m = begin + threadIdx.x; m < end; m += blockDim.x) {
            const int n = m / L;
            const long long i = ((long long)n * C + c) * L + (m - n * L);
            gb += (double)gy[i];
            gw += (double)(gy[i] * ((x[i] - mean[c]) * invstd[c]));
        }
        gb = block_sum(gb, shared);
        gw = block_sum(gw, shared);
        if (threadIdx.x == 0) {
            partial_gb[(long long)c * gridDim.x + blockIdx.x] = gb;
            partial_gw[(long long)c * gridDim.x + blockIdx.x] = gw;
        }
    }
}

// partial (C, splits) -> out (C,) = T(sum of the channel's partials, in order) / divisor: the
// reference rounds its float64 sum to x's dtype, then divides.
template <typename T>
__global__ void channel_finish(const double* __restrict__ partial, int C, int splits,
                               T divisor, T* __restrict__ out)
{
    for (int c = blockIdx.x * blockDim.x + threadIdx.x; c < C; c += blockDim.x * gridDim.x) {
        double s = 0.0;
        for (int k = 0; k < splits; ++k) s += partial[(long long)c * splits + k];
        out[c] = (T)s / divisor;
    }
}

// var (C,) -> invstd = 1 / sqrt(var + eps).
template <typename T>
__global__ void channel_invstd(const T* __restrict__ var, int C, T eps, T* __restrict__ invstd)
{
    for (int c = blockIdx.x * blockDim.x + threadIdx.x; c < C; c += blockDim.x * gridDim.x) {
        invstd[c] = T(1) / sqrt_(var[c] + eps);
    }
}

// x (N, C, L) -> y = (x - mean) * invstd * weight + bias, per channel (the caller passes ones
// and zeros for an absent weight and bias); relu != 0: y = max(y, 0) (NaN stays NaN), the ReLU
// that follows fused in.
template <typename T>
__global__ void normalize(const T* __restrict__ x, const T* __restrict__ mean,
                          const T* __restrict__ invstd, const T* __restrict__ weight,
                          const T* __restrict__ bias, int C, int L, int planes, int relu,
                          T* __restrict__ y)
{
    for (int plane = blockIdx.y; plane < planes; plane += gridDim.y) {
        const int c = plane % C;
        const long long base = (long long)plane * L;
        for (int l = blockIdx.x * blockDim.x + threadIdx.x; l < L; l += blockDim.x * gridDim.x) {
            const T v = (x[base + l] - mean[c]) * invstd[c] * weight[c] + bias[c];
            y[base + l] = (relu && v < T(0)) ? T(0) : v;
        }
    }
}

// gy, x (N, C, L) -> gx. training != 0: through the batch statistics,
// gx = weight * invstd / count * (count * gy - gbias - xhat * gweight); else gx = gy * weight *
// invstd. gbias, gweight are the channel sums of gy and gy * xhat; count = N * L.
template <typename T>
__global__ void backward_input(const T* __restrict__ gy, const T* __restrict__ x,
                               const T* __restrict__ mean, const T* __restrict__ invstd,
                               const T* __restrict__ weight, const T* __restrict__ gbias,
                               const T* __restrict__ gweight, int C, int L, int planes, T count,
                               int training, T* __restrict__ gx)
{
    for (int plane = blockIdx.y; plane < planes; plane += gridDim.y) {
        const int c = plane % C;
        const T scale = weight[c] * invstd[c];
        const long long base = (long long)plane * L;
        for (int l = blockIdx.x * blockDim.x + threadIdx.x; l < L; l += blockDim.x * gridDim.x) {
            const long long i = base + l;
            if (training) {
                const T xhat = (x[i] - mean[c]) * invstd[c];
                gx[i] = (scale / count) * (count * gy[i] - gbias[c] - xhat * gweight[c]);
            } else {
                gx[i] = gy[i] * scale;
            }
        }
    }
}

// In place, per channel: r = (1 - momentum) * r + momentum * batch, the variance made unbiased
// first (var * bessel, bessel = count / (count - 1)).
template <typename T>
__global__ void update_running(T* __restrict__ running_mean, T* __restrict__ running_var,
                               const T* __restrict__ mean, const T* __restrict__ var, int C,
                               T momentum, T one_minus_momentum, T bessel)
{
    for (int c = blockIdx.x * blockDim.x + threadIdx.x; c < C; c += blockDim.x * gridDim.x) {
        running_mean[c] = one_minus_momentum * running_mean[c] + momentum * mean[c];
        running_var[c] = one_minus_momentum * running_var[c] + momentum * (var[c] * bessel);
    }
}
