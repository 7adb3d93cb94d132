"""tinyres's random numbers: one seeded NumPy generator on the host, shared by randn, init, data.

Drawing on the host and copying to the device makes a seed give the same numbers on every device.
"""
import numpy as np

_generator = np.random.default_rng(0)


def manual_seed(seed):
    """Reseed tinyres's generator (randn, parameter initialisation, data shuffling)."""
    global _generator
    _generator = np.random.default_rng(seed)


def generator():
    """The current numpy.random.Generator."""
    return _generator


def get_state():
    """A picklable snapshot of the generator, for checkpoints."""
    return _generator.bit_generator.state


def set_state(state):
    """Restore a snapshot taken by get_state()."""
    _generator.bit_generator.state = state


def keep_mask(shape, p):
    """A float64 array of shape holding 1 with probability 1 - p and 0 with probability p
    (dropout's mask), drawn from tinyres's generator."""
    return (_generator.random(shape) >= p).astype(np.float64)
