"""Pre-activation ResNets (He et al. 2016): parameter counts against the paper and a PyTorch twin,
the same function as the twin (eval and train mode, gradients), and the identity-mapping
property dL/dx_l = dL/dx_L + branch terms, exact from any block to any deeper one."""
import numpy as np
import pytest

import tinyres
import tinyres.functional as F
from tests.helpers.harness import assert_close
from tinyres import models
from tinyres.viz.identity_paths import chain_errors, make_chain

# He et al. 2016, Table 3 / 4: pre-act ResNet-110 and ResNet-164 have 1.7M parameters each;
# with option A shortcuts the basic ones have exactly the 2015 nets' counts
CIFAR_PARAMS = {"cifar_preact_resnet20": 269_722, "cifar_preact_resnet56": 853_018,
                "cifar_preact_resnet110": 1_727_962, "cifar_preact_resnet164": 1_703_258}


def count(model):
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("name,expected", CIFAR_PARAMS.items())
def test_cifar_parameter_counts(name, expected):
    assert count(models.get(name)) == expected
    if name.endswith(("110", "164")):
        assert round(expected / 1e6, 1) == 1.7


@pytest.fixture
def twin(torch):
    from benchmarks import parity
    from benchmarks.torch_preact import build

    def make(name, **kwargs):
        tinyres.manual_seed(0)
        ours = models.get(name, **kwargs)
        parity.randomise_batchnorm(ours, np.random.default_rng(0))
        theirs = build(name, ours.state_dict(), **kwargs).double()
        return ours.double(), theirs
    return make


@pytest.mark.parametrize("name,size", [("cifar_preact_resnet20", 16),
                                       ("cifar_preact_resnet164", 8), ("preact_resnet18", 64),
                                       ("preact_resnet50", 64)])
def test_same_function_as_the_pytorch_twin(torch, twin, name, size):
    ours, theirs = twin(name)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert count(ours) == sum(p.numel() for p in theirs.parameters())
    x = np.random.default_rng(1).standard_normal((2, 3, size, size))
    for train in (False, True):
        ours.train(train)
        theirs.train(train)
        with tinyres.no_grad():
            mine = ours(tinyres.tensor(x)).numpy()
        with torch.no_grad():
            ref = theirs(torch.from_numpy(x)).numpy()
        assert_close(mine, ref, f"{name} logits, train={train}", rtol=1e-9)


def test_gradients_equal_the_twins_with_option_b_and_one_channel(torch, twin):
    ours, theirs = twin("cifar_preact_resnet20", shortcut="B", in_channels=1)
    assert type(ours.layer2[0].downsample).__name__ == "Conv2d"
    x = np.random.default_rng(2).standard_normal((3, 1, 8, 8))
    y = np.array([1, 4, 7])
    F.cross_entropy(ours(tinyres.tensor(x)), tinyres.tensor(y)).backward()
    torch.nn.functional.cross_entropy(theirs(torch.from_numpy(x)), torch.from_numpy(y)).backward()
    grads = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        assert_close(p.grad.numpy(), grads[name].grad.numpy(), name, rtol=1e-9)


def test_bad_depths_and_shortcuts_are_refused():
    with pytest.raises(ValueError, match="depth must be 9n \\+ 2 with n >= 1 for bottleneck"):
        models.CifarPreActResNet(57, shortcut="B", bottleneck=True)
    with pytest.raises(ValueError, match="shortcut must be 'A' .* got 'A'"):
        models.CifarPreActResNet(164, shortcut="A", bottleneck=True)


def _chain_input(seed=0, shape=(2, 3, 5, 5)):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(shape), rng.standard_normal(shape)


def test_identity_mapping_holds_from_any_block_to_any_deeper_one():
    x, r = _chain_input()
    errors = chain_errors(make_chain("pre", 5, 3, seed=0), x, r)
    assert len(errors) == 15  # every pair l < L of x_0 .. x_5
    assert max(errors.values()) < 1e-12 * np.abs(r).max() * 10


def test_with_a_relu_after_the_addition_it_does_not():
    x, r = _chain_input()
    errors = chain_errors(make_chain("post", 5, 3, seed=0), x, r)
    assert min(errors.values()) > 1e-2  # the masks on the path: far from rounding


def test_gradient_flow_probes_pre_activation_blocks():
    from tinyres.viz import gradient_flow
    tinyres.manual_seed(0)
    model = models.cifar_preact_resnet20(in_channels=1).double()
    x = tinyres.randn(4, 1, 8, 8, dtype="float64")
    flow = gradient_flow(model, x, tinyres.tensor([0, 1, 2, 3]), keep_grads=True)
    assert [b.kind for b in flow.blocks] == ["PreActBlock"] * 9
    assert [b.shortcut for b in flow.blocks][2:4] == ["identity", "padding"]
    for b in flow.blocks:
        np.testing.assert_array_equal(b.identity_array + b.branch_array, b.input_array)
        if b.shortcut == "identity":  # nothing on the path: the output's gradient, whole
            np.testing.assert_array_equal(b.identity_array, b.output_array)
