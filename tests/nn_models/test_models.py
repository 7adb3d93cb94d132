"""The model zoo: parameter counts, torchvision's state_dict layout, the CIFAR ResNets' shortcut
options, plain twins, zero-init residuals, and a forward/backward at every model's input size."""
import inspect

import numpy as np
import pytest

import tinyres
import tinyres.functional as F
from tinyres import models

IMAGENET_PARAMS = {"resnet18": 11_689_512, "resnet34": 21_797_672, "resnet50": 25_557_032,
                   "resnet101": 44_549_160, "resnet152": 60_192_808}
# He et al. 2015, Table 6: 0.27M, 0.46M, 0.66M, 0.85M, 1.7M (option A shortcuts: no parameters)
CIFAR_PARAMS = {"cifar_resnet20": 269_722, "cifar_resnet32": 464_154, "cifar_resnet44": 658_586,
                "cifar_resnet56": 853_018, "cifar_resnet110": 1_727_962}


def count(model):
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("name,expected", list(IMAGENET_PARAMS.items()) + list(CIFAR_PARAMS.items()))
def test_parameter_counts(name, expected):
    assert count(models.get(name)) == expected


def test_cifar_counts_round_to_the_papers_table_6():
    paper = {"cifar_resnet20": 0.27, "cifar_resnet32": 0.46, "cifar_resnet44": 0.66,
             "cifar_resnet56": 0.85, "cifar_resnet110": 1.7}
    for name, millions in paper.items():
        assert round(CIFAR_PARAMS[name] / 1e6, 2 if millions < 1 else 1) == millions


@pytest.mark.parametrize("name", list(IMAGENET_PARAMS))
def test_state_dict_has_torchvisions_keys_order_and_shapes(torch, name):
    from benchmarks.torch_models import build
    ours = models.get(name).state_dict()
    theirs = build(name).state_dict()
    assert list(ours) == list(theirs)
    for key in ours:
        assert ours[key].shape == tuple(theirs[key].shape), key
        assert ours[key].dtype == theirs[key].numpy().dtype, key


def test_registry_lists_and_builds_every_model():
    names = models.list_models()
    for name in ("resnet18", "resnet152", "plain18", "plain34", "cifar_resnet20",
                 "cifar_resnet1202", "cifar_plain20", "cifar_plain110"):
        assert name in names
    assert models.get("cifar_resnet20", num_classes=7).fc.out_features == 7
    with pytest.raises(ValueError, match="unknown model 'resnet19'; choose one of: resnet18"):
        models.get("resnet19")


def test_plain_twins_have_no_shortcuts():
    plain = models.plain18()
    assert all(getattr(m, "downsample", None) is None for m in plain.modules())
    assert count(plain) == IMAGENET_PARAMS["resnet18"] - sum(
        p.numel() for n, p in models.resnet18().named_parameters() if "downsample" in n)
    x = tinyres.randn(1, 16, 32, 32, requires_grad=True)
    block = models.cifar_plain20().layer1[0]
    graph_ops = _ops_behind(block(x))
    residual_ops = _ops_behind(models.cifar_resnet20().layer1[0](x))
    assert not {"Add", "AddReLU"} & graph_ops and "AddReLU" in residual_ops  # add and ReLU fused


def _ops_behind(tensor):
    from tinyres.autograd import topological_order
    return {t.grad_fn.name for t in topological_order(tensor) if t.grad_fn is not None}


def test_cifar_option_a_pads_with_zeros_and_option_b_projects():
    a, b = models.cifar_resnet20(), models.cifar_resnet20(shortcut="B")
    assert count(a) == 269_722 and count(b) > count(a)
    x = tinyres.randn(2, 16, 8, 8)
    shortcut = a.layer2[0].downsample
    out = shortcut(x).numpy()  # (2, 32, 4, 4): channels 8..23 are x[:, :, ::2, ::2]
    assert out.shape == (2, 32, 4, 4)
    np.testing.assert_array_equal(out[:, 8:24], x.numpy()[:, :, ::2, ::2])
    assert not out[:, :8].any() and not out[:, 24:].any()
    assert type(b.layer2[0].downsample[0]).__name__ == "Conv2d"
    with pytest.raises(ValueError, match="depth must be 6n \\+ 2"):
        models.CifarResNet(21)


