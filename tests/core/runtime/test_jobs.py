"""The job layer on a real Dask LocalCluster (worker processes): queue, positions, fairness,
progress, partial results, Stop, cancellation, failures, a killed worker, an unreachable scheduler."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dask
import numpy as np
import pytest
from distributed import Client, Event, LocalCluster

from core.runtime import jobs
from core.runtime.jobs import CANCELLED, DONE, FAILED, INTERACTIVE, JobService, QueueFull, SchedulerUnreachable


def wait(condition, timeout=20.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


@pytest.fixture(scope="module")
def client():
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        cluster = LocalCluster(n_workers=1, threads_per_worker=3, processes=True, resources={"train": 1},
                               dashboard_address=None)
        client = Client(cluster, set_as_default=False)
        yield client
        client.close()
        cluster.close()


@pytest.fixture()
def service(client):
    service = JobService(client, max_queued=2, per_owner=2)
    yield service
    service.shutdown()


# job functions run in the worker process: they are imported there from this module
def blocking(release: str, *, job):
    """Report progress until the Dask event ``release`` is set; honour Stop."""
    event = Event(release)
    while not event.is_set():
        if job.stop.is_set():
            return None
        job.progress(0.5, {"epoch": 1, "loss": 0.25})
        time.sleep(0.02)
    return "result"


def publishes(*, job):
    job.publish({"short": [1, 2, 3]})
    while not job.requested("preview"):
        if job.stop.is_set():
            return None
        time.sleep(0.02)
    return "previewed"


def fails(*, job):
    raise ValueError("loss is NaN at epoch 3")


def answer(value, *, job):
    return value


def pid(*, job):
    return os.getpid()


def release(client, name):
    Event(name, client=client).set()


def test_a_job_reports_progress_and_returns_its_result(client, service):
    job = service.submit(blocking, "go-1", owner="s1", label="a")
    wait(lambda: job.progress == 0.5 and job.info == {"epoch": 1, "loss": 0.25} and job.eta is not None)
    assert job.history[-1] == (0.5, {"epoch": 1, "loss": 0.25})
    release(client, "go-1")
    wait(lambda: job.done)
    assert job.state == DONE and job.result == "result" and job.progress == 1.0


def test_the_queue_runs_one_training_per_slot_with_positions_and_a_limit(client, service):
    running = service.submit(blocking, "go-2", owner="a")
    wait(lambda: running.progress == 0.5)
    first = service.submit(blocking, "go-2", owner="b")
    second = service.submit(blocking, "go-2", owner="c")
    assert [service.queue_position(j) for j in (running, first, second)] == [0, 1, 2]
    time.sleep(0.3)
    assert first.progress == 0 and second.progress == 0  # a single training slot: they wait
    with pytest.raises(QueueFull, match="2 jobs waiting"):
        service.submit(blocking, "go-2", owner="d")
    release(client, "go-2")
    wait(lambda: second.done)
    assert {j.state for j in (running, first, second)} == {DONE}


def test_the_queue_is_fair_between_sessions_and_limits_each(client, service):
    busy = service.submit(blocking, "go-3", owner="greedy")
    wait(lambda: busy.progress == 0.5)
    again = service.submit(blocking, "go-3", owner="greedy")
    with pytest.raises(QueueFull, match="already has 2 training jobs"):
        service.submit(blocking, "go-3", owner="greedy")
    polite = service.submit(blocking, "go-3", owner="polite")
    # the session with nothing running goes first, though it asked later
    assert service.queue_position(polite) == 1 and service.queue_position(again) == 2
    release(client, "go-3")
    wait(lambda: again.done and polite.done)


def test_interactive_jobs_run_while_training_fills_its_slot(client, service):
    training = service.submit(blocking, "go-4", owner="trainer")
    wait(lambda: training.progress == 0.5)
    quick = service.submit(answer, 42, owner="student", kind=INTERACTIVE)
    wait(lambda: quick.done, timeout=10)
    assert quick.result == 42 and not training.done
    assert quick not in service.jobs()  # interactive jobs are forgotten once delivered
    release(client, "go-4")
    wait(lambda: training.done)


def test_partial_results_and_requests_reach_the_job(client, service):
    job = service.submit(publishes, owner="s")
    wait(lambda: job.partials == 1)
    assert service.partial(job) == {"short": [1, 2, 3]}
    service.request(job, "preview")
    wait(lambda: job.done)
    assert job.result == "previewed"


def test_cancelling_running_and_queued_jobs_and_a_closed_session(client, service):
    running = service.submit(blocking, "go-5", owner="session")
    wait(lambda: running.progress == 0.5)
    queued = service.submit(blocking, "go-5", owner="session")
    other = service.submit(answer, "kept", owner="someone else", kind=INTERACTIVE)
    assert service.cancel_owner("session") == 2
    wait(lambda: running.done and queued.done and other.done)
    assert running.state == CANCELLED and queued.state == CANCELLED
    assert other.state == DONE and other.result == "kept"
    service.forget_owner("session")
    assert not service.jobs("session")


def test_a_failing_job_carries_its_error_and_the_service_goes_on(client, service):
    job = service.submit(fails)
    wait(lambda: job.done)
    assert job.state == FAILED and job.error == "loss is NaN at epoch 3"
    after = service.submit(answer, 42)
    wait(lambda: after.done)
    assert after.result == 42


def test_a_killed_worker_fails_its_job_with_a_message_and_the_job_can_run_again(client, service):
    job = service.submit(blocking, "go-6", owner="s")
    wait(lambda: job.progress == 0.5)
    worker_pid = next(iter(client.run(os.getpid).values()))
    os.kill(worker_pid, signal.SIGKILL)
    wait(lambda: job.done, timeout=30)
    assert job.state == FAILED and "worker process running this job died" in job.error
    client.wait_for_workers(1, timeout=60)  # the nanny starts a new worker
    again = service.submit(pid, owner="s")
    wait(lambda: again.done, timeout=60)
    assert again.state == DONE and again.result != worker_pid


def test_an_unreachable_scheduler_is_a_clear_error_not_a_hang():
    start = time.time()
    with pytest.raises(SchedulerUnreachable, match="tcp://127.0.0.1:9 did not answer"):
        jobs.connect("tcp://127.0.0.1:9", timeout=2)
    assert time.time() - start < 30


class Heavy:
    def __init__(self, n):
        self.data = list(range(n))

    def light(self):
        return len(self.data)


def heavy(n, *, job):
    return Heavy(n)


def total(kept, *, job):
    return sum(kept.data)


def test_a_kept_result_stays_on_the_worker_and_later_jobs_run_next_to_it(client, service):
    job = service.submit(heavy, 1000, kind=INTERACTIVE, keep=True)
    wait(lambda: job.done)
    assert job.result == 1000 and job.handle is not None  # the light copy here, the data there
    follow = service.submit(total, job.handle, kind=INTERACTIVE)
    wait(lambda: follow.done)
    assert follow.result == sum(range(1000))


def test_the_local_plan_comes_from_the_machine_and_routes_jobs_by_resources():
    two, sixteen = jobs.ClusterPlan.for_machine(2), jobs.ClusterPlan.for_machine(16)
    assert (two.interactive_threads, two.train_workers) == (2, 1)
    assert (sixteen.interactive_threads, sixteen.train_workers) == (8, 7)
    specs = two.workers()
    assert specs["interactive"]["options"]["resources"] == {INTERACTIVE: 2}
    assert specs["interactive"]["options"]["env"]["CHAOSLAB_NICE"] == "4"  # below the server's loop
    train = specs["train-0"]["options"]
    assert train["nthreads"] == 1 and train["resources"] == {"train": 1} and train["env"]["CHAOSLAB_NICE"] == "10"


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads each thread's nice value from /proc")
def test_a_training_worker_runs_every_thread_at_low_priority():
    # Linux nices a thread, not a process: threads that exist before the plugin and threads
    # started after it (the one that runs the training) must all be at the lowered priority
    script = """
