"""A class on one server, loaded the way a class loads it: students are protocol-level clients,
one real Chromium session measures what a person feels.

    .venv/bin/python -m benchmarks.classroom [--students 30] [--trainings 3]
                                                         [--duration 120] [--churn 200] [--flood 100]
                                                         [--newcomers class|chromium|protocol] [--num-procs 2]

In a lesson every browser runs on its student's own machine, so the students here are Bokeh
websocket clients (``bokeh.client``), not Chromium renderers on the server's two cores: each pulls
the real page, says ``document_ready`` as BokehJS does (Panel holds a session's batched patches
until it hears it: without it the images never arrive, which is why an earlier try saw a value
reach the server and no picture come back), changes the real ρ box and waits for the new
attractor image. Half follow the teacher (the same value, all within two seconds, every 20 s),
half explore on their own (their own value, changed about 3 s after each picture arrives). Three more clients
open the Forecast tab and train an LSTM, a GRU and a neural ODE (auto-tune off). One Chromium
session measures the felt redraw: from the key press in the ρ box to the new image in its Bokeh
document plus two painted frames.

A newcomer arrives every 10 s. In a lesson a newcomer's browser runs on the newcomer's own
machine, so by default (``--newcomers class``) two of every three newcomers are protocol clients
(what a newcomer costs the server: the page's build, its serialisation, its first picture), and
every third is opened by the measuring person in their own Chromium, between their redraws (one
person's browser doing one thing at a time), timed from ``goto`` to the attractor painted: the
newcomer's page as felt, under the class's load. ``--newcomers chromium`` opens every newcomer in
Chromium on the server's two cores, beside the measuring session (the setting of the stops before
2026-12-07: it puts up to two renderers on the cores the server and its workers share, which no
class does); ``--newcomers protocol`` makes them all protocol clients (``--protocol-newcomers``, the
older spelling, still works).

With ``--num-procs 2`` the lab is served by two Panel processes (``panel serve --num-procs 2``)
sharing a department's cluster, started here as separate processes shaped like the local one
(``dask scheduler``; an interactive worker at nice 4, training workers at nice 10): a newcomer's
page build then holds one process's loop, not every session's. (A LocalCluster cannot be shared
by forked servers.)

With ``--flood 100`` one more session changes ρ a hundred times a second from a script all lesson:
the others' redraws must still meet the targets.

Then ``--churn`` sessions of 10^6 points are opened and closed one after another by a protocol
client, and the resident memory of the server and of its Dask workers is printed before and after.

Targets (issue 20, this 2-core machine): 30 students, 3 trainings, a newcomer every 10 s for 120 s:
felt redraw p95 ≤ 1.5 s, newcomer's page ≤ 3 s, every training finishes, 0 tracebacks; memory
after 200 sessions: server +≤ 20 MB, workers flat.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import multiprocessing as mp
import pkgutil
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

from benchmarks.load import memory_mb, open_page, redraw, summary  # noqa: E402
from benchmarks.served import department, lab_server  # noqa: E402
from tests.browser.conftest import CHROMIUM_FLAGS  # noqa: E402
from tests.browser.helpers import server_errors  # noqa: E402

TEACHER_PERIOD = 20.0  # seconds between the teacher's changes
TEACHER_VALUES = [35.0, 40.0, 31.0, 45.0, 26.0, 38.0, 33.0]
EXPLORER_THINK = 3.0  # mean seconds between an explorer's changes
TARGETS = {"felt redraw p95": 1.5, "newcomer's page": 3.0}
NEWCOMERS = {  # --newcomers: how a newcomer comes (see the module's text)
    "class": "protocol clients, every third opened in the measuring person's Chromium",
    "chromium": "each in Chromium on the server's cores",
    "protocol": "each a protocol client",
}


# --------------------------------------------------------------------------------------------
# A protocol-level visitor


def _prepare_client() -> None:
    """Every Panel model class, so a pulled document deserialises (Location, DataTabulator …);
    and Bokeh's client reading its messages in a loop instead of by recursion: its own
    ``_handle_messages`` awaits the next message from inside the last one, so a session that
    receives a thousand patches (a training's loss curve) dies of a RecursionError."""
    import panel.models
    from bokeh.client.connection import ClientConnection

    for module in pkgutil.iter_modules(panel.models.__path__):
        try:
            importlib.import_module(f"panel.models.{module.name}")
        except ImportError:  # an optional model whose library is not installed
            pass

    async def handle_messages(self) -> None:
        from bokeh.client.states import DISCONNECTED, ErrorReason

        message = await self._pop_message()
        if message is None:
            await self._transition_to_disconnected(DISCONNECTED(ErrorReason.HTTP_ERROR, 500, "Internal server error."))
            return
        if message.msgtype == "PATCH-DOC":
            self._session._handle_patch(message)
        self._loop.add_callback(self._next)  # the next message on the next turn of the loop

    ClientConnection._handle_messages = handle_messages


class Visitor:
    """One session of the real page over Bokeh's websocket protocol, on its own IOLoop (a thread)."""

    def __init__(self, url: str, **query):
        from bokeh.client import pull_session

        start = time.monotonic()
        self.session = pull_session(url=url, arguments={k: str(v) for k, v in query.items()})
        self.pulled = time.monotonic() - start
        self.doc = self.session.document
        self.loop = self.session._connection._loop

    def ready(self) -> None:
        """What BokehJS says once the page is shown: Panel's onload callbacks and patches follow."""
        from bokeh.events import DocumentReady

        self.doc.callbacks.send_event(DocumentReady())

    def find(self, kind: str, **attributes):
        """The first model whose class name ends with ``kind`` (Panel's own ``CustomSelect`` is a
        Select) and whose attributes have these values."""
        for model in self.doc.models:
            if type(model).__name__.endswith(kind) and all(getattr(model, k, None) == v for k, v in attributes.items()):
                return model
        return None

    def attractor_source(self):
        for model in self.doc.models:
            below = getattr(model, "below", None)
            if below and getattr(below[0], "axis_label", "") == "screen x":
                for renderer in model.renderers:
                    if "image" in getattr(renderer.data_source, "data", {}):
                        return renderer.data_source
        return None

    def text(self, css_class: str) -> str:
        for model in self.doc.models:
            if css_class in (getattr(model, "css_classes", None) or []) and hasattr(model, "text"):
                return str(model.text)
        return ""

    def run(self) -> None:
        self.session._connection.loop_until_closed()

    def close(self) -> None:
        self.loop.add_callback(self.session.close)


class Lesson:
    """The lesson starts once every student has the page (30 pulls at once take half a minute on
    this machine: a lesson timed from the launch ran its first quarter without its class).
    ``arrived`` counts a student in and returns the start, as ``time.monotonic()``."""

    def __init__(self, ctx, students: int):
        self.students, self._count, self._start = students, ctx.Value("i", 0), ctx.Value("d", 0.0)
        self._everyone = ctx.Event()

    def arrived(self) -> float:
        with self._count.get_lock():
            self._count.value += 1
            if self._count.value == self.students:
                self._start.value = time.monotonic() + 2.0
                self._everyone.set()
        return self.start()

    def start(self, timeout: float = 600.0) -> float:
        if not self._everyone.wait(timeout):
            raise TimeoutError(f"only {self._count.value} of {self.students} students got the page")
        return self._start.value


def student(url: str, follower: bool, seed: int, lesson: Lesson, duration: float, out) -> None:
    """Change ρ as a follower or an explorer from the lesson's start until its end; put each
    redraw's seconds (key press to new image on this client) on ``out``."""
    rng = np.random.default_rng(seed)
    try:
        visitor = Visitor(url)
    except Exception as exc:  # the server refused or timed out: counted, not hidden
        out.put(("failed", f"{type(exc).__name__}: {exc}"))
        lesson.arrived()
        return
    out.put(("page", visitor.pulled))
    t0 = lesson.arrived()
    rho, source = visitor.find("TextInput", title="rho"), visitor.attractor_source()
    pending: dict[str, float] = {}

    def arrived(attr, old, new) -> None:
        if "since" in pending:
            out.put(("redraw", time.monotonic() - pending.pop("since")))
            if not follower:  # an explorer looks at the picture, then changes again
                visitor.loop.call_later(rng.exponential(EXPLORER_THINK), change)

    source.on_change("data", arrived)

    def change() -> None:
        now = time.monotonic()
        if now > t0 + duration:
            if "since" in pending:
                out.put(("unanswered", now - pending.pop("since")))
            visitor.session.close()
            return
        if follower:
            period = int((now - t0) // TEACHER_PERIOD)
            value = TEACHER_VALUES[period % len(TEACHER_VALUES)]
            wait = t0 + (period + 1) * TEACHER_PERIOD + 2.0 * rng.random() - now
        else:
            value = 24.0 + 20.0 * rng.random()
            wait = 30.0  # an explorer changes again once the picture came (``arrived``), or after 30 s
        if rho.value != f"{value:g}":
            if "since" in pending:  # the previous change never came back before this one
                out.put(("superseded", now - pending["since"]))
            pending["since"] = now
            rho.value = f"{value:g}"
        if follower or "since" not in pending:
            visitor.loop.call_later(max(wait, 0.05), change)
        else:
            visitor.loop.call_later(wait, lambda since=pending["since"]: change() if pending.get("since") == since
                                    else None)

    def begin() -> None:
        visitor.ready()
        first = t0 - time.monotonic() + (2.0 * rng.random() if follower else rng.exponential(EXPLORER_THINK))
        visitor.loop.call_later(max(first, 0.5), change)

    visitor.loop.add_callback(begin)
    visitor.run()


def trainer(url: str, family: str, out, timeout: float) -> None:
    """Open the Forecast tab, pick ``family`` (auto-tune off for the neural families), press Train,
    and report when the page says the training finished."""
    from bokeh.events import ButtonClick

    visitor = Visitor(url)
    started = [None]

    def poll(step: int = 0) -> None:
        note = visitor.text("forecast-training")
        if started[0] is None:
            select = visitor.find("Select", title="Model")
            train = visitor.find("Button", label="Train")
            if select is None or train is None:
                visitor.loop.call_later(0.5, poll, step)
                return
            if step == 0:
                select.value = family
                visitor.loop.call_later(1.5, poll, 1)
                return
            visitor.doc.callbacks.send_event(ButtonClick(train))
            started[0] = time.monotonic()
        elif any(word in note for word in ("finished", "failed")):
            out.put(("training", (family, "failed" not in note, time.monotonic() - started[0])))
            visitor.session.close()
            return
        elif time.monotonic() - started[0] > timeout:
            out.put(("training", (family, False, timeout)))
            visitor.session.close()
            return
        visitor.loop.call_later(1.0, poll, step)

    def begin() -> None:
        visitor.ready()
        tabs = next(m for m in visitor.doc.models if type(m).__name__ == "Tabs" and len(m.tabs) == 5)
        tabs.active = 2  # the Forecast tab: built on the server when first shown
        visitor.loop.call_later(1.0, poll)

    visitor.loop.add_callback(begin)
    visitor.run()


def churner(url: str, sessions: int, out) -> None:
    """Open a session of 10^6 points, wait for its picture, close it; ``sessions`` times."""
    for _ in range(sessions):
        visitor = Visitor(url, n_points=1_000_000)
        source = visitor.attractor_source()
        first = source.data["image"][0]

        def check() -> None:
            if source.data["image"][0] is not first or time.monotonic() - opened > 60:
                visitor.session.close()
            else:
                visitor.loop.call_later(0.1, check)

        opened = time.monotonic()
        visitor.loop.add_callback(lambda: (visitor.ready(), visitor.loop.call_later(0.1, check)))
        visitor.run()
    out.put(("churned", sessions))


def flooder(url: str, rate: float, lesson: Lesson, duration: float, out) -> None:
    """A session that floods: ρ changed ``rate`` times a second by a script for the whole lesson;
    reports how many changes it sent and how many pictures came back."""
    visitor = Visitor(url)
    t0 = lesson.start()
    rho, source = visitor.find("TextInput", title="rho"), visitor.attractor_source()
    counts = {"sent": 0, "pictures": 0}
    source.on_change("data", lambda attr, old, new: counts.__setitem__("pictures", counts["pictures"] + 1))

    def change() -> None:
        if time.monotonic() > t0 + duration:
            out.put(("flood", (counts["sent"], counts["pictures"])))
            visitor.session.close()
            return
        rho.value = f"{20.0 + 0.01 * (counts['sent'] % 2500):g}"
        counts["sent"] += 1
        visitor.loop.call_later(1.0 / rate, change)

    def begin() -> None:
        visitor.ready()
        visitor.loop.call_later(max(t0 - time.monotonic(), 0.5), change)

    visitor.loop.add_callback(begin)
    visitor.run()


def flood_process(url: str, rate: float, lesson: Lesson, duration: float, out) -> None:
    _prepare_client()
    flooder(url, rate, lesson, duration, out)


def _threads(target, argument_lists) -> list[threading.Thread]:
    threads = [threading.Thread(target=target, args=args, daemon=True) for args in argument_lists]
    for thread in threads:
        thread.start()
    return threads


def class_process(url: str, roles: list[tuple[bool, int]], lesson: Lesson, duration: float, out) -> None:
    """Several students in one process, a thread each (the class is spread over processes so
    that one interpreter's GIL does not delay the students' own clocks)."""
    _prepare_client()
    for thread in _threads(student, [(url, follower, seed, lesson, duration, out) for follower, seed in roles]):
        thread.join()


def trainer_process(url: str, families: list[str], out, timeout: float) -> None:
    _prepare_client()
    for thread in _threads(trainer, [(url, family, out, timeout) for family in families]):
        thread.join()


def churn_process(url: str, sessions: int, out) -> None:
    _prepare_client()
    churner(url, sessions, out)


# --------------------------------------------------------------------------------------------
# The lesson


def protocol_newcomer(url: str) -> float:
    """A newcomer as a protocol client: seconds to pull the page (its first picture included),
    then the session is closed. What the server spends on a newcomer, without a browser's."""
    seconds = []

    def visit() -> None:
        visitor = Visitor(url)
        seconds.append(visitor.pulled)
        visitor.session.close()

    thread = threading.Thread(target=visit, daemon=True)  # a thread of its own: a fresh IOLoop each visit
    thread.start()
    thread.join()
    return seconds[0] if seconds else float("inf")


async def chromium_user(url: str, t0: float, duration: float, arrivals: float,
                        at_end: Callable[[], None] = lambda: None,
                        newcomers: str = "class") -> tuple[list, list, list]:
    """One person at the lab in Chromium: a redraw every few seconds; and a newcomer every
    ``arrivals`` seconds, as ``newcomers`` says (see the module's text): in Chromium beside this
    session, as a protocol client, or ("class") as a protocol client but every third one opened
    by this person in a page of their own between two redraws. Returns the felt redraws, the
    newcomers' pages in Chromium (goto → painted) and the protocol newcomers' pulls, each as
    ``(start, seconds)``, the start in seconds since the lesson began. ``at_end`` is called when
    the lesson is over, before the browser closes (its processes' CPU is read then)."""
    from playwright.async_api import async_playwright

    felt, pages, pulls = [], [], []
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_FLAGS)
        page, _ = await open_page(browser, url)
        rng = np.random.default_rng(99)
        mine: asyncio.Queue = asyncio.Queue()  # newcomers this person opens, at their arrival time

        async def open_newcomer(start: float) -> None:
            newcomer, seconds = await open_page(browser, url)
            await newcomer.context.close()
            pages.append((start, seconds))

        async def arrive() -> None:
            k = 0
            while time.monotonic() < t0 + duration - arrivals:
                await asyncio.sleep(arrivals)
                start = time.monotonic() - t0
                if newcomers == "chromium":
                    await open_newcomer(start)
                elif newcomers == "class" and k % 3 == 2:
                    mine.put_nowait(start)
                else:
                    seconds = await asyncio.get_running_loop().run_in_executor(None, protocol_newcomer, url)
                    pulls.append((start, seconds))
                k += 1

        arriving = asyncio.create_task(arrive())
        while time.monotonic() < t0 + duration:
            if not mine.empty():
                await open_newcomer(mine.get_nowait())
                continue
            start = time.monotonic() - t0
            felt.append((start, await redraw(page, 24.0 + 20.0 * rng.random(), timeout=30.0)))
            await asyncio.sleep(1.0 + 2.0 * rng.random())
        await arriving
        while not mine.empty():
            await open_newcomer(mine.get_nowait())
        at_end()
        await page.context.close()
        await browser.close()
    return felt, pages, pulls


def cpu_seconds(server: int, clients: set[int], cluster: set[int] = frozenset()) -> dict[str, float]:
    """CPU seconds used so far by each part of the lesson on this machine: the lab's server, its
    Dask workers (the server's spawned descendants, or ``cluster`` and theirs), the protocol students and trainers (``clients`` and
    their children) and Chromium. A process that already ended is not counted."""
    import psutil

    totals = dict.fromkeys(("server", "Dask workers", "protocol clients", "Chromium"), 0.0)
    for process in psutil.process_iter(["pid", "name", "cmdline"]):
        try:
            times = process.cpu_times()
            parents = {p.pid for p in process.parents()}
        except psutil.Error:
            continue
        if process.pid == server:
            role = "server"
        elif process.pid in cluster or parents & cluster:
            role = "Dask workers"
        elif server in parents:  # a LocalCluster's workers are spawned; the forks of --num-procs serve
            role = "Dask workers" if "multiprocessing" in " ".join(process.info["cmdline"] or ()) else "server"
        elif process.pid in clients or parents & clients:
            role = "protocol clients"
        elif "chrom" in (process.info["name"] or ""):
            role = "Chromium"
        else:
            continue
        totals[role] += times.user + times.system
    return totals


def drain(queue) -> list:
    items = []
    while not queue.empty():
        items.append(queue.get())
    return items


def run(args) -> None:
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    rows = []
    store = tempfile.mkdtemp(prefix="chaoslab-class-")
    with contextlib.ExitStack() as stack:
        cluster = set()
        options = ()
        if args.num_procs > 1:  # a LocalCluster cannot be shared by forked servers: a department's
            address, cluster = stack.enter_context(department(Path(store) / "dask.log"))
            options = ("--num-procs", str(args.num_procs), "--scheduler", address)
        server = stack.enter_context(lab_server({"CHAOSLAB_STORE": store}, options=options, processes=args.num_procs))
        roles = [(k % 2 == 0, k) for k in range(args.students)]  # half follow, half explore
        groups = [roles[i::args.processes] for i in range(args.processes)]
        lesson = Lesson(ctx, args.students)
        processes = [ctx.Process(target=class_process, args=(server.url, group, lesson, args.duration, out))
                     for group in groups if group]
        families = ["lstm", "gru", "neural_ode", "shplrnn"][: args.trainings]
        if args.flood:  # its own process: a hundred changes a second would hold a class process's GIL
            processes.append(ctx.Process(target=flood_process, args=(server.url, args.flood, lesson, args.duration, out)))
        processes.append(ctx.Process(target=trainer_process, args=(server.url, families, out, args.train_timeout)))
        for process in processes[:-1]:
            process.start()
        t0 = lesson.start()
        processes[-1].start()  # the trainers come with the lesson
        while time.monotonic() < t0:
            time.sleep(0.05)
        clients = {process.pid for process in processes}
        cpu_before = cpu_seconds(server.pid, clients, cluster)
        cpu_after = {}
        felt_log, newcomer_log, pull_log = asyncio.run(chromium_user(
            server.url, t0, args.duration, args.arrivals,
            at_end=lambda: cpu_after.update(cpu_seconds(server.pid, clients, cluster)),
            newcomers=args.newcomers))
        for process in processes[:-1]:
            process.join(timeout=60)
        processes[-1].join(timeout=args.train_timeout)
        events = drain(out)
        if args.churn:
            time.sleep(5.0)
            before = memory_mb(server.pid)
            churn = ctx.Process(target=churn_process, args=(server.url, args.churn, out))
            churn.start()
            churn.join()
            time.sleep(30.0)  # Bokeh destroys closed sessions on its next sweep (every 17 s)
            after = memory_mb(server.pid)
            drain(out)
        errors = server_errors(server.log)
    shutil.rmtree(store, ignore_errors=True)

    def of(kind):
        return [value for k, value in events if k == kind]

    trainings = of("training")
    print(f"\nA class on one server ({args.students} protocol-level students, half following the teacher every "
          f"{TEACHER_PERIOD:g} s, half exploring every {EXPLORER_THINK:g} s on average; {args.trainings} trainings; "
          f"a newcomer every {args.arrivals:g} s ({NEWCOMERS[args.newcomers]}); "
          f"{args.duration:g} s"
          + (f"; one more session flooding {args.flood:g} changes a second" if args.flood else "") + ")")
    print("command: .venv/bin/python -m benchmarks.classroom "
          f"--students {args.students} --trainings {args.trainings} --duration {args.duration:g} --churn {args.churn}"
          + (f" --flood {args.flood:g}" if args.flood else "") + f" --newcomers {args.newcomers}"
          + (f" --num-procs {args.num_procs}" if args.num_procs > 1 else ""))
    felt, newcomer_pages, pulls = [t for _, t in felt_log], [t for _, t in newcomer_log], [t for _, t in pull_log]
    felt_times = [t for t in felt if t is not None]
    redraw_target, page_target = TARGETS["felt redraw p95"], TARGETS["newcomer's page"]

    def pages_row(case, seconds):
        return (case, f"median {np.median(seconds):5.2f} s  max {max(seconds):5.2f} s ({len(seconds)})"
                if seconds else "none", f"≤ {page_target:g} s", f"{max(seconds) / page_target:.2f}" if seconds else "-")

    rows += [
        ("felt redraw (Chromium, key press → painted)", summary(felt), f"p95 ≤ {redraw_target:g} s",
         f"{np.percentile(felt_times, 95) / redraw_target:.2f}" if felt_times else "-"),
        *([pages_row("newcomer's page (Chromium, goto → painted)", newcomer_pages)]
          if args.newcomers != "protocol" else []),
        *([pages_row("newcomer's page (protocol pull)", pulls)] if args.newcomers != "chromium" else []),
        ("students' redraw (protocol, change → image)", summary(of("redraw")), "", ""),
        ("students' changes superseded / unanswered", f"{len(of('superseded'))} / {len(of('unanswered'))}", "", ""),
        ("students' page (protocol pull)", f"median {np.median(of('page')):5.2f} s  max {max(of('page')):5.2f} s"
         if of("page") else "none", "", ""),
        ("students who could not connect", str(len(of("failed"))), "0", ""),
        *([("flooding session: changes sent / pictures back",
            " / ".join(str(n) for n in of("flood")[0]) if of("flood") else "none", "", "")] if args.flood else []),
        ("trainings finished", f"{sum(ok for _, ok, _ in trainings)} of {args.trainings} "
                               f"({', '.join(f'{f} {s:.0f} s' for f, _, s in trainings)})", "all", ""),
    ]
    if args.churn:
        rows += [(f"memory before {args.churn} sessions of 10^6 points",
                  f"server {before['server']:.0f} MB, workers {before['workers']:.0f} MB", "", ""),
                 ("memory after they closed", f"server {after['server']:.0f} MB (+{after['server'] - before['server']:.0f}),"
                  f" workers {after['workers']:.0f} MB ({after['workers'] - before['workers']:+.0f})", "server +≤ 20 MB", "")]
    rows.append(("tracebacks in the server log", str(len(errors)), "0", ""))
    rows += [(f"CPU of the {role} during the lesson", f"{cpu_after[role] - cpu_before[role]:6.1f} core-s "
              f"({(cpu_after[role] - cpu_before[role]) / args.duration:4.0%} of a core)", "", "")
             for role in cpu_before]
    print(f"  {'case':46s} {'measured':>44s} {'target':>16s} ratio")
    for case, value, target, ratio in rows:
        print(f"  {case:46s} {value:>44s} {target:>16s} {ratio}")
    worst = sorted(((t, start) for start, t in felt_log if t is not None), reverse=True)[:5]
    print("  the slowest felt redraws (began at +s into the lesson; teacher changes every "
          f"{TEACHER_PERIOD:g} s, newcomers began at {', '.join(f'+{start:.0f}' for start, _ in sorted(newcomer_log + pull_log))}): "
          + ", ".join(f"{t:.2f} s at +{start:.1f}" for t, start in worst))
    for error in errors[:3]:
        print("    " + error.replace("\n", "\n    "))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--trainings", type=int, default=3)
    parser.add_argument("--duration", type=float, default=120.0)
    parser.add_argument("--arrivals", type=float, default=10.0, help="seconds between newcomers")
    parser.add_argument("--processes", type=int, default=3, help="processes the students are spread over")
    parser.add_argument("--churn", type=int, default=200, help="sessions of 10^6 points opened and closed")
    parser.add_argument("--num-procs", type=int, default=1,
                        help="Panel processes (panel serve --num-procs) against a department's cluster "
                             "(dask scheduler and workers started as the lab's local plan shapes them)")
    parser.add_argument("--train-timeout", type=float, default=600.0)
    parser.add_argument("--flood", type=float, default=0.0,
                        help="one more session changing ρ this many times a second from a script (issue 20: 100)")
    parser.add_argument("--newcomers", choices=sorted(NEWCOMERS), default="class",
                        help="how newcomers come: " + "; ".join(f"{k}: {v}" for k, v in NEWCOMERS.items()))
    parser.add_argument("--protocol-newcomers", dest="newcomers", action="store_const", const="protocol",
                        help="the older spelling of --newcomers protocol")
    args = parser.parse_args()
    if args.newcomers != "chromium":
        _prepare_client()
    if shutil.which("chromium") is None:
        sys.exit("needs Debian's chromium (make chromium)")
    run(args)


if __name__ == "__main__":
    main()
