"""The `tinyres` command: one sub-command per module in tinyres/commands/.

Each command module has NAME, HELP, add_arguments(parser) and run(args) -> exit code. Bad
arguments or inputs end in one clear line on stderr (exit status 2), never a traceback.
"""
import argparse
import importlib.metadata
import os
import sys

from .commands import COMMANDS
from .commands.usage import UsageError


def build_parser():
    parser = argparse.ArgumentParser(
        prog="tinyres", description="tinyres: residual networks from scratch (train, inspect,"
                                    " check and benchmark).")
    parser.add_argument("--version", action="version", version=f"%(prog)s {package_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for command in COMMANDS:
        p = sub.add_parser(command.NAME, help=command.HELP, description=command.HELP)
        command.add_arguments(p)
        p.set_defaults(run=command.run)
    return parser


def package_version():
    """The installed distribution's version (pip's metadata), else the source tree's."""
    try:
        return importlib.metadata.version("tinyres")
    except importlib.metadata.PackageNotFoundError:  # run from a source tree, not installed
        from . import __version__
        return __version__


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "device", None) is not None:
        os.environ.pop("TINYRES_DEVICE", None)  # an explicit --device wins over the variable
    try:
        code = args.run(args) or 0
        sys.stdout.flush()
        return code
    except (UsageError, ValueError, TypeError, FileNotFoundError) as error:
        if getattr(args, "debug", False):
            raise
        print(f"tinyres {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"tinyres {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader went away (`tinyres summary resnet50 | head`): stop quietly, like other
        # command-line tools; point stdout at /dev/null so that Python's exit flush is silent too
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
