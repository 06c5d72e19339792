"""Where the work runs: the job layer on Dask (the fair training queue, Stop, progress, partial
results, the cluster launcher) and the warm-up that pays every JIT once per process."""
