"""tinyres.summary: per-layer shapes, parameters and MACs; totals match torchvision's figures."""
import pytest

import tinyres
from tinyres import models

# torchvision's published GFLOPS (multiply-accumulates) at 224x224
PUBLISHED_GMACS = {"resnet18": 1.814, "resnet34": 3.664, "resnet50": 4.089, "resnet101": 7.801,
                   "resnet152": 11.514}


@pytest.mark.parametrize("name,gmacs", PUBLISHED_GMACS.items())
def test_macs_match_torchvisions_published_figures(name, gmacs):
    result = tinyres.summary(models.get(name), (3, 224, 224))
    assert abs(result.total_macs / 1e9 - gmacs) / gmacs < 0.005
    assert result.total_params == sum(p.numel() for p in models.get(name).parameters())


def test_rows_show_each_layer_with_shapes_params_and_macs():
    model = models.cifar_resnet20()
    model.train()
    result = tinyres.summary(model, (3, 32, 32))
    first = result.rows[0]
    assert (first["name"], first["type"], first["output_shape"]) == ("conv1", "Conv2d",
                                                                     (1, 16, 32, 32))
    assert first["params"] == 16 * 3 * 9 and first["macs"] == 16 * 3 * 9 * 32 * 32
    fc = result.rows[-1]
    assert fc["name"] == "fc" and fc["macs"] == 64 * 10 and fc["output_shape"] == (1, 10)
    assert result.total_params == 269_722
    assert model.training and model.bn1.num_batches_tracked.item() == 0  # untouched by summary
    text = str(result)
    assert "layer3.2.conv2" in text and "total params: 269,722" in text


def test_summary_rejects_a_bad_shape():
    with pytest.raises(ValueError, match=r"input_shape must be \(C, H, W\) or \(N, C, H, W\)"):
        tinyres.summary(models.cifar_resnet20(), (32, 32))
