"""Training for the degradation experiment: one model, one recipe, a fixed number of iterations.

Train error: the error of the training mini-batches (train mode, random-crop augmentation, as He
et al. plot it), averaged over the iterations since the previous point. Test error: the error on
the mnist5k test digits (all 1,000, or recipe.test_limit of them) in eval mode.
"""
import time

import numpy as np

import tinyres
from tinyres import data, models, optim
from tinyres import functional as F


def endless_batches(loader):
    """The loader's batches, epoch after epoch (each epoch in its own seeded order)."""
    while True:
        yield from loader


def loaders(recipe):
    """(train loader with augmentation, test loader) on mnist5k."""
    train = data.DataLoader(data.get_dataset("mnist5k", "train"), recipe.batch_size,
                            shuffle=True, drop_last=True, seed=recipe.seed,
                            transform=data.standard_transform("mnist5k", True))
    test_set = data.get_dataset("mnist5k", "test")
    if recipe.test_limit:
        keep = np.linspace(0, len(test_set) - 1, recipe.test_limit).astype(np.int64)
        test_set = data.ArrayDataset(*test_set.get_batch(keep))
    test = data.DataLoader(test_set, 100, transform=data.standard_transform("mnist5k", False))
    return train, test


def test_error(model, loader):
    """Fraction of the loader's images the model gets wrong, in eval mode."""
    model.eval()
    wrong = seen = 0
    with tinyres.no_grad():
        for x, y in loader:
            wrong += int((model(x).numpy().argmax(axis=1) != y.numpy()).sum())
            seen += y.shape[0]
    model.train()
    return wrong / seen


def build(name, recipe):
    """A fresh model and its SGD optimizer and per-iteration step schedule."""
    tinyres.manual_seed(recipe.seed)
    model = models.get(name, num_classes=10, in_channels=1)
    optimizer = optim.SGD(model.parameters(), lr=recipe.lr, momentum=recipe.momentum,
                          weight_decay=recipe.weight_decay)
    milestones = [int(f * recipe.iterations) for f in recipe.milestones]
    return model, optimizer, optim.lr_scheduler.MultiStepLR(optimizer, milestones, 0.1)


def train_step(model, optimizer, x, y):
    """One SGD step; returns the number of mistakes on the mini-batch."""
    logits = model(x)
    loss = F.cross_entropy(logits, y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return int((logits.numpy().argmax(axis=1) != y.numpy()).sum())


def train_model(name, recipe, log=print):
    """Train one model for recipe.iterations; returns (rows for the csv, seconds, the model)."""
    model, optimizer, schedule = build(name, recipe)
    train, test = loaders(recipe)
    batches = endless_batches(train)
    rows, wrong, seen = [], 0, 0
    began = time.perf_counter()
    model.train()
    for iteration in range(1, recipe.iterations + 1):
        x, y = next(batches)
        wrong += train_step(model, optimizer, x, y)
        seen += y.shape[0]
        schedule.step()
        if iteration % recipe.eval_every == 0 or iteration == recipe.iterations:
            rows.append({"model": name, "iteration": iteration, "train_error": wrong / seen,
                         "test_error": test_error(model, test)})
            wrong = seen = 0
            log(f"{name:15s} iteration {iteration:5d}: train error"
                f" {rows[-1]['train_error']:.4f}, test error {rows[-1]['test_error']:.4f}"
                f" ({time.perf_counter() - began:.0f} s)")
    return rows, time.perf_counter() - began, model


def time_models(recipe, names, repeats=5, log=print):
    """Seconds per training iteration (best of repeats, after 2 warm-ups) and per test pass,
    wall-clock and CPU (process_time: what this process ran, whatever else the machine runs)."""
    train, test = loaders(recipe)
    timings = {}
    for name in names:
        model, optimizer, _ = build(name, recipe)
        batches = endless_batches(train)
        samples = []
        for _ in range(repeats + 2):  # the first two pay for compilation and warm caches
            wall, cpu = time.perf_counter(), time.process_time()
            x, y = next(batches)  # loading and augmenting a batch is part of an iteration
            train_step(model, optimizer, x, y)
            samples.append((time.perf_counter() - wall, time.process_time() - cpu))
        wall = min(s[0] for s in samples[2:])
        cpu = min(s[1] for s in samples[2:])
        began, cpu_began = time.perf_counter(), time.process_time()
        test_error(model, test)
        timings[name] = {"iteration_wall": wall, "iteration_cpu": cpu,
                         "test_pass": time.perf_counter() - began,
                         "test_pass_cpu": time.process_time() - cpu_began}
        log(f"{name:15s} batch {recipe.batch_size}: {wall:.3f} s/iteration wall (best of"
            f" {repeats}), {cpu:.3f} s CPU; test pass {timings[name]['test_pass']:.2f} s wall,"
            f" {timings[name]['test_pass_cpu']:.2f} s CPU")
    return timings
