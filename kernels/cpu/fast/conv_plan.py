"""The plan of one convolution for the GEMM kernels (conv_gemm.py by image groups, conv_rows.py
by output rows): its geometry, and the two column moves both make, on channel-major arrays:

    im2col   images n0..n1-1 of x (C, N, H, W)  -> cols (C*R*S, (n1-n0)*P*Q)
    col2im   gcols (C*R*S, (n1-n0)*P*Q)        -> images n0..n1-1 of gx (C, N, H, W)

A 1x1 kernel without padding has no windows: with stride 1, x is its own columns (``direct``,
which the kernels read in place); with a larger stride the columns are x subsampled and col2im
spreads the gradient back on every stride-th pixel (``pointwise``).
"""
from ...shapes import output_size
from .conv_im2col import GENERAL, PADDED, POINTWISE, columns, uncolumns
from .scratch import scratch

SHORT_ROWS = 16  # output rows shorter than this take im2col_padded_cm (ResNet's 7x7 maps)


class Plan:
    """Geometry of one convolution: x (N, C, H, W), w (K, C, R, S) -> y (N, K, P, Q), and its
    columns: ``rows`` = C*R*S of them per output pixel."""

    def __init__(self, x_shape, w_shape, stride, padding):
        self.n, self.c, self.h, self.w = x_shape
        self.k, _, self.r, self.s = w_shape
        self.stride, self.padding = tuple(stride), tuple(padding)
        self.p = output_size(self.h, self.r, stride[0], padding[0])
        self.q = output_size(self.w, self.s, stride[1], padding[1])
        self.pointwise = (self.r, self.s) == (1, 1) and self.padding == (0, 0)
        self.direct = self.pointwise and self.stride == (1, 1)  # x is its own columns
        self.rows = self.c * self.r * self.s
        # what the column kernels take after their images: R, S, strides, paddings, P, Q
        self.geometry = (self.r, self.s, *self.stride, *self.padding, self.p, self.q)
        # how conv_im2col.columns builds them: short rows through a zero-bordered copy
        self.kind = (POINTWISE if self.pointwise else PADDED if self.q < SHORT_ROWS
                     else GENERAL)

    def span(self, n0, n1):
        """The columns of images n0..n1-1 in a (rows, N*P*Q) matrix."""
        pq = self.p * self.q
        return slice(n0 * pq, n1 * pq)

    def channel_rows(self, c0, c1):
        """The rows of input channels c0..c1-1 in a (rows, N*P*Q) matrix."""
        return slice(c0 * self.r * self.s, c1 * self.r * self.s)

    def pad_shape(self, channels, images):
        """The shape of the zero-bordered copy that PADDED columns go through (else 1s)."""
        (ph, pw), h, w = self.padding, self.h, self.w
        if self.kind != PADDED:
            return (1, 1, 1, 1)
        return (channels, images, h + 2 * ph, w + 2 * pw)

    def im2col(self, xc, n0, n1, cols):
        """cols (rows, (n1-n0)*P*Q) = the columns of images n0..n1-1 of xc (C, N, H, W); xc may
        hold a range of the channels only (cols then holds their rows)."""
        xpad = scratch(self.pad_shape(xc.shape[0], n1 - n0), xc.dtype, slot=3)
        columns(xc, n0, n1, self.kind, self.geometry, xpad, cols)

    def col2im(self, gcols, n0, n1, gx):
        """Images n0..n1-1 of gx (C, N, H, W), overwritten: the adjoint of im2col applied to
        gcols (rows, (n1-n0)*P*Q) (overlapping windows add up; a strided 1x1's gradient lands on
        every stride-th pixel); gx may be a range of the channels only (gcols then holds their
        rows)."""
        uncolumns(gcols, n0, n1, self.kind, self.geometry, gx)
