"""Dropout (Srivastava et al. 2014), as PyTorch's F.dropout: in training, each element is zeroed
with probability p and the others are scaled by 1 / (1 - p), so that the expected output is the
input; in evaluation, the identity. VGG's classifier uses it."""
from ..function import Function
from ..random import keep_mask
from . import checks


class DropoutFunction(Function):
    """y = x * mask, mask a constant array of x's shape holding 0 or 1 / (1 - p)."""

    def forward(self, x, mask):
        self.save_for_backward(mask)
        return self.k.mul(x, mask)

    def backward(self, g):
        # y = x * m with m a constant: gx = g * m (a dropped element passes no gradient back,
        # a kept one passes it scaled by 1 / (1 - p))
        (mask,) = self.saved
        return (self.k.mul(g, mask),)


def dropout(x, p=0.5, training=True):
    """x (any shape) -> same shape, as torch's F.dropout. training: zero each element with
    probability p (drawn from tinyres's seeded generator) and scale the rest by 1 / (1 - p);
    not training: x itself."""
    checks.floating("dropout", "x", x)
    _check_probability(p)
    if not training or p == 0:
        return x
    return dropout_with_mask(x, x.new_tensor(keep_mask(x.shape, p)), p)


def dropout_with_mask(x, mask, p):
    """dropout with the kept elements given: mask, a 0/1 Tensor of x's shape (1 = kept), e.g.
    to check the gradient with a fixed mask. x * mask / (1 - p)."""
    checks.floating("dropout", "x", x)
    _check_probability(p)
    checks.tensor_arg("dropout", "mask", mask)
    checks.shape("dropout", "mask", mask, x.shape, "the shape of x")
    if mask.device != x.device:
        raise ValueError(f"dropout: argument 'mask' must be on {x.device} like x, got"
                         f" {mask.device}")
    scale = 0.0 if p == 1 else 1.0 / (1.0 - p)
    scaled = mask.to(dtype=x.dtype) * scale
    return DropoutFunction.apply(x, mask=scaled.data)


def _check_probability(p):
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p <= 1:
        raise ValueError(f"dropout: argument 'p' must be a probability in [0, 1], got {p!r}")
