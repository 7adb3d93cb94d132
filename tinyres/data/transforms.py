"""Batched image transforms on the host, torchvision's semantics, one random draw per image.

A transform is called as ``transform(x, rng) -> x``: x (B, C, H, W) float32 numpy, rng a
numpy.random.Generator (the DataLoader derives it from (seed, epoch, batch), so that a resumed run
draws the same crops and flips). Transforms never write to their input.

The CIFAR recipe of He et al. (2016), in torchvision's order (pad with zeros, i.e. black, before
normalising):

    Compose([RandomCrop(32, padding=4), RandomHorizontalFlip(), Normalize(mean, std)])
"""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def _pair(value, name):
    pair = (value, value) if isinstance(value, int) else tuple(value)
    if len(pair) != 2 or any(isinstance(v, bool) or not isinstance(v, int) for v in pair):
        raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
    return pair


def _check_batch(x, name):
    if not isinstance(x, np.ndarray) or x.ndim != 4:
        got = f"shape {x.shape}" if isinstance(x, np.ndarray) else type(x).__name__
        raise ValueError(f"{name}: expected a (B, C, H, W) numpy batch, got {got}")


class Compose:
    """Apply transforms in order, all drawing from the same generator."""

    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, x, rng):
        for transform in self.transforms:
            x = transform(x, rng)
        return x

    def __repr__(self):
        return f"Compose({self.transforms!r})"


class Pad:
    """Zero-pad every side by `padding` pixels: (B, C, H, W) -> (B, C, H + 2p, W + 2p)."""

    def __init__(self, padding):
        if isinstance(padding, bool) or not isinstance(padding, int) or padding < 0:
            raise ValueError(f"Pad: padding must be an int >= 0, got {padding!r}")
        self.padding = padding

    def __call__(self, x, rng=None):
        _check_batch(x, "Pad")
        p = self.padding
        return np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))

    def __repr__(self):
        return f"Pad({self.padding})"


class RandomCrop:
    """Zero-pad by `padding`, then crop `size` (int or (h, w)) at a uniform random offset per
    image: (B, C, H, W) -> (B, C, h, w)."""

    def __init__(self, size, padding=0):
        self.size = _pair(size, "RandomCrop: size")
        self.pad = Pad(padding)

    def __call__(self, x, rng):
        _check_batch(x, "RandomCrop")
        padded = self.pad(x)
        (h, w), (ph, pw) = self.size, padded.shape[2:]
        if h > ph or w > pw:
            raise ValueError(f"RandomCrop: crop {self.size} is larger than the padded image"
                             f" {(ph, pw)}")
        top = rng.integers(0, ph - h + 1, size=len(x))
        left = rng.integers(0, pw - w + 1, size=len(x))
        windows = sliding_window_view(padded, (h, w), axis=(2, 3))  # (B, C, ph-h+1, pw-w+1, h, w)
        return windows[np.arange(len(x)), :, top, left]  # (B, C, h, w), a copy

    def __repr__(self):
        return f"RandomCrop(size={self.size}, padding={self.pad.padding})"


class RandomHorizontalFlip:
    """Mirror each image left-right with probability p."""

    def __init__(self, p=0.5):
        if isinstance(p, bool) or not 0 <= p <= 1:
            raise ValueError(f"RandomHorizontalFlip: p must be in [0, 1], got {p!r}")
        self.p = p

    def __call__(self, x, rng):
        _check_batch(x, "RandomHorizontalFlip")
        flip = rng.random(len(x)) < self.p
        out = x.copy()
        out[flip] = x[flip, :, :, ::-1]
        return out

    def __repr__(self):
        return f"RandomHorizontalFlip(p={self.p})"


class Normalize:
    """(x - mean[c]) / std[c] per channel; mean and std are sequences of C (or 1) numbers."""

    def __init__(self, mean, std):
        self.mean = np.asarray(mean, np.float32).reshape(-1)
        self.std = np.asarray(std, np.float32).reshape(-1)
        if len(self.mean) != len(self.std) or not np.all(self.std > 0):
            raise ValueError(f"Normalize: mean and std must have the same length and std > 0,"
                             f" got mean={mean!r}, std={std!r}")

    def __call__(self, x, rng=None):
        _check_batch(x, "Normalize")
        if len(self.mean) not in (1, x.shape[1]):
            raise ValueError(f"Normalize: {len(self.mean)} means for a batch with"
                             f" {x.shape[1]} channels")
        mean, std = self.mean.reshape(1, -1, 1, 1), self.std.reshape(1, -1, 1, 1)
        return ((x - mean) / std).astype(np.float32, copy=False)

    def __repr__(self):
        return f"Normalize(mean={self.mean.tolist()}, std={self.std.tolist()})"
