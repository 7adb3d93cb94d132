"""The `tinyres` command as a PyTorch user expects it (issue 17): progress in logs and on a
terminal, `bench NAME --help` without PyTorch, TINYRES_DEVICE, the first-run compile notice,
--version, help texts, plurals, and one-line errors for unknown models and wrong checkpoints.
Output is captured through pipes (subprocess, capsys), as in a log."""
import importlib
import importlib.metadata
import importlib.util
import io
import os
import subprocess
import sys

import pytest

import tinyres
from tinyres import progress
from tinyres.cli import main
from tinyres.commands import bench_cmd
from tinyres.compile_notice import MESSAGE, compile_notice
from tests.helpers.paths import ROOT

DIGITS = ["--data", "digits", "--batch-size", "64"]
needs_sklearn = pytest.mark.skipif(importlib.util.find_spec("sklearn") is None,
                                   reason="the training runs use scikit-learn's digits")


def run_cli(*argv, env=None):
    """`python -m tinyres.cli ARGV` with stdout and stderr through pipes."""
    return subprocess.run([sys.executable, "-m", "tinyres.cli", *argv], capture_output=True,
                          text=True, cwd=ROOT, env={**os.environ, **(env or {})}, timeout=600)


# --- 1. progress: plain lines in a log, a bar (ETA from the second step) on a terminal ----------
@needs_sklearn
def test_a_log_gets_one_plain_line_per_epoch_and_no_bar(tmp_path):
    done = run_cli("train", *DIGITS, "--epochs", "2", "--checkpoint-dir", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "\r" not in done.stdout + done.stderr  # no carriage-return frames of a bar
    epochs = [line for line in done.stdout.splitlines() if line.startswith("epoch ")]
    assert [line.split(":")[0] for line in epochs] == ["epoch 1", "epoch 2"]
    assert "for 2 epochs" in done.stdout and "after 2 epochs" in done.stdout


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_the_bar_is_drawn_on_a_terminal_and_its_estimate_leaves_out_the_first_step(monkeypatch):
    tqdm_std = pytest.importorskip("tqdm.std", reason="the bar needs tqdm")
    clock = [0.0]
    monkeypatch.setattr(tqdm_std, "time", lambda: clock[0])
    terminal = FakeTerminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    bar = progress.progress(4, "epoch 1/1")
    first_frame = terminal.getvalue()
    assert "first step" in first_frame and "<" not in first_frame  # no estimate yet
    clock[0] = 10.0  # a first step of 10 s (compiling), then steps of 1 s
    bar.update(1, loss=2.5)
    for _ in range(2):
        clock[0] += 1.0
        bar.update(1, loss=2.0)
    rate = bar.bar.format_dict["rate"]
    assert rate == pytest.approx(1.0, rel=0.01)  # 3 steps / 12 s (0.25 it/s) if it counted
    assert "loss=2.0000" in terminal.getvalue() and "\r" in terminal.getvalue()
    bar.close()


def test_no_bar_when_stderr_is_a_pipe(monkeypatch):
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    bar = progress.progress(4, "epoch 1/1")
    bar.update(1, loss=1.0)
    bar.close()
    assert sys.stderr.getvalue() == ""


# --- 2. bench NAME --help: no PyTorch needed, the right prog, whole descriptions ----------------
def test_bench_help_works_without_pytorch():
    """Each benchmark's --help in a process where `import torch` fails."""
    code = ("import sys; sys.modules['torch'] = None\n"
            "from tinyres.cli import main\n"
            f"for name in {sorted(bench_cmd.BENCHMARKS)!r}:\n"
            "    print('=====', name)\n"
            "    try:\n"
            "        main(['bench', name, '--help'])\n"
            "    except SystemExit as done:\n"
            "        assert done.code == 0, (name, done.code)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    bench_cmd._benchmarks_package()
    common = importlib.import_module("benchmarks.common")
    for chunk in done.stdout.split("===== ")[1:]:
        name, text = chunk.split("\n", 1)
        assert text.startswith(f"usage: tinyres bench {name} [-h]"), text[:80]
        module = importlib.import_module(f"benchmarks.{bench_cmd.BENCHMARKS[name]}")
        description = common.description(module.__doc__)
        assert description in text and description.count("\n") >= 1  # whole, not one line
        assert "python -m benchmarks" not in text  # argparse's usage line replaces those


def test_bench_without_pytorch_still_says_so(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "torch", None)
    assert main(["bench", "pool", "--repeat", "1"]) == 2
    assert "pip install torch==2.13.0" in capsys.readouterr().err


# --- 4. TINYRES_DEVICE: empty means unset, any case, an explicit --device wins ------------------
@pytest.mark.parametrize("value,device", [("", "cpu"), ("  ", "cpu"), ("CPU", "cpu"),
                                          ("Cpu", "cpu"), ("CUDA:0", "cuda")])
def test_tinyres_device_forgives_empty_and_case(monkeypatch, value, device):
    monkeypatch.setenv("TINYRES_DEVICE", value)
    assert tinyres.default_device() == device


def test_a_bad_tinyres_device_is_named_as_written(monkeypatch):
    monkeypatch.setenv("TINYRES_DEVICE", "GPU")
    with pytest.raises(ValueError, match="TINYRES_DEVICE must be one of .* got 'GPU'"):
        tinyres.default_device()


@needs_sklearn
def test_an_explicit_device_wins_over_the_variable(tmp_path, capsys):
    run = ["train", *DIGITS, "--epochs", "1", "--checkpoint-dir", str(tmp_path), "--no-progress"]
    assert main(run) == 0
    for value in ("", "gpu"):
        os.environ["TINYRES_DEVICE"] = value  # main() drops it, as --device is given
        assert main(["eval", str(tmp_path), "--device", "cpu"]) == 0
        assert "TINYRES_DEVICE" not in os.environ
    assert "accuracy" in capsys.readouterr().out
    os.environ["TINYRES_DEVICE"] = "gpu"
    try:  # without --device the variable counts, and its mistake is one line
        assert main(["eval", str(tmp_path)]) == 2
    finally:
        del os.environ["TINYRES_DEVICE"]
    assert "got 'gpu'" in capsys.readouterr().err


# --- 5. the first-run compile notice ------------------------------------------------------------
def test_the_compile_notice_speaks_once_and_only_for_a_real_compilation():
    numba = pytest.importorskip("numba")
    said = []

    @numba.njit
    def twice(x):
        return 2 * x

    with compile_notice(said.append):
        assert twice(1.5) == 3.0  # compiles (float64)
        assert twice(2) == 4  # compiles again (int64): still one message
    assert said == [MESSAGE]
    with compile_notice(said.append):
        assert twice(2.5) == 5.0  # compiled already: nothing to say
    assert said == [MESSAGE]


@needs_sklearn
@pytest.mark.slow
def test_first_run_compiles_and_says_so_the_second_uses_numbas_cache(tmp_path):
    """A fresh Numba cache folder is a first run; the second run loads every kernel from it."""
    env = {"NUMBA_CACHE_DIR": str(tmp_path / "numba")}
    run = ["train", *DIGITS, "--epochs", "1", "--checkpoint-dir", str(tmp_path / "run")]
    first, second = run_cli(*run, env=env), run_cli(*run, env=env)
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert first.stderr.count(MESSAGE) == 1
    assert MESSAGE not in second.stderr
    assert any(name.endswith(".nbc") for _, _, files in os.walk(tmp_path / "numba")
               for name in files)


# --- 6. small things -----------------------------------------------------------------------------
def test_version_comes_from_the_package_metadata(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"tinyres {importlib.metadata.version('tinyres')}"


def test_every_eval_option_has_help(capsys):
    with pytest.raises(SystemExit):
        main(["eval", "--help"])
    out = capsys.readouterr().out
    assert "which part of the dataset" in out and "images per forward pass" in out


@pytest.mark.parametrize("models,named", [("cifar_resnet56,resnet19", "model 'resnet19'"),
                                          ("a,cifar_plain20,b", "models 'a', 'b'")])
def test_gradflow_names_the_unknown_models(models, named, capsys):
    assert main(["gradflow", "--models", models, "--data", "random"]) == 2
    err = capsys.readouterr().err
    assert f"unknown {named}; see `tinyres models`" in err and err.count("\n") == 1


# --- 7. epoch 1's test loss: batch normalisation's running statistics lag the weights ----------
@needs_sklearn
def test_epoch_one_test_loss_is_high_because_of_bn_running_statistics():
    """docs/training.md's explanation: after one epoch the running statistics (eval mode) give a
    test loss far above the train loss; the same network with batch statistics does not."""
    from tinyres import data, functional as F, optim
    from tinyres.commands.common import build_model, make_loader
    from tinyres.train import RunConfig, evaluate, fit
    tinyres.manual_seed(0)
    model = build_model("cifar_resnet20", data.dataset_info("digits"))
    train = make_loader("digits", "train", None, 64, "cpu", 0, train=True)
    test = make_loader("digits", "test", None, 256, "cpu")
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    run = RunConfig(1, show_progress=False, log=lambda line: None)
    record = fit(model, opt, train, run, test)[0]
    assert record["test_loss"] > 5 * record["train_loss"]
    assert evaluate(model, test)[0] == pytest.approx(record["test_loss"])
    shuffled = data.DataLoader(data.get_dataset("digits", "test"), 60, shuffle=True, seed=0,
                               transform=data.standard_transform("digits", False))
    model.train()  # batch statistics (mixed digits in each batch), no gradients
    with tinyres.no_grad():
        losses = [F.cross_entropy(model(x), y).item() for x, y in shuffled]
    assert sum(losses) / len(losses) < 2 * record["train_loss"]


@pytest.mark.slow
def test_pytorch_shows_the_same_first_epoch_gap(tmp_path):
    """docs/training.md: bench_train --epochs 1 trains both engines from the same weights on the
    same batches; their train losses agree to a few percent and in both the test loss is well
    above the train loss (about 25 s on 2 cores)."""
    pytest.importorskip("torch")
    from benchmarks import bench_train
    from tinyres.data import mnist
    if not mnist.available():
        pytest.skip(f"mnist5k needs: {mnist.DOWNLOAD}")
    out = tmp_path / "train.json"
    assert bench_train.main(["--epochs", "1", "--json", str(out)]) == 0
    import json
    result = json.loads(out.read_text())
    ours, theirs = result["tinyres"][0], result["torch"][0]
    assert ours["train_loss"] == pytest.approx(theirs["train_loss"], rel=0.05)
    for side in (ours, theirs):
        assert side["test_loss"] > 1.5 * side["train_loss"]
