"""What `tinyres train` checks before its first step, and what it says when it is stopped.

Before the first step: the checkpoint folder and the metrics file are writable with room to
spare (preflight.py), and a resumed run has the settings of the run that wrote its checkpoint
(train_settings.py). After Ctrl-C: whether a checkpoint of this run exists, and how to go on.
"""
import os
import time
from contextlib import contextmanager

from .. import train_settings
from ..io.checkpoint import load_entry
from ..train import CHECKPOINT_NAME, checkpoint_path
from . import preflight


def before_training(args, folder, resume, settings, model, say):
    """Check paths and resume settings; prints notes with say(). Call on the main rank."""
    preflight.check_folder(folder, "--checkpoint-dir",
                           preflight.checkpoint_bytes(model, args.optimizer))
    if args.metrics_out:
        preflight.check_file(args.metrics_out, "--metrics-out")
    if resume is not None:
        path = checkpoint_path(resume)
        for note in train_settings.check_resume(load_entry(path, "config"), settings):
            say(note)
        if os.path.abspath(os.path.dirname(path)) != os.path.abspath(folder):
            say(f"note: resuming from {path}; this run's checkpoints go to {folder}")
    return time.time()


@contextmanager
def note_on_interrupt(folder, began):
    """with note_on_interrupt(folder, began): Ctrl-C inside is re-raised with a note on what
    was saved (began: the time before_training returned; falsy on ranks that write nothing)."""
    try:
        yield
    except KeyboardInterrupt:
        if not began:
            raise
        raise KeyboardInterrupt(interrupted_note(folder, began)) from None


def interrupted_note(folder, began):
    """What Ctrl-C leaves behind: this run's last checkpoint, or none."""
    path = os.path.join(folder, CHECKPOINT_NAME)
    if os.path.isfile(path) and os.path.getmtime(path) >= began:
        try:
            epoch = load_entry(path, "epoch")
        except ValueError:
            epoch = "?"
        return (f"the checkpoint of epoch {epoch} is in {folder}; continue with the same"
                " command and --resume")
    if os.path.isfile(path):
        return f"this run wrote no checkpoint; {path} is still the one it started from"
    return "no checkpoint was written (the first is written at the end of epoch 1)"
