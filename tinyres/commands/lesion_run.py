"""The work of `tinyres lesion` for one model: train it (or load it), then run the lesion study;
and the study's expected duration, its CSV and its part files."""
import csv
import json
import os
import time

import numpy as np

from .. import data, lesion, nn, optim
from ..random import manual_seed
from ..train import RunConfig, checkpoint_path, fit
from .common import build_model
from ..viz.probes import residual_blocks
from .eval_cmd import read_weights
from .usage import UsageError

# CPU seconds per training iteration of a 56-layer CIFAR net at batch 128 and per 1,000 test
# digits, one thread, measured for benchmarks/experiments/RESULTS-degradation.md
# (degradation_recipe.py)
SECONDS_PER_ITERATION_56 = 1.02
SECONDS_PER_1000_TEST = 2.3


def _subset(dataset, limit):
    """limit evenly spread items of dataset (all of it when limit is 0)."""
    if not limit or limit >= len(dataset):
        return dataset
    keep = np.linspace(0, len(dataset) - 1, limit).astype(np.int64)
    return data.ArrayDataset(*dataset.get_batch(keep))


def loaders(args):
    """(train loader with augmentation, test loader), both possibly cut to their limits."""
    train = data.DataLoader(_subset(data.get_dataset(args.data, "train"), args.train_limit),
                            args.batch_size, shuffle=True, drop_last=True, seed=args.seed,
                            transform=data.standard_transform(args.data, True))
    test = data.DataLoader(_subset(data.get_dataset(args.data, "test"), args.test_limit), 100,
                           transform=data.standard_transform(args.data, False))
    if len(train) == 0:
        raise UsageError(f"--batch-size {args.batch_size} is larger than the"
                         f" {len(train.dataset)} training images")
    return train, test


def train_or_load(args, name, checkpoint, train, test):
    """The trained model: loaded from checkpoint, or trained (resuming from --save-dir)."""
    manual_seed(args.seed)
    model = build_model(name, data.dataset_info(args.data))
    if checkpoint is not None:
        model.load_state_dict(read_weights(checkpoint)[0])
        return model, []
    optimizer = optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, weight_decay=1e-4)
    milestones = [m for m in (args.epochs // 2, (3 * args.epochs) // 4) if m > 0]
    scheduler = optim.lr_scheduler.MultiStepLR(optimizer, milestones, 0.1)
    folder = os.path.join(args.save_dir, name)
    config = {"model": name, "data": args.data, "seed": args.seed, "lr": args.lr,
              "batch_size": args.batch_size, "train_limit": args.train_limit,
              "epochs_planned": args.epochs}
    resume = _resumable(folder, config)
    run = RunConfig(args.epochs, folder, resume, show_progress=False, settings=config,
                    log=lambda line: print(f"{name}: {line}"))
    history = fit(model, optimizer, train, run, test, scheduler)
    return model, history


def _resumable(folder, config):
    """folder when it holds a checkpoint of the same run; None when it holds none."""
    try:
        path = checkpoint_path(folder)
    except FileNotFoundError:
        return None
    _, saved = read_weights(path)
    if saved != config:
        raise UsageError(f"{path} is a checkpoint of another run ({saved}); remove it or pass"
                         " another --save-dir")
    return folder


def study(args, name, checkpoint, part=False):
    """Train or load one model, then delete its blocks; returns (and, as a worker, writes) its
    result: error, seconds, history, single and random deletion rows."""
    began = time.perf_counter()
    train, test = loaders(args)
    model, history = train_or_load(args, name, checkpoint, train, test)
    trained = time.perf_counter() - began
    error = lesion.test_error(model, test)
    log = lambda line: print(f"{name}: {line}")  # noqa: E731
    log(f"test error {error:.4f} with every block; deleting blocks one at a time")
    single = lesion.single_deletions(model, test, log)
    deletable = sum(row["deletable"] for row in single)
    counts = range(1, min(args.max_deleted, deletable) + 1)
    random_rows = lesion.random_deletions(model, test, counts, args.draws, args.seed, log)
    result = {"error": error, "train_seconds": round(trained, 1),
              "seconds": round(time.perf_counter() - began, 1), "history": history,
              "single": single, "random": random_rows}
    if part:
        with open(part_path(args.out, name), "w", encoding="utf-8") as f:
            json.dump(result, f)
    return result


def part_path(out, name):
    return os.path.join(out, f"part-{name}.json")


def predicted_seconds(args, names, checkpoints):
    """The slowest worker's expected CPU seconds on the degradation run's measured speed."""
    train_size = args.train_limit or len(data.get_dataset(args.data, "train"))
    test_size = args.test_limit or len(data.get_dataset(args.data, "test"))
    per_model = []
    for name, checkpoint in zip(names, checkpoints):
        model = build_model(name, data.dataset_info(args.data))
        blocks = len(residual_blocks(model))
        depth = sum(1 for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear)))
        iteration = SECONDS_PER_ITERATION_56 * depth / 56 * args.batch_size / 128
        test = SECONDS_PER_1000_TEST * depth / 56 * test_size / 1000
        evaluations = 1 + blocks + args.max_deleted * args.draws
        training = 0 if checkpoint else args.epochs * (train_size // args.batch_size * iteration
                                                       + test)
        per_model.append(training + evaluations * test)
    if args.jobs == 1:
        return sum(per_model)
    return max(per_model)


def write_csv(results, path):
    """One row per lesion: model, kind (none / single / random), deleted, blocks, draw, error."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["model", "kind", "deleted", "blocks", "draw", "error"])
        for name, result in results.items():
            writer.writerow([name, "none", 0, "", "", result["error"]])
            for row in result["single"]:
                writer.writerow([name, "single", 1, row["block"], "",
                                 "" if row["error"] is None else row["error"]])
            for row in result["random"]:
                writer.writerow([name, "random", row["deleted"], " ".join(row["blocks"]),
                                 row["draw"], row["error"]])
