"""A checkpoint for another model gets one line naming both models and a few keys (issue 17):
tinyres.models.identify reads the depth from the keys and confirms it by building the candidates;
tinyres.wording cuts long lists."""
import importlib.util

import pytest

import tinyres
from tinyres import models
from tinyres.cli import main
from tinyres.models.identify import candidates, identify, mismatch
from tinyres.wording import plural, some_of

needs_sklearn = pytest.mark.skipif(importlib.util.find_spec("sklearn") is None,
                                   reason="the training runs use scikit-learn's digits")


def test_wording():
    assert [plural(n, "epoch") for n in (0, 1, 2)] == ["0 epochs", "1 epoch", "2 epochs"]
    assert some_of(["a", "b"]) == "a, b"
    assert some_of(list("abcde")) == "a, b, c ... and 2 more"
    assert some_of(range(190), limit=2) == "0, 1 ... and 188 more"


@pytest.mark.parametrize("name,kwargs,expected", [
    ("cifar_resnet20", {}, ["cifar_resnet20", "cifar_plain20"]),  # twins: the same parameters
    ("cifar_plain56", {"num_classes": 7, "in_channels": 1}, ["cifar_resnet56", "cifar_plain56"]),
    ("cifar_resnet32", {"batchnorm": False}, ["cifar_resnet32", "cifar_plain32"]),
    ("cifar_resnet44", {"shortcut": "B"}, ["cifar_resnet44"]),  # projections: no plain twin
    ("resnet18", {"num_classes": 10}, ["resnet18"]),
])
def test_identify_names_the_registered_models_with_these_keys_and_shapes(name, kwargs, expected):
    assert identify(models.get(name, **kwargs).state_dict()) == expected


def test_identify_reads_depth_from_keys_and_names_nothing_it_cannot_confirm():
    keys = list(models.cifar_resnet110().state_dict())
    assert candidates(keys) == ["cifar_resnet110", "cifar_plain110"]
    assert candidates([k.replace("layer", "stage") for k in keys]) == []
    state = models.cifar_resnet20().state_dict()
    state["layer1.0.conv1.weight"] = tinyres.zeros(32, 16, 3, 3)  # wider than any registered
    assert identify(state) == []
    assert identify({}) == []


def test_mismatch_is_one_line_with_a_few_keys():
    r20, r56 = models.cifar_resnet20(), models.cifar_resnet56()
    assert mismatch(r20.state_dict(), models.cifar_plain20()) is None  # keys fit
    assert mismatch(r20.state_dict(), models.cifar_plain20(), "cifar_plain20",
                    "cifar_resnet20") == "this checkpoint holds cifar_resnet20, not cifar_plain20"
    line = mismatch(r20.state_dict(), r56, "cifar_resnet56", "cifar_resnet20")
    assert line.startswith("this checkpoint holds cifar_resnet20, not cifar_resnet56: 216 of the"
                           " model's keys missing (layer1.3.conv1.weight, ")
    assert line.endswith(" ... and 213 more)") and "\n" not in line
    line = mismatch(r56.state_dict(), r20)  # nothing recorded: both sides identified
    assert line.startswith("this checkpoint holds cifar_resnet56 or cifar_plain56, not"
                           " cifar_resnet20 or cifar_plain20: 216 unexpected keys")
    assert mismatch({"w": 1}, r20, "cifar_resnet20").startswith(
        "this checkpoint's keys do not fit cifar_resnet20: 116 of the model's keys missing")


@needs_sklearn
def test_eval_and_resume_of_a_checkpoint_for_another_model_say_so_in_one_line(tmp_path, capsys):
    run = tmp_path / "r20"
    assert main(["train", "--data", "digits", "--epochs", "1", "--batch-size", "256",
                 "--no-progress", "--checkpoint-dir", str(run)]) == 0
    capsys.readouterr()
    tinyres.save(tinyres.load(str(run / "last.npz"))["model"], str(tmp_path / "weights.npz"))
    cases = [
        (["eval", str(run), "--model", "cifar_resnet56"],
         "this checkpoint holds cifar_resnet20, not cifar_resnet56: 216 of the model's keys"),
        (["eval", str(run), "--model", "cifar_plain20"],  # same keys, another network
         "this checkpoint holds cifar_resnet20, not cifar_plain20; leave out --model to"
         " evaluate it as cifar_resnet20"),
        (["eval", str(tmp_path / "weights.npz"), "--model", "cifar_resnet56", "--data", "digits"],
         "this checkpoint holds cifar_resnet20 or cifar_plain20, not cifar_resnet56: 216 of"),
        # resuming, the recorded run settings are checked first (resume_checks): same one line
        (["train", "--data", "digits", "--model", "cifar_resnet56", "--no-progress",
          "--checkpoint-dir", str(run), "--resume"],
         "--model is cifar_resnet56 but the checkpoint's run used cifar_resnet20"),
        (["train", "--data", "digits", "--model", "cifar_plain20", "--no-progress",
          "--checkpoint-dir", str(run), "--resume"],
         "--model is cifar_plain20 but the checkpoint's run used cifar_resnet20"),
    ]
    for argv, message in cases:
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, err
        assert len(err) < 300  # a few keys, not 216
