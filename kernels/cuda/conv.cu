// im2col and col2im for NCHW tensors, the data movement half of convolution (cuBLAS does the
// matrix products). Column layout as kernels/cpu/conv.py: cols (N, C*R*S, P*Q), row index
// (c * R + r) * S + s, so that y[n] = w.reshape(K, C*R*S) @ cols[n] is NCHW already.
//
// Both kernels walk "planes" along grid y (with a stride, as gridDim.y is at most 65535) and a
// plane's elements along grid x, so the divisions that find (n, c, r, s) happen once per plane.
// Launch: grid (ceil(plane_size / blockDim.x) or fewer, min(planes, 65535)), any blockDim.x.

// x (N, C, H, W) -> cols (N, C*R*S, P*Q); zero padding. A plane is one row (n, c, r, s) of
// cols: rows = N*C*R*S planes of P*Q elements; consecutive threads write consecutive columns.
template <typename T>
__global__ void im2col(const T* __restrict__ x, int H, int W, int R, int S, int sh, int sw,
                       int ph, int pw, int P, int Q, int rows, T* __restrict__ cols)
{
    const int plane_size = P * Q;
    for (int row = blockIdx.y; row < rows; row += gridDim.y) {
        const int s = row % S;
        const int r = (row / S) % R;
        const int nc = row / (R * S);  // n * C + c: the input plane this row reads
        const T* src = x + (long long)nc * H * W;
        T* dst = cols + (long long)row * plane_size;
        for (int pq = blockIdx.x * blockDim.x + threadIdx.x; pq < plane_size;
             pq += blockDim.x * gridDim.x) {
            const int p = pq / Q;
            const int q = pq - p * Q;
            const int h = p * sh - ph + r;
            const int w = q * sw - pw + s;
            dst[pq] = (h >= 0 && h < H && w >= 0 && w < W) ? src[h * W + w] : T(0);
        }
    }
}

// cols (N, C*R*S, P*Q) -> x (N, C, H, W), the adjoint of im2col, written as a gather: each
// thread owns one x element and adds the columns that copied it, so no two threads write the
// same address and no atomics are needed. Planes are the N*C planes of x. The terms are added
// in (r, s) order, the order in which kernels/cpu/conv.py::col2im adds them.
template <typename T>
__global__ void col2im(const T* __restrict__ cols, int H, int W, int R, int S, int sh, int sw,
                       int ph, int pw, int P, int Q, int planes, T* __restrict__ x)
{
    const int plane_size = H * W;
    for (int plane = blockIdx.y; plane < planes; plane += gridDim.y) {
        const T* src = cols + (long long)plane * R * S * P * Q;  // rows (c, 0, 0) of image n
        T* dst = x + (long long)plane * plane_size;
        for (int hw = blockIdx.x * blockDim.x + threadIdx.x; hw < plane_size;
             hw += blockDim.x * gridDim.x) {
            const int h = hw / W;
            const int w = hw - h * W;
            T sum = T(0);
            for (int r = 0; r < R; ++r) {
                const int hp = h + ph - r;  // = p * sh when window row p covers h at offset r
                if (hp < 0 || hp % sh != 0 || hp / sh >= P) continue;
                const int p = hp / sh;
                for (int s = 0; s < S; ++s) {
                    const int wq = w + pw - s;
                    if (wq < 0 || wq % sw != 0 || wq / sw >= Q) continue;
                    const int q = wq / sw;
                    sum += src[((long long)(r * S + s) * P + p) * Q + q];
                }
            }
            dst[hw] = sum;
        }
    }
}
