"""The ``chaoslab`` command (``pip install -e .``): ``serve`` the lab, run the catalog ``sweep``,
``pretrain`` the shipped checkpoints.

``chaoslab serve`` is ``panel serve app.py --setup dashboards/warm.py`` with the lab's options
spelled once: a port, a Dask scheduler to use instead of the local cluster, a class password
(Panel's basic auth on the lab's offline login page, with a cookie secret new at each start, so a
restart signs everyone out). Any other option goes to ``panel serve`` as written
(``chaoslab serve --num-procs 2``). ``sweep`` and ``pretrain`` take the options of
``python -m core.forecasting.sweep`` and ``python -m core.forecasting.pretrain`` (``chaoslab sweep --help``).
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def serve_command(argv: list[str]) -> list[str]:
    """The ``panel serve`` command line (after ``python -m panel``) that ``chaoslab serve argv`` runs."""
    parser = argparse.ArgumentParser(
        prog="chaoslab serve", description="Serve the lab at http://localhost:PORT/app; options not "
        "listed here go to panel serve as written (e.g. --num-procs 2, --allow-websocket-origin HOST).")
    parser.add_argument("--port", type=int, default=5006)
    parser.add_argument("--scheduler", default=os.environ.get("CHAOSLAB_SCHEDULER", ""),
                        help="a Dask scheduler's address, e.g. tcp://10.0.0.5:8786 (default: "
                             "$CHAOSLAB_SCHEDULER, else a local cluster started with the server)")
    parser.add_argument("--password", default="", help="a class server's password (any user name)")
    args, panel_options = parser.parse_known_args(argv)
    command = ["serve", str(ROOT / "app.py"), "--port", str(args.port),
               "--setup", str(ROOT / "dashboards" / "warm.py")]
    if args.password:
        command += ["--basic-auth", args.password, "--basic-login-template", str(ROOT / "assets" / "login.html"),
                    "--cookie-secret", secrets.token_hex(32)]
    command += panel_options
    if args.scheduler:
        command += ["--args", "--scheduler", args.scheduler]
    return command


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    commands = {"serve": "serve the lab in the browser", "sweep": "run the catalog sweep (python -m core.forecasting.sweep)",
                "pretrain": "train the shipped checkpoints (python -m core.forecasting.pretrain)"}
    if not argv or argv[0] not in commands:
        parser = argparse.ArgumentParser(prog="chaoslab", description=__doc__.split("\n\n")[0])
        sub = parser.add_subparsers(dest="command", required=True, metavar="{serve,sweep,pretrain}")
        for name, text in commands.items():
            sub.add_parser(name, help=text)
        parser.parse_args(argv)  # prints the usage and exits: no command, an unknown one or --help
        return 2
    command, rest = argv[0], argv[1:]
    if command == "sweep":
        from core.forecasting import sweep

        sweep.main(rest, prog="chaoslab sweep")
        return 0
    if command == "pretrain":
        from core.forecasting import pretrain

        return pretrain.main(rest, prog="chaoslab pretrain")
    panel = serve_command(rest)
    from core import limit_threads

    limit_threads()  # the server's environment, before panel (and numpy) start in the new image
    # the server replaces this process: a signal to it (Ctrl-C, a supervisor's SIGTERM) reaches panel itself
    os.execv(sys.executable, [sys.executable, "-m", "panel", *panel])
    return 1  # pragma: no cover - execv does not return


if __name__ == "__main__":
    sys.exit(main())
