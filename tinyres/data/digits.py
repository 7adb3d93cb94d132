"""scikit-learn's 8x8 handwritten digits (the UCI optdigits test set, 1,797 images), read from the
csv inside the installed scikit-learn without importing it.

File: sklearn/datasets/data/digits.csv.gz, one image a row: 64 pixel values in 0..16 (row-major
8x8), then the label 0..9. Rows cycle through the classes roughly in order 0..9.

Split (fixed): train = rows 0..1436 (the first 1,437), test = rows 1437..1796 (the last 360,
20%). A contiguous tail keeps the split free of any randomness; every class has 33 to 37 test
images.
"""
import numpy as np

from .dataset import ArrayDataset
from .packaged import package_file, read_int_csv

INSTALL = "pip install scikit-learn"
NUM_IMAGES = 1797
NUM_TRAIN = 1437
SPLITS = {"train": slice(0, NUM_TRAIN), "test": slice(NUM_TRAIN, NUM_IMAGES)}


def digits(split="train"):
    """ArrayDataset of (1, 8, 8) float32 images in [0, 1] (pixel / 16) and labels 0..9;
    1,437 train or 360 test images (see the module docstring)."""
    if split not in SPLITS:
        raise ValueError(f"digits: split must be one of {sorted(SPLITS)}, got {split!r}")
    path = package_file("sklearn", "datasets/data/digits.csv.gz", INSTALL)
    table = read_int_csv(path, 65)
    if len(table) != NUM_IMAGES:
        raise ValueError(f"{path}: expected {NUM_IMAGES} rows, got {len(table)}")
    rows = table[SPLITS[split]]
    images = rows[:, :64].astype(np.uint8).reshape(-1, 1, 8, 8)
    return ArrayDataset(images, rows[:, 64], max_value=16)
