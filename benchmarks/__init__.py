"""tinyres benchmarks: each kernel and model against PyTorch eager in the same process.

Run one with ``python -m benchmarks.bench_conv`` (or ``tinyres bench conv``); every script prints
a table with the ratio tinyres / PyTorch, and can write JSON and a bar chart. The thread counts
are pinned at run time by timing.pin_threads (the environment defaults below only matter when
threadpoolctl is missing).
"""
import os

# OpenBLAS reads this once, when numpy loads it: it must precede the first import of numpy.
os.environ.setdefault("OPENBLAS_NUM_THREADS", os.environ.get("TINYRES_BENCH_THREADS", "2"))
