"""tinyres benchmarks and experiments, each run from the repository root as
``python -m benchmarks.NAME`` (or ``tinyres bench NAME``); their figures go to RESULTS*.md.

The kernel and model benchmarks time tinyres against PyTorch eager in the same process and print
a table with the ratio tinyres / PyTorch (plus JSON and a bar chart). Thread counts are pinned at
run time by timing.pin_threads (the environment default below only matters when threadpoolctl
is missing).
"""
import os

# OpenBLAS reads this once, when numpy loads it: it must precede the first import of numpy.
os.environ.setdefault("OPENBLAS_NUM_THREADS", os.environ.get("TINYRES_BENCH_THREADS", "2"))
