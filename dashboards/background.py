"""How every tab runs background work: one ``Runner`` per kind of request.

The newest request wins (an older one is stopped and its result dropped); progress and Stop
appear only when the work lasts long enough to need them; the result is published on the
session's own event loop as soon as the job ends (``add_next_tick_callback``, no polling delay);
a closed session's jobs are cancelled and forgotten. Outside a server session (tests, notebooks,
benchmarks) the same job function runs inline, so one code path serves both.
"""

from __future__ import annotations

import threading
import time
from functools import partial
from typing import Callable

import panel as pn

from core.runtime import jobs

_watched_sessions: set[str] = set()


def session_doc():
    """The Bokeh document of the current server session, or None outside one."""
    doc = pn.state.curdoc
    return doc if doc is not None and doc.session_context is not None else None


def on_session_loop(fn: Callable[[], None], hold: bool = True) -> None:
    """``fn()`` on the current session's event loop, with its document held (``hold``) so that all
    it changes reaches the browser as one message; at once outside a server session (tests, notebooks).

    For work that a widget event starts: Panel delivers events on a server thread (``--num-threads``),
    while new or changed Bokeh models belong on the session's loop."""
    doc = session_doc()
    if doc is None:
        fn()
        return

    def held() -> None:
        with pn.io.hold(doc):
            fn()

    doc.add_next_tick_callback(held if hold else fn)


def _forget_session_on_close(doc) -> None:
    session = doc.session_context.id
    if session in _watched_sessions:
        return
    _watched_sessions.add(session)

    def closed(context):
        _watched_sessions.discard(context.id)
        jobs.service().forget_owner(context.id)

    doc.on_session_destroyed(closed)


def _to_session(doc, callback: Callable[[], None]) -> None:
    """``callback`` on the session's loop, unless the session has closed meanwhile (Bokeh has then
    destroyed its document, and scheduling on it raises): a result nobody is there to see."""
    if doc.session_context is None or doc.session_context.id not in _watched_sessions:
        return
    try:
        doc.add_next_tick_callback(callback)
    except AttributeError:  # destroyed between the check and the call
        pass


def on_session_close(callback: Callable[[], None]) -> None:
    """Call ``callback()`` when the current server session closes (nothing outside one)."""
    doc = session_doc()
    if doc is not None:
        doc.on_session_destroyed(lambda context: callback())


class Ticker:
    """``callback()`` every ``period`` ms on the session's event loop, with its document locked.

    Not ``pn.state.add_periodic_callback``: under ``--num-threads`` Panel hands each tick to its
    thread pool without waiting for the last, so on a busy machine ticks overlap and queue ahead
    of the page's own events (a Pause arrived a second after it was pressed, frames kept coming).
    Here a tick runs on the loop, a late one is skipped (Tornado's periodic callback), and one
    that runs after ``stop`` does nothing: nothing is painted after Pause. Outside a server
    session it does nothing; tests call the callback themselves.
    """

    def __init__(self, callback: Callable[[], None], period: int):
        self.callback, self.period = callback, period
        self._lock = threading.Lock()
        self._running = False
        self._handle = None  # Bokeh's periodic callback, once added on the loop
        self._doc = None

    @property
    def running(self) -> bool:
        return self._running

    def start(self) -> None:
        doc = session_doc()
        if doc is None:
            return
        with self._lock:
            if self._running:
                return
            self._running, self._doc = True, doc

        def begin() -> None:  # on the loop: Bokeh's session callbacks are added there
            with self._lock:
                if self._running and self._handle is None:
                    self._handle = doc.add_periodic_callback(self._tick, self.period)

        doc.add_next_tick_callback(begin)

    def stop(self) -> None:
        with self._lock:
            self._running = False
            handle, self._handle, doc = self._handle, None, self._doc
        if handle is not None:
            doc.add_next_tick_callback(partial(_remove_periodic, doc, handle))

    def _tick(self) -> None:
        if self._running:  # a tick already due when Pause arrived is dropped
            self.callback()



class PlayToggle:
    """A Play/Pause toggle driving a ``Ticker``: on Pause the ticker stops first and the label
    changes after, so the label's change reaches the page after the last frame painted (nothing
    moves after Pause; a test waits on the label, not on the clock)."""

    def __init__(self, callback: Callable[[], None], period: int, label: str = "Play", width: int = 80):
        self.label = label
        self.ticker = Ticker(callback, period)
        self.button = pn.widgets.Toggle(label=label, width=width, color="primary")
        pn.bind(self._toggled, self.button, watch=True)

    def _toggled(self, playing: bool) -> None:
        if playing:
            self.ticker.start()
            self.button.label = "Pause"
        else:
            self.ticker.stop()
            self.button.label = self.label

    @property
    def playing(self) -> bool:
        return self.button.value

    def pause(self) -> None:
        if self.button.value:
            self.button.value = False


def _remove_periodic(doc, handle) -> None:
    try:
        doc.remove_periodic_callback(handle)
    except ValueError:  # already gone with its session
        pass


