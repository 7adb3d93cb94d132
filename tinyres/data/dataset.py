"""Datasets: the protocol the DataLoader reads, and ArrayDataset, a dataset held in two arrays.

A dataset has ``len(ds)`` and ``ds[i] -> (image float32 (C, H, W), int label)``. One that can also
fetch a whole batch in one indexing operation gives ``get_batch(indices) -> (x (B, C, H, W)
float32, y (B,) int64)``; the DataLoader uses it instead of stacking items one by one.
"""
import numpy as np


class Dataset:
    """Base class: subclasses give __len__ and __getitem__; get_batch stacks items."""

    def __len__(self):
        raise NotImplementedError

    def __getitem__(self, index):
        raise NotImplementedError

    def get_batch(self, indices):
        """indices (B,) ints -> (x (B, C, H, W) float32, y (B,) int64), item by item."""
        items = [self[int(i)] for i in indices]
        x = np.stack([np.asarray(image, np.float32) for image, _ in items])
        y = np.array([label for _, label in items], np.int64)
        return x, y


class ArrayDataset(Dataset):
    """images (N, C, H, W) of any real dtype (uint8 keeps memory small) and labels (N,) ints;
    items and batches come out as float32 images / max_value (so uint8 pixels with max_value=255
    land in [0, 1], as torchvision's ToTensor) and int64 labels."""

    def __init__(self, images, labels, max_value=1.0):
        images, labels = np.asarray(images), np.asarray(labels)
        if images.ndim != 4 or images.dtype.kind not in "uif":
            raise ValueError(f"ArrayDataset: images must be a real (N, C, H, W) array, got shape"
                             f" {images.shape} dtype {images.dtype}")
        if labels.shape != images.shape[:1] or labels.dtype.kind not in "ui":
            raise ValueError(f"ArrayDataset: labels must be ({images.shape[0]},) ints to match"
                             f" images {images.shape}, got shape {labels.shape}"
                             f" dtype {labels.dtype}")
        if not max_value > 0:
            raise ValueError(f"ArrayDataset: max_value must be > 0, got {max_value!r}")
        self.images = images
        self.labels = labels.astype(np.int64, copy=False)
        self.max_value = max_value

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, index):
        """-> (image (C, H, W) float32, label int)."""
        return self._scale(self.images[index]), int(self.labels[index])

    def get_batch(self, indices):
        """indices (B,) ints -> (x (B, C, H, W) float32, y (B,) int64), one fancy-index each."""
        indices = np.asarray(indices)
        return self._scale(self.images[indices]), self.labels[indices]

    def _scale(self, images):
        x = images.astype(np.float32)  # always a fresh array: transforms may write to it
        if self.max_value != 1:
            x /= np.float32(self.max_value)
        return x
