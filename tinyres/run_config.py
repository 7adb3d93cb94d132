"""RunConfig: how fit() runs a training, apart from what it trains (model, optimizer, data).

    run = RunConfig(epochs=10, checkpoint_dir="runs/r20", log=print)
    history = fit(model, optimizer, train_loader, run, test_loader, scheduler)

A data-parallel run also gives `parallel`: an object with is_main (only the main process writes
checkpoints), after_backward() (average the gradients over the processes, between backward and
the optimizer's step) and sum_totals(values) -> values (add the epoch's loss, correct and seen
over the processes). tinyres/commands/parallel.py makes one for each rank of an MPI job.
"""
from dataclasses import dataclass
from typing import Any, Callable, Optional


@dataclass
class RunConfig:
    """epochs: train until this many are done (counting a resumed checkpoint's);
    checkpoint_dir: where last.npz goes after each epoch (None: nowhere); resume: a checkpoint
    file, or a folder holding last.npz, to continue from; show_progress: a progress bar;
    log: called with each line to report; settings: a dict of how to rebuild the run, written
    into every checkpoint (its "config") and checked on resume; on_epoch_end: called with each
    epoch's record; parallel: None for one process, else the hooks described above."""

    epochs: int
    checkpoint_dir: Optional[str] = None
    resume: Optional[str] = None
    show_progress: bool = True
    log: Callable[[str], Any] = print
    settings: Optional[dict] = None
    on_epoch_end: Optional[Callable[[dict], Any]] = None
    parallel: Any = None

    @property
    def is_main(self):
        """Whether this process writes checkpoints (always, without parallel)."""
        return self.parallel is None or self.parallel.is_main
