"""What every benchmark times with: the best of a few runs (the least disturbed by a noisy machine)."""

from __future__ import annotations

import time


def best_of(fn, repeat: int = 3):
    """``(seconds, result)``: the fastest of ``repeat`` calls of ``fn`` and the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result