import os, threading, time
from pathlib import Path
from core.runtime import jobs
before = threading.Thread(target=time.sleep, args=(2,)); before.start()
jobs._renice()
after = threading.Thread(target=time.sleep, args=(1,)); after.start()
print(sorted({int((t / "stat").read_text().rsplit(")", 1)[1].split()[16]) for t in Path("/proc/self/task").iterdir()}))
"""
    out = subprocess.run([sys.executable, "-c", script], env={**os.environ, "CHAOSLAB_NICE": "7"},
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["[7]"]


class Kept:
    """A result whose light copy is its length."""

    def __init__(self, values):
        self.values = values

    def light(self):
        return len(self.values)


def counted(path: str, n: int, seconds: float, *, job):
    """A worker's computation that leaves a line in ``path`` each time it really runs."""
    with open(path, "a") as log:
        log.write("ran\n")
    deadline = time.time() + seconds
    while time.time() < deadline:
        time.sleep(0.02)
    return Kept(np.arange(n, dtype=float))


def test_a_shared_request_is_computed_once_for_every_session_that_asks(client, service, tmp_path):
    runs = tmp_path / "runs"
    first = service.submit(counted, str(runs), 10_000, 0.5, owner="teacher", kind=INTERACTIVE, keep=True,
                           share="Lorenz rho=35")
    second = service.submit(counted, str(runs), 10_000, 0.5, owner="student", kind=INTERACTIVE, keep=True,
                            share="Lorenz rho=35")
    wait(lambda: first.done and second.done)
    assert first.state == second.state == DONE
    assert runs.read_text().count("ran") == 1  # one computation ...
    assert first.handle.key == second.handle.key  # ... held once on the workers, for both
    assert np.array_equal(first.handle.fetch().values, second.handle.fetch().values)
    # another request is its own computation
    other = service.submit(counted, str(runs), 10, 0.0, owner="student", kind=INTERACTIVE, keep=True, share="Rossler")
    wait(lambda: other.done)
    assert runs.read_text().count("ran") == 2 and other.handle.key != first.handle.key
    # a session that moves on lets go of a shared job; the other still gets it
    leaving = service.submit(counted, str(runs), 10, 1.0, owner="teacher", kind=INTERACTIVE, share="Thomas")
    staying = service.submit(counted, str(runs), 10, 1.0, owner="student", kind=INTERACTIVE, share="Thomas")
    service.cancel(leaving)
    wait(lambda: staying.done)
    assert leaving.state == CANCELLED and staying.state == DONE and len(staying.result.values) == 10


def test_a_process_that_exits_with_jobs_running_exits_without_a_traceback():
    # Python shuts its thread pools before atexit handlers run: a job service closed from atexit
    # let the cancelled futures' done-callbacks hit Dask's closed callback pool ("cannot schedule
    # new futures after interpreter shutdown", logged with a traceback on every stop of a lab).
    # Closing, it also lets running jobs stop before their workers close (a worker killed under a
    # job left its own client to die noisily) and unsubscribes from job events first (one forwarded
    # to the closing client was a CRITICAL 'Closed comm' traceback): each came in about half the runs
    script = Path(__file__).with_name("exit_with_jobs.py")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    assert "states: ['running', 'running']" in done.stdout
    for sign in ("Traceback", "cannot schedule", "CRITICAL"):
        assert sign not in done.stderr, done.stderr
