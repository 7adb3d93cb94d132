"""VGG-16/19 as torchvision builds them (parameter counts, MACs, state_dict layout, the same
function as a PyTorch twin), dropout (gradient-checked with a fixed mask), and `tinyres summary
--compare` printing depth, parameters, MACs and activation memory side by side."""
import os

import numpy as np
import pytest

import tinyres
import tinyres.functional as F
from tests.helpers.harness import assert_close, check_gradients
from tinyres import models
from tinyres.cli import main
from tinyres.compare import compare_models, format_comparison
from tinyres.ops.dropout import dropout_with_mask
from tests.helpers.paths import ROOT

TUTORIAL = os.path.join(ROOT, "docs",
                        "tutorial.md")

# torchvision's documentation, at 224x224: vgg16 138,357,544 parameters and 15.47 GFLOPS
# (multiply-accumulates), vgg19 143,667,240 and 19.63

@pytest.mark.slow
def test_vgg16_is_torchvisions_in_parameters_macs_layout_and_function(torch):
    """vgg19's figures are checked by the comparison test below (each build costs seconds)."""
    from benchmarks.torch_preact import build
    tinyres.manual_seed(0)
    ours = models.vgg16()
    result = tinyres.summary(ours, (3, 224, 224))
    assert result.total_params == 138_357_544 and result.depth == 16
    assert round(result.total_macs / 1e9, 2) == 15.47
    keys = list(ours.state_dict())
    assert keys[:2] == ["features.0.weight", "features.0.bias"]
    assert keys[-2:] == ["classifier.6.weight", "classifier.6.bias"]
    theirs = build("vgg16", ours.state_dict()).eval()
    assert list(theirs.state_dict()) == keys
    ours.eval()
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 3, 32, 32)).astype(np.float32)  # the features run at any size
    v = rng.standard_normal((2, 512 * 7 * 7)).astype(np.float32)
    with tinyres.no_grad():
        mine = (ours.features(tinyres.tensor(x)).numpy(), ours.classifier(tinyres.tensor(v)))
    with torch.no_grad():
        ref = (theirs.features(torch.from_numpy(x)).numpy(),
               theirs.classifier(torch.from_numpy(v)).numpy())
    assert_close(mine[0], ref[0], "vgg16 features", rtol=1e-4)
    assert_close(mine[1].numpy(), ref[1], "vgg16 classifier (eval: no dropout)", rtol=1e-4)


def test_dropout_gradcheck_with_a_fixed_mask(device):
    rng = np.random.default_rng(0)
    mask = tinyres.tensor(rng.random((3, 5)) > 0.3, device=device)
    check_gradients(lambda x: dropout_with_mask(x, mask, 0.3), [rng.standard_normal((3, 5))],
                    device)


def test_dropout_scales_what_it_keeps_and_is_the_identity_in_eval():
    tinyres.manual_seed(0)
    x = tinyres.ones(10_000)
    y = F.dropout(x, 0.25).numpy()
    assert set(np.unique(y)) == {0.0, np.float32(1 / 0.75)}
    assert abs((y == 0).mean() - 0.25) < 0.02  # the drop rate
    layer = tinyres.nn.Dropout(0.25).eval()
    assert layer(x) is x and F.dropout(x, 0.5, training=False) is x
    assert not F.dropout(x, 1.0).numpy().any()
    with pytest.raises(ValueError, match=r"dropout: argument 'p' must be a probability in"
                                         r" \[0, 1\], got 1.5"):
        F.dropout(x, 1.5)
    with pytest.raises(ValueError, match=r"argument 'mask' must have shape \(10000,\)"):
        dropout_with_mask(x, tinyres.ones(3), 0.5)


@pytest.mark.slow
def test_resnet152_is_8x_deeper_than_vgg19_with_fewer_macs(capsys):
    rows = {r["model"]: r for r in compare_models(["vgg19", "resnet34", "resnet152"])}
    assert [rows[n]["depth"] for n in rows] == [19, 34, 152]
    assert rows["resnet152"]["depth"] == 8 * rows["vgg19"]["depth"]
    assert rows["resnet152"]["macs"] < 0.6 * rows["vgg19"]["macs"]
    assert [rows[n]["params"] for n in rows] == [143_667_240, 21_797_672, 60_192_808]
    assert [round(rows[n]["macs"] / 1e9, 2) for n in rows] == [19.63, 3.66, 11.51]
    # activations: the sum of every layer's output for one float32 image
    mib = [round(rows[n]["activation_bytes"] / 2**20, 1) for n in rows]
    assert mib == [119.3, 42.9, 253.1]
    # the tutorial shows this very table, and the figures it draws from it
    with open(TUTORIAL, encoding="utf-8") as f:
        tutorial = f.read()
    for line in format_comparison(list(rows.values())).splitlines():
        assert line in tutorial, f"the tutorial's comparison table lacks {line!r}"
    vgg, big = rows["vgg19"], rows["resnet152"]
    words = " ".join(tutorial.split())
    assert (f"with {100 * big['macs'] / vgg['macs']:.0f}% of its multiply-accumulates and"
            f" {100 * big['params'] / vgg['params']:.0f}% of its parameters") in words
    assert "take twice VGG-19's memory" in words
    assert f"ResNet-152 has {big['depth'] // vgg['depth']} times VGG-19's depth" in words
    assert 1.9 < big["activation_bytes"] / vgg["activation_bytes"] < 2.2
    assert main(["summary", "--compare", "resnet34,cifar_resnet20"]) == 0
    out = capsys.readouterr().out
    assert "resnet34" in out and "3x32x32" in out and "21,797,672" in out
    assert main(["summary", "--compare", "vgg19,resnet35"]) == 2
    assert "unknown: resnet35" in capsys.readouterr().err
