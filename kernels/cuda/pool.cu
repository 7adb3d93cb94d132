// Max and average pooling over NCHW planes, forward and backward, with the semantics of
// kernels/cpu/pool.py: max pooling pads with -inf (a padded position never wins), the first
// maximum in window order (r, s) wins ties, the first NaN wins over every number; argmax is
// h * W + w in the unpadded plane. Both backward kernels are gathers: one thread per input
// element adds, in (p, q) order, what the windows that cover it send it, so no two threads
// write one element, there are no atomics, and the result is the same bit for bit on every run
// and every launch geometry (deterministic training, as train.py promises).
//
// Launch: planes = N*C along grid y (strided: gridDim.y <= 65535), a plane's elements along
// grid x (its outputs (p, q) for the forward kernels, its inputs (h, w) for the backward ones);
// any blockDim.x.

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

// The outputs first..last along one axis whose windows (size R, stride sh, padding ph) cover
// input position h; first > last when none does.
__device__ __forceinline__ void covering(int h, int R, int sh, int ph, int P, int* first,
                                         int* last)
{
    const int lowest = h + ph - R + 1;  // the window of p covers h if lowest <= p * sh <= h + ph
    *first = lowest <= 0 ? 0 : (lowest + sh - 1) / sh;
    *last = (h + ph) / sh < P - 1 ? (h + ph) / sh : P - 1;
}

// gy, argmax (N, C, P, Q) -> gx (N, C, H, W): each input element gathers the gradients of the
// windows that cover it and chose it, in (p, q) order and in double, which is exactly what the
// reference's float64 bincount does (so float32 results are equal bit for bit, not just close).
template <typename T>
__global__ void maxpool2d_backward(const T* __restrict__ gy, const long long* __restrict__ argmax,
                                   int H, int W, int R, int S, int sh, int sw, int ph, int pw,
                                   int P, int Q, int planes, T* __restrict__ gx)
{
    for (int plane = blockIdx.y; plane < planes; plane += gridDim.y) {
        const long long out = (long long)plane * P * Q;
        for (int hw = blockIdx.x * blockDim.x + threadIdx.x; hw < H * W;
             hw += blockDim.x * gridDim.x) {
            int p0, p1, q0, q1;
            covering(hw / W, R, sh, ph, P, &p0, &p1);
            covering(hw % W, S, sw, pw, Q, &q0, &q1);
            double sum = 0.0;
            for (int p = p0; p <= p1; ++p) {
                for (int q = q0; q <= q1; ++q) {
                    if (argmax[out + p * Q + q] == hw) sum += (double)gy[out + p * Q + q];
                }
            }
            gx[(long long)plane * H * W + hw] = (T)sum;
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
