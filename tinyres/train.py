"""The training loop: fit() trains for some epochs, evaluates, checkpoints and resumes; how it
runs (epochs, checkpoints, resume, logging, data-parallel hooks) is one RunConfig (run_config.py).

A checkpoint (written atomically after every epoch) holds everything the next epoch depends on:
model, optimizer and scheduler state, the data loader's position and seed, tinyres's RNG state
and the history so far. So 2 epochs straight and 1 epoch + resume + 1 epoch give bit-for-bit the
same parameters.
"""
import os
import time

from . import functional as F
from . import random
from .grad_mode import no_grad
from .io import load, save
from .io.checkpoint import remove_stale_temporaries
from .models.identify import mismatch
from .progress import progress
from .resume_checks import check_state
from .run_config import RunConfig  # noqa: F401 - fit's argument, importable from here too
from .running_totals import RunningTotals
from .wording import plural

CHECKPOINT_NAME = "last.npz"
BAR_EVERY = 20  # batches between loss readings for the progress bar (each waits for the device)


def train_epoch(model, optimizer, loader, show_progress=True, description="train",
                parallel=None):
    """One pass over loader; returns (mean loss, accuracy) over the samples seen. parallel: None
    for one process, else a data-parallel run's hooks (see run_config.py): after_backward()
    averages the gradients, sum_totals(list) -> list adds the epoch's totals over the processes."""
    model.train()
    totals = RunningTotals()  # on the device: a step never waits to copy its loss to the host
    bar = progress(len(loader), description, show_progress)
    for step, (x, y) in enumerate(loader, 1):
        logits = model(x)
        loss = F.cross_entropy(logits, y)
        optimizer.zero_grad()
        loss.backward()
        if parallel is not None:
            parallel.after_backward()
        optimizer.step()
        totals.add(loss, logits, y)
        shown = bar.shows_values and (step % BAR_EVERY == 0 or step == len(loader))
        bar.update(1, **({"loss": totals.mean_loss()} if shown else {}))
    bar.close()
    total_loss, correct, seen = totals.read()
    if parallel is not None:
        total_loss, correct, seen = parallel.sum_totals([total_loss, correct, seen])
    return total_loss / max(seen, 1), correct / max(seen, 1)


def evaluate(model, loader, show_progress=False):
    """(mean loss, accuracy) of model in eval mode over every batch of loader."""
    model.eval()
    totals = RunningTotals()
    bar = progress(len(loader), "eval", show_progress)
    with no_grad():
        for x, y in loader:
            logits = model(x)
            totals.add(F.cross_entropy(logits, y), logits, y)
            bar.update(1)
    bar.close()
    total_loss, correct, seen = totals.read()
    return total_loss / max(seen, 1), correct / max(seen, 1)


def fit(model, optimizer, train_loader, run, test_loader=None, scheduler=None):
    """Train until run.epochs epochs are done (counting those of a resumed checkpoint), as
    run (a RunConfig) says: checkpoints, resume, logging, data-parallel hooks. scheduler:
    stepped once per epoch. Returns the history: one dict per epoch (epoch, lr, train_loss,
    train_accuracy, test_loss, test_accuracy, seconds).
    """
    history, start, folder, log = [], 0, run.checkpoint_dir, run.log
    if folder is not None and run.is_main and remove_stale_temporaries(folder):
        log(f"removed the temporary files of an interrupted checkpoint write in {folder}")
    if run.resume is not None:
        history, start = restore(run.resume, model, optimizer, scheduler, train_loader,
                                 run.epochs, wanted=(run.settings or {}).get("model"))
        log(f"resumed from {run.resume}: {plural(start, 'epoch')} done")
    for epoch in range(start, run.epochs):
        began = time.perf_counter()
        lr = optimizer.param_groups[0]["lr"]
        train_loss, train_acc = train_epoch(model, optimizer, train_loader, run.show_progress,
                                            f"epoch {epoch + 1}/{run.epochs}", run.parallel)
        if scheduler is not None:
            scheduler.step()
        record = {"epoch": epoch + 1, "lr": lr, "train_loss": train_loss,
                  "train_accuracy": train_acc}
        if test_loader is not None:
            record["test_loss"], record["test_accuracy"] = evaluate(model, test_loader)
        record["seconds"] = time.perf_counter() - began
        history.append(record)
        log(format_record(record))
        if folder is not None and run.is_main:
            write_checkpoint(folder, model, optimizer, scheduler, train_loader, history,
                             run.settings)
        if run.on_epoch_end is not None:
            run.on_epoch_end(record)
    return history


def format_record(record):
    """One log line for an epoch."""
    line = (f"epoch {record['epoch']}: lr {record['lr']:.4g}  train loss"
            f" {record['train_loss']:.4f} acc {record['train_accuracy']:.4f}")
    if "test_accuracy" in record:
        line += f"  test loss {record['test_loss']:.4f} acc {record['test_accuracy']:.4f}"
    return line + f"  ({record['seconds']:.1f} s)"


def write_checkpoint(folder, model, optimizer, scheduler, loader, history, config=None):
    """Atomically write everything the next epoch depends on to folder/last.npz."""
    os.makedirs(folder, exist_ok=True)
    state = {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": None if scheduler is None else scheduler.state_dict(),
        "loader": loader.state_dict(),
        "rng": random.get_state(),
        "epoch": len(history),
        "history": history,
        "config": config or {},
    }
    path = os.path.join(folder, CHECKPOINT_NAME)
    save(state, path)
    return path


def checkpoint_path(resume):
    """A checkpoint file, or a folder holding last.npz -> the file's path."""
    path = os.path.join(resume, CHECKPOINT_NAME) if os.path.isdir(resume) else resume
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no checkpoint at {str(resume)!r} (expected a .npz file written"
                                f" by tinyres train, or a folder holding {CHECKPOINT_NAME}; a run"
                                " writes one at the end of each epoch, so a run stopped during"
                                " its first epoch wrote none)")
    return path


def restore(resume, model, optimizer, scheduler, loader, epochs=None, wanted=None):
    """Load a checkpoint into the objects, after checking its fields (resume_checks.py; epochs:
    the run's, which the saved epoch may not exceed); returns (history, epochs done). wanted:
    the model's name, for the error when the checkpoint holds another model."""
    path = checkpoint_path(resume)
    state = load(path, device=None)
    check_state(state, path, epochs, scheduler is not None)
    config = state.get("config")
    recorded = config.get("model") if isinstance(config, dict) else None
    problem = mismatch(state["model"], model, wanted, recorded)
    if problem:  # one line naming both models, not the hundreds of keys that differ
        raise ValueError(problem)
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    if scheduler is not None and state["scheduler"] is not None:
        scheduler.load_state_dict(state["scheduler"])
    loader.load_state_dict(state["loader"])
    random.set_state(state["rng"])
    return list(state["history"]), int(state["epoch"])
