"""`tinyres` keeps its promise for failures that are not bugs: a bad or damaged file, a full or
read-only disk, no memory, no GPU, a resume under other settings, Ctrl-C: one line on stderr and
exit status 2 (130 for Ctrl-C), found before the first training step where it can be."""
import errno
import os

import numpy as np
import pytest

import tinyres
from tinyres import train
from tinyres.cli import main
from tinyres.commands import preflight
from tinyres.io import checkpoint

pytest.importorskip("sklearn", reason="the training runs use scikit-learn's bundled digits")
SMALL = ["--data", "digits", "--batch-size", "64", "--no-progress"]
SETTINGS = {"settings_format": 1, "model": "cifar_resnet20", "data": "digits",
            "optimizer": "sgd", "lr": 0.1, "momentum": 0.9, "weight_decay": 5e-4,
            "schedule": "cosine", "warmup_epochs": 0, "epochs": 8, "batch_size": 64,
            "world_size": 1, "seed": 0, "device": "cpu"}


def one_line_error(capsys, argv, code=2):
    """Run the CLI; assert the exit status and one line on stderr; return that line."""
    assert main(argv) == code
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err.strip()


@pytest.fixture
def no_training(monkeypatch):
    """Fail the test if a training step starts (checks must come first)."""
    def refuse(*args, **kwargs):
        raise AssertionError("a training step started")
    monkeypatch.setattr(train, "train_epoch", refuse)


