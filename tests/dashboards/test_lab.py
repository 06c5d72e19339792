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
