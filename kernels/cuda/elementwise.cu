// ReLU forward and backward, and the residual add fused with its ReLU: grid-stride loops over the flat arrays (64-bit indices, so any
// size works); launch any 1-D grid.

// x (n,) -> y = max(x, 0); NaN stays NaN, as numpy.maximum.
template <typename T>
__global__ void relu_forward(const T* __restrict__ x, long long n, T* __restrict__ y)
{
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n;
         i += (long long)blockDim.x * gridDim.x) {
        const T v = x[i];
        y[i] = (v > T(0) || v != v) ? v : T(0);
    }
}

// gy, y (n,) -> gx = gy where the output was positive, else 0.
template <typename T>
__global__ void relu_backward(const T* __restrict__ gy, const T* __restrict__ y, long long n,
                              T* __restrict__ gx)
{
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n;
         i += (long long)blockDim.x * gridDim.x) {
        gx[i] = y[i] > T(0) ? gy[i] : T(0);
    }
}

// a, b (n,) -> y = max(a + b, 0): a residual add and the ReLU after it in one pass.
template <typename T>
__global__ void add_relu(const T* __restrict__ a, const T* __restrict__ b, long long n,
                         T* __restrict__ y)
{
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n;
         i += (long long)blockDim.x * gridDim.x) {
        const T v = a[i] + b[i];
        y[i] = (v > T(0) || v != v) ? v : T(0);
    }
}
