"""tinyres.distributed: process groups, buckets, SyncBatchNorm, NCCL, real MPI jobs."""
