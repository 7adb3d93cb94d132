"""2-D convolution (cross-correlation, as PyTorch), computed by the backend's im2col kernels."""
from ..function import Function
from . import checks


class Conv2dFunction(Function):
    """(N, C, H, W), (K, C, R, S), (K,) or None -> (N, K, P, Q)."""

    def forward(self, x, weight, bias, stride, padding):
        k = self.k
        self.stride, self.padding = stride, padding
        self.x_shape, self.w_shape = tuple(x.shape), tuple(weight.shape)
        # each input's gradient needs the *other* input only
        self.save_for_backward(x if self.needs_input_grad[1] else None,
                               weight if self.needs_input_grad[0] else None)
        # an empty batch (N = 0) or channel axis sums nothing: zeros, as PyTorch; kernels that
        # split work by the batch never see a size of 0
        self.empty = 0 in self.x_shape or 0 in self.w_shape
        if self.empty:
            out = checks.window_output(self.x_shape, self.w_shape[2:], stride, padding)
            y = k.zeros((out[0], self.w_shape[0]) + out[2:], x.dtype)
        else:
            y = k.conv2d_forward(x, weight, stride, padding)
        return y if bias is None else k.add(y, k.reshape(bias, (1, -1, 1, 1)))

    def backward(self, gy):
        # per image, with cols = im2col(x) (C*R*S, P*Q) and W2 = weight as (K, C*R*S):
        #   y[n] = W2 @ cols[n]  =>  gx[n] = col2im(W2^T @ gy[n]),  gW = sum_n gy[n] @ cols[n]^T,
        #   gb = gy summed over (N, P, Q). col2im adds up the windows that overlap.
        x, weight = self.saved
        k = self.k
        gx = gw = gb = None
        if self.needs_input_grad[0]:
            gx = k.zeros(self.x_shape, gy.dtype) if self.empty else \
                k.conv2d_backward_data(gy, weight, self.x_shape, self.stride, self.padding)
        if self.needs_input_grad[1]:
            gw = k.zeros(self.w_shape, gy.dtype) if self.empty else \
                k.conv2d_backward_weight(gy, x, self.w_shape, self.stride, self.padding)
        if self.needs_input_grad[2]:
            gb = k.sum(gy, (0, 2, 3))
        return gx, gw, gb


def conv2d(x, weight, bias=None, stride=1, padding=0):
    """PyTorch's F.conv2d without groups/dilation: x (N, C, H, W), weight (K, C, R, S),
    bias (K,) -> (N, K, P, Q) with P = (H + 2 * padding - R) // stride + 1."""
    checks.floating("conv2d", "x", x)
    checks.floating("conv2d", "weight", weight)
    checks.ndim("conv2d", "x", x, 4, "(N, C, H, W)")
    checks.ndim("conv2d", "weight", weight, 4, "(K, C, R, S)")
    checks.same_device_dtype("conv2d", "x", x, weight=weight, bias=bias)
    if weight.shape[1] != x.shape[1]:
        raise ValueError(
            f"conv2d: argument 'weight' must have {x.shape[1]} input channels to match x"
            f" {x.shape}, i.e. shape ({weight.shape[0]}, {x.shape[1]}, R, S); got {weight.shape}"
        )
    if bias is not None:
        checks.shape("conv2d", "bias", bias, (weight.shape[0],), "(out_channels,)")
    stride = checks.pair("conv2d", "stride", stride, 1)
    padding = checks.pair("conv2d", "padding", padding, 0)
    checks.window_fits("conv2d", x, weight.shape[2:], padding)
    return Conv2dFunction.apply(x, weight, bias, stride=stride, padding=padding)
