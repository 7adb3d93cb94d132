"""Run under `mpiexec -n 2 python failing_rank.py MODE`: rank 1 fails while rank 0 waits in an
all-reduce that rank 1 never joins. MODE 'raise': rank 1 raises (the excepthook aborts the job);
'stall': rank 1 hangs (rank 0's 2-second collective timeout aborts the job). Without either, the
job would wait forever; tests/distributed/test_distributed_mpi.py checks it stops with a message
instead."""
import sys
import time

import numpy as np

from tinyres import distributed as dist

mode = sys.argv[1]
group = dist.init_process_group(timeout=2 if mode == "stall" else None)
if group.rank == 1:
    if mode == "raise":
        raise RuntimeError("rank 1 failed on purpose")
    time.sleep(120)
group.all_reduce_(np.ones(3))
print("unreachable: the all-reduce completed")
