"""The lab's one job layer: heavy work on Dask distributed workers, shared fairly by every session.

Training, tuning, Lyapunov spectra and integrations run in worker processes, so the web server's
interpreter stays free for its event loop. By default the lab starts a local Dask cluster sized to
the machine (training at a lower CPU priority than redraws); with an address (``CHAOSLAB_SCHEDULER`` or
``connect(address)``) it uses an existing cluster, so a department can serve the lab from many
machines. On top of Dask's futures, events and variables this module keeps the promises a page
needs:

- a job reports ``progress(fraction, info)`` (epoch, loss, trial …) and may ``publish`` a partial
  result (the short-term forecast before the long one), both delivered to the server at once;
- Stop is cooperative: ``job.stop.is_set()`` on the worker reads a Dask ``Event``;
- training jobs wait in a fair queue held here (round robin over sessions, visible positions, a
  per-session limit and a bound on the queue); interactive jobs skip it and outrank training in
  Dask's own priority, on worker threads that training never fills;
- errors, a lost worker included, reach the page as one sentence; a closed session's jobs end.
"""

from __future__ import annotations

import atexit
import hashlib
import itertools
import logging
import os
import pickle
import threading
import time
import traceback
import uuid
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import cloudpickle

from core.errors import ChaosLabError

log = logging.getLogger("chaoslab.jobs")

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
TRAIN, INTERACTIVE = "train", "interactive"
TOPIC = "chaoslab-jobs"  # one event topic for every job: the scheduler keeps a bounded log per topic
ENV_ADDRESS = "CHAOSLAB_SCHEDULER"
SHUTDOWN_GRACE = 3.0  # seconds the running jobs get to stop when the server stops


class JobError(ChaosLabError, RuntimeError):
    """A job layer problem a user can act on; the message says what to do."""


class QueueFull(JobError):
    """The training queue is full, or this session already has its share of jobs."""


class SchedulerUnreachable(JobError):
    """The Dask scheduler address given does not answer."""


def flag_name(flag: str, token: str) -> str:
    """The Dask ``Event`` through which the server raises ``flag`` ("stop", "preview" …) for a job."""
    return f"chaoslab-{flag}-{token}"


def partial_name(token: str) -> str:
    """The Dask ``Variable`` holding a job's last published partial result."""
    return f"chaoslab-partial-{token}"


def task_key(kind: str, token: str, share: str | None = None) -> str:
    """A job's Dask key: a shared request's is its name's digest, so a task still held is reused."""
    return f"chaoslab-shared-{_digest(share)}" if share is not None else f"chaoslab-{kind}-{token}"


# ---------------------------------------------------------------------------------------------
# The worker's side of a job


class _RemoteFlag:
    """A Dask ``Event`` read at most every ``interval`` seconds: loops may check it every step."""

    def __init__(self, name: str, interval: float = 0.2):
        from distributed import Event

        self._event, self._interval = Event(name), interval
        self._checked, self._value = 0.0, False

    def is_set(self) -> bool:
        if not self._value and time.monotonic() - self._checked > self._interval:
            self._value, self._checked = self._event.is_set(), time.monotonic()
        return self._value

    def clear(self) -> None:
        self._event.clear()
        self._value, self._checked = False, time.monotonic()


class JobContext:
    """What a job function receives as ``job``: progress, Stop, partial results, requests."""

    def __init__(self, progress=None, stop=None, publish=None, requested=None):
        self._progress = progress or (lambda fraction, info: None)
        self.stop = stop or threading.Event()
        self._publish = publish or (lambda value: None)
        self._requested = requested or (lambda flag: False)

    def progress(self, fraction: float, info: dict | None = None) -> None:
        self._progress(float(min(max(fraction, 0.0), 1.0)), dict(info or {}))

    def publish(self, value) -> None:
        """Hand a partial result to the page now (the job goes on)."""
        self._publish(value)

    def requested(self, flag: str) -> bool:
        """True once when the page has asked for ``flag`` (e.g. "preview") since the last call."""
        return self._requested(flag)


def local_context(progress=None, stop=None, publish=None) -> JobContext:
    """A context for running a job function in this process (tests, notebooks, benchmarks)."""
    return JobContext(progress, stop, publish)


