"""The README's tour, steps 2 and 3, run as written in a clone of the repository: register the
results, serve, start a job and steer it with the documented curl commands (the server on a free
port instead of 5000, the only change)."""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

pytest.importorskip("torch")
REPO = Path(__file__).resolve().parent.parent


def blocks(section: str, language: str) -> list[str]:
    readme = (REPO / "README.md").read_text()
    start = readme.index(section)
    end = readme.index("\n## ", start + 1)
    return re.findall(rf"```{language}\n(.*?)```", readme[start:end], re.S)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_tour_steps_two_and_three_as_written(tmp_path):
    if not shutil.which("curl"):
        pytest.skip("curl is not installed")
    clone = tmp_path / "trainui"
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True)
    env = dict(os.environ, TRAINUI_ROOT=str(tmp_path / "root"), PYTHONPATH=str(clone))
    env.pop("TRAINUI_DB_URL", None)
    port = free_port()
    tour, register, steer = blocks("## A short tour", "python")[0], *blocks("## A short tour", "bash")
    (clone / "tour.py").write_text(tour)
    subprocess.run([sys.executable, "tour.py"], cwd=clone, env=env, check=True, capture_output=True, timeout=300)

    create_line, server_line = [line.split("#")[0].strip() for line in register.strip().splitlines()]
    assert create_line == "trainui project create -d results -n my-project" and server_line == "trainui server"
    created = subprocess.run([sys.executable, "-m", "trainui.cli", *create_line.split()[1:]], cwd=clone, env=env,
                             capture_output=True, text=True, timeout=120)
    assert created.returncode == 0 and "1 result ingested" in created.stdout, created.stderr
    server = subprocess.Popen([sys.executable, "-m", "trainui.cli", *server_line.split()[1:], "--port", str(port)],
                              cwd=clone, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    script = steer.replace("localhost:5000", f"localhost:{port}").replace("python ", f"{sys.executable} ", 1)
    shell = None
    try:
        api = f"http://localhost:{port}/api/v1/"
        deadline = time.time() + 30
        while True:
            try:
                requests.get(api + "projects", timeout=2)
                break
            except requests.RequestException:
                assert time.time() < deadline
                time.sleep(0.2)
        lines = script.strip().splitlines()
        job_line, steer_lines = lines[0], "\n".join(lines[1:])
        shell = subprocess.Popen(["bash", "-c", job_line.split("#")[0] + "\nwait"], cwd=clone, env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.time() + 60  # the job's result is found and running
        while not any(r["status"] == "running" for r in requests.get(api + "projects/1/results", timeout=5).json()["results"]):
            assert time.time() < deadline, "the job did not start"
            time.sleep(0.3)
        out = subprocess.run(["bash", "-c", steer_lines], cwd=clone, env=env, capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        assert '"name": "quickstart/mlp"' in out.stdout and '"id": 2' in out.stdout  # what the grep shows
        assert '"status":"PENDING"' in out.stdout.replace(" ", "")
        deadline = time.time() + 120
        while True:
            (command,) = requests.get(api + "results/2/commands", timeout=5).json()["commands"]
            if command["status"] != "PENDING":
                break
            assert time.time() < deadline, command
            time.sleep(0.5)
        assert command["status"] == "SUCCESS" and command["iteration"] >= 500 and command["ranks"] == 1
        assert command["response"]["hyperparams"][0]["lr"] == 0.01
    finally:
        if shell is not None:
            os.killpg(shell.pid, signal.SIGKILL)
        server.send_signal(signal.SIGINT)
        server.wait(timeout=20)
