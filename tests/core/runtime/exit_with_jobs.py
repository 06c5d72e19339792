"""A server's last moments: a training and a redraw running on the local cluster when the process
exits (run by ``test_jobs.py`` in a process of its own)."""

import sys
import time

from core.runtime import jobs


def endless(job):
    while not job.stop.is_set():
        time.sleep(0.05)


def main() -> None:
    service = jobs.service()
    running = [service.submit(endless, owner=f"session-{i}", kind=kind)
               for i, kind in enumerate([jobs.TRAIN, jobs.INTERACTIVE])]
    deadline = time.time() + 60
    while time.time() < deadline and not all(job.state == jobs.RUNNING for job in running):
        time.sleep(0.1)
    print("states:", [job.state for job in running], flush=True)
    sys.exit(0)  # no clean-up of our own: the interpreter's exit is what a stopped server goes through


if __name__ == "__main__":
    main()