def _execute(token: str, fn: Callable, args: tuple, kwargs: dict):
    """Runs on a worker: give ``fn`` a context wired to the scheduler, and run it."""
    from distributed import Variable, get_worker

    worker = get_worker()
    last = [0.0, None]

    def progress(fraction, info):
        # every epoch or trial is sent (the page plots them); plain progress at most 10 times a second
        marker = (info.get("epoch"), info.get("trial"))
        now = time.monotonic()
        if marker == last[1] and fraction < 1.0 and now - last[0] < 0.1:
            return
        last[0], last[1] = now, marker
        worker.log_event(TOPIC, {"token": token, "fraction": fraction, "info": _plain(info)})

    def publish(value):
        Variable(partial_name(token)).set(cloudpickle.dumps(value))  # systems hold mappingproxies
        worker.log_event(TOPIC, {"token": token, "partial": True})

    flags = {}

    def requested(flag):
        if flag not in flags:
            flags[flag] = _RemoteFlag(flag_name(flag, token))
        if flags[flag].is_set():
            flags[flag].clear()
            return True
        return False

    worker.log_event(TOPIC, {"token": token, "started": True})
    try:
        return fn(*args, **kwargs, job=JobContext(progress, _RemoteFlag(flag_name("stop", token)), publish, requested))
    except Exception as exc:
        if not _expected(exc):
            raise  # a bug: Dask logs it with its traceback, and the page says "unexpected error"
        return Failure(describe(exc))  # bad input or a diverging model: a message, not a log entry


@dataclass(frozen=True)
class Failure:
    """What a job returns instead of raising when it failed for a reason the user can act on."""

    message: str

    def light(self) -> "Failure":
        return self


def _expected(exc: BaseException) -> bool:
    """The lab's own errors and bad input: their messages already say what to do."""
    return isinstance(exc, (ChaosLabError, ValueError, LookupError))


def _light(result):
    return result.light()


def _digest(name: str) -> str:
    return hashlib.sha1(name.encode()).hexdigest()


def _plain(info: dict) -> dict:
    """Progress info as msgpack can carry it: numbers and strings (numpy scalars converted)."""
    out = {}
    for key, value in info.items():
        if hasattr(value, "item"):
            value = value.item()
        if isinstance(value, (int, float, str, bool)) or value is None:
            out[str(key)] = value
    return out


# ---------------------------------------------------------------------------------------------
# The server's side


@dataclass(eq=False)
class Job:
    """One unit of background work and everything a page needs to show about it."""

    id: int
    label: str
    owner: str
    kind: str
    token: str = field(default_factory=lambda: uuid.uuid4().hex)
    state: str = QUEUED
    progress: float = 0.0
    info: dict = field(default_factory=dict)
    history: deque = field(default_factory=lambda: deque(maxlen=10_000))
    result: Any = None
    error: str | None = None
    stopping: bool = False
    partials: int = 0  # partial results published so far; ``JobService.partial`` reads the last
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    future: Any = field(default=None, repr=False)
    keep: bool = False  # leave the result on the worker: ``handle`` is its Dask future, ``result`` its light()
    share: str | None = None  # the request's own name: every job with it is one computation (``submit``)
    handle: Handle | None = field(default=None, repr=False)
    call: tuple | None = field(default=None, repr=False)  # (fn, args, kwargs) until it starts
    raised: set = field(default_factory=set, repr=False)  # flags set on the scheduler, deleted at the end
    listeners: list = field(default_factory=list, repr=False)

    @property
    def done(self) -> bool:
        return self.state in (DONE, FAILED, CANCELLED)

    @property
    def eta(self) -> float | None:
        """Seconds left, extrapolated from progress so far."""
        if self.state != RUNNING or not self.started or self.progress <= 0:
            return None
        return (time.time() - self.started) * (1 - self.progress) / self.progress


class Handle:
    """A job's kept result (``submit(keep=True)``), wherever it is held: on the worker that computed
    it (a Dask future; a later job given the handle runs where the data is) or in this process (a
    job run inline, outside a server). ``fetch()`` brings the whole result here."""

    __slots__ = ("future", "value")

    def __init__(self, future=None, value=None):
        self.future, self.value = future, value

    @property
    def key(self) -> str | None:
        """The Dask key that holds it (None when held here)."""
        return None if self.future is None else self.future.key

    def fetch(self):
        return self.value if self.future is None else self.future.result()

    def argument(self):
        """What a job's function receives for it: Dask resolves a future on the worker."""
        return self.value if self.future is None else self.future


