"""Numba transforms of Winograd's F(2x2, 3x3) convolution (Lavin & Gray, 2015), channel-major.

Each 2x2 output tile t of a 3x3, stride-1, padding-1 convolution is

    y_t = A^T [ U (.) V_t ] A,   U = G w G^T (4x4 per (k, c)),   V_t = B^T d_t B

with d_t the 4x4 input tile around it, so the 16 elementwise products become 16 GEMMs over the
channels: M[e] (K, T) = U[e] (K, C) @ V[e] (C, T), 2.25x fewer multiplications than im2col.
The transforms use only +-1 and +-1/2, so rounding stays at the level of a plain GEMM.

    B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]    A^T = [1 1 1 0; 0 1 -1 -1]
    G   = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]

Transformed arrays are (16, channels, T) with e = 4 * row + column of the 4x4 tile and tiles t
numbered (image, tile row, tile column). The tile transforms are serial and nogil (the
convolution runs one group of images per thread) and work a row of tiles at a time so that LLVM
vectorizes them; the (small) filter transforms run one range of output channels per thread.
"""
import numpy as np

from .numba_setup import njit


@njit(nogil=True, cache=True)
def input_transform(x, n0, n1, i0, i1, v):
    """x (C, N, H, W) -> v (16, C, T): V_t = B^T d_t B for tile rows i0..i1-1 of images
    n0..n1-1."""
    c_size, _, h_size, w_size = x.shape
    tw = (w_size + 1) // 2
    u = np.zeros((4, 2 * tw + 2), dtype=x.dtype)  # B^T down a row of tiles; the pads stay 0
    zero_row = np.zeros(w_size, dtype=x.dtype)
    for c in range(c_size):
        t = 0
        for n in range(n0, n1):
            for i in range(i0, i1):
                h = 2 * i - 1  # input rows h .. h+3, zero outside the image
                r0 = x[c, n, h] if h >= 0 else zero_row
                r1 = x[c, n, h + 1] if h + 1 < h_size else zero_row
                r2 = x[c, n, h + 2] if h + 2 < h_size else zero_row
                r3 = x[c, n, h + 3] if h + 3 < h_size else zero_row
                for w in range(w_size):
                    a0, a1, a2, a3 = r0[w], r1[w], r2[w], r3[w]
                    u[0, w + 1] = a0 - a2
                    u[1, w + 1] = a1 + a2
                    u[2, w + 1] = a2 - a1
                    u[3, w + 1] = a1 - a3
                for a in range(4):
                    for j in range(tw):
                        d0, d1 = u[a, 2 * j], u[a, 2 * j + 1]
                        d2, d3 = u[a, 2 * j + 2], u[a, 2 * j + 3]
                        v[4 * a, c, t + j] = d0 - d2
                        v[4 * a + 1, c, t + j] = d1 + d2
                        v[4 * a + 2, c, t + j] = d2 - d1
                        v[4 * a + 3, c, t + j] = d1 - d3
                t += tw


@njit(nogil=True, cache=True)
def output_transform(m, n0, n1, i0, i1, y):
    """m (16, K, T) -> tile rows i0..i1-1 of images n0..n1-1 of y (K, N, P, Q):
    y_t = A^T M_t A (odd sizes clipped). Tile by tile: measured faster than row passes."""
    k_size, _, p_size, q_size = y.shape
    tw = (q_size + 1) // 2
    for k in range(k_size):
        t = 0
        for n in range(n0, n1):
            for i in range(i0, i1):
                top = y[k, n, 2 * i]
                two = 2 * i + 1 < p_size
                bottom = y[k, n, 2 * i + 1] if two else top
                for j in range(tw):
                    s0 = m[0, k, t] + m[1, k, t] + m[2, k, t]  # per tile row: M A
                    d0 = m[1, k, t] - m[2, k, t] - m[3, k, t]
                    s1 = m[4, k, t] + m[5, k, t] + m[6, k, t]
                    d1 = m[5, k, t] - m[6, k, t] - m[7, k, t]
                    s2 = m[8, k, t] + m[9, k, t] + m[10, k, t]
                    d2 = m[9, k, t] - m[10, k, t] - m[11, k, t]
                    s3 = m[12, k, t] + m[13, k, t] + m[14, k, t]
                    d3 = m[13, k, t] - m[14, k, t] - m[15, k, t]
                    q = 2 * j
                    top[q] = s0 + s1 + s2
                    if q + 1 < q_size:
                        top[q + 1] = d0 + d1 + d2
                    if two:
                        bottom[q] = s1 - s2 - s3
                        if q + 1 < q_size:
                            bottom[q + 1] = d1 - d2 - d3
                    t += 1


