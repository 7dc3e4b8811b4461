"""Issue 19, points 3 and 10: what the commands say is what they did, and nothing else reaches the
terminal: `project create -n` on a name in use, a job token's message, waitress's chatter, the
modes of the files a job writes."""
from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def run_cli(tmp_path, *args):
    env = dict(os.environ, TRAINUI_ROOT=str(tmp_path / "root"))
    env.pop("TRAINUI_DB_URL", None)
    return subprocess.run([sys.executable, "-m", "trainui.cli", *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)


def test_project_create_by_name_says_whether_it_made_or_reused_a_project_and_which_kind(tmp_path):
    (tmp_path / "results").mkdir()
    assert run_cli(tmp_path, "project", "create", "-d", "results", "-n", "my-project").returncode == 0
    reused = run_cli(tmp_path, "project", "create", "-n", "my-project")
    assert reused.returncode == 0, reused.stderr
    assert f"exists already, for the directory {tmp_path / 'results'}" in reused.stdout
    assert "for runs that ship over HTTP" not in reused.stdout  # it is not such a project

    made = run_cli(tmp_path, "project", "create", "-n", "remote-only")
    assert made.stdout.startswith("registered project 'remote-only'") and "ship over HTTP" in made.stdout
    again = run_cli(tmp_path, "project", "create", "-n", "remote-only")
    assert "exists already, for runs that ship over HTTP; reused" in again.stdout
    listed = run_cli(tmp_path, "project", "list").stdout
    assert len(listed.splitlines()) == 2  # two projects, each made once


@pytest.mark.parametrize("role", ["job", "viewer"])
def test_a_token_s_message_says_what_it_is_for(tmp_path, role):
    (tmp_path / "results").mkdir()
    assert run_cli(tmp_path, "project", "create", "-d", "results", "-n", "p").returncode == 0
    out = run_cli(tmp_path, "token", "create", "--role", role, *(["--project", "p"] if role == "job" else []))
    assert out.returncode == 0, out.stderr
    if role == "job":  # it cannot open the dashboard: no link is offered
        assert "?token=" not in out.stderr and "TRAINUI_TOKEN" in out.stderr
    else:
        assert "?token=<the token>" in out.stderr and "read-only" in out.stderr


def test_waitress_chatter_stays_off_the_terminal_and_its_warnings_do_not():
    code = ("import logging; from trainui.cli.server import configure_logging; configure_logging('INFO');"
            "w = logging.getLogger('waitress');"
            "w.info('Client disconnected while serving /api/v1/stream'); w.warning('a real problem');"
            "logging.getLogger('trainui.ingest').info('trainui says this')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert "Client disconnected" not in out.stderr
    assert "a real problem" in out.stderr and "trainui says this" in out.stderr


WRITER = """
import os, sys
os.umask(int(sys.argv[2], 8))
import torch, trainui
model = torch.nn.Linear(1, 1)
with trainui.Run(sys.argv[1], args={"lr": 0.1}, model=model, progress=False) as run:
    run.log({"v": 1}, iteration=1)
    run.snapshot()
"""


@pytest.mark.parametrize("umask, mode", [("022", 0o644), ("002", 0o664), ("077", 0o600)])
def test_a_job_s_files_have_the_mode_its_umask_says(tmp_path, umask, mode):
    pytest.importorskip("torch")
    out = tmp_path / "run"
    env = dict(os.environ, PYTHONPATH=str(REPO))
    done = subprocess.run([sys.executable, "-c", WRITER, str(out), umask], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    for name in ("log", "args", ".trainui/status.json", "snapshot_iter_1.pt"):
        assert stat.S_IMODE(os.stat(out / name).st_mode) == mode, name
    assert json.loads((out / "args").read_text()) == {"lr": 0.1}
