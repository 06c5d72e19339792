import asyncio
import logging

from tornado.websocket import WebSocketClosedError

from dashboards.lab import _quiet_disconnects


def test_a_write_to_a_closed_browser_is_one_line_and_other_loop_errors_keep_their_traceback(caplog):
    async def lesson():
        _quiet_disconnects()
        _quiet_disconnects()  # a second session installs nothing more
        loop = asyncio.get_running_loop()
        loop.call_exception_handler({"message": "Task exception was never retrieved",
                                     "exception": WebSocketClosedError()})
        loop.call_exception_handler({"message": "Task exception was never retrieved",
                                     "exception": ValueError("a real bug")})

    with caplog.at_level(logging.INFO):
        asyncio.run(lesson())
    records = [(r.name, r.levelname, r.getMessage(), r.exc_info) for r in caplog.records]
    assert ("dashboards.lab", "INFO", "a browser left while the server was writing to it", None) in records
    errors = [r for r in records if r[1] == "ERROR"]
    assert len(errors) == 1 and errors[0][0] == "asyncio" and isinstance(errors[0][3][1], ValueError)


def test_panel_collects_a_closed_session_s_garbage_only_after_a_quiet_minute(monkeypatch):
    """Panel's eager full collection after a session closes froze every page of a lesson for
    0.5-0.8 s each time; it now waits for GC_QUIET seconds without a session closing. Read
    through Panel's own function, so a Panel that renames its setting fails here."""
    import time

    from panel.io import document

    from dashboards.lab import GC_QUIET, _collect_when_quiet

    _collect_when_quiet()
    collected, rescheduled = [], []
    monkeypatch.setattr(document.gc, "collect", lambda *a: collected.append(a))
    monkeypatch.setattr(document.state, "schedule_task", lambda name, callback, **kw: rescheduled.append(name))
    monkeypatch.setattr(document, "_panel_last_cleanup", time.monotonic() - 10.0)  # a session closed 10 s ago
    document._garbage_collect()
    assert (collected, rescheduled) == ([], ["gc.collect"])
    monkeypatch.setattr(document, "_panel_last_cleanup", time.monotonic() - GC_QUIET - 1.0)
    document._garbage_collect()
    assert collected == [()]
