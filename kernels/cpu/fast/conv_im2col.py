"""Numba im2col and col2im on channel-major activations, the column builders of the GEMM
convolutions (conv_gemm.py, conv_rows.py): x (C, N, H, W), columns
(C*R*S, n*P*Q) for images n0 <= n < n1, with the row layout of the NumPy reference (conv.py),
and the subsampling of a strided 1x1 convolution and its adjoint. Short output rows (7x7 maps)
have their own im2col, on a zero-padded copy of the images: no bounds test per element, no
per-row slice (conv_plan.py chooses; the figures: benchmarks/RESULTS.md, "Issue 13, fourth
round").

Serial and nogil: the convolution kernels run one image group (conv_gemm.py) or one range of
channels (conv_rows.py) per thread (threads.py). col2im writes only the planes of its images and
channels, so the threads never write to the same element.
"""
from .numba_setup import njit


@njit(inline="always")
def _inside(s, sw, pw, q_size, w_size):
    """[lo, hi): the q whose input column q * sw - pw + s lies in [0, w_size)."""
    lo = 0
    while lo < q_size and lo * sw - pw + s < 0:
        lo += 1
    hi = q_size
    while hi > lo and (hi - 1) * sw - pw + s >= w_size:
        hi -= 1
    return lo, hi


@njit(nogil=True, cache=True)
def im2col_cm(x, n0, n1, r_size, s_size, sh, sw, ph, pw, p_size, q_size, out):
    """x (C, N, H, W), images n0..n1-1 -> out (C*R*S, (n1-n0)*P*Q), zero padding."""
    c_size, _, h_size, w_size = x.shape
    zero = x.dtype.type(0)
    for row in range(c_size * r_size * s_size):
        c = row // (r_size * s_size)
        r = (row // s_size) % r_size
        s = row % s_size
        lo, hi = _inside(s, sw, pw, q_size, w_size)
        for n in range(n0, n1):
            for p in range(p_size):
                base = ((n - n0) * p_size + p) * q_size
                h = p * sh - ph + r
                if h < 0 or h >= h_size:
                    out[row, base:base + q_size] = zero
                    continue
                if q_size < 16:  # short rows (7x7 maps): slices cost more than they save
                    for q in range(q_size):
                        w = q * sw - pw + s
                        out[row, base + q] = x[c, n, h, w] if 0 <= w < w_size else zero
                    continue
                out[row, base:base + lo] = zero
                if sw == 1:  # a contiguous run: a plain copy that LLVM vectorizes
                    out[row, base + lo:base + hi] = x[c, n, h, lo - pw + s:hi - pw + s]
                elif sw == 2:  # a literal stride LLVM can vectorize (shuffles)
                    for q in range(lo, hi):
                        out[row, base + q] = x[c, n, h, 2 * q - pw + s]
                else:
                    for q in range(lo, hi):
                        out[row, base + q] = x[c, n, h, q * sw - pw + s]
                out[row, base + hi:base + q_size] = zero


@njit(nogil=True, cache=True)
def im2col_padded_cm(x, n0, n1, r_size, s_size, sh, sw, ph, pw, p_size, q_size, xpad, out):
    """im2col_cm by way of xpad (C, n1-n0, H + 2 ph, W + 2 pw), scratch it overwrites with
    images n0..n1-1 of x inside their zero border: then out[(c, r, s), (n, p, q)] =
    xpad[c, n, p * sh + r, q * sw + s], read without a test."""
    c_size, _, h_size, w_size = x.shape
    xpad[:] = 0
    for c in range(c_size):
        for n in range(n0, n1):
            for h in range(h_size):
                for w in range(w_size):
                    xpad[c, n - n0, h + ph, w + pw] = x[c, n, h, w]
    for row in range(c_size * r_size * s_size):
        c = row // (r_size * s_size)
        r = (row // s_size) % r_size
        s = row % s_size
        for n in range(n1 - n0):
            for p in range(p_size):
                base = (n * p_size + p) * q_size
                for q in range(q_size):
                    out[row, base + q] = xpad[c, n, p * sh + r, q * sw + s]


@njit(nogil=True, cache=True)
def col2im_cm(cols, n0, n1, r_size, s_size, sh, sw, ph, pw, p_size, q_size, out):
    """cols (C*R*S, (n1-n0)*P*Q) -> images n0..n1-1 of out (C, N, H, W), which it overwrites:
    overlapping windows add up."""
    c_size, _, h_size, w_size = out.shape
    for c in range(c_size):
        out[c, n0:n1] = 0
        for r in range(r_size):
            for s in range(s_size):
                row = (c * r_size + r) * s_size + s
                lo, hi = _inside(s, sw, pw, q_size, w_size)
                for n in range(n0, n1):
                    for p in range(p_size):
                        h = p * sh - ph + r
                        if h < 0 or h >= h_size:
                            continue
                        base = ((n - n0) * p_size + p) * q_size
                        if q_size < 16:
                            for q in range(lo, hi):
                                out[c, n, h, q * sw - pw + s] += cols[row, base + q]
                        elif sw == 1:
                            out[c, n, h, lo - pw + s:hi - pw + s] += cols[row, base + lo:base + hi]
                        elif sw == 2:
                            for q in range(lo, hi):
                                out[c, n, h, 2 * q - pw + s] += cols[row, base + q]
                        else:
                            for q in range(lo, hi):
                                out[c, n, h, q * sw - pw + s] += cols[row, base + q]


@njit(nogil=True, cache=True)
def subsample_cm(x, n0, n1, sh, sw, out):
    """x (C, N, H, W) -> out (C, n1-n0, P, Q) = x[:, n0:n1, ::sh, ::sw] (a strided 1x1 conv's
    input; a loop, as NumPy's strided copy is slower: benchmarks/RESULTS.md, "What was done,
    with the figures that decided it", item 8)."""
    c_size, _, p_size, q_size = out.shape
    for c in range(c_size):
        for n in range(n0, n1):
            for p in range(p_size):
                for q in range(q_size):
                    out[c, n - n0, p, q] = x[c, n, p * sh, q * sw]


@njit(nogil=True, cache=True)
def upsample_cm(g, n0, n1, sh, sw, out):
    """g (C, n1-n0, P, Q) -> images n0..n1-1 of out (C, N, H, W): zeros except
    out[:, n, p * sh, q * sw] = g (the adjoint of subsample_cm)."""
    c_size, _, p_size, q_size = g.shape
    for c in range(c_size):
        for n in range(n0, n1):
            out[c, n] = 0
            for p in range(p_size):
                for q in range(q_size):
                    out[c, n, p * sh, q * sw] = g[c, n - n0, p, q]


GENERAL, PADDED, POINTWISE = 0, 1, 2  # how columns() builds them (conv_plan.Plan.kind)


@njit(nogil=True, cache=True)
def columns(x, n0, n1, kind, geometry, xpad, out):
    """out (C*R*S, (n1-n0)*P*Q) = the columns of images n0..n1-1 of x (C, N, H, W), C-contiguous;
    geometry (R, S, sh, sw, ph, pw, P, Q); kind: GENERAL im2col_cm, PADDED im2col_padded_cm
    through xpad (C, n1-n0, H+2ph, W+2pw; else not read), POINTWISE a strided 1x1's
    subsample_cm."""
    r, s, sh, sw, ph, pw, p, q = geometry
    if kind == POINTWISE:
        subsample_cm(x, n0, n1, sh, sw, out.reshape(x.shape[0], n1 - n0, p, q))
    elif kind == PADDED:
        im2col_padded_cm(x, n0, n1, r, s, sh, sw, ph, pw, p, q, xpad, out)
    else:
        im2col_cm(x, n0, n1, r, s, sh, sw, ph, pw, p, q, out)


@njit(nogil=True, cache=True)
def uncolumns(cols, n0, n1, kind, geometry, out):
    """The adjoint of columns(): images n0..n1-1 of out (C, N, H, W), overwritten, from cols
    (C*R*S, (n1-n0)*P*Q), C-contiguous (POINTWISE: upsample_cm, else col2im_cm)."""
    r, s, sh, sw, ph, pw, p, q = geometry
    if kind == POINTWISE:
        upsample_cm(cols.reshape(out.shape[0], n1 - n0, p, q), n0, n1, sh, sw, out)
    else:
        col2im_cm(cols, n0, n1, r, s, sh, sw, ph, pw, p, q, out)
