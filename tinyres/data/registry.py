"""The datasets by name, with what a training script needs to know about each.

    train = get_dataset("mnist5k", "train")
    info = DATASET_INFO["mnist5k"]      # num_classes, channels, image_size, mean, std, ...
    loader = DataLoader(train, 128, shuffle=True, transform=standard_transform("mnist5k", True))

Normalisation statistics are per-channel means and standard deviations of the train split's
pixels in [0, 1] (computed once and rounded to 4 digits; tests recompute them). For CIFAR-10 they
are the usual train-set values (0.4914, 0.4822, 0.4465) and (0.2470, 0.2435, 0.2616).
"""
from dataclasses import dataclass

from .cifar10 import cifar10
from .digits import digits
from .mnist import mnist5k
from .transforms import Compose, Normalize, RandomCrop, RandomHorizontalFlip

DATASETS = ("digits", "mnist5k", "cifar10")
SPLITS = ("train", "test")


@dataclass(frozen=True)
class DatasetInfo:
    """What a model and a training script need about a dataset; crop_padding 0 means no random
    crop, hflip whether mirroring keeps the label (not for digits)."""

    name: str
    num_classes: int
    channels: int
    image_size: tuple
    mean: tuple
    std: tuple
    train_size: int
    test_size: int
    needs_root: bool
    crop_padding: int
    hflip: bool


DATASET_INFO = {
    "digits": DatasetInfo("digits", 10, 1, (8, 8), (0.3054,), (0.3755,), 1437, 360,
                          needs_root=False, crop_padding=1, hflip=False),
    "mnist5k": DatasetInfo("mnist5k", 10, 1, (28, 28), (0.1309,), (0.3080,), 4000, 1000,
                           needs_root=False, crop_padding=2, hflip=False),
    "cifar10": DatasetInfo("cifar10", 10, 3, (32, 32), (0.4914, 0.4822, 0.4465),
                           (0.2470, 0.2435, 0.2616), 50000, 10000,
                           needs_root=True, crop_padding=4, hflip=True),
}


def dataset_info(name):
    """The DatasetInfo of a dataset name."""
    if name not in DATASET_INFO:
        raise ValueError(f"dataset must be one of {DATASETS}, got {name!r}")
    return DATASET_INFO[name]


def get_dataset(name, split="train", root=None):
    """An ArrayDataset by name and split; root is the data directory (cifar10 only)."""
    info = dataset_info(name)
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    if info.needs_root:
        return cifar10(root, split)
    if root is not None:
        raise ValueError(f"{name} is read from an installed package and takes no root,"
                         f" got root={root!r}")
    return {"digits": digits, "mnist5k": mnist5k}[name](split)


def standard_transform(name, train):
    """The usual batch transform: train = random crop (zero padding) [+ flip] + normalise, as
    He et al. for CIFAR-10; test = normalise only."""
    info = dataset_info(name)
    normalize = Normalize(info.mean, info.std)
    if not train:
        return normalize
    steps = [RandomCrop(info.image_size, padding=info.crop_padding)] if info.crop_padding else []
    steps += [RandomHorizontalFlip()] if info.hflip else []
    return Compose(steps + [normalize])
