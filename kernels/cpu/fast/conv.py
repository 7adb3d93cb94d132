"""Which algorithm computes which convolution on the cpu: every rule in one place. The figures
behind the rules (and the commands that measure them) are in benchmarks/RESULTS.md.

    3x3, stride 1, padding 1, float32, on AVX-512 (conv_direct.applies), at most
    DIRECT_MAX_CHANNELS input and output channels (the CIFAR ResNets, ResNet's first stage):
                                direct, register-blocked: conv_direct.py (forward and
                                backward-data); backward-weight by output-channel vectors
                                (conv_direct_weight_oc.py) where it applies (a multiple of
                                16 output channels), else by pixel vectors
                                (conv_direct_weight.py)
    3x3, stride 2, padding 1, float32, on AVX-512, at most OC_WEIGHT_MAX_PRODUCT input times
    output channels (the stages' first convolutions up to 256 channels): backward-weight by
    output-channel vectors where it applies (conv_direct_weight_oc.py)
    7 wide, any height and padding, the same stride both ways (ResNet's 7x7/2 stem), float32,
    on AVX-512, a multiple of 32 output channels: backward-weight by output-channel vectors,
    kernel row by kernel row (conv_direct_weight_oc.py)
    3x3, stride 2, padding 1, float32, on AVX-512, a multiple of 32 output channels (every
    stage's first convolution):  forward by output-channel vectors (conv_direct_oc.py), unless
                                its output has few columns in all (conv_rows.applies: ResNet's
                                7x7 outputs at small batches go by output rows, below);
                                backward-data too, in four phases, where the input channels
                                are a multiple of 16 and the output channels at most
                                OC_DATA_MAX_OUTPUTS
    strided, float32, on AVX-512, at most DIRECT_MAX_CHANNELS channels (ResNet's 7x7/2 stem,
    other strided 3x3):         forward direct on the input's phases (conv_direct_strided.py);
                                backward as below
    3x3, stride 1, padding 1, maps >= 8x8, >= 8 input channels (conv_winograd.applies):
                                Winograd F(2x2, 3x3) (conv_winograd.py)
    few output columns in all (conv_rows.applies; ResNet's 7x7 maps at small batches):
                                im2col + GEMM split by output rows (conv_rows.py)
    everything else             im2col + GEMM by groups of images (conv_gemm.py)

The two GEMM kernels share one plan of the convolution (conv_plan.py). Wider 3x3 convolutions
stay with Winograd (2.25x fewer multiplications) or, on 7x7 maps, GEMM: there the direct kernels
were no faster (benchmarks/RESULTS.md, "Which algorithm, per shape").

TINYRES_DIRECT_CONV=0 turns the direct kernels off, TINYRES_WINOGRAD=0 Winograd's (to measure
the others, or on a machine where they are slower).
"""
import os

from . import (conv_direct, conv_direct_oc, conv_direct_strided, conv_direct_weight,
               conv_direct_weight_oc, conv_gemm, conv_rows, conv_winograd)
from .conv_plan import Plan

DIRECT = os.environ.get("TINYRES_DIRECT_CONV", "1") != "0"
DIRECT_MAX_CHANNELS = 64
OC_WEIGHT_MAX_PRODUCT = 256 * 256  # beyond, each thread's sums (36 bytes per K*C) leave L2
OC_DATA_MAX_OUTPUTS = 128  # beyond, a block's packed weights (1152 bytes per K) leave L2


def _direct(x_shape, w_shape, stride, padding, dtype):
    return (DIRECT and max(w_shape[:2]) <= DIRECT_MAX_CHANNELS
            and conv_direct.applies(x_shape, w_shape, stride, padding, dtype))


def _direct_strided(x_shape, w_shape, stride, padding, dtype):
    return (DIRECT and max(w_shape[:2]) <= DIRECT_MAX_CHANNELS
            and conv_direct_strided.applies(x_shape, w_shape, stride, padding, dtype))


