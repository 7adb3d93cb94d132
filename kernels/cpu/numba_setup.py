"""Numba, configured once for tinyres: a threading layer that does not spin against OpenBLAS.

OpenMP's busy-waiting threads steal both cores from OpenBLAS's GEMMs between kernel calls; the
workqueue layer sleeps instead. The layer is picked at the first parallel launch, so setting it
here works even when numba was imported earlier. A user's own NUMBA_THREADING_LAYER wins.
"""
import os

import numba

if "NUMBA_THREADING_LAYER" not in os.environ:
    numba.config.THREADING_LAYER = "workqueue"

njit = numba.njit
prange = numba.prange
