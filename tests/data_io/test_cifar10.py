"""tinyres.data.cifar10 on miniature batches written by the test in the real files' exact format
(Python 2 cPickle, see py2pickle.py): layout, splits, and clear errors for missing or bad files."""
import os
import pickle

import numpy as np
import pytest

from tinyres.data import get_dataset
from tinyres.data.cifar10 import cifar10

from tests.helpers.py2pickle import cifar_batch_bytes


def _write_cifar(folder, n=4, seed=0):
    """A miniature CIFAR-10 folder in the real files' format: n images a batch."""
    rng = np.random.default_rng(seed)
    os.makedirs(folder, exist_ok=True)
    written = {}
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        data = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
        labels = rng.integers(0, 10, n)
        with open(os.path.join(folder, name), "wb") as f:
            f.write(cifar_batch_bytes(data, labels))
        written[name] = (data, labels)
    return written


def test_cifar10_fixture_round_trip(tmp_path):
    written = _write_cifar(tmp_path / "cifar-10-batches-py")
    train = get_dataset("cifar10", "train", root=tmp_path)  # the folder above also works
    test = cifar10(tmp_path / "cifar-10-batches-py", "test")
    assert (len(train), len(test)) == (20, 4)
    data = np.concatenate([written[f"data_batch_{i}"][0] for i in range(1, 6)])
    x, y = train.get_batch(np.arange(20))
    assert x.shape == (20, 3, 32, 32) and x.dtype == np.float32
    # pixel (c, h, w) of row i is data[i, c * 1024 + h * 32 + w], scaled by 1/255
    assert x[7, 2, 5, 9] == np.float32(data[7, 2 * 1024 + 5 * 32 + 9]) / np.float32(255)
    np.testing.assert_array_equal(x, data.reshape(20, 3, 32, 32) / np.float32(255))
    np.testing.assert_array_equal(y, np.concatenate([written[f"data_batch_{i}"][1]
                                                     for i in range(1, 6)]))
    np.testing.assert_array_equal(test.get_batch([0, 1, 2, 3])[1], written["test_batch"][1])


def test_cifar10_python3_pickle_also_loads(tmp_path):
    """A batch re-pickled by Python 3 and numpy 2 (numpy._core, protocol 4) loads too."""
    _write_cifar(tmp_path)
    data = np.arange(2 * 3072).astype(np.uint8).reshape(2, 3072)
    with open(tmp_path / "test_batch", "wb") as f:
        pickle.dump({b"data": data, b"labels": [1, 2]}, f, protocol=4)
    x, y = cifar10(tmp_path, "test").get_batch([0, 1])
    np.testing.assert_array_equal(x.reshape(2, -1) * 255, data)
    assert y.tolist() == [1, 2]


def test_cifar10_missing_directory_and_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no directory.*cifar-10-batches-py"):
        cifar10(tmp_path / "nowhere", "train")
    _write_cifar(tmp_path)
    os.remove(tmp_path / "data_batch_3")
    with pytest.raises(FileNotFoundError, match="missing.*data_batch_3.*data_batch_1"):
        cifar10(tmp_path, "train")
    assert len(cifar10(tmp_path, "test")) == 4


@pytest.mark.parametrize("content, message", [
    (b"not a pickle at all", "is not a CIFAR-10 python batch"),
    (cifar_batch_bytes(np.zeros((2, 3072), np.uint8), [0, 1])[:500], "is not a CIFAR-10"),
    (pickle.dumps([1, 2, 3]), "must hold a dict with keys b'data' and b'labels', got a list"),
    (pickle.dumps({b"data": 1}), r"keys b'data' and b'labels', got keys b'data'$"),
    (pickle.dumps({b"data": np.zeros((2, 100), np.uint8), b"labels": [0, 1]}),
     r"b'data': must be an \(N, 3072\) uint8 array, got shape \(2, 100\)"),
    (pickle.dumps({b"data": np.zeros((2, 3072), np.uint8), b"labels": [0, 10]}),
     r"b'labels': must be 2 ints in 0..9; label 1 is 10 \(int\)"),
])
def test_cifar10_corrupt_batches(tmp_path, content, message):
    _write_cifar(tmp_path)
    (tmp_path / "test_batch").write_bytes(content)
    with pytest.raises(ValueError, match=message):
        cifar10(tmp_path, "test")


def test_cifar10_refuses_a_pickle_that_runs_code(tmp_path):
    _write_cifar(tmp_path)
    marker = tmp_path / "pwned"
    evil = b"cos\nsystem\n(S'touch " + str(marker).encode() + b"'\ntR."
    (tmp_path / "test_batch").write_bytes(evil)
    with pytest.raises(ValueError, match="refused the global os.system"):
        cifar10(tmp_path, "test")
    assert not marker.exists()
