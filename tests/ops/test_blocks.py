"""Whole residual blocks written with tinyres.functional, gradient-checked end to end in float64,
and the identity path: when the residual branch outputs zero, the block input's gradient is the
gradient at the block's addition."""
import numpy as np
import pytest

import tinyres
import tinyres.functional as F


def conv_bn(x, w, gamma, beta, stride=1, padding=0):
    y = F.conv2d(x, w, stride=stride, padding=padding)
    return F.batch_norm(y, None, None, gamma, beta, training=True)


def basic_block(x, w1, g1, b1, w2, g2, b2, retain=None):
    """conv3x3-bn-relu-conv3x3-bn, identity shortcut, add, relu (torchvision's BasicBlock)."""
    branch = F.relu(conv_bn(x, w1, g1, b1, padding=1))
    branch = conv_bn(branch, w2, g2, b2, padding=1)
    total = F.add(branch, x)
    if retain is not None:
        total.retain_grad()
        retain.append(total)
    return F.relu(total)


def bottleneck(x, w1, g1, b1, w2, g2, b2, w3, g3, b3, wd, gd, bd):
    """1x1-bn-relu, 3x3 stride 2-bn-relu, 1x1-bn; projection shortcut 1x1 stride 2-bn."""
    branch = F.relu(conv_bn(x, w1, g1, b1))
    branch = F.relu(conv_bn(branch, w2, g2, b2, stride=2, padding=1))
    branch = conv_bn(branch, w3, g3, b3)
    return F.relu(F.add(branch, conv_bn(x, wd, gd, bd, stride=2)))


def _params(rng, shapes, device, dtype="float64"):
    out = []
    for shape in shapes:
        values = rng.standard_normal(shape) * (0.5 if len(shape) == 4 else 1.0)
        if len(shape) == 1:  # BN weights near 1 so no channel is dead
            values = 1.0 + 0.2 * values
        out.append(tinyres.tensor(values, dtype=dtype, device=device, requires_grad=True))
    return out


def _basic_params(rng, c, device, dtype="float64"):
    return _params(rng, [(c, c, 3, 3), (c,), (c,), (c, c, 3, 3), (c,), (c,)], device, dtype)


def test_basic_block_gradcheck(device):
    rng = np.random.default_rng(0)
    x = tinyres.tensor(rng.standard_normal((2, 3, 5, 5)), requires_grad=True, device=device)
    assert tinyres.gradcheck(basic_block, [x] + _basic_params(rng, 3, device))


def test_bottleneck_with_projection_gradcheck(device):
    rng = np.random.default_rng(1)
    x = tinyres.tensor(rng.standard_normal((2, 4, 6, 6)), requires_grad=True, device=device)
    width, out = 2, 8
    shapes = [(width, 4, 1, 1), (width,), (width,), (width, width, 3, 3), (width,), (width,),
              (out, width, 1, 1), (out,), (out,), (out, 4, 1, 1), (out,), (out,)]
    assert tinyres.gradcheck(bottleneck, [x] + _params(rng, shapes, device))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_zero_residual_branch_passes_the_gradient_through_the_identity(device, dtype):
    rng = np.random.default_rng(2)
    x = tinyres.tensor(rng.standard_normal((2, 3, 4, 4)), dtype=dtype, requires_grad=True,
                       device=device)
    params = _basic_params(rng, 3, device, dtype)
    params[4].set_data_(params[4].data * 0)  # last BN weight 0 and bias 0: the branch outputs 0
    params[5].set_data_(params[5].data * 0)
    kept = []
    y = basic_block(x, *params, retain=kept)
    np.testing.assert_array_equal(y.numpy(), np.maximum(x.numpy(), 0))  # the block is relu(x)
    upstream = rng.standard_normal(y.shape)
    y.backward(tinyres.tensor(upstream, dtype=dtype, device=device))
    at_addition = kept[0].grad.numpy()
    np.testing.assert_array_equal(at_addition, upstream.astype(dtype) * (x.numpy() > 0))
    np.testing.assert_array_equal(x.grad.numpy(), at_addition)  # exactly: the branch adds 0
