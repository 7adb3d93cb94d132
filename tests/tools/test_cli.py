"""The `tinyres` command: every sub-command's help, a short training run with metrics, resume,
eval, summary, gradcheck and models, and one clear line (not a traceback) for bad input."""
import json
import subprocess
import sys

import pytest

from tinyres.cli import main
from tinyres.commands import COMMANDS

pytest.importorskip("sklearn", reason="the training runs use scikit-learn's bundled digits")
SMALL = ["--data", "digits", "--batch-size", "64", "--no-progress"]


def test_the_console_script_is_installed():
    result = subprocess.run([sys.executable, "-m", "tinyres.cli", "--help"], capture_output=True,
                            text=True)
    assert result.returncode == 0 and "train" in result.stdout


@pytest.mark.parametrize("command", [c.NAME for c in COMMANDS])
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as done:
        main([command, "--help"])
    assert done.value.code == 0
    assert "usage: tinyres " + command in capsys.readouterr().out


def test_train_writes_metrics_and_a_checkpoint_then_resumes_and_evaluates(tmp_path, capsys):
    """A constant schedule does not depend on --epochs, so a run may be resumed for longer."""
    metrics, ckpt = tmp_path / "m.json", tmp_path / "run"
    assert main(["train", *SMALL, "--epochs", "1", "--checkpoint-dir", str(ckpt),
                 "--metrics-out", str(metrics), "--schedule", "constant"]) == 0
    first = json.loads(metrics.read_text())
    for key in ("test_accuracy", "train_loss", "epochs", "seconds"):
        assert key in first
    assert first["epochs"] == 1 and 0 <= first["test_accuracy"] <= 1
    assert main(["train", *SMALL, "--epochs", "2", "--checkpoint-dir", str(ckpt),
                 "--resume", "--metrics-out", str(metrics), "--schedule", "constant"]) == 0
    second = json.loads(metrics.read_text())
    assert second["epochs"] == 2 and len(second["history"]) == 2
    assert second["history"][0] == first["history"][0]
    out = capsys.readouterr().out
    assert "resumed from" in out and "training continues to epoch 2" in out
    assert main(["eval", str(ckpt)]) == 0
    assert f"accuracy {second['test_accuracy']:.4f}" in capsys.readouterr().out


def test_summary_gradcheck_and_models(capsys):
    assert main(["summary", "resnet18", "--totals"]) == 0
    assert "11,689,512 parameters, 1.814 GMACs" in capsys.readouterr().out
    assert main(["gradcheck", "cifar_resnet20", "--elements", "1"]) == 0
    out = capsys.readouterr().out
    assert "layer3.2.conv2.weight" in out and "all gradients agree" in out
    assert main(["models"]) == 0
    assert "cifar_plain56" in capsys.readouterr().out


@pytest.mark.parametrize("argv,message", [
    (["train", "--epochs", "0"], "--epochs must be >= 1, got 0"),
    (["train", "--model", "resnet19"], "unknown model 'resnet19'"),
    (["train", "--model", "resnet18", "--data", "digits"], "resnet18 takes 3-channel images"),
    (["train", "--data", "cifar10"], "cifar10 needs --data-root"),
    (["train", "--device", "tpu"], "device must be one of"),
    (["eval", "nowhere.npz"], "no such checkpoint: nowhere.npz"),
    (["summary", "nope"], "unknown model 'nope'"),
])
def test_bad_arguments_give_one_clear_line(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and err.count("\n") == 0 and "Traceback" not in err


def test_a_reader_that_goes_away_ends_the_command_quietly():
    """`tinyres summary cifar_resnet1202 | head -1`: the pipe closes while the command still has
    380 kB to write (more than a pipe holds); it stops with status 141, no traceback."""
    command = [sys.executable, "-m", "tinyres.cli", "summary", "cifar_resnet1202"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        first = proc.stdout.readline()
        proc.stdout.close()
        err = proc.stderr.read().decode()
        proc.wait()
    assert first.startswith(b"CifarResNet")
    assert "Traceback" not in err and "BrokenPipe" not in err, err
    assert proc.returncode == 141