class Runner:
    """Runs one kind of request of a tab; ``progress`` and ``stop_button`` are shown while it runs."""

    def __init__(self, progress=None, stop_button=None, show_after: float = 0.3, period: int = 150,
                 coalesce: bool = False):
        """``coalesce``: while a request is in flight, a new one waits for it to end (a short shared
        one finishes, anything else is stopped) and only the newest waiting request is sent, so a
        session typing or scripting a hundred changes a second keeps at most one job of this
        runner on the cluster instead of flooding the workers every other session shares."""
        self.progress, self.stop_button = progress, stop_button
        self.show_after, self.period, self.coalesce = show_after, period, coalesce
        self.job: jobs.Job | None = None
        self._pending: Callable[[], None] | None = None  # sends the newest request waiting for the one in flight
        self._token = 0
        self._poll: Ticker | None = None
        self._partials_seen = 0
        if stop_button is not None:
            stop_button.on_click(lambda _: self.stop())

    @property
    def running(self) -> bool:
        return self.job is not None and not self.job.done

    def run(self, fn: Callable, *args, on_result: Callable, on_error: Callable, kind: str = jobs.INTERACTIVE,
            label: str = "", keep: bool = False, share: str | None = None, on_progress: Callable | None = None,
            on_partial: Callable | None = None, **kwargs) -> None:
        """Submit ``fn(*args, **kwargs, job=…)``; later, on the session's loop, ``on_result(job)``
        (``job.result``, and ``job.handle`` with ``keep``) or ``on_error(message)``. ``share``:
        the request's name, for work every session asking the same gets from one computation."""
        self._token += 1
        token = self._token
        doc = session_doc()
        if doc is not None and self.coalesce and self.running:
            self._pending = partial(self._submit, doc, token, fn, args, kwargs, on_result, on_error, kind, label,
                                    keep, share, on_progress, on_partial)
            if self.job.share is None and not self.job.stopping:  # long work: stop it; short shared work ends soon
                jobs.service().cancel(self.job)
            return
        self._pending = None
        self.stop()
        if doc is None:
            self._run_inline(fn, args, kwargs, on_result, on_error, on_partial, keep, label)
            return
        self._submit(doc, token, fn, args, kwargs, on_result, on_error, kind, label, keep, share, on_progress,
                     on_partial)

    def _submit(self, doc, token, fn, args, kwargs, on_result, on_error, kind, label, keep, share, on_progress,
                on_partial) -> None:
        try:
            job = jobs.service().submit(fn, *args, owner=doc.session_context.id, label=label, kind=kind, keep=keep,
                                        share=share, **kwargs)
        except jobs.JobError as exc:
            on_error(str(exc))
            return
        _forget_session_on_close(doc)
        self.job, self._partials_seen = job, 0
        self._stop_polling()
        if self.progress is not None or on_progress or on_partial:
            self._poll = Ticker(partial(self._tick, on_progress, on_partial), self.period)
            self._poll.start()
        jobs.service().on_done(job, lambda done: _to_session(doc, partial(
            self._deliver, token, done, on_result, on_error, on_progress, on_partial)))

    def run_here(self, fn: Callable, *args, on_result: Callable, on_error: Callable, keep: bool = False,
                 label: str = "", **kwargs) -> None:
        """``run``, but in this process and before returning (a page's first, small picture)."""
        self._token += 1
        self.stop()
        self._run_inline(fn, args, kwargs, on_result, on_error, None, keep, label)

    def stop(self) -> None:
        """Stop the running job (its result will not be shown), and forget a waiting request."""
        self._pending = None
        if self.running and session_doc() is not None:
            jobs.service().cancel(self.job)

    def preview(self) -> None:
        """Ask the running job for a partial result (it answers through ``on_partial``)."""
        if self.running:
            jobs.service().request(self.job, "preview")

    # -- on the session's loop ------------------------------------------------------------------
    def _tick(self, on_progress, on_partial) -> None:
        job = self.job
        if job is None:
            return
        if self.progress is not None and job.state == jobs.RUNNING and job.started \
                and time.time() - job.started > self.show_after:
            value = int(100 * job.progress)
            if self.progress.value != value:
                self.progress.value = value
            self._show(True)
        if on_progress is not None:
            on_progress(job)
        if on_partial is not None and job.partials > self._partials_seen:
            self._partials_seen = job.partials
            value = jobs.service().partial(job)
            if value is not None:
                on_partial(value)

    def _deliver(self, token, job, on_result, on_error, on_progress, on_partial) -> None:
        if self._pending is not None and job is self.job:  # the one in flight ended: send the newest waiting
            pending, self._pending = self._pending, None
            pending()
            return
        if token != self._token:  # superseded: a newer request owns the page
            if job is self.job:  # but none was sent (Stop dropped the waiting one): nothing runs now
                self._stop_polling()
                self._show(False)
            return
        self._stop_polling()
        if on_partial is not None and job.partials > self._partials_seen:
            self._partials_seen = job.partials  # the final result contains it
        if on_progress is not None:
            on_progress(job)
        self._show(False)
        if job.state == jobs.DONE:
            on_result(job)
        elif job.state == jobs.CANCELLED:
            on_error("stopped; what was shown before is kept")
        else:
            on_error(job.error or "the job failed")

    def _stop_polling(self) -> None:
        if self._poll is not None:
            self._poll.stop()
            self._poll = None

    def _show(self, visible: bool) -> None:
        if self.progress is not None and self.progress.visible != visible:
            self.progress.visible = visible
        if self.stop_button is not None and self.stop_button.visible != visible:
            self.stop_button.visible = visible

    # -- without a server -----------------------------------------------------------------------
    def _run_inline(self, fn, args, kwargs, on_result, on_error, on_partial, keep, label) -> None:
        job = jobs.Job(id=0, label=label, owner="", kind=jobs.INTERACTIVE)
        try:
            args, kwargs = jobs.unwrap(args, kwargs)
            result = fn(*args, **kwargs, job=jobs.local_context(publish=on_partial))
        except Exception as exc:  # the same sentence a worker's failure gives
            on_error(jobs.describe(exc))
            return
        job.state, job.progress = jobs.DONE, 1.0
        job.result, job.handle = (result.light(), jobs.Handle(value=result)) if keep else (result, None)
        self.job = job
        on_result(job)
