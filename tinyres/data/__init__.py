"""tinyres.data: datasets with fixed splits, a deterministic DataLoader and batched transforms.

    from tinyres.data import DataLoader, get_dataset, standard_transform
    train = get_dataset("digits", "train")                # or "mnist5k", or "cifar10" + root
    loader = DataLoader(train, batch_size=64, shuffle=True, seed=0,
                        transform=standard_transform("digits", train=True))
    for x, y in loader:                                    # x (64, 1, 8, 8) float32, y (64,) int64
        ...

See docs/data.md for the splits and for resuming a run (loader.state_dict()).
"""
from . import transforms  # noqa: F401
from .cifar10 import cifar10  # noqa: F401
from .dataset import ArrayDataset, Dataset  # noqa: F401
from .digits import digits  # noqa: F401
from .loader import DataLoader  # noqa: F401
from .mnist import mnist5k  # noqa: F401
from .registry import (DATASET_INFO, DATASETS, DatasetInfo, dataset_info, get_dataset,  # noqa: F401
                       standard_transform)
