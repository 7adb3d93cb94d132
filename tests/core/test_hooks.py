"""Hooks against PyTorch: tensor hooks and retain_grad, module full backward hooks and backward
pre-hooks (what they see, what they may replace, several inputs, inputs without gradients)."""
import numpy as np
import pytest

import tinyres
import tinyres.functional as F
from tinyres import nn


class TwoInputs(nn.Module):
    """out = relu(linear(a) + b): a module with two tensor inputs and a non-tensor one."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 2)

    def forward(self, a, b, scale=1.0):
        return F.relu(F.add(self.fc(a), b)) * scale


def _torch_twin(torch, module):
    class Twin(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(3, 2)

        def forward(self, a, b, scale=1.0):
            return torch.relu(self.fc(a) + b) * scale
    twin = Twin().double()
    with torch.no_grad():
        twin.fc.weight.copy_(torch.tensor(module.fc.weight.numpy()))
        twin.fc.bias.copy_(torch.tensor(module.fc.bias.numpy()))
    return twin


def _inputs(lib, requires_grad=(True, True)):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((4, 3)), rng.standard_normal((4, 2))
    return (lib.tensor(a, requires_grad=requires_grad[0]),
            lib.tensor(b, requires_grad=requires_grad[1]))


def _as_numpy(grads):
    return [None if g is None else g.detach().numpy().copy() for g in grads]


def _run(lib, module, requires_grad, replace):
    """Hook module, run forward/backward; returns (seen grad_input, grad_output, a.grad, b.grad)."""
    seen = {}

    def hook(mod, grad_input, grad_output):
        seen["in"], seen["out"] = _as_numpy(grad_input), _as_numpy(grad_output)
        if replace:
            return tuple(None if g is None else g * 2.0 for g in grad_input)

    module.register_full_backward_hook(hook)
    a, b = _inputs(lib, requires_grad)
    out = module(a, b, 3.0)
    (out * out).sum().backward()
    return seen, [None if t.grad is None else t.grad.numpy() for t in (a, b)]


@pytest.mark.parametrize("replace", [False, True])
@pytest.mark.parametrize("requires_grad", [(True, True), (True, False), (False, False)])
def test_full_backward_hook_matches_pytorch(torch, replace, requires_grad):
    tinyres.manual_seed(0)
    ours_module = TwoInputs().double()
    theirs_module = _torch_twin(torch, ours_module)
    with pytest.warns(UserWarning) if requires_grad == (False, False) else _nothing():
        theirs, theirs_grads = _run(torch, theirs_module, requires_grad, replace)
    ours, ours_grads = _run(tinyres, ours_module, requires_grad, replace)
    for key in ("in", "out"):
        assert len(ours[key]) == len(theirs[key])  # one per positional argument / output
        for mine, ref in zip(ours[key], theirs[key]):
            assert (mine is None) == (ref is None)
            if ref is not None:
                np.testing.assert_allclose(mine, ref, rtol=1e-12)
    for mine, ref in zip(ours_grads, theirs_grads):
        assert (mine is None) == (ref is None)
        if ref is not None:
            np.testing.assert_allclose(mine, ref, rtol=1e-12)


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_backward_pre_hook_replaces_grad_output_like_pytorch(torch):
    tinyres.manual_seed(1)
    ours = nn.Linear(3, 2).double()
    theirs = torch.nn.Linear(3, 2).double()
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(ours.weight.numpy()))
        theirs.bias.copy_(torch.tensor(ours.bias.numpy()))
    grads = []
    for lib, layer in ((tinyres, ours), (torch, theirs)):
        layer.register_full_backward_pre_hook(lambda m, go: (go[0] * -0.5,))
        x = _inputs(lib)[0]
        layer(x).sum().backward()
        grads.append((x.grad.numpy(), layer.weight.grad.numpy()))
    for mine, ref in zip(*grads):
        np.testing.assert_allclose(mine, ref, rtol=1e-12)


def test_hooks_on_a_residual_block_see_the_block_gradients_and_can_be_removed():
    tinyres.manual_seed(2)
    block = tinyres.models.BasicBlock(2, 2).double()
    x = tinyres.randn(2, 2, 4, 4, dtype="float64", requires_grad=True)
    seen = []
    handle = block.register_full_backward_hook(lambda m, gi, go: seen.append((gi, go)))
    y = block(x)
    y.retain_grad()
    (y * y).sum().backward()
    (grad_input,), (grad_output,) = seen[0]
    np.testing.assert_array_equal(grad_input.numpy(), x.grad.numpy())
    np.testing.assert_array_equal(grad_output.numpy(), y.grad.numpy())
    handle.remove()
    block(x).sum().backward()
    assert len(seen) == 1


def test_backward_hooks_fire_on_every_backward_of_a_retained_graph():
    layer = nn.Linear(2, 2)
    calls = []
    layer.register_full_backward_hook(lambda m, gi, go: calls.append(gi[0].numpy().copy()))
    x = tinyres.randn(3, 2, requires_grad=True)
    loss = layer(x).sum()
    loss.backward(retain_graph=True)
    loss.backward()
    assert len(calls) == 2
    np.testing.assert_array_equal(calls[0], calls[1])


def test_a_hook_returning_the_wrong_number_of_gradients_is_refused():
    layer = nn.Linear(2, 2)
    layer.register_full_backward_hook(lambda m, gi, go: (gi[0], gi[0]))
    x = tinyres.randn(3, 2, requires_grad=True)
    with pytest.raises(ValueError, match="returned 2 gradients, expected 1"):
        layer(x).sum().backward()


def test_tensor_hooks_and_retain_grad_follow_pytorch(torch):
    results = []
    for lib in (tinyres, torch):
        x = lib.tensor([1.0, -2.0], requires_grad=True)
        mid = x * 3.0
        mid.retain_grad()
        mid.register_hook(lambda g: g * 10.0)  # the retained grad is the hooked one
        leaf_seen = []
        x.register_hook(lambda g: leaf_seen.append(g.numpy().copy()))
        loss = (mid * mid).sum()
        loss.backward(retain_graph=True)
        loss.backward()  # a retained non-leaf gradient accumulates, as a leaf's does
        results.append((mid.grad.numpy(), x.grad.numpy(), leaf_seen[0], mid.retains_grad,
                        x.retains_grad))
    for mine, ref in zip(*results):
        np.testing.assert_allclose(mine, ref)


def test_tensor_hook_must_keep_shape_and_dtype():
    x = tinyres.randn(2, requires_grad=True)
    y = x * 2.0
    y.register_hook(lambda g: g.double())
    with pytest.raises(ValueError, match="dtype float64, expected .* float32"):
        y.sum().backward()
