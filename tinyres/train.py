"""The training loop: fit() trains for some epochs, evaluates, checkpoints and resumes.

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
from .running_totals import RunningTotals
from .wording import plural

CHECKPOINT_NAME = "last.npz"
BAR_EVERY = 20  # batches between loss readings for the progress bar (each waits for the device)


def train_epoch(model, optimizer, loader, show_progress=True, description="train",
                after_backward=None, sum_totals=None):
    """One pass over loader; returns (mean loss, accuracy) over the samples seen. Data-parallel
    runs give after_backward() (average the gradients) and sum_totals(list) -> list (add the
    epoch's loss, correct and seen over the processes)."""
    model.train()
    totals = RunningTotals()  # on the device: a step never waits to copy its loss to the host
    bar = progress(len(loader), description, show_progress)
    for step, (x, y) in enumerate(loader, 1):
        logits = model(x)
        loss = F.cross_entropy(logits, y)
        optimizer.zero_grad()
        loss.backward()
        if after_backward is not None:
            after_backward()
        optimizer.step()
        totals.add(loss, logits, y)
        shown = bar.shows_values and (step % BAR_EVERY == 0 or step == len(loader))
        bar.update(1, **({"loss": totals.mean_loss()} if shown else {}))
    bar.close()
    total_loss, correct, seen = totals.read()
    if sum_totals is not None:
        total_loss, correct, seen = sum_totals([total_loss, correct, seen])
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


def fit(model, optimizer, train_loader, epochs, test_loader=None, scheduler=None,
        checkpoint_dir=None, resume=None, show_progress=True, log=print, is_main=True,
        on_epoch_end=None, config=None, after_backward=None, sum_totals=None):
    """Train until `epochs` epochs are done (counting those of a resumed checkpoint).

    scheduler: stepped once per epoch. checkpoint_dir: write last.npz there after each epoch
    (only where is_main), with `config` (a dict of how to rebuild the run). resume: a checkpoint
    file (or a folder holding last.npz) to continue from. after_backward, sum_totals: see
    train_epoch (data-parallel runs). Returns the history: one dict per epoch (epoch, lr,
    train_loss, train_accuracy, test_loss, test_accuracy, seconds).
    """
    history, start = [], 0
    if checkpoint_dir is not None and is_main and remove_stale_temporaries(checkpoint_dir):
        log(f"removed the temporary files of an interrupted checkpoint write in {checkpoint_dir}")
    if resume is not None:
        history, start = restore(resume, model, optimizer, scheduler, train_loader, epochs,
                                 wanted=(config or {}).get("model"))
        log(f"resumed from {resume}: {plural(start, 'epoch')} done")
    for epoch in range(start, epochs):
        began = time.perf_counter()
        lr = optimizer.param_groups[0]["lr"]
        train_loss, train_acc = train_epoch(model, optimizer, train_loader, show_progress,
                                            f"epoch {epoch + 1}/{epochs}", after_backward,
                                            sum_totals)
        if scheduler is not None:
            scheduler.step()
        record = {"epoch": epoch + 1, "lr": lr, "train_loss": train_loss,
                  "train_accuracy": train_acc}
        if test_loader is not None:
            record["test_loss"], record["test_accuracy"] = evaluate(model, test_loader)
        record["seconds"] = time.perf_counter() - began
        history.append(record)
        log(format_record(record))
        if checkpoint_dir is not None and is_main:
            write_checkpoint(checkpoint_dir, model, optimizer, scheduler, train_loader, history,
                             config)
        if on_epoch_end is not None:
            on_epoch_end(record)
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
