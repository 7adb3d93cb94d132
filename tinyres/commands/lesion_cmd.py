"""`tinyres lesion`: train a ResNet and its plain twin, then delete blocks at test time (Veit et
al. 2016; tinyres/lesion.py) and plot the test error per deleted block and against the number
of blocks deleted at random.

    tinyres lesion                       # ResNet-56 and plain-56 on mnist5k, two workers
    tinyres lesion --checkpoints runs/lesion/cifar_resnet56,runs/lesion/cifar_plain56

Each model trains in its own worker process of one thread (--jobs 2 keeps both cores of a
2-core machine busy) with the recipe of the degradation experiment (SGD, lr 0.1 / 10 at 50% and
75%, momentum 0.9, weight decay 1e-4, batch 128), checkpointing every epoch into --save-dir (a
second run resumes, or skips training that is done). Writes lesion.json, lesion.csv and
lesion.png into --out.
"""
import argparse
import json
import os
import subprocess
import sys

from .. import data, models
from ..viz.lesion_plot import plot_lesions
from . import lesion_run
from .usage import UsageError

NAME = "lesion"
HELP = "delete blocks of a trained ResNet and plain net at test time (Veit et al. 2016)"
ONE_THREAD = {name: "1" for name in ("NUMBA_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                     "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
PASSED_ON = ("data", "epochs", "batch_size", "lr", "seed", "train_limit", "test_limit", "draws",
             "max_deleted", "save_dir", "out", "kernels")
TRAINING = ("epochs", "batch_size", "lr", "train_limit")  # unused with --checkpoints


def add_arguments(parser):
    add = parser.add_argument
    add("--models", default="cifar_resnet56,cifar_plain56",
        help="comma-separated CIFAR-style models (default: cifar_resnet56,cifar_plain56)")
    add("--data", default="mnist5k", choices=data.DATASETS, help="(default: mnist5k)")
    add("--epochs", type=int, default=10, help="training epochs (default: 10)")
    add("--batch-size", type=int, default=128, help="(default: 128)")
    add("--lr", type=float, default=0.1, help="peak learning rate (default: 0.1)")
    add("--seed", type=int, default=0, help="seed for init, shuffling and the random draws")
    add("--train-limit", type=int, default=0, metavar="N",
        help="train on N evenly spread training images (default: 0, all)")
    add("--test-limit", type=int, default=500, metavar="N",
        help="test on N evenly spread test images (default: 500; 0: all)")
    add("--draws", type=int, default=5, help="random draws per number of deleted blocks"
                                             " (default: 5)")
    add("--max-deleted", type=int, default=10,
        help="delete 1..N blocks at random (default: 10)")
    add("--checkpoints", default=None, metavar="C1,C2",
        help="trained models to load, one per --models entry (tinyres train checkpoints or"
             " folders), instead of training")
    add("--save-dir", default=os.path.join("runs", "lesion"),
        help="where each model's training checkpoint goes (default: runs/lesion)")
    add("--out", default=os.path.join("benchmarks", "experiments", "results", "lesion"),
        help="folder for lesion.json, lesion.csv, lesion.png (default:"
             " benchmarks/experiments/results/lesion)")
    add("--jobs", type=int, default=2, choices=(1, 2),
        help="worker processes of one thread each (default: 2); 1: all in this process")
    add("--worker", default=None, help=argparse.SUPPRESS)


def check(args):
    """The models and paths, checked before any training: (names, checkpoints or Nones)."""
    names = [n.strip() for n in args.models.split(",") if n.strip()]
    unknown = [n for n in names if n not in models.list_models()]
    if not names or unknown:
        raise UsageError(f"--models must name models from `tinyres models`, got {args.models!r}")
    not_cifar = [n for n in names if not models.info(n).takes("in_channels")]
    if not_cifar:
        raise UsageError(f"--models takes CIFAR-style models (they fit {args.data}'s small"
                         f" images), not {', '.join(not_cifar)}")
    for name in ("epochs", "batch_size", "draws", "max_deleted"):
        if getattr(args, name) < 1:
            raise UsageError(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    if args.train_limit < 0 or args.test_limit < 0:
        raise UsageError("--train-limit and --test-limit must be >= 0")
    checkpoints = [None] * len(names)
    if args.checkpoints:
        checkpoints = [c.strip() for c in args.checkpoints.split(",")]
        if len(checkpoints) != len(names):
            raise UsageError(f"--checkpoints needs one checkpoint per model ({len(names)}),"
                             f" got {len(checkpoints)}")
        missing = [c for c in checkpoints if not os.path.exists(c)]
        if missing:
            raise UsageError(f"no such checkpoint: {missing[0]}")
    return names, checkpoints


def run(args):
    names, checkpoints = check(args)
    os.makedirs(args.out, exist_ok=True)
    if args.worker is not None:
        i = names.index(args.worker)
        lesion_run.study(args, args.worker, checkpoints[i], part=True)
        return 0
    minutes = lesion_run.predicted_seconds(args, names, checkpoints) / 60
    print(f"lesion study of {', '.join(names)} on {args.data}: expected about {minutes:.0f} min"
          f" on a quiet 2-core CPU ({args.jobs} worker(s))")
    if args.jobs == 1 or len(names) == 1:
        results = {n: lesion_run.study(args, n, c) for n, c in zip(names, checkpoints)}
    else:
        results = run_workers(args, names)
    write_results(args, results)
    return 0


def run_workers(args, names):
    """One worker process (one thread) per model; their part files merged in names order."""
    workers = []
    for name in names:
        command = [sys.executable, "-m", "tinyres.cli", "lesion", "--worker", name,
                   "--models", args.models, "--jobs", "1"]
        command += ["--checkpoints", args.checkpoints] if args.checkpoints else []
        for key in PASSED_ON:
            value = getattr(args, key, None)
            if value is not None:
                command += [f"--{key.replace('_', '-')}", str(value)]
        workers.append(subprocess.Popen(command, env={**os.environ, **ONE_THREAD}))
    failed = [name for name, w in zip(names, workers) if w.wait() != 0]
    if failed:
        raise UsageError(f"the worker for {failed[0]} failed (its error is above)")
    results = {}
    for name in names:
        path = lesion_run.part_path(args.out, name)
        with open(path, encoding="utf-8") as f:
            results[name] = json.load(f)
        os.remove(path)
    return results


def write_results(args, results):
    kept = [key for key in PASSED_ON if key not in ("out", "save_dir")]
    if args.checkpoints:  # trained elsewhere: the training settings did not apply
        kept = [key for key in kept if key not in TRAINING]
    settings = {key: getattr(args, key) for key in kept}
    settings.update({"checkpoints": args.checkpoints} if args.checkpoints else {})
    with open(os.path.join(args.out, "lesion.json"), "w", encoding="utf-8") as f:
        json.dump({"settings": settings, "models": results}, f, indent=1)
    lesion_run.write_csv(results, os.path.join(args.out, "lesion.csv"))
    png = os.path.join(args.out, "lesion.png")
    trained = "loaded checkpoints" if args.checkpoints else f"{args.epochs} epochs"
    try:
        plot_lesions(results, png, title=f"Lesion study on {args.data}: {trained},"
                                         f" test error on {args.test_limit or 'all'} digits")
    except ImportError as error:
        raise UsageError(str(error)) from error
    print(f"wrote lesion.json, lesion.csv and lesion.png into {args.out}")