def unwrap(args: tuple, kwargs: dict) -> tuple[tuple, dict]:
    """A job's arguments with every ``Handle`` as its function receives it."""
    arg = lambda a: a.argument() if isinstance(a, Handle) else a  # noqa: E731
    return tuple(arg(a) for a in args), {k: arg(v) for k, v in kwargs.items()}


def describe(exc: BaseException) -> str:
    """One sentence for the page about why a job failed."""
    from distributed.client import FutureCancelledError
    from distributed.scheduler import KilledWorker

    if isinstance(exc, KilledWorker):
        return ("the worker process running this job died (out of memory, or killed) and took the job "
                "with it; nothing was kept — run it again")
    if isinstance(exc, FutureCancelledError):
        return "the job was cancelled"
    if _expected(exc):
        return str(exc).strip("'\"")
    return f"unexpected error ({type(exc).__name__}: {exc})"


class FairQueue:
    """Which training jobs run, and in what order the others wait: the policy alone, no Dask.

    ``slots`` jobs run at once; at most ``max_queued`` wait, and one owner (a session) holds at
    most ``per_owner`` waiting or running. Waiting jobs start round robin over owners — the owner
    with fewest running first, each owner's jobs in the order they came (``id``) — so one session's
    burst never starves another's single job. A job is anything with ``owner`` and ``id``.
    """

    def __init__(self, slots: int = 1, max_queued: int = 8, per_owner: int = 2):
        self.slots, self.max_queued, self.per_owner = max(1, int(slots)), max_queued, per_owner
        self._waiting: list = []
        self._running: list = []

    def add(self, job) -> None:
        """Queue ``job``, or raise ``QueueFull`` saying why it cannot wait."""
        if len(self._waiting) >= self.max_queued:
            raise QueueFull(f"the server's training queue is full ({len(self._waiting)} jobs waiting); "
                            "try again shortly")
        held = sum(1 for j in self._waiting + self._running if j.owner == job.owner)
        if job.owner and held >= self.per_owner:
            raise QueueFull(f"this session already has {held} training jobs; wait for one or stop it")
        self._waiting.append(job)

    def ready(self) -> list:
        """The jobs to start now, in order (they count as running from here on)."""
        starting = self.order()[: max(0, self.slots - len(self._running))]
        for job in starting:
            self._waiting.remove(job)
            self._running.append(job)
        return starting

    def discard(self, job) -> None:
        """``job`` leaves: a waiting one is dropped, a running one frees its slot."""
        for held in (self._waiting, self._running):
            if job in held:
                held.remove(job)

    def order(self) -> list:
        """The waiting jobs in the order they will start."""
        running: dict[str, int] = {}
        for job in self._running:
            running[job.owner] = running.get(job.owner, 0) + 1
        waiting, order = list(self._waiting), []
        while waiting:
            nxt = min(waiting, key=lambda j: (running.get(j.owner, 0), j.id))
            order.append(nxt)
            waiting.remove(nxt)
            running[nxt.owner] = running.get(nxt.owner, 0) + 1
        return order

    def position(self, job) -> int:
        """1 for the next to start, 2 after it …; 0 for a job not waiting."""
        order = self.order()
        return order.index(job) + 1 if job in order else 0

    def clear(self) -> None:
        self._waiting.clear()
        self._running.clear()