@njit(nogil=True, cache=True)
def gradient_transform(gy, n0, n1, i0, i1, z):
    """gy (K, N, P, Q) -> z (16, K, T): A g_t A^T for each 2x2 gradient tile g_t of tile rows
    i0..i1-1 of images n0..n1-1 (zero past odd edges), the transform that pairs with V_t in the
    weight gradient."""
    k_size, _, p_size, q_size = gy.shape
    tw = (q_size + 1) // 2
    u = np.zeros((4, 2 * tw), dtype=gy.dtype)  # A applied down the tile row; odd pad stays 0
    zero_row = np.zeros(q_size, dtype=gy.dtype)
    for k in range(k_size):
        t = 0
        for n in range(n0, n1):
            for i in range(i0, i1):
                g0_row = gy[k, n, 2 * i]
                g1_row = gy[k, n, 2 * i + 1] if 2 * i + 1 < p_size else zero_row
                for w in range(q_size):
                    g0, g1 = g0_row[w], g1_row[w]
                    u[0, w] = g0
                    u[1, w] = g0 + g1
                    u[2, w] = g0 - g1
                    u[3, w] = -g1
                for a in range(4):
                    for j in range(tw):
                        g0, g1 = u[a, 2 * j], u[a, 2 * j + 1]
                        z[4 * a, k, t + j] = g0
                        z[4 * a + 1, k, t + j] = g0 + g1
                        z[4 * a + 2, k, t + j] = g0 - g1
                        z[4 * a + 3, k, t + j] = -g1
                t += tw


@njit(nogil=True, cache=True)
def filter_transform(w, flip, u):
    """w (K, C, 3, 3) -> u (16, K, C) = G w G^T; flip=True transforms the kernel of the
    backward-data convolution instead: w'[c, k] = w[k, c] rotated by 180 degrees, u (16, C, K)."""
    k_size, c_size = w.shape[:2]
    g = np.empty((4, 3), dtype=np.float64)
    for k in range(k_size):
        for c in range(c_size):
            for r in range(3):  # g[:, r] = G w[r, :]
                w0 = w[k, c, 2 - r, 2] if flip else w[k, c, r, 0]
                w1 = w[k, c, 2 - r, 1] if flip else w[k, c, r, 1]
                w2 = w[k, c, 2 - r, 0] if flip else w[k, c, r, 2]
                g[0, r], g[3, r] = w0, w2
                g[1, r] = 0.5 * (w0 + w1 + w2)
                g[2, r] = 0.5 * (w0 - w1 + w2)
            for a in range(4):  # g = G w^T (4 x 3), so G g^T = G w G^T: column a of U
                g0, g1, g2 = g[a, 0], g[a, 1], g[a, 2]
                column = (0.0 + g0, 0.5 * (g0 + g1 + g2), 0.5 * (g0 - g1 + g2), 0.0 + g2)
                for b in range(4):
                    if flip:
                        u[4 * b + a, c, k] = column[b]
                    else:
                        u[4 * b + a, k, c] = column[b]


@njit(nogil=True, cache=True)
def filter_gradient(du, gw):
    """du (16, K, C) -> gw (K, C, 3, 3) = G^T du G, the gradient of the filter transform."""
    k_size, c_size = gw.shape[:2]
    h = np.empty((3, 4), dtype=np.float64)
    for k in range(k_size):
        for c in range(c_size):
            for b in range(4):  # G^T du: 3 x 4, G^T = [1 1/2 1/2 0; 0 1/2 -1/2 0; 0 1/2 1/2 1]
                e0, e1 = du[b, k, c], du[4 + b, k, c]
                e2, e3 = du[8 + b, k, c], du[12 + b, k, c]
                h[0, b] = e0 + 0.5 * (e1 + e2)
                h[1, b] = 0.5 * (e1 - e2)
                h[2, b] = 0.5 * (e1 + e2) + e3
            for r in range(3):
                gw[k, c, r, 0] = h[r, 0] + 0.5 * (h[r, 1] + h[r, 2])
                gw[k, c, r, 1] = 0.5 * (h[r, 1] - h[r, 2])
                gw[k, c, r, 2] = 0.5 * (h[r, 1] + h[r, 2]) + h[r, 3]
