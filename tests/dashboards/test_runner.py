"""dashboards.background.Runner in a session: the newest request wins, and a coalescing runner keeps at
most one job in flight however fast requests come (a session flooding widget events)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from core.runtime import jobs
from dashboards import background as page_jobs
from dashboards.background import Runner


class FakeService:
    """The job service's side a Runner uses; the test ends jobs by hand."""

    def __init__(self):
        self.submitted, self.cancelled, self.listeners = [], [], {}

    def submit(self, fn, *args, owner="", label="", kind=jobs.INTERACTIVE, keep=False, share=None, **kwargs):
        job = jobs.Job(id=len(self.submitted), label=label, owner=owner, kind=kind, share=share)
        job.state, job.call = jobs.RUNNING, (fn, args, kwargs)
        self.submitted.append(job)
        return job

    def on_done(self, job, callback):
        self.listeners[job.id] = callback

    def cancel(self, job):
        job.stopping = True
        self.cancelled.append(job)

    def end(self, job, state=jobs.DONE, result=None):
        job.state, job.result = state, result
        self.listeners.pop(job.id)(job)


@pytest.fixture
def session(monkeypatch):
    service = FakeService()
    doc = SimpleNamespace(session_context=SimpleNamespace(id="session-1"),
                          add_next_tick_callback=lambda callback: callback(),  # the loop, at once
                          add_periodic_callback=lambda callback, period: callback,  # progress polls: not run
                          remove_periodic_callback=lambda handle: None, on_session_destroyed=lambda callback: None)
    monkeypatch.setattr(page_jobs, "session_doc", lambda: doc)
    monkeypatch.setattr(jobs, "service", lambda: service)
    yield service
    page_jobs._watched_sessions.discard("session-1")


def ask(runner, value, shown, share="small"):
    runner.run(lambda value, job: value, value, share=share, on_result=lambda job: shown.append(job.call[1][0]),
               on_error=lambda message: shown.append(message))


def test_a_flood_of_requests_keeps_one_job_in_flight_and_sends_only_the_newest(session):
    runner, shown = Runner(coalesce=True), []
    for value in range(100):  # a hundred changes before the first picture comes back
        ask(runner, value, shown)
    assert [job.call[1][0] for job in session.submitted] == [0]
    assert session.cancelled == []  # a short shared job is let finish, not stopped and redone
    session.end(session.submitted[0])
    assert shown == [] and [job.call[1][0] for job in session.submitted] == [0, 99]  # 1 … 98: never sent
    session.end(session.submitted[1])
    assert shown == [99]


def test_long_work_in_flight_is_stopped_for_the_newest_request(session):
    runner, shown = Runner(coalesce=True), []
    ask(runner, "ten million points", shown, share=None)
    ask(runner, "rho 40", shown, share=None)
    ask(runner, "rho 41", shown, share=None)
    assert [job.call[1][0] for job in session.cancelled] == ["ten million points"]  # stopped once
    session.end(session.submitted[0], jobs.CANCELLED)
    assert [job.call[1][0] for job in session.submitted] == ["ten million points", "rho 41"]
    session.end(session.submitted[1])
    assert shown == ["rho 41"]  # and no "stopped" message for the work it replaced


def test_stop_drops_the_waiting_request_and_hides_the_progress(session):
    progress = SimpleNamespace(visible=True, value=0)
    stop_button = SimpleNamespace(visible=True, on_click=lambda callback: None)
    runner, shown = Runner(progress, stop_button, coalesce=True), []
    ask(runner, 1, shown, share=None)
    ask(runner, 2, shown, share=None)
    runner.stop()
    session.end(session.submitted[0], jobs.CANCELLED)
    assert len(session.submitted) == 1 and shown == []
    assert not progress.visible and not stop_button.visible


def test_without_coalescing_each_request_is_sent_and_the_last_one_shown(session):
    runner, shown = Runner(), []
    for value in range(3):
        ask(runner, value, shown, share=None)
    assert len(session.submitted) == 3 and len(session.cancelled) == 2
    for job in session.submitted:
        session.end(job)
    assert shown == [2]


def test_work_for_the_session_runs_on_its_loop_with_the_document_held(monkeypatch):
    ran, scheduled, held = [], [], []
    page_jobs.on_session_loop(lambda: ran.append("at once"))  # no session (a test, a notebook)
    assert ran == ["at once"]

    doc = SimpleNamespace(session_context=SimpleNamespace(id="session-2"), add_next_tick_callback=scheduled.append)

    class Hold:  # pn.io.hold(doc): the messages of what runs inside go as one
        def __init__(self, of):
            held.append(of)

        def __enter__(self):
            ran.append("held")

        def __exit__(self, *exc):
            ran.append("sent")

    monkeypatch.setattr(page_jobs, "session_doc", lambda: doc)
    monkeypatch.setattr(page_jobs.pn.io, "hold", Hold)
    page_jobs.on_session_loop(lambda: ran.append("on the loop"))
    assert ran == ["at once"] and len(scheduled) == 1  # a server thread only schedules it
    scheduled.pop()()  # the loop's next tick
    assert ran == ["at once", "held", "on the loop", "sent"] and held == [doc]
    page_jobs.on_session_loop(lambda: ran.append("not held"), hold=False)
    scheduled.pop()()
    assert ran[-1] == "not held" and held == [doc]


def test_play_ticks_on_the_sessions_loop_and_nothing_moves_after_pause(session):
    ticks, periodic = [], []
    doc = page_jobs.session_doc()
    doc.add_periodic_callback = lambda callback, period: periodic.append(callback) or callback
    toggle = page_jobs.PlayToggle(lambda: ticks.append(1), 50, label="Run")
    toggle.button.value = True
    assert toggle.playing and toggle.button.label == "Pause" and len(periodic) == 1
    periodic[0]()
    periodic[0]()
    assert len(ticks) == 2
    toggle.pause()
    periodic[0]()  # a tick already due when Pause arrived: dropped, nothing painted
    assert len(ticks) == 2 and toggle.button.label == "Run" and not toggle.playing
