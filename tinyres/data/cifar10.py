"""CIFAR-10 from the standard python-pickle batches (cifar-10-python.tar.gz, extracted).

Expected layout: a directory (the tarball's `cifar-10-batches-py/`, or a folder that contains it)
holding data_batch_1 .. data_batch_5 (train) and test_batch (test). Each file is a Python 2
pickle of a dict with b"data", a (10000, 3072) uint8 array (row = 1024 red, then 1024 green, then
1024 blue values, each a row-major 32x32 plane) and b"labels", 10000 ints in 0..9.

Split (fixed, the official one): train = data_batch_1..5 in that order (50,000 images),
test = test_batch (10,000 images). The files are read with a restricted unpickler (see
safe_pickle.py): they come from the internet, and a pickle can run code.
"""
import os

import numpy as np

from ..io.errors import BadFileError
from . import safe_pickle
from .dataset import ArrayDataset

URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
FOLDER = "cifar-10-batches-py"
FILES = {"train": [f"data_batch_{i}" for i in range(1, 6)], "test": ["test_batch"]}
PIXELS = 3 * 32 * 32
LOADER = "cifar10"


def cifar10(root, split="train"):
    """ArrayDataset of (3, 32, 32) float32 images in [0, 1] (pixel / 255) and labels 0..9;
    50,000 train or 10,000 test images."""
    if split not in FILES:
        raise ValueError(f"cifar10: split must be one of {sorted(FILES)}, got {split!r}")
    folder = _folder(root)
    parts = [read_batch(os.path.join(folder, name)) for name in FILES[split]]
    images = np.concatenate([data for data, _ in parts]).reshape(-1, 3, 32, 32)
    labels = np.concatenate([labels for _, labels in parts])
    return ArrayDataset(images, labels, max_value=255)


def _folder(root):
    """root, or root/cifar-10-batches-py when root is the folder above it."""
    if root is None:
        raise ValueError(f"cifar10: root must be the directory holding {FILES['train']} and"
                         f" {FILES['test']} (the extracted {FOLDER}/ folder), got None")
    root = os.fspath(root)
    if not os.path.isdir(root):
        raise FileNotFoundError(f"cifar10: no directory {root!r}; expected the extracted {FOLDER}/"
                                f" folder of {URL}")
    inner = os.path.join(root, FOLDER)
    return inner if os.path.isdir(inner) else root


def read_batch(path):
    """One batch file -> (data (N, 3072) uint8, read-only: the file's bytes; labels (N,)
    int64), checked."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"cifar10: missing {path!r}; a CIFAR-10 directory holds"
                                f" {FILES['train'] + FILES['test']}")
    return _check_batch(safe_pickle.load(path), path)


def _check_batch(batch, path):
    """(data, labels) from the unpickled dict, every claim checked first."""
    if not isinstance(batch, dict) or b"data" not in batch or b"labels" not in batch:
        got = ("keys " + ", ".join(sorted(repr(key)[:20] for key in batch)[:8])) \
            if isinstance(batch, dict) else f"a {type(batch).__name__}"
        raise BadFileError(LOADER, path, None, f"must hold a dict with keys b'data' and"
                           f" b'labels', got {got}")
    data = _data(batch[b"data"], path)
    return data, _labels(batch[b"labels"], len(data), path)


def _data(claim, path):
    """The (N, 3072) uint8 array, made here from the raw bytes once their size is proved."""
    shape = claim.shape if isinstance(claim, safe_pickle.ArrayClaim) else None
    if shape is None or len(shape) != 2 or shape[1] != PIXELS or type(shape[0]) is not int \
            or shape[0] < 0:
        got = f"shape {shape!r:.40}" if shape is not None else f"a {type(claim).__name__}"
        raise BadFileError(LOADER, path, "b'data'", f"must be an (N, {PIXELS}) uint8 array,"
                           f" got {got}")
    if len(claim.raw) != shape[0] * PIXELS:
        raise BadFileError(LOADER, path, "b'data'", f"claims shape {shape} ({shape[0] * PIXELS}"
                           f" bytes) but holds {len(claim.raw)} bytes")
    return np.frombuffer(claim.raw, np.uint8).reshape(shape)


def _labels(labels, n, path):
    """N Python ints in 0..9 (not bools, floats or strings: nothing is rounded or parsed)."""
    if type(labels) is not list or len(labels) != n:
        got = f"{len(labels)} items" if type(labels) is list else f"a {type(labels).__name__}"
        raise BadFileError(LOADER, path, "b'labels'", f"must be a list of {n} ints in 0..9,"
                           f" got {got}")
    for i, v in enumerate(labels):
        if type(v) is not int or not 0 <= v <= 9:
            shown = repr(v)[:20] if type(v) in (int, float, str, bytes, bool) else "?"
            raise BadFileError(LOADER, path, "b'labels'", f"must be {n} ints in 0..9; label {i}"
                               f" is {shown} ({type(v).__name__})")
    return np.array(labels, dtype=np.int64)