class JobService:
    """Jobs on a Dask cluster, with a fair training queue; one per server (``service()``).

    ``train_slots`` training jobs run at once (default: the cluster's ``train`` resources, else
    one per worker); at most ``max_queued`` wait, and one session holds at most ``per_owner``
    queued or running training jobs. Interactive jobs are not queued here.
    """

    def __init__(self, client, train_slots: int | None = None, max_queued: int = 8, per_owner: int = 2):
        self.client = client
        workers = client.scheduler_info()["workers"].values()
        offered = {kind: sum(w.get("resources", {}).get(kind, 0) for w in workers) for kind in (TRAIN, INTERACTIVE)}
        # workers that declare resources get only their kind of job; a plain cluster takes any job anywhere
        self._resources = {kind: {kind: 1} for kind, amount in offered.items() if amount}
        self._queue = FairQueue(train_slots or offered[TRAIN] or len(workers) or 1, max_queued, per_owner)
        self._lock = threading.RLock()
        self._jobs: dict[int, Job] = {}
        self._by_token: dict[str, Job] = {}
        self._ids = itertools.count(1)
        self._closed = False  # the server is stopping: no new Dask work, late callbacks ignored
        client.subscribe_topic(TOPIC, self._on_event)

    # -- submitting and controlling -------------------------------------------------------------
    def submit(self, fn: Callable, *args, owner: str = "", label: str = "", kind: str = TRAIN, keep: bool = False,
               share: str | None = None, **kwargs) -> Job:
        """Run ``fn(*args, **kwargs, job=JobContext)`` on the cluster; its return value becomes
        ``job.result``. Training jobs queue fairly; interactive ones start at once.

        Arguments may be ``handle``s of earlier jobs: the work then runs where that data is. With
        ``keep`` the result stays on the worker as ``job.handle`` and ``job.result`` is its
        ``light()`` copy (a trajectory's images without its millions of points).

        ``share`` names the request deterministically (the same text for the same work): jobs with
        the same name while one is held are one Dask task, computed once and held once on the
        workers for every session that asked — a class asking for the teacher's system and
        parameters. A shared job cannot be stopped for the others: ``cancel`` lets go of it."""
        self.forget_finished()
        with self._lock:
            if self._closed:
                raise JobError("the server is shutting down; reload the page when it is back")
            job = Job(id=next(self._ids), label=label, owner=owner, kind=kind, keep=keep, share=share)
            if kind == TRAIN:
                self._queue.add(job)  # or QueueFull, before anything is recorded
            job.call = (fn, args, kwargs)
            self._jobs[job.id] = job
            self._by_token[job.token] = job
            if kind != TRAIN:
                self._start(job)
            self._dispatch()
        return job

    def cancel(self, job: Job) -> None:
        """Stop a running job at its next check, or drop a queued one."""
        from distributed import Event

        with self._lock:
            if job.done:
                return
            job.stopping = True
            if job.state == QUEUED:
                self._finish(job, CANCELLED)  # out of the queue
                return
            if job.share is not None:  # others may wait on the same task: only this job lets go of it
                job.future = None
                self._finish(job, CANCELLED)
                self._forget(job)
                return
            job.raised.add("stop")
        Event(flag_name("stop", job.token), client=self.client).set()

    def request(self, job: Job, flag: str) -> None:
        """Ask a running job for something it offers (``job.requested(flag)`` on the worker)."""
        from distributed import Event

        if not job.done:
            job.raised.add(flag)
            Event(flag_name(flag, job.token), client=self.client).set()

    def partial(self, job: Job):
        """The last partial result the job published (None if none or already gone)."""
        from distributed import Variable

        if not job.partials:
            return None
        try:
            data = Variable(partial_name(job.token), client=self.client).get(timeout=2)
        except Exception:  # the job ended and its variable was deleted: the result has it all
            return None
        return pickle.loads(data)

    def cancel_owner(self, owner: str) -> int:
        """Cancel every unfinished job of ``owner`` (a closed session); returns how many."""
        jobs = [j for j in self.jobs(owner) if not j.done]
        for job in jobs:
            self.cancel(job)
        return len(jobs)

    def forget_owner(self, owner: str) -> None:
        """Cancel ``owner``'s jobs and drop every record of them (a closed session's memory)."""
        self.cancel_owner(owner)
        with self._lock:
            for job in [j for j in self._jobs.values() if j.owner == owner and j.done]:
                self._forget(job)

    def forget_finished(self, older_than: float = 600.0) -> None:
        """Drop finished jobs older than ``older_than`` seconds (bounded memory on a long-lived server)."""
        cutoff = time.time() - older_than
        with self._lock:
            for job in [j for j in self._jobs.values() if j.done and (j.finished or 0) < cutoff]:
                self._forget(job)

    def jobs(self, owner: str | None = None) -> list[Job]:
        with self._lock:
            return [j for j in self._jobs.values() if owner is None or j.owner == owner]

    def queue_position(self, job: Job) -> int:
        """0 when running or finished; otherwise the place the fair order gives it (1 = next)."""
        with self._lock:
            return self._queue.position(job)

    def on_done(self, job: Job, callback: Callable[[Job], None]) -> None:
        """Call ``callback(job)`` (on some thread) once the job has ended; at once if it has."""
        with self._lock:
            if not job.done:
                job.listeners.append(callback)
                return
        callback(job)

    def shutdown(self) -> None:
        """Stop taking work and forget every job: the server is going away, and the cluster's
        callbacks that still arrive (a cancelled future's) find nothing to do."""
        from distributed import Event

        with self._lock:
            self._closed = True
            futures = [j.future for j in self._jobs.values() if j.future is not None]
            running = [j.token for j in self._jobs.values() if j.state == RUNNING and j.share is None]
            self._jobs.clear()
            self._by_token.clear()
            self._queue.clear()
        try:
            # running jobs are asked to stop and given a moment to (they check every 0.2 s): a worker
            # closed under a job still running is killed, and its own client then dies noisily, and
            # the job's events forwarded to this closing client are a 'Closed comm' traceback
            for token in running:
                Event(flag_name("stop", token), client=self.client).set()
            deadline = time.monotonic() + SHUTDOWN_GRACE
            while time.monotonic() < deadline and not all(future.done() for future in futures):
                time.sleep(0.05)
        except Exception:  # the cluster is already gone
            pass
        try:
            self.client.cancel(futures)
        except Exception:  # the cluster is already gone
            pass

    # -- running ------------------------------------------------------------------------------
    def _dispatch(self) -> None:
        with self._lock:
            if self._closed:
                return
            for job in self._queue.ready():
                self._start(job)

    def _start(self, job: Job) -> None:
        (fn, args, kwargs), job.call = job.call, None
        args, kwargs = unwrap(args, kwargs)
        job.state = RUNNING
        job.started = time.time()
        options = {"priority": 10 if job.kind == INTERACTIVE else 0}
        if job.kind in self._resources:
            options["resources"] = self._resources[job.kind]
        # a shared request's key is its name: a task with that key still held is reused, here or
        # by another server process on the same scheduler, never computed again
        key = task_key(job.kind, job.token, job.share)
        job.future = self.client.submit(_execute, job.token, fn, args, kwargs, key=key, pure=False, **options)
        # a kept result's light copy is computed next to it, chained now: collecting it later
        # must not wait on the cluster (every job's collection shares one callback thread)
        done = self.client.submit(_light, job.future, key=f"{key}-light", pure=False, **options) if job.keep \
            else job.future
        done.add_done_callback(lambda future, job=job: self._collect(job, future))

    def _collect(self, job: Job, future) -> None:
        """On a Dask callback thread: the job's result (a kept one's light copy) or error, then
        the next queued job."""
        if self._closed or job.done:  # the server stopped, or a shared job was let go
            return
        try:
            job.result = future.result()
            job.handle = Handle(job.future) if job.keep else None
            state = CANCELLED if job.stopping and job.result is None else DONE
            if isinstance(job.result, Failure):
                job.error, job.result, job.handle = job.result.message, None, None
                state = CANCELLED if job.stopping else FAILED
        except Exception as exc:  # carried to the page, which shows it; the server keeps running
            job.error = describe(exc)
            job.info = {**job.info, "traceback": "".join(traceback.format_exception(exc, limit=5))}
            state = CANCELLED if job.stopping else FAILED
        with self._lock:
            job.future = None  # the worker may free the result
            self._finish(job, state)
            if job.kind == INTERACTIVE:  # its page has the result: nothing to remember
                self._forget(job)
        self._dispatch()
        self._cleanup(job)

    def _finish(self, job: Job, state: str) -> None:
        if job.kind == TRAIN:
            self._queue.discard(job)  # its slot or its place in the queue
        job.state, job.finished = state, time.time()
        if state == DONE:
            job.progress = 1.0
        listeners, job.listeners = job.listeners, []
        for callback in listeners:
            try:
                callback(job)
            except Exception:  # a page that went away must not break the service
                log.exception("a job listener failed")

    def _cleanup(self, job: Job) -> None:
        """Delete the job's Dask events and partial result from the scheduler."""
        from distributed import Event, Variable

        try:
            for flag in job.raised:
                Event(flag_name(flag, job.token), client=self.client).clear()
            if job.partials:
                Variable(partial_name(job.token), client=self.client).delete()
        except Exception:  # the cluster is shutting down
            pass

    def _forget(self, job: Job) -> None:
        self._jobs.pop(job.id, None)
        self._by_token.pop(job.token, None)

    def _on_event(self, event) -> None:
        """On the client's event loop: progress, start and partial results of a job."""
        _, msg = event
        job = self._by_token.get(msg.get("token"))
        if job is None:
            return
        if "fraction" in msg:
            job.progress, job.info = msg["fraction"], msg["info"]
            job.history.append((job.progress, job.info))
        if msg.get("started"):
            job.started = time.time()
        if msg.get("partial"):
            job.partials += 1


