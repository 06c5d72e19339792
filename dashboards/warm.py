"""Server setup (``panel serve --setup``): connect to the cluster and pay every compilation before
the first visitor.

The Dask cluster is the one named by ``--args --scheduler ADDRESS`` or ``$CHAOSLAB_SCHEDULER``,
else a LocalCluster started here; an address that does not answer stops the server with a
message. Kernels are warmed in this process (a page's first small picture is drawn here) and on
every worker; HoloViews/Bokeh plot classes are exercised by building a throwaway page.
"""

import gc
import sys
import time

from core import limit_threads

limit_threads()  # before the heavy imports, as app.py does: the server runs this first

from bokeh.document import Document  # noqa: E402

from core.runtime import jobs, warmup  # noqa: E402

start = time.perf_counter()
try:
    client = jobs.connect(jobs.scheduler_from_argv(sys.argv))
except jobs.SchedulerUnreachable as exc:
    raise SystemExit(f"Chaos Lab cannot start: {exc}") from None
jobs.on_every_worker(warmup.compile_kernels)
warmup.compile_kernels()
jobs.service()

from dashboards.lab import serve  # noqa: E402  (after the cluster: the page uses it)

serve(Document())
# everything loaded so far (modules, the catalog, compiled kernels, plot classes) lives as long as
# the server: out of the collector's sight, a session's build no longer pays for scanning it in
# every full collection (median build 0.45 → 0.42 core-s, the slowest of six 0.84 → 0.51)
gc.collect()
gc.freeze()
workers = client.scheduler_info()["workers"]
print(f"Chaos Lab: Dask scheduler {client.scheduler.address} with {len(workers)} worker(s) "
      f"({sum(w['nthreads'] for w in workers.values())} threads); kernels and plots warm in "
      f"{time.perf_counter() - start:.1f} s", flush=True)
