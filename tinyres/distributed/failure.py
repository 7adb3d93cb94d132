"""What a failing rank does: say who failed and why, then stop every rank of the job.

MPI collectives have no timeouts of their own: when one rank dies of an exception while the others
wait in an all-reduce, they wait forever. MPI_Abort ends every process of the job (mpiexec then
exits non-zero), so a failure is one message and a stop instead of a hang.
"""
import signal
import socket
import sys
import threading
import time
from contextlib import contextmanager

FORWARD_SECONDS = 0.5  # time for mpiexec to forward the message before the abort kills the pipes
INTERRUPTED = 130  # the exit status of a process stopped by SIGINT, as shells report it
SWALLOWED_SECONDS = 3.0  # after Ctrl-C, abort anyway if no KeyboardInterrupt got through by then


def abort(comm, message, code=1):
    """Print message on stderr, then end every rank of comm's job with exit status code."""
    sys.stderr.write(message.rstrip("\n") + "\n")
    sys.stderr.flush()
    time.sleep(FORWARD_SECONDS)  # else, under load, the job can end before the message is shown
    comm.Abort(code)


def describe(group):
    """'rank 1 of 2 (host)' for messages."""
    return f"rank {group.rank} of {group.world_size} ({socket.gethostname()})"


def install_excepthook(group):
    """An uncaught exception on any rank prints its traceback and the rank, then aborts the job."""
    previous = sys.excepthook

    def hook(kind, value, traceback):
        previous(kind, value, traceback)
        abort(group.comm, f"tinyres.distributed: {describe(group)} failed with"
                          f" {kind.__name__}: {value}; aborting the job")

    sys.excepthook = hook
    return hook


@contextmanager
def abort_on_error(group, prefix="tinyres"):
    """with abort_on_error(group): an Exception inside prints '<prefix>: rank R of W (host):
    error: ...' and aborts the job; so does Ctrl-C (SIGINT: KeyboardInterrupt) on any rank,
    which would otherwise leave that rank in MPI_Finalize and the others waiting for it in a
    collective. With one rank both propagate unchanged."""
    previous = _abort_even_if_swallowed(group, prefix)
    unraisable = sys.unraisablehook
    if previous is not None:
        sys.unraisablehook = _quiet_about_interrupts(unraisable)
    try:
        yield
    except Exception as error:
        if group is None or group.world_size == 1:
            raise
        abort(group.comm, f"{prefix}: {describe(group)}: error: {type(error).__name__}: {error};"
                          " aborting the job")
    except KeyboardInterrupt as interrupt:
        if group is None or group.world_size == 1:
            raise
        why = f"; {interrupt}" if str(interrupt) else ""
        abort(group.comm, f"{prefix}: {describe(group)}: interrupted{why}; aborting the job",
              INTERRUPTED)
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
            sys.unraisablehook = unraisable


def _quiet_about_interrupts(previous):
    """An unraisable-exception hook that drops the KeyboardInterrupt a C callback swallowed
    (Python would print 'Exception ignored in ...' and its traceback): the timer below says
    'interrupted' in one line and aborts. Other unraisable exceptions go to previous."""
    def hook(unraisable):
        if not issubclass(unraisable.exc_type, KeyboardInterrupt):
            previous(unraisable)
    return hook


def _abort_even_if_swallowed(group, prefix):
    """Ctrl-C raises KeyboardInterrupt as usual, but one raised inside a C callback (Numba
    compiling through llvmlite, say) is printed and dropped there, and the rank would train on
    alone. So the SIGINT handler also starts a timer that aborts the job if the interrupt has
    not ended it within SWALLOWED_SECONDS. Returns the previous handler (None: not installed)."""
    if (group is None or group.world_size == 1
            or threading.current_thread() is not threading.main_thread()):
        return None
    message = f"{prefix}: {describe(group)}: interrupted; aborting the job"

    def on_sigint(signum, frame):
        timer = threading.Timer(SWALLOWED_SECONDS, abort, (group.comm, message, INTERRUPTED))
        timer.daemon = True
        timer.start()
        raise KeyboardInterrupt

    return signal.signal(signal.SIGINT, on_sigint)
