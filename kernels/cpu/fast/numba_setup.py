"""Numba, configured once for tinyres.

The kernels that are Numba code only can run their threads' tasks in Numba parallel regions
(`prange`; when, see threads.native()) on the OpenMP threading layer (GNU libgomp): its threads
spin briefly between regions, so the next region starts at once. Numba's own workqueue layer
made the CIFAR ResNet-20 step slower than our Python threads do (benchmarks/RESULTS.md, "Issue
13, third round"), so OpenMP comes first; without libgomp the kernels stay on the Python
threads. A user's own NUMBA_THREADING_LAYER wins.
"""
import os

import numba

if "NUMBA_THREADING_LAYER" not in os.environ:
    numba.config.THREADING_LAYER_PRIORITY = ["omp", "tbb", "workqueue"]
    numba.config.THREADING_LAYER = "default"

njit = numba.njit
prange = numba.prange
