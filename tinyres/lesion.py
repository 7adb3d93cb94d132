"""Lesion studies (Veit, Wilson and Belongie, "Residual Networks Behave Like Ensembles of
Relatively Shallow Networks", NeurIPS 2016): delete blocks of a trained net at test time and
measure the test error.

Deleting a residual block leaves its shortcut: y = relu(0 + h(x)) for the 2015 blocks (with
x >= 0 from the ReLU before, that is h(x), the identity or option A's padding), y = h(x) for
pre-activation ones. In a plain net there is no shortcut: a deleted block becomes the identity,
y = x, which only makes sense where its input and output shapes agree (not at the first block of
a stage, which halves the size and doubles the channels): those blocks cannot be deleted.

Veit et al. saw a ResNet lose a little accuracy per deleted block, except at downsampling
blocks, and the plain net fall to chance after deleting any one block: the paths through a
ResNet act like an ensemble of shallower nets, none of which is essential.
"""
import contextlib

import numpy as np

from .grad_mode import no_grad
from .viz.probes import residual_blocks


def can_delete(block):
    """True for a residual block, and for a plain block that keeps its input's shape."""
    return bool(block.residual) or not _changes_shape(block)


def _changes_shape(block):
    return block.stride != 1 or block.conv1.in_channels != _out_channels(block)


def _out_channels(block):
    last = getattr(block, "conv3", None) or block.conv2
    return last.out_channels


def _stand_in(block):
    """What a deleted block computes instead: its shortcut, then its post-activation (the ReLU
    of a 2015 block, nothing in a pre-activation one); the identity in a plain net."""
    if not block.residual:
        return lambda x: x
    return lambda x: block.post_activation(block.shortcut(x))


@contextlib.contextmanager
def deleted(model, names):
    """with deleted(model, ['layer1.0', ...]): model runs without those blocks; restored after.
    ValueError for a name that is no block of model, or a block that cannot be deleted."""
    blocks = dict(residual_blocks(model))
    for name in names:
        if name not in blocks:
            raise ValueError(f"deleted: {name!r} is not a block of the model; its blocks:"
                             f" {', '.join(blocks)}")
        if not can_delete(blocks[name]):
            raise ValueError(f"deleted: block {name!r} changes the shape and has no shortcut:"
                             " it cannot be replaced by the identity")
    try:
        for name in names:  # an instance attribute shadows the class's forward
            object.__setattr__(blocks[name], "forward", _stand_in(blocks[name]))
        yield model
    finally:
        for name in names:
            blocks[name].__dict__.pop("forward", None)


def test_error(model, loader):
    """Fraction of the loader's images model gets wrong, in eval mode (restored after)."""
    training = model.training
    model.eval()
    wrong = seen = 0
    with no_grad():
        for x, y in loader:
            wrong += int((model(x).numpy().argmax(axis=1) != y.numpy()).sum())
            seen += y.shape[0]
    model.train(training)
    return wrong / max(seen, 1)


def single_deletions(model, loader, log=None):
    """[{'block', 'index' (1 = nearest the input), 'downsampling', 'deletable', 'error'}], one
    per block; error None where the block cannot be deleted."""
    rows = []
    for index, (name, block) in enumerate(residual_blocks(model), 1):
        error = None
        if can_delete(block):
            with deleted(model, [name]):
                error = test_error(model, loader)
        rows.append({"block": name, "index": index, "downsampling": _changes_shape(block),
                     "deletable": can_delete(block), "error": error})
        if log:
            log(f"  without {name:10s}: test error {'n/a' if error is None else f'{error:.4f}'}")
    return rows


def random_deletions(model, loader, counts, draws, seed=0, log=None):
    """[{'deleted': n, 'draw': d, 'blocks': [...], 'error'}] for every n in counts and d in
    range(draws): n deletable blocks drawn at random without replacement (seeded)."""
    names = [name for name, block in residual_blocks(model) if can_delete(block)]
    rng = np.random.default_rng(seed)
    rows = []
    for count in counts:
        if count > len(names):
            raise ValueError(f"random_deletions: cannot delete {count} of the"
                             f" {len(names)} deletable blocks")
        for draw in range(draws):
            chosen = sorted(rng.choice(len(names), count, replace=False).tolist())
            picked = [names[i] for i in chosen]
            with deleted(model, picked):
                error = test_error(model, loader)
            rows.append({"deleted": count, "draw": draw, "blocks": picked, "error": error})
        if log:
            errors = [r["error"] for r in rows if r["deleted"] == count]
            log(f"  {count:2d} blocks deleted at random: test error mean {np.mean(errors):.4f},"
                f" min {min(errors):.4f}, max {max(errors):.4f}")
    return rows
