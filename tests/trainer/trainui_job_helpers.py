"""Helpers to drive real training jobs from tests: start them, post commands as the server would,
and read back what each rank did. Also meant for the integrator's end-to-end tests::

    from tests.trainer.trainui_job_helpers import quickstart_argv, job_env, read_rank_records
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid

from trainui import protocol

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
QUICKSTART = os.path.join(REPO_ROOT, "examples", "quickstart", "train.py")


def job_env(**extra: str) -> dict:
    """The environment for a job subprocess: the repository importable, one thread per process."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (REPO_ROOT, env.get("PYTHONPATH")) if p)
    env.setdefault("OMP_NUM_THREADS", "1")
    env.update(extra)
    return env


def quickstart_argv(out: str, *args: str, nproc: int = 1) -> list[str]:
    """argv for the quickstart, under ``torchrun --nproc_per_node=<nproc>`` when nproc > 1."""
    script = [QUICKSTART, "--out", str(out), "--no-progress", *args]
    if nproc <= 1:
        return [sys.executable, *script]
    return [sys.executable, "-m", "torch.distributed.run", "--standalone",
            f"--nproc_per_node={nproc}", *script]


def start_job(argv: list[str], **popen_kwargs) -> subprocess.Popen:
    return subprocess.Popen(argv, env=job_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, **popen_kwargs)


def post_command(out: str, name: str, body: dict | None = None, schedule: dict | None = None,
                 uid: str | None = None) -> str:
    """Deliver a command the way the server does: one atomic file per command in the inbox."""
    uid = uid or uuid.uuid4().hex
    record = protocol.CommandRecord(uid=uid, name=name, body=body or {}, schedule=schedule)
    protocol.atomic_write_json(os.path.join(out, protocol.COMMANDS_INBOX, f"{uid}.json"), record.to_json())
    return uid


def response_path(out: str, uid: str) -> str:
    return os.path.join(out, protocol.COMMANDS_OUTBOX, f"{uid}.json")


def wait_for_response(out: str, uid: str, timeout: float = 30.0, job: subprocess.Popen | None = None) -> dict:
    path = response_path(out, uid)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path):
            return protocol.read_json(path)
        if job is not None and job.poll() is not None:
            break
        time.sleep(0.05)
    detail = ""
    if job is not None and job.poll() is not None:
        detail = f"; job exited {job.returncode}: {job.stderr.read()[-3000:] if job.stderr else ''}"
    raise AssertionError(f"no response for command {uid} within {timeout}s{detail}")


def read_responses(out: str) -> dict[str, dict]:
    outbox = os.path.join(out, protocol.COMMANDS_OUTBOX)
    return {name[:-5]: protocol.read_json(os.path.join(outbox, name))
            for name in os.listdir(outbox) if name.endswith(".json") and not name.startswith(".")}


def read_rank_records(out: str) -> dict[int, list[dict]]:
    """Each rank's own record of the commands it applied, by rank."""
    records: dict[int, list[dict]] = {}
    ranks_dir = os.path.join(out, protocol.RANKS_DIR)
    for name in sorted(os.listdir(ranks_dir)):
        rank = int(name[len("rank"):-len(".jsonl")])
        with open(os.path.join(ranks_dir, name)) as f:
            records[rank] = [json.loads(line) for line in f if line.strip()]
    return records


def read_log(out: str) -> list[dict]:
    with open(os.path.join(out, protocol.LOG)) as f:
        return json.load(f)


def wait_for_log(out: str, min_iteration: int, timeout: float = 30.0, job: subprocess.Popen | None = None) -> list[dict]:
    """Wait until the log (flushed by the job) reaches ``min_iteration``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            entries = read_log(out)
            if entries and entries[-1].get("iteration", -1) >= min_iteration:
                return entries
        except (OSError, ValueError):
            pass
        if job is not None and job.poll() is not None:
            raise AssertionError(f"job exited {job.returncode} early: {job.stderr.read()[-3000:]}")
        time.sleep(0.05)
    raise AssertionError(f"log did not reach iteration {min_iteration} within {timeout}s")


def finish(job: subprocess.Popen, timeout: float = 60.0) -> tuple[str, str]:
    """Wait for a job; kill it (and fail) if it overruns. Returns (stdout, stderr)."""
    try:
        stdout, stderr = job.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        job.kill()
        stdout, stderr = job.communicate()
        raise AssertionError(f"job did not end within {timeout}s; stderr: {stderr[-3000:]}")
    assert job.returncode == 0, f"job exited {job.returncode}: {stderr[-3000:]}"
    return stdout, stderr


# With the integrator's live-server fixture (tests/conftest.py: trainui_server) ------------------

def api_post_command(server, result_id: int, name: str, body: dict | None = None,
                     schedule: dict | None = None) -> dict:
    """POST a command through the REST API; returns the stored Command."""
    payload = {"name": name, "body": body or {}}
    if schedule is not None:
        payload["schedule"] = schedule
    status, answer = server.api("POST", f"results/{result_id}/commands", json=payload)
    assert status == 201, (status, answer)
    return answer["command"]


def api_wait_command(server, result_id: int, command_id: int, timeout: float = 30.0) -> dict:
    """Wait until the command is no longer PENDING; returns it (status, iteration, ranks, response)."""
    def finished():
        status, answer = server.api("GET", f"results/{result_id}/commands")
        assert status == 200, answer
        command = next(c for c in answer["commands"] if c["id"] == command_id)
        return command if command["status"] != "PENDING" else None

    return server.wait_for(finished, timeout=timeout)


def api_running_result(server, project_id: int, out: str, timeout: float = 30.0) -> dict:
    """The Result for the job writing ``out`` once the server shows it running."""
    def running():
        for result in server.results(project_id):
            if os.path.realpath(result["path"]) == os.path.realpath(out) and result["status"] == "running":
                return result
        return None

    return server.wait_for(running, timeout=timeout)