@pytest.mark.parametrize("name", ["resnet18", "resnet50", "cifar_resnet20"])
def test_zero_init_residual_makes_every_block_the_identity(name):
    model = models.get(name, zero_init_residual=True).eval()
    block = model.layer1[1]
    x = tinyres.randn(1, block.conv1.in_channels, 8, 8).relu()
    with tinyres.no_grad():
        np.testing.assert_array_equal(block(x).numpy(), x.numpy())


def test_cifar_models_without_batchnorm():
    model = models.cifar_plain20(batchnorm=False)
    assert not any(isinstance(m, tinyres.nn.BatchNorm2d) for m in model.modules())
    assert model.conv1.bias is not None
    assert model(tinyres.randn(2, 3, 32, 32)).shape == (2, 10)


def _forward_backward(name, shape, classes):
    tinyres.manual_seed(0)
    model = models.get(name)
    x = tinyres.randn(*shape)
    logits = model(x)
    assert logits.shape == (shape[0], classes)
    F.cross_entropy(logits, tinyres.tensor([1] * shape[0])).backward()
    for pname, p in model.named_parameters():
        assert p.grad is not None and np.isfinite(p.grad.numpy()).all(), pname


@pytest.mark.parametrize("name", ["resnet18", "resnet34", "resnet50", "resnet101", "plain18",
                                  "plain34"])
def test_imagenet_models_run_forward_and_backward_at_224(name):
    _forward_backward(name, (1, 3, 224, 224), 1000)


@pytest.mark.slow
def test_resnet152_runs_forward_and_backward_at_224():
    _forward_backward("resnet152", (1, 3, 224, 224), 1000)


@pytest.mark.parametrize("name", [n for n in models.list_models()
                                  if models.info(n).input_size == 32 and n != "cifar_resnet1202"])
def test_cifar_models_run_forward_and_backward_at_32(name):
    _forward_backward(name, (2, 3, 32, 32), 10)


@pytest.mark.slow
def test_cifar_resnet1202_runs_forward_and_backward_at_32():
    _forward_backward("cifar_resnet1202", (2, 3, 32, 32), 10)


def test_the_registry_answers_family_input_size_and_options():
    assert {models.info(n).family for n in models.list_models()} == set(models.FAMILIES)
    assert models.list_models("vgg") == ["vgg16", "vgg19"]
    vgg, preact = models.info("vgg19"), models.info("cifar_preact_resnet20")
    assert (vgg.family, vgg.input_size, vgg.takes("in_channels")) == ("vgg", 224, False)
    assert (preact.input_size, preact.small_input) == (32, 8)
    assert preact.takes("in_channels") and not preact.takes("batchnorm")
    with pytest.raises(ValueError, match="cifar_preact_resnet20 takes no option 'batchnorm';"
                                         " its options: num_classes, shortcut, in_channels"):
        models.get("cifar_preact_resnet20", batchnorm=False)


def test_every_builder_is_a_function_whose_signature_the_registry_states():
    """Builders are plain functions (help() and IDEs show their parameters), and the options
    the registry answers with are exactly the keywords each one takes."""
    for name, info in models.REGISTRY.models.items():
        signature = inspect.signature(info.builder)
        assert info.builder.__name__ == name and info.builder.__doc__, name
        assert tuple(signature.parameters) == ("num_classes",) + info.options, name
        assert info.check_input in (8, 64, 224), name


def test_every_block_is_a_residual_block_with_its_own_init():
    """One base class, ResidualBlock (forward, shortcut); each block writes __init__ and
    branch, and no block borrows another's."""
    blocks = (models.BasicBlock, models.Bottleneck, models.PreActBlock, models.PreActBottleneck)
    for block in blocks:
        assert block.__bases__ == (models.ResidualBlock,), block
        assert "__init__" in vars(block) and "branch" in vars(block), block
    assert "post_activation" in vars(models.BasicBlock)  # the ReLU after the addition
    assert "post_activation" not in vars(models.PreActBlock)  # nothing after the addition
