"""Numba, configured once for tinyres.

The cpu kernels use no Numba parallel regions (prange) any more: every kernel is a serial,
nogil function, and threads.py runs one range of the work per thread. Measured on 2 cores:
after each parallel region Numba's workqueue workers keep spinning for 5-10 ms, and a
convolution started in that window (its GEMMs on tinyres's own threads) took 10.7 ms instead of
5.6 ms; with all parallelism on one pool, ResNet-18 inference went from 0.48 s to 0.39-0.42 s.
The threading layer is still pinned to workqueue (it never spins against OpenBLAS) for any
parallel code a user adds; their own NUMBA_THREADING_LAYER wins.
"""
import os

import numba

if "NUMBA_THREADING_LAYER" not in os.environ:
    numba.config.THREADING_LAYER = "workqueue"

njit = numba.njit
