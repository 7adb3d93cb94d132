"""A training step on cuda never waits for the device (run on the CPU shim): no copy to the host
happens between log lines (the loss and accuracy are summed on the device and read once per log
line; cross_entropy checks its labels on the device), and the only copies to the device are the
batches (numbers such as `x * 0.5` are made on the device once, not per step; BatchNorm with
momentum=None counts its batches on the host). The counts come from the cuda backend's own entry
points for copies: the platform's to_host and the backend's asarray."""
import shutil

import numpy as np
import pytest

import tinyres
import tinyres.train
from tests.helpers.cuda_shim.device import build_dir, shim_as_cuda
from tinyres import nn
from tinyres.data import ArrayDataset, DataLoader
from tinyres.kernels.cuda import runtime

pytestmark = pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is not on PATH")
BATCHES = 6


@pytest.fixture(scope="module")
def cuda(request, tmp_path_factory):
    with shim_as_cuda(build_dir(request, tmp_path_factory)):
        yield tinyres.get_backend("cuda")


class Scaled(nn.Module):
    """x * 0.5 + 1: Python numbers as operands, as user code writes them."""

    def forward(self, x):
        return x * 0.5 + 1


def _model():
    tinyres.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(3, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4, momentum=None), nn.ReLU(),
        nn.MaxPool2d(3, 2, 1), Scaled(), nn.Conv2d(4, 6, 3, padding=1, bias=False),
        nn.BatchNorm2d(6), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(6, 5))


def _loader():
    rng = np.random.default_rng(0)
    data = ArrayDataset(rng.random((4 * BATCHES, 3, 6, 6), np.float32),
                        rng.integers(0, 5, 4 * BATCHES))
    return DataLoader(data, batch_size=4, shuffle=True, device="cuda")


@pytest.fixture
def copies(cuda, monkeypatch):
    """Lists of the copies to the host and to the device made while the test runs."""
    counted = {"to_host": [], "to_device": []}
    platform = runtime.platform()
    real_to_host, real_asarray = platform.to_host, cuda.asarray
    monkeypatch.setattr(platform, "to_host", lambda a: (
        counted["to_host"].append(np.shape(a)), real_to_host(a))[1])
    monkeypatch.setattr(cuda, "asarray", lambda data, dtype=None: (
        counted["to_device"].append(np.shape(data)), real_asarray(data, dtype))[1])
    return counted


def test_an_epoch_copies_to_the_host_only_to_report_its_metrics(cuda, copies):
    model = _model().to("cuda")
    opt = tinyres.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    loader = _loader()
    tinyres.train.train_epoch(model, opt, loader, show_progress=False)  # warm: constants made
    copies["to_host"].clear()
    copies["to_device"].clear()
    loss, accuracy = tinyres.train.train_epoch(model, opt, loader, show_progress=False)
    # once, at the end: the label check's flag (3 int64), the summed loss and correct count
    assert sorted(copies["to_host"]) == [(), (), (3,)]
    # per step: the batch (x and y), nothing else
    assert copies["to_device"] == [(4, 3, 6, 6), (4,)] * BATCHES
    assert np.isfinite(loss) and 0 <= accuracy <= 1


def test_the_progress_bar_reads_the_device_once_per_refresh(cuda, copies, monkeypatch):
    model = _model().to("cuda")
    opt = tinyres.optim.SGD(model.parameters(), lr=0.1)
    monkeypatch.setattr(tinyres.train, "BAR_EVERY", 3)
    shown = []
    monkeypatch.setattr(tinyres.train, "progress", lambda *a: _RecordingBar(shown))
    tinyres.train.train_epoch(model, opt, _loader())
    assert len(shown) == BATCHES // 3  # the loss shown after batches 3 and 6
    # per reading: the label flag (new cross_entropy calls since the last read), loss, correct;
    # the epoch's final reading comes right after the last bar reading: no new flag to read
    assert sorted(copies["to_host"]) == sorted([(3,), (), ()] * len(shown) + [(), ()])


class _RecordingBar:
    shows_values = True

    def __init__(self, shown):
        self.shown = shown

    def update(self, n=1, **values):
        if values:
            self.shown.append(values["loss"])

    def close(self):
        pass


def test_a_bad_label_on_cuda_is_reported_at_the_next_read(cuda):
    logits = tinyres.randn(3, 4, device="cuda")
    loss = tinyres.functional.cross_entropy(logits, tinyres.tensor([0, 4, 1], device="cuda"))
    with pytest.raises(ValueError, match=r"'target' must be in \[0, 4\) for 4 classes, got"
                                         r" label 4 \(found on the device"):
        loss.item()  # no copy was made before: the check ran on the device
    good = tinyres.functional.cross_entropy(logits, tinyres.tensor([0, 3, 1], device="cuda"))
    assert np.isfinite(good.item())  # the flag was cleared when it was reported
