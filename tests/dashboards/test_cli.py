"""The ``chaoslab`` command: what ``serve`` hands to ``panel serve``, and the other commands' options."""

import subprocess
import sys
from pathlib import Path

import pytest

from dashboards.cli import ROOT, main, serve_command

CHAOSLAB = str(Path(sys.executable).with_name("chaoslab"))


def test_serve_runs_the_app_with_its_setup_and_passes_other_options_to_panel():
    command = serve_command(["--port", "8080", "--num-procs", "2"])
    assert command[:2] == ["serve", str(ROOT / "app.py")]
    assert command[command.index("--setup") + 1] == str(ROOT / "dashboards" / "warm.py")
    assert command[command.index("--port") + 1] == "8080"
    assert command[-2:] == ["--num-procs", "2"]
    assert "--basic-auth" not in command and "--args" not in command


def test_a_password_and_a_scheduler_become_panels_auth_and_the_apps_arguments(monkeypatch):
    monkeypatch.delenv("CHAOSLAB_SCHEDULER", raising=False)
    first = serve_command(["--password", "lorenz-63", "--scheduler", "tcp://10.0.0.5:8786"])
    assert first[first.index("--basic-auth") + 1] == "lorenz-63"
    assert Path(first[first.index("--basic-login-template") + 1]).is_file()
    assert first[-3:] == ["--args", "--scheduler", "tcp://10.0.0.5:8786"]  # the app reads what follows --args
    second = serve_command(["--password", "lorenz-63"])
    secret = lambda c: c[c.index("--cookie-secret") + 1]  # noqa: E731
    assert len(secret(first)) == 64 and secret(first) != secret(second)  # a restart signs everyone out
    monkeypatch.setenv("CHAOSLAB_SCHEDULER", "tcp://10.0.0.6:8786")
    assert serve_command([])[-1] == "tcp://10.0.0.6:8786"


def test_no_command_or_an_unknown_one_prints_the_usage(capsys):
    for argv in ([], ["train"]):
        with pytest.raises(SystemExit) as exit:
            main(argv)
        assert exit.value.code == 2
        assert "{serve,sweep,pretrain}" in capsys.readouterr().err


def test_the_installed_command_reaches_the_sweep_and_pretraining_options():
    for command, option in (("sweep", "--budget"), ("pretrain", "--rescore"), ("serve", "--password")):
        out = subprocess.run([CHAOSLAB, command, "--help"], capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        assert out.stdout.startswith(f"usage: chaoslab {command}") and option in out.stdout
