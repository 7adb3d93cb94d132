"""tinyres.nn: Module bookkeeping, state_dict loading, devices/dtypes, layers and initialisation."""
import numpy as np
import pytest

import tinyres
from tinyres import nn


class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 3, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(3)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(3, 4))

    def forward(self, x):
        return self.head(nn.ReLU()(self.bn(self.conv(x))))


def test_registration_order_names_and_traversal():
    m = Tiny()
    assert list(m.state_dict()) == [
        "conv.weight", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var",
        "bn.num_batches_tracked", "head.2.weight", "head.2.bias"]
    assert [n for n, _ in m.named_parameters()] == [
        "conv.weight", "bn.weight", "bn.bias", "head.2.weight", "head.2.bias"]
    assert [n for n, _ in m.named_buffers()] == [
        "bn.running_mean", "bn.running_var", "bn.num_batches_tracked"]
    assert [n for n, _ in m.named_modules()] == [
        "", "conv", "bn", "head", "head.0", "head.1", "head.2"]
    assert [type(c).__name__ for c in m.children()] == ["Conv2d", "BatchNorm2d", "Sequential"]
    assert len(list(m.modules())) == 7


def test_train_eval_and_zero_grad():
    m = Tiny()
    m.eval()
    assert not any(mod.training for mod in m.modules())
    m.train()
    assert all(mod.training for mod in m.modules())
    m(tinyres.randn(2, 2, 4, 4)).sum().backward()
    assert all(p.grad is not None for p in m.parameters())
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())


def test_batchnorm_module_counts_batches_and_uses_running_stats_in_eval():
    bn = nn.BatchNorm2d(2)
    x = tinyres.randn(4, 2, 3, 3) * 3.0 + 1.0
    bn(x)
    bn(x)
    assert bn.num_batches_tracked.item() == 2
    assert not np.allclose(bn.running_mean.numpy(), 0)
    bn.eval()
    before = bn.running_mean.numpy().copy()
    bn(x)
    np.testing.assert_array_equal(bn.running_mean.numpy(), before)
    cumulative = nn.BatchNorm2d(2, momentum=None)
    cumulative(x)
    np.testing.assert_allclose(cumulative.running_mean.numpy(),
                               x.numpy().mean(axis=(0, 2, 3)), rtol=1e-5)


def test_cumulative_batchnorm_counts_on_after_a_reload():
    """momentum=None: the running mean is the plain mean of the batch means, also when part of
    the count comes from a loaded state (the module keeps its count on the host as well)."""
    rng = np.random.default_rng(0)
    batches = [tinyres.tensor(rng.standard_normal((4, 2, 3, 3)) + i, dtype="float32")
               for i in range(3)]
    straight, first, resumed = (nn.BatchNorm2d(2, momentum=None) for _ in range(3))
    for x in batches:
        straight(x)
    first(batches[0])
    first(batches[1])
    resumed.load_state_dict(first.state_dict())
    resumed(batches[2])
    expected = np.mean([x.numpy().mean(axis=(0, 2, 3)) for x in batches], axis=0)
    for bn in (straight, resumed):
        np.testing.assert_allclose(bn.running_mean.numpy(), expected, rtol=1e-5)
        assert bn.num_batches_tracked.item() == 3


def test_load_state_dict_accepts_numpy_and_tensors_and_copies():
    a, b = Tiny(), Tiny()
    state = {k: v.numpy() for k, v in a.state_dict().items()}
    b.load_state_dict(state)
    state["conv.weight"][...] = 7  # b holds copies, not views of the caller's arrays
    assert not np.any(b.conv.weight.numpy() == 7)
    b.load_state_dict(a.state_dict())
    np.testing.assert_array_equal(b.head[2].weight.numpy(), a.head[2].weight.numpy())


def test_load_state_dict_names_every_problem_and_changes_nothing():
    m = Tiny()
    before = {k: v.numpy().copy() for k, v in m.state_dict().items()}
    bad = {k: v.numpy() * 0 + 1 for k, v in m.state_dict().items()}
    del bad["bn.bias"]
    bad["extra.weight"] = np.zeros(2)
    bad["head.2.weight"] = np.zeros((5, 3))
    with pytest.raises(ValueError) as info:
        m.load_state_dict(bad)
    message = str(info.value)
    assert "nothing was changed" in message
    assert "missing keys: ['bn.bias']" in message
    assert "unexpected keys: ['extra.weight']" in message
    assert "head.2.weight: expected shape (4, 3), got (5, 3)" in message
    for k, v in m.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k])
    del bad["head.2.weight"]
    bad["head.2.weight"] = np.ones((4, 3))
    result = m.load_state_dict(bad, strict=False)
    assert result.missing_keys == ["bn.bias"] and result.unexpected_keys == ["extra.weight"]
    assert np.all(m.conv.weight.numpy() == 1)


def test_to_dtype_keeps_parameter_identity_and_integer_buffers():
    m = Tiny()
    weight = m.conv.weight
    m.double()
    assert m.conv.weight is weight and weight.dtype == tinyres.float64
    assert m.bn.num_batches_tracked.dtype == tinyres.int64
    assert m(tinyres.randn(1, 2, 4, 4, dtype="float64")).dtype == tinyres.float64


def test_forward_hooks_see_inputs_and_outputs_and_can_be_removed():
    m = Tiny()
    seen = []
    handle = m.bn.register_forward_hook(lambda mod, args, out: seen.append(out.shape))
    m.conv.register_forward_pre_hook(lambda mod, args: (args[0] * 0.0,))
    out = m(tinyres.randn(2, 2, 4, 4))
    assert seen == [(2, 3, 4, 4)]
    handle.remove()
    m(tinyres.randn(2, 2, 4, 4))
    assert len(seen) == 1
    np.testing.assert_allclose(out.numpy(), np.broadcast_to(m.head[2].bias.numpy(), (2, 4)),
                               atol=1e-6)  # zero input through BN: only the fc bias is left


def test_pytorch_default_initialisation_bounds_and_kaiming_statistics():
    tinyres.manual_seed(0)
    conv = nn.Conv2d(16, 32, 3)
    bound = 1 / np.sqrt(16 * 9)
    assert np.abs(conv.weight.numpy()).max() <= bound and np.abs(conv.bias.numpy()).max() <= bound
    assert np.abs(conv.weight.numpy()).max() > 0.9 * bound
    big = nn.Conv2d(64, 256, 3, bias=False)
    nn.init.kaiming_normal_(big.weight, mode="fan_out", nonlinearity="relu")
    assert abs(big.weight.numpy().std() / np.sqrt(2 / (256 * 9)) - 1) < 0.02


def test_module_errors_are_clear():
    m = Tiny()
    with pytest.raises(TypeError, match="cannot assign ndarray to parameter 'weight'"):
        m.conv.weight = np.zeros(3)
    with pytest.raises(AttributeError, match="'Tiny' object has no attribute 'nope'"):
        m.nope
    with pytest.raises(TypeError, match="Sequential: argument 1 must be a Module, got int"):
        nn.Sequential(nn.ReLU(), 3)
    assert "Conv2d(2, 3, kernel_size=(3, 3)" in repr(m)
