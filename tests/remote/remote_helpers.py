"""Helpers for remote-job tests: start a job joined to a server by TRAINUI_* only, find its run on
the server, and compare what the server holds with the job's local log."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys

from trainui_job_helpers import QUICKSTART, read_log


def start_remote_job(remote, out, *args: str, nproc: int = 1, env: dict | None = None) -> subprocess.Popen:
    """The quickstart (under torchrun when nproc > 1) with ``--out`` where the server cannot see it."""
    script = [QUICKSTART, "--out", str(out), "--no-progress", *args]
    if nproc > 1:
        argv = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}", *script]
    else:
        argv = [sys.executable, *script]
    return subprocess.Popen(argv, env=env or remote.job_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)


def remote_results(remote, project: str | None = None) -> list[dict]:
    project_id = next(p["id"] for p in remote.server.api("GET", "projects")[1]["projects"]
                      if p["name"] == (project or remote.project))
    return remote.server.results(project_id)


def wait_for_remote_run(remote, job: subprocess.Popen | None = None, name: str | None = None,
                        status: str = "running", min_entries: int = 1, timeout: float = 90,
                        project: str | None = None) -> dict:
    """The HTTP-shipped run (named ``name``, else the only one) once it has ``status`` and entries."""
    def found():
        if job is not None and job.poll() is not None and status == "running":
            raise AssertionError(f"job exited {job.returncode}: {job.stderr.read()[-3000:]}")
        for result in remote_results(remote, project):
            if result.get("source") == "http" and (name is None or result["name"].endswith(name)) \
                    and result["status"] == status and result["entry_count"] >= min_entries:
                return result
        return None

    return remote.server.wait_for(found, timeout=timeout, interval=0.2)


def server_entries(remote, result_id: int, key: str = "main/loss") -> list[tuple]:
    """(iteration, value) of every entry the server holds for ``key``, in order."""
    status, body = remote.server.api("GET", f"results/{result_id}/logs",
                                     params={"keys": key, "x": "iteration", "max_points": 100000})
    assert status == 200, body
    series = body["series"][key]
    assert not series["downsampled"]
    return list(zip(series["x"], series["y"]))


def local_entries(out, key: str = "main/loss") -> list[tuple]:
    return [(float(e["iteration"]), e[key]) for e in read_log(str(out)) if key in e]


def stderr_of(job: subprocess.Popen) -> str:
    try:
        return job.stderr.read() if job.stderr else ""
    except ValueError:
        return ""


def read_json(path) -> dict:
    with open(path) as f:
        return json.load(f)


def snapshot_names(remote, result_id: int) -> list[str]:
    status, body = remote.server.api("GET", f"results/{result_id}")
    assert status == 200, body
    return [s["name"] for s in body["result"]["snapshots"]]


def kill_tree(job: subprocess.Popen) -> None:
    """SIGKILL the job and every process it started (torchrun's ranks too)."""
    if job.poll() is None:
        try:
            os.killpg(job.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        job.wait(timeout=30)


def make_token(server, role: str, project: str | None = None) -> str:
    """`trainui token create` against the server's own database; the token is the first line."""
    cmd = [sys.executable, "-m", "trainui.cli", "token", "create", "--role", role]
    if project:
        cmd += ["--project", project]
    done = subprocess.run(cmd, env=server.env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()[0].strip()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
