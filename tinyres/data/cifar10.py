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
import pickle

import numpy as np

from . import safe_pickle
from .dataset import ArrayDataset

URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
FOLDER = "cifar-10-batches-py"
FILES = {"train": [f"data_batch_{i}" for i in range(1, 6)], "test": ["test_batch"]}
PIXELS = 3 * 32 * 32


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
    """One batch file -> (data (N, 3072) uint8, labels (N,) int64), checked."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"cifar10: missing {path!r}; a CIFAR-10 directory holds"
                                f" {FILES['train'] + FILES['test']}")
    try:
        batch = safe_pickle.load(path)
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError,
            IndexError, KeyError, OverflowError) as error:
        raise ValueError(f"cifar10: {path!r} is not a CIFAR-10 python batch (a pickled dict):"
                         f" {type(error).__name__}: {error}") from error
    return _check_batch(batch, path)


def _check_batch(batch, path):
    if not isinstance(batch, dict) or b"data" not in batch or b"labels" not in batch:
        keys = sorted(batch) if isinstance(batch, dict) else type(batch).__name__
        raise ValueError(f"cifar10: {path!r} must hold a dict with keys b'data' and b'labels',"
                         f" got {keys}")
    data = batch[b"data"]
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 \
            or data.shape[1] != PIXELS:
        got = f"{data.shape} {data.dtype}" if isinstance(data, np.ndarray) else type(data).__name__
        raise ValueError(f"cifar10: {path!r}: b'data' must be an (N, {PIXELS}) uint8 array,"
                         f" got {got}")
    try:
        labels = np.asarray(batch[b"labels"], dtype=np.int64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"cifar10: {path!r}: b'labels' must be a list of ints") from error
    if labels.shape != (len(data),) or labels.min(initial=0) < 0 or labels.max(initial=0) > 9:
        raise ValueError(f"cifar10: {path!r}: b'labels' must be {len(data)} ints in 0..9, got"
                         f" shape {labels.shape}, range [{labels.min(initial=0)},"
                         f" {labels.max(initial=0)}]")
    return data, labels
