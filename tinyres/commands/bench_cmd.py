"""`tinyres bench NAME [options]`: run one of the benchmarks in benchmarks/ (tinyres against
PyTorch eager, same process), e.g. `tinyres bench models --cases resnet50-train`.

The benchmarks live in the source checkout (benchmarks/ next to tinyres/), not in the installed
package: this command finds them there, and says so when they are missing. Options after NAME
go to the benchmark itself (`tinyres bench conv --help`).
"""
import importlib
import importlib.util
import os
import sys

NAME = "bench"
HELP = "benchmark tinyres against PyTorch eager (needs torch and a source checkout)"
BENCHMARKS = {
    "conv": "bench_conv",
    "batchnorm": "bench_batchnorm",
    "pool": "bench_pool",
    "models": "bench_models",
    "profile": "profile_step",
    "train": "bench_train",
    "parity": "parity",
}


def add_arguments(parser):
    parser.add_argument("name", choices=sorted(BENCHMARKS), help="which benchmark")
    parser.add_argument("options", nargs="...", help="options for the benchmark (see --help)")


def _benchmarks_package():
    """Import benchmarks/ from the checkout this tinyres was installed from (editable install)."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    if not os.path.isfile(os.path.join(root, "benchmarks", "__init__.py")):
        raise FileNotFoundError(
            f"benchmarks/ not found next to tinyres in {root}; the benchmarks ship with the"
            " source checkout: install it with `pip install -e .` and run from there")
    if root not in sys.path:
        sys.path.insert(0, root)
    return importlib.import_module("benchmarks")


def run(args):
    _benchmarks_package()
    asks_help = any(option in ("-h", "--help") for option in args.options)
    if not asks_help and importlib.util.find_spec("torch") is None:  # tinyres never imports it
        raise FileNotFoundError("tinyres bench compares against PyTorch, which is not"
                                " installed: pip install torch==2.13.0")
    module = importlib.import_module(f"benchmarks.{BENCHMARKS[args.name]}")
    sys.argv[0] = f"tinyres bench {args.name}"  # argparse's default prog, in the usage lines
    module.main(list(args.options))
    return 0
