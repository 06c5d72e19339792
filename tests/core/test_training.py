"""The training service: concurrency, queue limit and positions, cancellation, failures."""

import threading
import time

import pytest

from core.training import CANCELLED, DONE, FAILED, QueueFull, TrainingService


def wait(condition, timeout=5.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return
        time.sleep(0.01)
    raise AssertionError("condition not met in time")


def blocking_job(release: threading.Event, started: list):
    def fn(progress, stop):
        started.append(time.time())
        while not release.is_set():
            if stop.is_set():
                return None
            progress(0.5, {"epoch": 1})
            time.sleep(0.01)
        return "result"

    return fn


def test_two_jobs_run_concurrently_and_report_progress():
    service = TrainingService(max_concurrent=2)
    release, started = threading.Event(), []
    a = service.submit(blocking_job(release, started), owner="s1", label="a")
    b = service.submit(blocking_job(release, started), owner="s2", label="b")
    wait(lambda: len(started) == 2)  # both running before either finished
    wait(lambda: a.progress == 0.5 and a.info == {"epoch": 1} and a.eta is not None)
    release.set()
    wait(lambda: a.done and b.done)
    assert a.state == DONE and a.result == "result" and a.progress == 1.0
    service.shutdown()


def test_queue_positions_and_limit():
    service = TrainingService(max_concurrent=1, max_queued=2)
    release, started = threading.Event(), []
    running = service.submit(blocking_job(release, started))
    wait(lambda: started)
    first = service.submit(blocking_job(release, started))
    second = service.submit(blocking_job(release, started))
    assert (service.queue_position(running), service.queue_position(first), service.queue_position(second)) == (0, 1, 2)
    with pytest.raises(QueueFull, match="2 jobs waiting"):
        service.submit(blocking_job(release, started))
    release.set()
    wait(lambda: second.done)
    service.shutdown()


def test_cancelling_running_and_queued_jobs_and_a_closed_session():
    service = TrainingService(max_concurrent=1)
    release, started = threading.Event(), []
    running = service.submit(blocking_job(release, started), owner="session")
    wait(lambda: started)
    queued = service.submit(blocking_job(release, started), owner="session")
    other = service.submit(lambda progress, stop: "kept", owner="someone else")
    assert service.cancel_owner("session") == 2
    wait(lambda: running.done and queued.done and other.done)
    assert running.state == CANCELLED and queued.state == CANCELLED and len(started) == 1
    assert other.state == DONE and other.result == "kept"
    service.shutdown()


def test_a_failing_job_carries_its_error():
    service = TrainingService(max_concurrent=1)

    def fails(progress, stop):
        raise ValueError("loss is NaN at epoch 3")

    job = service.submit(fails)
    wait(lambda: job.done)
    assert job.state == FAILED and job.error == "ValueError: loss is NaN at epoch 3"
    after = service.submit(lambda progress, stop: 42)  # the service keeps working
    wait(lambda: after.done)
    assert after.result == 42
    service.shutdown()


def test_the_service_sets_torch_threads_once_for_every_job():
    import torch

    before = torch.get_num_threads()
    service = TrainingService(max_concurrent=1, torch_threads=1)
    try:
        job = service.submit(lambda progress, stop: torch.get_num_threads())
        wait(lambda: job.done, timeout=30)
        assert job.result == 1
    finally:
        service.shutdown()
        torch.set_num_threads(before)
