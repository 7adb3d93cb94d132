"""The `tinyres` command: one sub-command per module in tinyres/commands/.

Each command module has NAME, HELP, add_arguments(parser) and run(args) -> exit code. Bad
arguments or inputs end in one clear line on stderr (exit status 2), never a traceback.
"""
import argparse
import importlib.metadata
import os
import sys

from . import __version__
from .commands import COMMANDS, kernels_option
from .commands.errors import USER_ERRORS, describe


def build_parser():
    parser = argparse.ArgumentParser(
        prog="tinyres", description="tinyres: residual networks from scratch (train, inspect,"
                                    " check and benchmark).")
    parser.add_argument("--debug", action="store_true",
                        help="show the full traceback of an error instead of one line")
    parser.add_argument("--version", action="version", version=f"%(prog)s {package_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for command in COMMANDS:
        p = sub.add_parser(command.NAME, help=command.HELP, description=command.HELP)
        command.add_arguments(p)
        if command.NAME in kernels_option.COMMANDS:
            kernels_option.add_argument(p)
        p.set_defaults(run=command.run)
    return parser


def package_version():
    """The installed distribution's version (pip's metadata), else the source tree's."""
    try:
        return importlib.metadata.version("tinyres")
    except importlib.metadata.PackageNotFoundError:  # run from a source tree, not installed
        return __version__


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "device", None) is not None:
        os.environ.pop("TINYRES_DEVICE", None)  # an explicit --device wins over the variable
    try:
        with kernels_option.apply(args):
            code = args.run(args) or 0
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        # the reader went away (`tinyres summary resnet50 | head`): stop quietly, like other
        # command-line tools; point stdout at /dev/null so that Python's exit flush is silent too
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except USER_ERRORS as error:  # bad input, a bad file, a full disk, no GPU, no memory
        if args.debug:
            raise
        print(f"tinyres {args.command}: error: {describe(error)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as interrupt:
        why = f"; {interrupt}" if str(interrupt) else ""  # e.g. what was saved before the stop
        print(f"tinyres {args.command}: interrupted{why}", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
