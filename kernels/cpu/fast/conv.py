"""Which algorithm computes which convolution on the cpu: every rule in one place. The figures
behind the rules (and the commands that measure them) are in benchmarks/RESULTS.md.

    3x3, stride 1, padding 1, float32, on AVX-512 (conv_direct.applies), at most
    DIRECT_MAX_CHANNELS input and output channels (the CIFAR ResNets, ResNet's first stage):
                                direct, register-blocked: conv_direct.py (forward and
                                backward-data), conv_direct_weight.py (backward-weight)
    strided, float32, on AVX-512, at most DIRECT_MAX_CHANNELS channels (ResNet's 7x7/2 stem,
    the CIFAR ResNets' 3x3/2):  forward direct on the input's phases (conv_direct_strided.py);
                                backward as below
    3x3, stride 1, padding 1, maps >= 8x8, >= 8 input channels (winograd.applies):
                                Winograd F(2x2, 3x3) (winograd.py)
    everything else             im2col + GEMM (conv_gemm.py; few output columns: conv_narrow.py)

Wider 3x3 convolutions stay with Winograd (2.25x fewer multiplications) or, on 7x7 maps, GEMM:
there the direct kernels were slower or within 10% (1 thread, benchmarks/RESULTS.md).

TINYRES_DIRECT_CONV=0 turns the direct kernels off, TINYRES_WINOGRAD=0 Winograd's (to measure
the others, or on a machine where they are slower).
"""
import os

from . import conv_direct, conv_direct_strided, conv_direct_weight, conv_gemm, conv_winograd

DIRECT = os.environ.get("TINYRES_DIRECT_CONV", "1") != "0"
DIRECT_MAX_CHANNELS = 64


def _direct(x_shape, w_shape, stride, padding, dtype):
    return (DIRECT and max(w_shape[:2]) <= DIRECT_MAX_CHANNELS
            and conv_direct.applies(x_shape, w_shape, stride, padding, dtype))


def _direct_strided(x_shape, w_shape, stride, padding, dtype):
    return (DIRECT and max(w_shape[:2]) <= DIRECT_MAX_CHANNELS
            and conv_direct_strided.applies(x_shape, w_shape, stride, padding, dtype))


def conv2d_forward(x, w, stride, padding):
    """(N, C, H, W), (K, C, R, S) -> (N, K, P, Q), stored channel-major."""
    if _direct(x.shape, w.shape, stride, padding, x.dtype):
        return conv_direct.conv2d_forward(x, w)
    if _direct_strided(x.shape, w.shape, stride, padding, x.dtype):
        return conv_direct_strided.conv2d_forward(x, w, stride, padding)
    if conv_winograd.applies(x.shape, w.shape, stride, padding):
        return conv_winograd.conv2d_forward(x, w)
    return conv_gemm.conv2d_forward(x, w, stride, padding)


def conv2d_backward_data(gy, w, x_shape, stride, padding):
    """(N, K, P, Q), (K, C, R, S) -> gx (N, C, H, W), stored channel-major."""
    if _direct(x_shape, w.shape, stride, padding, gy.dtype):
        return conv_direct.conv2d_backward_data(gy, w)
    if conv_winograd.applies(x_shape, w.shape, stride, padding):
        return conv_winograd.conv2d_backward_data(gy, w)
    return conv_gemm.conv2d_backward_data(gy, w, x_shape, stride, padding)


def conv2d_backward_weight(gy, x, w_shape, stride, padding):
    """(N, K, P, Q), (N, C, H, W) -> gw (K, C, R, S), C-contiguous."""
    if _direct(x.shape, w_shape, stride, padding, x.dtype):
        return conv_direct_weight.conv2d_backward_weight(gy, x)
    if conv_winograd.applies(x.shape, w_shape, stride, padding):
        return conv_winograd.conv2d_backward_weight(gy, x)
    return conv_gemm.conv2d_backward_weight(gy, x, w_shape, stride, padding)
