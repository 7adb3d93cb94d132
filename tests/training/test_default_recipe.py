"""The README's first command ends with `tinyres train`: its default recipe (cifar_resnet20 on
mnist5k, 8 epochs) must reach the accuracy the README promises. About 100 s on 2 cores."""
import json
import os

import pytest

from tinyres.cli import main
from tinyres.data import mnist
from tests.helpers.paths import ROOT

PROMISE = "at least 97.5%"  # README.md, about the first command's training run


@pytest.mark.slow
@pytest.mark.skipif(not mnist.available(), reason=f"mnist5k needs: {mnist.DOWNLOAD}")
def test_the_default_training_reaches_the_readmes_accuracy(tmp_path, capsys):
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        assert PROMISE in " ".join(f.read().split())  # as a reader sees it, across lines
    metrics = tmp_path / "metrics.json"
    assert main(["train", "--checkpoint-dir", str(tmp_path / "run"),
                 "--metrics-out", str(metrics)]) == 0
    final = json.loads(metrics.read_text())
    assert final["epochs"] == 8 and final["model"] == "cifar_resnet20"
    assert final["test_accuracy"] >= 0.975, capsys.readouterr().out
