// Max and average pooling over NCHW planes, forward and backward, with the semantics of
// kernels/cpu/pool.py: max pooling pads with -inf (a padded position never wins), the first
// maximum in window order (r, s) wins ties, the first NaN wins over every number; argmax is
// h * W + w in the unpadded plane. avgpool2d_backward is a gather (one thread per input element
// adds the shares of the windows that cover it), maxpool2d_backward a scatter with atomicAdd.
//
// Launch: planes = N*C along grid y (strided: gridDim.y <= 65535), a plane's elements along
// grid x (its outputs (p, q); the inputs (h, w) for avgpool2d_backward); any blockDim.x.

// Number of unpadded elements in the window that starts at (h0, w0).
__device__ __forceinline__ int window_count(int h0, int w0, int H, int W, int R, int S)
{
    const int rows = (h0 + R < H ? h0 + R : H) - (h0 > 0 ? h0 : 0);
    const int cols = (w0 + S < W ? w0 + S : W) - (w0 > 0 ? w0 : 0);
    return rows * cols;
}

// x (N, C, H, W) -> y, argmax (N, C, P, Q).
template <typename T>
__global__ void maxpool2d_forward(const T* __restrict__ x, int H, int W, int R, int S, int sh,
                                  int sw, int ph, int pw, int P, int Q, int planes,
                                  T* __restrict__ y, long long* __restrict__ argmax)
{
    for (int plane = blockIdx.y; plane < planes; plane += gridDim.y) {
        const T* src = x + (long long)plane * H * W;
        const long long out = (long long)plane * P * Q;
        for (int pq = blockIdx.x * blockDim.x + threadIdx.x; pq < P * Q;
             pq += blockDim.x * gridDim.x) {
            const int h0 = (pq / Q) * sh - ph;
            const int w0 = (pq % Q) * sw - pw;
            T best = T(0);
            int where = -1;  // no element seen yet: the first real one always wins
            for (int r = 0; r < R; ++r) {
                const int h = h0 + r;
                if (h < 0 || h >= H) continue;
                for (int s = 0; s < S; ++s) {
                    const int w = w0 + s;
                    if (w < 0 || w >= W) continue;
                    const T v = src[h * W + w];
                    if (where < 0 || v > best || (v != v && best == best)) {
                        best = v;
                        where = h * W + w;
                    }
                }
            }
            y[out + pq] = best;
            argmax[out + pq] = where;
        }
    }
}

// gy, argmax (N, C, P, Q) -> gx (N, C, H, W), which the caller zeroes: each output adds its
// gradient to the element its window chose. The kernel list passes no window geometry to this
// kernel, so it cannot gather; overlapping windows may choose the same element, hence atomicAdd
// (on double it needs sm_60+). Planes are the N*C planes of gy.
template <typename T>
__global__ void maxpool2d_backward(const T* __restrict__ gy, const long long* __restrict__ argmax,
                                   int plane_in, int plane_out, int planes, T* __restrict__ gx)
{
    for (int plane = blockIdx.y; plane < planes; plane += gridDim.y) {
        const long long in = (long long)plane * plane_in;
        const long long out = (long long)plane * plane_out;
        for (int pq = blockIdx.x * blockDim.x + threadIdx.x; pq < plane_out;
             pq += blockDim.x * gridDim.x) {
            atomicAdd(gx + in + argmax[out + pq], gy[out + pq]);
        }
    }
}

// x (N, C, H, W) -> y (N, C, P, Q): window sums divided by R*S (count_include_pad != 0) or by
// the number of unpadded elements in the window.
template <typename T>
__global__ void avgpool2d_forward(const T* __restrict__ x, int H, int W, int R, int S, int sh,
                                  int sw, int ph, int pw, int P, int Q, int planes,
                                  int count_include_pad, T* __restrict__ y)
{
    for (int plane = blockIdx.y; plane < planes; plane += gridDim.y) {
        const T* src = x + (long long)plane * H * W;
        for (int pq = blockIdx.x * blockDim.x + threadIdx.x; pq < P * Q;
             pq += blockDim.x * gridDim.x) {
            const int h0 = (pq / Q) * sh - ph;
            const int w0 = (pq % Q) * sw - pw;
            T sum = T(0);
            for (int r = 0; r < R; ++r) {
                const int h = h0 + r;
                if (h < 0 || h >= H) continue;
                for (int s = 0; s < S; ++s) {
                    const int w = w0 + s;
                    if (w >= 0 && w < W) sum += src[h * W + w];
                }
            }
            const int divisor = count_include_pad ? R * S : window_count(h0, w0, H, W, R, S);
            y[(long long)plane * P * Q + pq] = sum / T(divisor);
        }
    }
}

// gy (N, C, P, Q) -> gx (N, C, H, W): each window's gradient shared evenly by its elements;
// the shares are added in (r, s) order, as col2im adds them in the reference.
template <typename T>
__global__ void avgpool2d_backward(const T* __restrict__ gy, int H, int W, int R, int S, int sh,
                                   int sw, int ph, int pw, int P, int Q, int planes,
                                   int count_include_pad, T* __restrict__ gx)
{
    for (int plane = blockIdx.y; plane < planes; plane += gridDim.y) {
        const T* src = gy + (long long)plane * P * Q;
        for (int hw = blockIdx.x * blockDim.x + threadIdx.x; hw < H * W;
             hw += blockDim.x * gridDim.x) {
            const int h = hw / W;
            const int w = hw - h * W;
            T sum = T(0);
            for (int r = 0; r < R; ++r) {
                const int hp = h + ph - r;
                if (hp < 0 || hp % sh != 0 || hp / sh >= P) continue;
                const int p = hp / sh;
                for (int s = 0; s < S; ++s) {
                    const int wq = w + pw - s;
                    if (wq < 0 || wq % sw != 0 || wq / sw >= Q) continue;
                    const int q = wq / sw;
                    const int divisor = count_include_pad
                        ? R * S : window_count(p * sh - ph, q * sw - pw, H, W, R, S);
                    sum += src[p * Q + q] / T(divisor);
                }
            }
            gx[(long long)plane * H * W + hw] = sum;
        }
    }
}
