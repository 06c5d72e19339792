"""What the catalog-wide benchmarks share: single-threaded worker processes and their rows as CSV."""

from __future__ import annotations

import csv
import os


def single_threaded() -> None:
    """A worker process's initializer: one BLAS thread, so ``--jobs`` processes use ``--jobs`` cores."""
    os.environ.update({k: "1" for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")})


def write_csv(path: str, rows: list[dict]) -> None:
    """One line per row, the union of their keys as columns (a missing value is empty)."""
    keys = sorted({k for r in rows for k in r})
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, keys)
        writer.writeheader()
        writer.writerows(rows)
