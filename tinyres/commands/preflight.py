"""Checks made before the first training step, so that a run never loses an epoch's work to a
path it could have refused at the start: the checkpoint folder and the metrics file must be
writable, with room for what will be written there."""
import os
import tempfile

from .usage import UsageError

PROBE_BYTES = 64 << 10  # written, flushed to disk and removed: proves writing works at all


def check_folder(folder, what, need_bytes):
    """Create folder if needed and prove it takes a file; UsageError saying what is wrong.
    need_bytes: about how much will be written there (compared with the free space)."""
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as error:
        raise UsageError(f"{what} {folder!r} cannot be created: {error.strerror}") from error
    _probe(folder, what, f"{what} {folder!r}")
    stats = os.statvfs(folder)
    free = stats.f_bavail * stats.f_frsize
    if free < need_bytes:
        raise UsageError(f"{what} {folder!r} has {free / 1e6:.1f} MB free; a checkpoint needs"
                         f" about {need_bytes / 1e6:.1f} MB")


def check_file(path, what):
    """path's folder must exist and take a file; path itself must not be a folder."""
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise UsageError(f"{what} {path!r} is a folder; give a file name")
    if not os.path.isdir(folder):
        raise UsageError(f"{what} {path!r}: the folder {folder!r} does not exist")
    _probe(folder, what, f"{what} {path!r}")


def _probe(folder, what, named):
    try:
        fd, probe = tempfile.mkstemp(prefix=".tinyres-probe-", dir=folder)
    except OSError as error:
        raise UsageError(f"{named} is not writable: {error.strerror}") from error
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(bytes(PROBE_BYTES))
            f.flush()
            os.fsync(f.fileno())
    except OSError as error:
        raise UsageError(f"{named} cannot be written: {error.strerror}") from error
    finally:
        os.remove(probe)


def checkpoint_bytes(model, optimizer_name):
    """About how large a checkpoint of model is: its state, the optimizer's buffers (one per
    parameter for SGD's momentum, two for Adam), and 1 MB for the rest."""
    state = sum(t.numel() * t.dtype.itemsize for t in model.state_dict().values())
    params = sum(p.numel() * p.dtype.itemsize for p in model.parameters())
    return state + params * (2 if optimizer_name == "adam" else 1) + (1 << 20)