# ---------------------------------------------------------------------------------------------
# The cluster


def _on_start_plugin(fn: Callable[[], Any]):
    """A Dask worker plugin that runs ``fn`` on every worker, present and future (a restarted one
    too): the workers' warm-up."""
    from distributed.diagnostics.plugin import WorkerPlugin

    class OnStart(WorkerPlugin):
        name = f"chaoslab-{fn.__module__}.{fn.__qualname__}"

        def setup(self, worker):
            fn()

    return OnStart()


def on_every_worker(fn: Callable[[], Any]) -> None:
    """Run ``fn`` on each worker now and on each worker that joins later."""
    connect().register_plugin(_on_start_plugin(fn))


def scheduler_from_argv(argv: list[str]) -> str | None:
    """``--scheduler ADDRESS`` among the app's arguments (``panel serve app.py --args --scheduler …``)."""
    if "--scheduler" in argv:
        at = argv.index("--scheduler")
        if at + 1 >= len(argv):
            raise SchedulerUnreachable("--scheduler needs an address, e.g. --scheduler tcp://10.0.0.5:8786")
        return argv[at + 1]
    return None


@dataclass(frozen=True)
class ClusterPlan:
    """How the default local cluster uses this machine: one worker process for interactive work
    (integrations, redraws, spectra) and training workers of one thread each (torch on one
    thread: the lab's models are too small to gain from more), both at a lower CPU priority than
    the web server: its loop serves every session's events and every newcomer's page, so under
    load it comes first, then the interactive worker (nice 4: a redraw), then training (nice 10).
    In a class on 2 cores the interactive worker at nice 4 instead of 0 took the felt redraw p95
    from 2.03 to 1.57-1.62 s (``benchmarks/classroom.py``)."""

    interactive_threads: int
    train_workers: int
    train_nice: int = 10
    interactive_nice: int = 4

    @classmethod
    def for_machine(cls, cores: int | None = None) -> "ClusterPlan":
        cores = cores or os.cpu_count() or 1
        train = max(1, (cores - 1) // 2)
        return cls(interactive_threads=max(2, cores - 1 - train), train_workers=train)

    def workers(self) -> dict:
        """Dask ``SpecCluster`` worker specs: resources route each kind of job to its workers."""
        from distributed import Nanny

        from core import THREAD_VARIABLES

        env = dict.fromkeys(THREAD_VARIABLES, "1")  # one thread per library: the plan counts threads
        common = _WORKER_OPTIONS
        specs = {"interactive": {"cls": Nanny, "options": {**common, "nthreads": self.interactive_threads,
                                                           "env": {**env, "CHAOSLAB_NICE": str(self.interactive_nice)},
                                                           "resources": {INTERACTIVE: self.interactive_threads}}}}
        for i in range(self.train_workers):
            specs[f"train-{i}"] = {"cls": Nanny, "options": {
                **common, "nthreads": 1, "resources": {TRAIN: 1},
                "env": {**env, "CHAOSLAB_NICE": str(self.train_nice)}}}
        return specs


_WORKER_OPTIONS = {"host": "127.0.0.1", "dashboard": False, "silence_logs": logging.WARNING}


@dataclass(frozen=True)
class BatchPlan:
    """A local cluster for batch work (the catalog sweep): ``processes`` workers of one thread each,
    every library on one thread: a cell is the unit of parallelism, and tuning budgets are per core."""

    processes: int

    def workers(self) -> dict:
        from distributed import Nanny

        from core import THREAD_VARIABLES

        options = {**_WORKER_OPTIONS, "nthreads": 1, "env": dict.fromkeys(THREAD_VARIABLES, "1")}
        return {f"batch-{i}": {"cls": Nanny, "options": options} for i in range(max(1, self.processes))}


def start_cluster(plan: "ClusterPlan | BatchPlan"):
    """A Dask cluster of ``plan``'s worker processes on this machine, and a client to it (the
    cluster is ``client.cluster``: close the client, then it). The lab's one launcher: the server's
    (``connect``, the machine's ``ClusterPlan``) and the sweep's (a ``BatchPlan``)."""
    from distributed import Client, Scheduler, SpecCluster

    cluster = SpecCluster(workers=plan.workers(), silence_logs=logging.WARNING,
                          scheduler={"cls": Scheduler, "options": {"host": "127.0.0.1", "dashboard": False,
                                                                  "dashboard_address": None}})
    return Client(cluster, set_as_default=False)


def _renice() -> None:
    """Give every thread of this worker the CPU priority ``$CHAOSLAB_NICE`` (training workers).

    On Linux a nice value belongs to a thread, not to the process: ``os.nice`` from the plugin
    lowered only the thread it ran on, and the thread that ran the trainings kept priority 0
    (2 of the training worker's 4 threads were at 0, found by reading ``/proc/<pid>/task``).
    Every thread present is set here; the threads started later inherit it from their creator."""
    nice = int(os.environ.get("CHAOSLAB_NICE", "0") or 0)
    if not nice:
        return
    tasks = Path("/proc/self/task")
    for tid in ([int(t.name) for t in tasks.iterdir()] if tasks.is_dir() else [0]):
        try:
            os.setpriority(os.PRIO_PROCESS, tid, max(nice, os.getpriority(os.PRIO_PROCESS, tid)))
        except (ProcessLookupError, PermissionError):  # a thread that ended meanwhile
            pass


_client = None
_cluster = None
_service: JobService | None = None
_lock = threading.Lock()


def _register_exit(fn: Callable[[], None]) -> None:
    """Run ``fn`` as the interpreter exits, before thread pools are shut: a future's done-callback
    runs on Dask's callback thread pool, and the one that a closing client fires after Python's
    own exit handler has shut that pool logs ``cannot schedule new futures after shutdown``.
    ``threading``'s exit hooks run before ``atexit``'s, newest first, so one registered now runs
    before ``concurrent.futures``'s (the hook it uses itself; ``atexit`` where there is none)."""
    register = getattr(threading, "_register_atexit", None)
    if register is None:  # pragma: no cover - every CPython since 3.9 has it
        atexit.register(fn)
    else:
        register(fn)


def connect(address: str | None = None, timeout: float = 10.0):
    """The lab's Dask client: to ``address`` (or ``$CHAOSLAB_SCHEDULER``) if given, else to a new
    local cluster planned by ``ClusterPlan.for_machine``. Raises ``SchedulerUnreachable`` (not
    a hang) when the address does not answer within ``timeout`` seconds."""
    global _client, _cluster
    with _lock:
        if _client is not None:
            return _client
        import dask
        from distributed import Client

        address = address or os.environ.get(ENV_ADDRESS) or None
        _register_exit(shutdown)
        # the scheduler's and client's INFO chatter (every client, variable and worker coming and
        # going, and a closing comm's traceback at exit) drowns the server log a class reads
        logging.getLogger("distributed").setLevel(logging.WARNING)
        if address:
            try:
                _client = Client(address, timeout=timeout, set_as_default=False)
            except (OSError, TimeoutError) as exc:
                raise SchedulerUnreachable(
                    f"the Dask scheduler at {address} did not answer within {timeout:g} s ({exc}); check the "
                    f"address (${ENV_ADDRESS} or --scheduler), or leave it empty to start a local cluster"
                ) from None
            return _client
        # a worker that dies fails its job with a message (KilledWorker) instead of retrying it
        # silently elsewhere; the scheduler runs in this process, so this config is its own
        dask.config.set({"distributed.scheduler.allowed-failures": 0})
        _client = start_cluster(ClusterPlan.for_machine())
        _cluster = _client.cluster
        _client.register_plugin(_on_start_plugin(_renice))
        return _client


def service() -> JobService:
    """The server-wide job service (connecting to the cluster on first use)."""
    global _service
    if _service is None:
        client = connect()
        with _lock:
            if _service is None:
                _service = JobService(client)
    return _service


def shutdown() -> None:
    """Close the service, the client and a cluster started here (at exit, before Dask's own
    clean-up and before Python shuts thread pools: a done-callback of a future cancelled by the
    closing client must find the service closed and its callback pool still open)."""
    global _client, _cluster, _service
    with _lock:
        if _service is not None:
            _service.shutdown()
        try:
            if _client is not None:
                _client.close()
            if _cluster is not None:
                _cluster.close()
        except Exception:  # pragma: no cover - already closed by Dask's own exit handler
            log.debug("closing the Dask cluster at exit", exc_info=True)
        _client = _cluster = _service = None
