"""The training queue's policy alone (core.runtime.jobs.FairQueue): no cluster, jobs are plain records."""

from dataclasses import dataclass

import pytest

from core.runtime.jobs import FairQueue, QueueFull


@dataclass(eq=False)
class Job:
    id: int
    owner: str


def jobs(*owners):
    return [Job(i, owner) for i, owner in enumerate(owners, start=1)]


def test_one_job_per_slot_the_rest_wait_in_order_with_positions():
    queue = FairQueue(slots=1, max_queued=8, per_owner=8)
    first, second, third = jobs("a", "a", "a")
    for job in (first, second, third):
        queue.add(job)
    assert queue.ready() == [first] and queue.ready() == []  # one slot: the others wait
    assert [queue.position(j) for j in (first, second, third)] == [0, 1, 2]
    queue.discard(first)  # it ended: its slot is free
    assert queue.ready() == [second] and queue.position(third) == 1


def test_a_burst_from_one_session_does_not_starve_another():
    queue = FairQueue(slots=1, max_queued=8, per_owner=3)
    busy = jobs("busy", "busy", "busy")
    for job in busy:
        queue.add(job)
    assert queue.ready() == [busy[0]]
    polite = Job(10, "polite")  # came last, but its session runs nothing
    queue.add(polite)
    assert queue.order() == [polite, busy[1], busy[2]]  # while busy runs one, polite is next
    queue.discard(busy[0])  # with nothing running, the order they came in
    assert queue.ready() == [busy[1]] and queue.order() == [polite, busy[2]]


def test_the_queue_and_each_session_are_bounded_with_a_message():
    queue = FairQueue(slots=1, max_queued=2, per_owner=2)
    a1, a2, a3, b1, c1 = Job(1, "a"), Job(2, "a"), Job(3, "a"), Job(4, "b"), Job(5, "c")
    queue.add(a1)
    queue.ready()  # a1 runs
    queue.add(a2)
    with pytest.raises(QueueFull, match="already has 2 training jobs"):  # running ones count too
        queue.add(a3)
    queue.add(b1)
    with pytest.raises(QueueFull, match="queue is full"):
        queue.add(c1)
    queue.discard(a2)  # a waiting job cancelled: its place is free, and its session's share
    queue.add(c1)
    assert queue.order() == [b1, c1]
    queue.clear()
    assert queue.order() == [] and queue.ready() == []


def test_several_slots_start_several_and_anonymous_jobs_have_no_share_limit():
    queue = FairQueue(slots=2, max_queued=8, per_owner=1)
    anonymous = jobs("", "", "")
    for job in anonymous:
        queue.add(job)  # no owner (a script): only the queue's bound applies
    assert queue.ready() == anonymous[:2] and queue.position(anonymous[2]) == 1
