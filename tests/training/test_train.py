"""The training loop: it learns, it checkpoints every epoch, and resuming continues bit for bit."""
import os

import numpy as np
import pytest

import tinyres
from tinyres import data, optim
from tinyres.models import CifarResNet
from tinyres.train import RunConfig, evaluate, fit

pytest.importorskip("sklearn", reason="digits needs scikit-learn's bundled data")


def _setup(seed, epochs=2):
    tinyres.manual_seed(seed)
    model = CifarResNet(8, in_channels=1)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    train = data.DataLoader(data.get_dataset("digits", "train"), 64, shuffle=True, seed=3,
                            transform=data.standard_transform("digits", True))
    test = data.DataLoader(data.get_dataset("digits", "test"), 256,
                           transform=data.standard_transform("digits", False))
    return model, opt, sched, train, test


def _fit(seed, epochs, folder, resume=None):
    model, opt, sched, train, test = _setup(seed)
    run = RunConfig(epochs, checkpoint_dir=folder, resume=resume, show_progress=False,
                    log=lambda line: None)
    history = fit(model, opt, train, run, test, sched)
    return model, history


def test_two_epochs_straight_equal_one_epoch_resume_one_epoch(tmp_path):
    straight, history = _fit(0, 2, tmp_path / "a")
    _fit(0, 1, tmp_path / "b")
    # a different seed proves that the checkpoint, not the seed, sets every parameter and RNG
    resumed, resumed_history = _fit(99, 2, tmp_path / "c", resume=tmp_path / "b" / "last.npz")
    for (name, p), q in zip(straight.named_parameters(), resumed.parameters()):
        np.testing.assert_array_equal(p.numpy(), q.numpy(), err_msg=name)
    for (name, b), c in zip(straight.named_buffers(), resumed.buffers()):
        np.testing.assert_array_equal(b.numpy(), c.numpy(), err_msg=name)
    drop = lambda h: [{k: v for k, v in r.items() if k != "seconds"} for r in h]  # noqa: E731
    assert drop(history) == drop(resumed_history)
    assert len(history) == 2 and history[1]["lr"] < history[0]["lr"]


def test_training_learns_and_checkpoints_every_epoch(tmp_path):
    model, history = _fit(0, 3, tmp_path)
    assert history[-1]["train_loss"] < history[0]["train_loss"]
    assert history[-1]["test_accuracy"] > 0.6  # 10 classes: chance is 0.1
    state = tinyres.load(tmp_path / "last.npz")
    assert state["epoch"] == 3 and len(state["history"]) == 3
    assert os.listdir(tmp_path) == ["last.npz"]


def test_evaluate_counts_every_sample():
    model, _, _, _, test = _setup(0)
    loss, accuracy = evaluate(model, test)
    assert 0 <= accuracy <= 1 and np.isfinite(loss)
    assert model.training is False


def test_resume_from_a_missing_checkpoint_says_what_was_expected(tmp_path):
    with pytest.raises(FileNotFoundError, match="no checkpoint at .*last.npz"):
        _fit(0, 1, None, resume=str(tmp_path))


class _Rank1Of2:
    """A RunConfig.parallel stand-in: rank 1 of a two-process job whose other rank saw the same
    batches (so the summed totals are twice this one's)."""

    is_main = False

    def __init__(self):
        self.backwards, self.sums = 0, []

    def after_backward(self):
        self.backwards += 1

    def sum_totals(self, values):
        self.sums.append(list(values))
        return [2 * v for v in values]


def test_a_data_parallel_run_calls_its_hooks_and_only_the_main_rank_checkpoints(tmp_path):
    model, opt, sched, train, _ = _setup(0)
    parallel = _Rank1Of2()
    run = RunConfig(1, checkpoint_dir=tmp_path, show_progress=False, log=lambda line: None,
                    parallel=parallel)
    record = fit(model, opt, train, run, scheduler=sched)[0]
    assert parallel.backwards == len(train) and len(parallel.sums) == 1
    total_loss, correct, seen = parallel.sums[0]
    assert record["train_loss"] == pytest.approx(total_loss / seen)  # 2 * loss / (2 * seen)
    assert record["train_accuracy"] == pytest.approx(correct / seen)
    assert not run.is_main and os.listdir(tmp_path) == []  # rank 1 writes no checkpoint
