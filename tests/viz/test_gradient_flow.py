"""tinyres.viz.gradient_flow: the shortcut and branch parts of each block's input gradient add up
to the whole (identity, option-A padding and projection shortcuts, Bottleneck too), probing
changes nothing, per-layer norms, and a zero-initialised block is exactly the identity."""
import numpy as np
import pytest

import tinyres
import tinyres.functional as F
from tinyres import nn
from tinyres.models import BasicBlock, Bottleneck, CifarResNet
from tinyres.viz import gradient_flow


def _batch(channels=3, size=8, n=4, seed=0):
    rng = np.random.default_rng(seed)
    return (tinyres.tensor(rng.standard_normal((n, channels, size, size))),
            tinyres.tensor(rng.integers(0, 10, n)))


def _model(seed=0, **kwargs):
    tinyres.manual_seed(seed)
    return CifarResNet(8, **kwargs).double()


@pytest.mark.parametrize("shortcut,kinds", [
    ("A", ["identity", "padding", "padding"]),
    ("B", ["identity", "projection", "projection"]),
])
def test_shortcut_and_branch_parts_add_up_to_the_input_gradient(shortcut, kinds):
    x, y = _batch()
    flow = gradient_flow(_model(shortcut=shortcut), x, y, keep_grads=True)
    assert [b.shortcut for b in flow.blocks] == kinds
    assert [b.name for b in flow.blocks] == ["layer1.0", "layer2.0", "layer3.0"]
    for b in flow.blocks:
        # autograd sums the two arrays at the block input: exactly, not just closely
        np.testing.assert_array_equal(b.identity_array + b.branch_array, b.input_array)
        assert b.grad_identity > 0 and b.grad_branch > 0
        assert b.grad_input == pytest.approx(np.linalg.norm(b.input_array), rel=1e-12)
    for before, after in zip(flow.blocks, flow.blocks[1:]):  # block i's output feeds block i+1
        np.testing.assert_array_equal(before.output_array, after.input_array)


def test_identity_part_is_the_gradient_at_the_addition():
    flow = gradient_flow(_model(), *_batch())
    identity_block = flow.blocks[0]
    assert identity_block.grad_identity == pytest.approx(identity_block.grad_at_add, rel=1e-12)


def test_plain_blocks_send_everything_through_the_branch():
    flow = gradient_flow(_model(residual=False), *_batch(), keep_grads=True)
    for b in flow.blocks:
        assert b.shortcut == "none" and not b.residual and b.grad_identity == 0.0
        assert b.identity_array is None
        np.testing.assert_array_equal(b.branch_array, b.input_array)


class _BottleneckNet(nn.Module):
    """One Bottleneck with an identity shortcut, pooled into 10 logits."""

    def __init__(self):
        super().__init__()
        self.block = Bottleneck(8, 2)
        self.fc = nn.Linear(8, 10)

    def forward(self, x):
        return self.fc(F.flatten(F.adaptive_avg_pool2d(self.block(x), 1), 1))


def test_bottleneck_blocks_are_probed_too():
    tinyres.manual_seed(0)
    x, y = _batch(channels=8)
    x.requires_grad = True  # the block is the first layer: its input must ask for a gradient
    flow = gradient_flow(_BottleneckNet().double(), x, y, keep_grads=True)
    (b,) = flow.blocks
    assert b.kind == "Bottleneck" and b.shortcut == "identity"
    np.testing.assert_array_equal(b.identity_array + b.branch_array, b.input_array)
    assert [layer.name for layer in flow.layers] == ["block.conv1", "block.conv2", "block.conv3",
                                                     "fc"]


def test_probing_changes_no_gradient_and_leaves_the_model_as_it_was():
    x, y = _batch()
    model = _model()
    reference = _model()
    F.cross_entropy(reference(x), y).backward()
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    flow = gradient_flow(model, x, y)
    after = model.state_dict()
    for key, value in before.items():  # BN running statistics restored
        np.testing.assert_array_equal(after[key].numpy(), value)
    assert all(p.grad is None for p in model.parameters())
    assert "branch" not in vars(model.layer1[0]) and not model.layer1[0]._forward_hooks
    grads = dict(reference.named_parameters())
    names = [layer.name for layer in flow.layers]
    assert names[0] == "conv1" and names[-1] == "fc" and len(names) == 8
    for layer in flow.layers:
        expected = np.linalg.norm(grads[layer.name + ".weight"].grad.numpy())
        assert layer.weight_grad == pytest.approx(expected, rel=1e-10)
    assert flow.to_dict()["blocks"][0]["name"] == "layer1.0"
    assert "layer3.0" in flow.format()


def test_zero_initialised_block_is_exactly_the_identity():
    tinyres.manual_seed(0)
    block = BasicBlock(3, 3).double()
    nn.init.zeros_(block.bn2.weight)
    rng = np.random.default_rng(1)
    x = tinyres.tensor(np.maximum(rng.standard_normal((2, 3, 5, 5)), 0.0), requires_grad=True)
    r = tinyres.tensor(rng.standard_normal((2, 3, 5, 5)))
    y = block(x)
    y.retain_grad()
    (y * r).sum().backward()
    xs, dx, dy = x.numpy(), x.grad.numpy(), y.grad.numpy()
    np.testing.assert_array_equal(y.numpy(), xs)  # relu(0 + x) = x for x >= 0
    assert (xs == 0).any() and (xs > 0).any()
    np.testing.assert_array_equal(dx[xs > 0], dy[xs > 0])  # dL/dx = dL/dy where x > 0
    np.testing.assert_array_equal(dx[xs == 0], 0.0)  # relu'(0) = 0


def test_zero_init_resnet_blocks_pass_the_gradient_through_the_shortcut_only():
    x, y = _batch()
    flow = gradient_flow(_model(zero_init_residual=True), x, y, keep_grads=True)
    for b in flow.blocks:
        assert not np.any(b.branch_array)  # bn2.weight = 0 stops the branch's gradient
        np.testing.assert_array_equal(b.identity_array, b.input_array)
    first = flow.blocks[0]  # its input is a ReLU output and its output is its input
    mask = first.input_array != 0
    np.testing.assert_array_equal(first.input_array[mask], first.output_array[mask])