def _strided_by_output_channels(x_shape, w_shape, stride, padding, dtype):
    return (DIRECT and tuple(stride) == (2, 2)
            and conv_direct_oc.applies(x_shape, w_shape, stride, padding, dtype)
            and not conv_rows.applies(Plan(x_shape, w_shape, stride, padding)))


def _strided_data_by_phases(x_shape, w_shape, stride, padding, dtype):
    return (DIRECT and w_shape[0] <= OC_DATA_MAX_OUTPUTS
            and conv_direct_oc.applies_backward_data(x_shape, w_shape, stride, padding, dtype))


def _weight_by_output_channels(x_shape, w_shape, stride, padding, dtype):
    if not (DIRECT and conv_direct_weight_oc.applies(x_shape, w_shape, stride, padding, dtype)):
        return False
    if tuple(stride) == (1, 1):
        return max(w_shape[:2]) <= DIRECT_MAX_CHANNELS
    return w_shape[0] * w_shape[1] <= OC_WEIGHT_MAX_PRODUCT


def _weight_by_kernel_rows(x_shape, w_shape, stride, padding, dtype):
    return DIRECT and conv_direct_weight_oc.applies_rows(x_shape, w_shape, stride, padding,
                                                         dtype)


def _gemm(plan):
    """The im2col + GEMM kernels for a plan: by output rows when it has few output columns."""
    return conv_rows if conv_rows.applies(plan) else conv_gemm


def conv2d_forward(x, w, stride, padding):
    """(N, C, H, W), (K, C, R, S) -> (N, K, P, Q), stored channel-major."""
    if _direct(x.shape, w.shape, stride, padding, x.dtype):
        return conv_direct.conv2d_forward(x, w)
    if _strided_by_output_channels(x.shape, w.shape, stride, padding, x.dtype):
        return conv_direct_oc.conv2d_forward(x, w, stride)
    if _direct_strided(x.shape, w.shape, stride, padding, x.dtype):
        return conv_direct_strided.conv2d_forward(x, w, stride, padding)
    if conv_winograd.applies(x.shape, w.shape, stride, padding):
        return conv_winograd.conv2d_forward(x, w)
    plan = Plan(x.shape, w.shape, stride, padding)
    return _gemm(plan).conv2d_forward(x, w, plan)


def conv2d_backward_data(gy, w, x_shape, stride, padding):
    """(N, K, P, Q), (K, C, R, S) -> gx (N, C, H, W), stored channel-major."""
    if _strided_data_by_phases(x_shape, w.shape, stride, padding, gy.dtype):
        return conv_direct_oc.conv2d_backward_data_stride2(gy, w, x_shape)
    if _direct(x_shape, w.shape, stride, padding, gy.dtype):
        return conv_direct.conv2d_backward_data(gy, w)
    if conv_winograd.applies(x_shape, w.shape, stride, padding):
        return conv_winograd.conv2d_backward_data(gy, w)
    plan = Plan(x_shape, w.shape, stride, padding)
    return _gemm(plan).conv2d_backward_data(gy, w, plan)


def conv2d_backward_weight(gy, x, w_shape, stride, padding):
    """(N, K, P, Q), (N, C, H, W) -> gw (K, C, R, S), C-contiguous."""
    if _weight_by_output_channels(x.shape, w_shape, stride, padding, x.dtype):
        return conv_direct_weight_oc.conv2d_backward_weight(gy, x, stride)
    if _weight_by_kernel_rows(x.shape, w_shape, stride, padding, x.dtype):
        return conv_direct_weight_oc.conv2d_backward_weight_rows(gy, x, w_shape, stride,
                                                                 padding)
    if _direct(x.shape, w_shape, stride, padding, x.dtype):
        return conv_direct_weight.conv2d_backward_weight(gy, x)
    if conv_winograd.applies(x.shape, w_shape, stride, padding):
        return conv_winograd.conv2d_backward_weight(gy, x)
    plan = Plan(x.shape, w_shape, stride, padding)
    return _gemm(plan).conv2d_backward_weight(gy, x, plan)