def test_eval_of_files_that_are_not_checkpoints(tmp_path, capsys):
    (tmp_path / "README.md").write_text("# not a checkpoint\n")
    (tmp_path / "empty.npz").write_bytes(b"")
    tinyres.save({"w": np.zeros(3)}, tmp_path / "good.npz")
    raw = (tmp_path / "good.npz").read_bytes()
    (tmp_path / "cut.npz").write_bytes(raw[:len(raw) // 2])
    flipped = bytearray(raw)
    flipped[60] ^= 0xFF
    (tmp_path / "flip.npz").write_bytes(bytes(flipped))
    for name, message in [("README.md", "is not a tinyres checkpoint (not a zip archive)"),
                          ("empty.npz", "not a zip archive"), ("cut.npz", "not a zip archive"),
                          ("flip.npz", "Bad CRC-32")]:
        line = one_line_error(capsys, ["eval", str(tmp_path / name)])
        assert message in line and "allow_pickle" not in line, line


def test_a_missing_gpu_is_one_line(capsys):
    if tinyres.is_available("cuda"):
        pytest.skip("this machine has a GPU")
    line = one_line_error(capsys, ["train", "--device", "cuda", *SMALL])
    assert "device 'cuda' is unavailable" in line


@pytest.mark.parametrize("argv,message", [
    (["--metrics-out", "nowhere/m.json"], "--metrics-out 'nowhere/m.json': the folder"),
    (["--metrics-out", "."], "--metrics-out '.' is a folder"),
    (["--checkpoint-dir", "a_file"], "--checkpoint-dir 'a_file' cannot be created"),
])
def test_bad_output_paths_are_refused_before_the_first_step(argv, message, tmp_path, capsys,
                                                            monkeypatch, no_training):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a_file").write_text("x")
    line = one_line_error(capsys, ["train", *SMALL, *argv])
    assert message in line, line


@pytest.mark.parametrize("code,message", [(errno.ENOSPC, "No space left on device"),
                                          (errno.EROFS, "Read-only file system")])
def test_a_full_or_read_only_checkpoint_folder_is_refused_before_the_first_step(
        code, message, tmp_path, capsys, monkeypatch, no_training):
    def fail(fd):
        raise OSError(code, os.strerror(code))
    monkeypatch.setattr(preflight.os, "fsync", fail)
    line = one_line_error(capsys, ["train", *SMALL, "--checkpoint-dir", str(tmp_path / "run")])
    assert "--checkpoint-dir" in line and message in line, line
    assert os.listdir(tmp_path / "run") == []  # the probe file is gone


def test_too_little_space_for_a_checkpoint_is_refused(tmp_path, capsys, monkeypatch,
                                                      no_training):
    monkeypatch.setattr(preflight, "checkpoint_bytes", lambda model, name: 1 << 60)
    line = one_line_error(capsys, ["train", *SMALL, "--checkpoint-dir", str(tmp_path)])
    assert "MB free; a checkpoint needs about" in line


@pytest.mark.parametrize("error,message", [
    (OSError(errno.ENOSPC, "No space left on device", "last.npz"),
     "no space left on the device writing 'last.npz'"),
    (MemoryError(), "out of memory"),
])
def test_a_disk_or_memory_failure_while_training_is_one_line(error, message, tmp_path, capsys,
                                                             monkeypatch):
    def fail(*args, **kwargs):
        raise error
    monkeypatch.setattr(train, "train_epoch", fail)
    line = one_line_error(capsys, ["train", *SMALL, "--checkpoint-dir", str(tmp_path)])
    assert message in line, line


def test_debug_shows_the_traceback(tmp_path):
    (tmp_path / "x.npz").write_text("not a zip")
    with pytest.raises(ValueError, match="not a zip archive"):
        main(["--debug", "eval", str(tmp_path / "x.npz")])


@pytest.mark.parametrize("argv,message", [
    (["--model", "cifar_plain20"], "--model is cifar_plain20 but the checkpoint's run used"
                                   " cifar_resnet20"),
    (["--schedule", "constant"], "--schedule is constant but the checkpoint's run used cosine"),
    (["--schedule", "multistep"], "--schedule is multistep"),
    (["--optimizer", "adam"], "--optimizer is adam but the checkpoint's run used sgd"),
    (["--warmup-epochs", "1"], "--warmup-epochs is 1 but the checkpoint's run used 0"),
    (["--epochs", "9"], "--epochs is 9 but the checkpoint's run used 8 (the cosine schedule"),
    (["--batch-size", "32"], "--batch-size is 32 but the checkpoint's run used 64"),
    (["--lr", "0.05"], "--lr is 0.05 but the checkpoint's run used 0.1"),
    (["--seed", "1"], "--seed is 1 but the checkpoint's run used 0"),
])
def test_resume_under_other_settings_is_refused(argv, message, tmp_path, capsys, no_training):
    tinyres.save({"config": SETTINGS}, tmp_path / "last.npz")
    base = ["train", "--data", "digits", "--no-progress", "--checkpoint-dir", str(tmp_path),
            "--resume", "--epochs", "8", "--batch-size", "64"]
    line = one_line_error(capsys, base + argv)
    assert message in line and "resume with" in line, line


def test_ctrl_c_says_whether_a_checkpoint_was_written(tmp_path, capsys, monkeypatch):
    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(train, "train_epoch", interrupt)
    stale = tmp_path / (checkpoint.TEMP_PREFIX + "killed" + checkpoint.TEMP_SUFFIX)
    stale.write_bytes(b"half a checkpoint")
    line = one_line_error(capsys, ["train", *SMALL, "--checkpoint-dir", str(tmp_path)], 130)
    assert "interrupted; no checkpoint was written (the first is written at the end of epoch 1)"\
        in line
    assert os.listdir(tmp_path) == []  # the killed write's leftover is gone
    line = one_line_error(capsys, ["train", *SMALL, "--checkpoint-dir", str(tmp_path),
                                   "--resume"])
    assert "no checkpoint at" in line and "a run stopped during its first epoch wrote none" in line


def test_ctrl_c_after_a_checkpoint_says_where_it_is(tmp_path, capsys, monkeypatch):
    calls = []

    def one_quick_epoch_then_interrupt(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return 1.0, 0.5
    monkeypatch.setattr(train, "train_epoch", one_quick_epoch_then_interrupt)
    line = one_line_error(capsys, ["train", *SMALL, "--checkpoint-dir", str(tmp_path),
                                   "--epochs", "3"], 130)
    assert f"the checkpoint of epoch 1 is in {tmp_path}; continue with the same command and" \
           " --resume" in line, line


def test_resuming_into_another_folder_says_where_checkpoints_go(tmp_path, capsys, no_training):
    tinyres.save({"config": {**SETTINGS, "epochs": 1}}, tmp_path / "last.npz")
    assert main(["train", *SMALL, "--epochs", "1", "--resume", str(tmp_path / "last.npz"),
                 "--checkpoint-dir", str(tmp_path / "new")]) == 2  # (then: a stub, refused)
    assert f"resuming from {tmp_path / 'last.npz'}; this run's checkpoints go to" \
           f" {tmp_path / 'new'}" in capsys.readouterr().out
