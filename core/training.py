"""The training service: background jobs with progress, a fair queue, cancellation and errors.

Several people share one server: jobs run on a small pool sized to the machine, never on the web
server's event loop; a per-server limit on concurrent jobs and a bounded queue keep one session
from starving the others, and each queued job knows its position. A job reports progress through
``progress(fraction, info)`` (epoch, loss, ETA, …), ends early and cleanly when its ``stop`` event
is set, and carries any error to whoever polls it. Jobs belong to an owner (a browser session):
when the session closes, ``cancel_owner`` ends its jobs.
"""

from __future__ import annotations

import itertools
import os
import threading
import time
import traceback
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"


class QueueFull(RuntimeError):
    """The server's job queue is full; the message says how many jobs are waiting."""


@dataclass
class Job:
    """One unit of background work and everything a page needs to show about it."""

    id: int
    label: str
    owner: str
    state: str = QUEUED
    progress: float = 0.0
    info: dict = field(default_factory=dict)
    history: deque = field(default_factory=lambda: deque(maxlen=10_000))
    result: Any = None
    error: str | None = None
    stop: threading.Event = field(default_factory=threading.Event)
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None

    @property
    def done(self) -> bool:
        return self.state in (DONE, FAILED, CANCELLED)

    @property
    def eta(self) -> float | None:
        """Seconds left, extrapolated from progress so far."""
        if self.state != RUNNING or not self.started or self.progress <= 0:
            return None
        elapsed = time.time() - self.started
        return elapsed * (1 - self.progress) / self.progress


class TrainingService:
    """A pool of ``max_concurrent`` workers with a queue of at most ``max_queued`` waiting jobs.

    ``torch_threads`` is applied once to torch, for every job, and ``max_concurrent`` defaults to
    cores / torch_threads, so concurrent jobs × torch threads never exceed the cores. One torch
    thread per job is the default because the lab's models are too small for intra-op
    parallelism: the neural ODE on Lorenz trains in 49 s on one thread and 70 s on two
    (``benchmarks/forecast.py``), so two jobs at once on two cores beat one job on both.
    """

    def __init__(self, max_concurrent: int | None = None, max_queued: int = 8, torch_threads: int = 1):
        cores = os.cpu_count() or 1
        self.torch_threads = max(1, int(torch_threads))
        self.max_concurrent = max(1, max_concurrent or cores // self.torch_threads)
        self.max_queued = max_queued
        self._pool = ThreadPoolExecutor(max_workers=self.max_concurrent, thread_name_prefix="chaoslab-train")
        self._lock = threading.Lock()
        self._jobs: dict[int, Job] = {}
        self._ids = itertools.count(1)
        self._torch_configured = False

    # -- submitting and controlling -------------------------------------------------------------
    def submit(self, fn: Callable, *, owner: str = "", label: str = "") -> Job:
        """Queue ``fn(progress, stop)``; its return value becomes ``job.result``."""
        with self._lock:
            waiting = sum(1 for j in self._jobs.values() if j.state == QUEUED)
            if waiting >= self.max_queued:
                raise QueueFull(f"the server's training queue is full ({waiting} jobs waiting); try again shortly")
            job = Job(id=next(self._ids), label=label, owner=owner)
            self._jobs[job.id] = job
        self._pool.submit(self._execute, job, fn)
        return job

    def cancel(self, job: Job) -> None:
        """Stop a running job at its next check, or drop a queued one."""
        job.stop.set()
        with self._lock:
            if job.state == QUEUED:
                job.state, job.finished = CANCELLED, time.time()

    def cancel_owner(self, owner: str) -> int:
        """Cancel every unfinished job of ``owner`` (a closed session); returns how many."""
        jobs = [j for j in self.jobs(owner) if not j.done]
        for job in jobs:
            self.cancel(job)
        return len(jobs)

    def jobs(self, owner: str | None = None) -> list[Job]:
        with self._lock:
            return [j for j in self._jobs.values() if owner is None or j.owner == owner]

    def queue_position(self, job: Job) -> int:
        """0 when running or finished; otherwise 1 + the number of queued jobs ahead of it."""
        with self._lock:
            if job.state != QUEUED:
                return 0
            return 1 + sum(1 for j in self._jobs.values() if j.state == QUEUED and j.id < job.id)

    def forget_finished(self, older_than: float = 600.0) -> None:
        """Drop finished jobs older than ``older_than`` seconds (bounded memory on a long-lived server)."""
        cutoff = time.time() - older_than
        with self._lock:
            for key in [k for k, j in self._jobs.items() if j.done and (j.finished or 0) < cutoff]:
                del self._jobs[key]

    def shutdown(self) -> None:
        for job in self.jobs():
            self.cancel(job)
        self._pool.shutdown(wait=True)

    # -- running ------------------------------------------------------------------------------
    def _configure_torch(self) -> None:
        """Set torch's thread count once, for every job (models never set it themselves)."""
        if self._torch_configured:
            return
        try:
            import torch
        except ImportError:  # a server without torch still runs the other families
            self._torch_configured = True
            return
        torch.set_num_threads(self.torch_threads)
        self._torch_configured = True

    def _execute(self, job: Job, fn: Callable) -> None:
        with self._lock:
            if job.state == CANCELLED:
                return
            job.state, job.started = RUNNING, time.time()
        self._configure_torch()

        def progress(fraction: float, info: dict | None = None) -> None:
            job.progress = float(min(max(fraction, 0.0), 1.0))
            job.info = dict(info or {})
            job.history.append((job.progress, job.info))

        try:
            job.result = fn(progress, job.stop)
            job.state = CANCELLED if job.stop.is_set() and job.result is None else DONE
        except Exception as exc:  # carried to the page, which shows it; the server keeps running
            job.error = f"{type(exc).__name__}: {exc}"
            job.info = {**job.info, "traceback": traceback.format_exc(limit=5)}
            job.state = CANCELLED if job.stop.is_set() else FAILED
        finally:
            job.finished = time.time()
            if job.state == DONE:
                job.progress = 1.0


_default: TrainingService | None = None


def service() -> TrainingService:
    """The server-wide service (created on first use)."""
    global _default
    if _default is None:
        _default = TrainingService()
    return _default
