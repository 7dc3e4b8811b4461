"""Why a run ended, as the API tells it: a crash with its exception and traceback, a stop command
with its iteration, SIGTERM, a job that went silent (SIGKILL), a normal end; and the elapsed time
of a run that never logged ``elapsed_time``. Real trainer files, real job processes."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

torch = pytest.importorskip("torch")

from trainui import Run, protocol  # noqa: E402

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LOOP_JOB = os.path.join(TESTS, "trainer", "jobs", "loop_job.py")


def start_job(argv):
    env = {**os.environ, "OMP_NUM_THREADS": "1",
           "PYTHONPATH": os.pathsep.join(p for p in (os.path.dirname(TESTS), os.environ.get("PYTHONPATH")) if p)}
    return subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)


def new_run(out):
    model = torch.nn.Linear(2, 1)
    return Run(str(out), model=model, optimizer=torch.optim.SGD(model.parameters(), lr=0.1), progress=False,
               handle_signals=False, poll_interval=0, flush_interval=0)


def project_with(app, root) -> int:
    status, body = app.api("POST", "projects", json={"path": str(root), "name": "p"})
    assert status == 201, body
    return body["project"]["id"]


def listed_and_detail(app, project_id, rid):
    listed = {r["id"]: r for r in app.api("GET", f"projects/{project_id}/results")[1]["results"]}[rid]
    status, body = app.api("GET", f"results/{rid}")
    assert status == 200, body
    return listed, body["result"]


def test_a_crash_names_its_exception_with_the_traceback_and_a_stop_command_its_iteration(app_on_both, tmp_path):
    app, root = app_on_both, tmp_path / "project"
    with pytest.raises(RuntimeError):
        with new_run(root / "oom") as run:
            for it in range(1, 301):
                run.log({"main/loss": 1.0 / it}, iteration=it)
                run.step(iteration=it)
            time.sleep(0.3)  # the crash comes a while after the last entry
            raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")
    stopped = new_run(root / "stopped")
    stopped.log({"main/loss": 1.0}, iteration=1)
    project_id = project_with(app, root)
    crashed_id = app.ingest(project_id, root / "oom")
    stopped_id = app.ingest(project_id, root / "stopped")
    assert app.api("POST", f"results/{stopped_id}/commands", json={"name": "stop"})[0] == 201
    app.ingest(project_id, root / "stopped")
    for it in range(2, 10):
        stopped.log({"main/loss": 1.0 / it}, iteration=it)
        if stopped.step(iteration=it):
            break
    stopped.close()
    app.ingest(project_id, root / "stopped")

    listed, detail = listed_and_detail(app, project_id, crashed_id)
    assert listed["status"] == "crashed"
    assert listed["end"]["reason"] == "exception"
    assert listed["end"]["message"] == "RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB"
    assert listed["end"]["iteration"] == 300 and "traceback" not in listed["end"]  # the list stays light
    trace = detail["end"]["traceback"]
    assert trace.startswith("Traceback (most recent call last)") and "test_end_reason.py" in trace
    assert trace.rstrip().endswith("RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB")
    assert listed["elapsed_time"] == pytest.approx(listed["ended_at"] - listed["started_at"])  # to the crash,
    assert listed["elapsed_time"] > listed["last_values"]["elapsed_time"] + 0.25  # not to the last entry

    listed, _ = listed_and_detail(app, project_id, stopped_id)
    assert listed["status"] == "stopped"
    assert listed["end"]["reason"] == "command" and listed["end"]["iteration"] == 2
    assert listed["end"]["message"] == "stopped by command at iteration 2"


def test_a_normal_end_and_a_long_traceback_keep_their_size(app, tmp_path):
    root = tmp_path / "project"
    run = new_run(root / "done")
    run.log({"main/loss": 1.0}, iteration=1)
    run.close()

    def deep(n):
        if n == 0:
            raise ValueError("x" * 50_000)
        deep(n - 1)
    with pytest.raises(ValueError):
        with new_run(root / "deep"):
            deep(200)
    project_id = project_with(app, root)
    done_id = app.ingest(project_id, root / "done")
    deep_id = app.ingest(project_id, root / "deep")
    listed, detail = listed_and_detail(app, project_id, done_id)
    assert listed["end"]["reason"] == "finished" and detail["end"]["traceback"] is None
    listed, detail = listed_and_detail(app, project_id, deep_id)
    assert len(detail["end"]["traceback"]) == protocol.TRACEBACK_LIMIT  # the tail: the raising frame
    assert detail["end"]["traceback"].endswith("x" * 100 + "\n")
    assert len(listed["end"]["message"]) == 2000


def test_a_running_job_has_no_end_and_its_elapsed_time_grows(app, tmp_path):
    root = tmp_path / "project"
    run = new_run(root / "live")
    run.log({"main/loss": 1.0}, iteration=1)
    project_id = project_with(app, root)
    rid = app.ingest(project_id, root / "live")
    listed, _ = listed_and_detail(app, project_id, rid)
    assert listed["status"] == "running" and listed["end"] is None
    assert listed["elapsed_time"] is not None and listed["elapsed_time"] >= 0
    run.close()


@pytest.mark.slow
def test_sigterm_reads_as_a_signal_and_sigkill_as_a_lost_heartbeat(app, tmp_path):
    root = tmp_path / "project"
    jobs = {name: start_job([sys.executable, LOOP_JOB, "--out", str(root / name), "--sleep", "0.01"])
            for name in ("terminated", "killed")}
    for job in jobs.values():
        assert job.stdout.readline().startswith("ready")
    time.sleep(1.5)  # past the jobs' 1 s log flush: the killed one leaves entries behind
    jobs["terminated"].send_signal(signal.SIGTERM)
    jobs["killed"].send_signal(signal.SIGKILL)
    for job in jobs.values():
        job.wait(timeout=30)
    project_id = project_with(app, root)
    ids = {name: app.ingest(project_id, root / name) for name in jobs}

    listed, _ = listed_and_detail(app, project_id, ids["terminated"])
    assert (listed["status"], listed["end"]["reason"]) == ("stopped", "signal")
    assert listed["end"]["message"] == "terminated by SIGTERM"
    listed, detail = listed_and_detail(app, project_id, ids["killed"])  # its process is gone: a crash
    assert (listed["status"], listed["end"]["reason"]) == ("crashed", "heartbeat")
    assert listed["end"]["at"] == detail["heartbeat_at"] and listed["end"]["iteration"] >= 1
    wall = detail["heartbeat_at"] - listed["started_at"]  # to its last heartbeat (beats every 2 s)
    assert listed["elapsed_time"] == pytest.approx(max(wall, listed["last_values"]["elapsed_time"]))
    assert listed["elapsed_time"] >= 0.9  # it logged for a second before the kill
