"""`--kernels fast|reference`: the option every command that computes takes.

`tinyres train --kernels reference` runs every op through the NumPy reference kernels
(kernels/cpu/*.py: one short function per kernel), so a debugger steps from an op straight into
its maths. The default is $TINYRES_KERNELS, else 'fast' (Numba / BLAS).
"""
import contextlib

from ..backend import KERNEL_SETS, use_kernels

# the commands that run ops (models, lesion studies); `models` and `bench` do not take it
COMMANDS = ("train", "eval", "summary", "gradcheck", "explain", "gradflow", "graph", "lesion")


def add_argument(parser):
    parser.add_argument("--kernels", choices=KERNEL_SETS, default=None,
                        help="cpu kernel set: fast (Numba/BLAS) or reference (the readable"
                             " NumPy kernels of kernels/cpu/) (default: $TINYRES_KERNELS or"
                             " fast)")


def apply(args):
    """A context manager running the command with the chosen kernel set (a no-op without one)."""
    kernels = getattr(args, "kernels", None)
    return use_kernels(kernels) if kernels else contextlib.nullcontext()
