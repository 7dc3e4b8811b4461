"""Real job subprocesses: concurrent command posting, SIGTERM, crashes, the import contract."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

from trainui import protocol
from trainui_job_helpers import (
    finish, job_env, post_command, read_log, read_rank_records, read_responses, start_job,
    wait_for_response,
)

LOOP_JOB = os.path.join(os.path.dirname(__file__), "jobs", "loop_job.py")


def loop_job(out, *args):
    return start_job([sys.executable, LOOP_JOB, "--out", str(out), *args])


def wait_ready(job):
    line = job.stdout.readline()
    assert line.startswith("ready"), f"job not ready: {line!r} {job.stderr.read() if job.poll() is not None else ''}"
    return int(line.split()[1])


def test_200_commands_posted_concurrently_each_answered_once(tmp_path):
    out = str(tmp_path / "run")
    job = loop_job(out, "--sleep", "0.002", "--poll-interval", "0.01")
    try:
        wait_ready(job)
        uids: list[str] = []
        lock = threading.Lock()

        def poster(thread_index):
            for k in range(50):
                n = thread_index * 50 + k
                uid = post_command(out, "tick", {"n": n}, uid=f"t{thread_index}-{k:02d}")
                with lock:
                    uids.append(uid)

        threads = [threading.Thread(target=poster, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for uid in uids:
            wait_for_response(out, uid, timeout=30, job=job)
        stop = post_command(out, "stop")
        wait_for_response(out, stop, timeout=30, job=job)
        stdout, _ = finish(job)
    finally:
        if job.poll() is None:
            job.kill()
    assert len(uids) == 200
    responses = read_responses(out)
    assert set(responses) == set(uids) | {stop}
    assert all(responses[u]["status"] == "SUCCESS" for u in uids)
    ticks = [int(n) for n in stdout.split("ticks", 1)[1].split()]
    assert sorted(ticks) == list(range(200))  # every command ran, none twice
    applied = [r["uid"] for r in read_rank_records(out)[0]]
    assert sorted(applied) == sorted(uids + [stop])
    counts = sorted(responses[u]["body"]["count"] for u in uids)
    assert counts == list(range(1, 201))


def test_sigterm_flushes_the_buffered_log_and_reports_stopped(tmp_path):
    """SIGTERM is how a process manager (or torchrun, or `trainui demo`) asks a job to end: it is
    ``stopped``, like Ctrl-C; only a death without a word (SIGKILL) is a crash."""
    out = str(tmp_path / "run")
    # nothing would be flushed for an hour or 10^6 reports: only the SIGTERM handler can do it
    job = loop_job(out, "--flush-every", "1000000", "--flush-interval", "3600", "--ready-at", "50",
                   "--sleep", "0.001")
    ready = wait_ready(job)
    assert read_log(out) == []
    job.send_signal(signal.SIGTERM)
    job.communicate(timeout=30)
    assert job.returncode == -signal.SIGTERM  # the default action still ends the process
    iterations = [e["iteration"] for e in read_log(out)]
    assert iterations[:ready] == list(range(1, ready + 1))
    assert iterations == list(range(1, len(iterations) + 1))
    status = protocol.read_json(os.path.join(out, protocol.STATUS))
    assert status["status"] == "stopped" and status["message"] == "terminated by SIGTERM"


def test_uncaught_exception_reports_crashed_with_message(tmp_path):
    out = str(tmp_path / "run")
    job = loop_job(out, "--crash-at", "20", "--flush-interval", "3600")
    job.communicate(timeout=60)
    assert job.returncode == 1
    status = protocol.read_json(os.path.join(out, protocol.STATUS))
    assert status["status"] == "crashed"
    assert "deliberate crash at 20" in status["message"]
    assert [e["iteration"] for e in read_log(out)] == list(range(1, 20))


def test_normal_end_reports_finished_with_heartbeat(tmp_path):
    out = str(tmp_path / "run")
    job = loop_job(out, "--iterations", "30")
    finish(job)
    status = protocol.JobStatus.from_json(protocol.read_json(os.path.join(out, protocol.STATUS)))
    assert status.status == "finished" and status.iteration == 30 and status.ended_at >= status.started_at
    assert status.hyperparams[0]["lr"] == 0.1 and "tick" in status.commands
    assert protocol.read_json(os.path.join(out, protocol.ARGS))["iterations"] == 30


def test_heartbeat_refreshes_while_the_job_runs(tmp_path):
    out = str(tmp_path / "run")
    job = start_job([sys.executable, "-c", (
        "import time, trainui\n"
        f"run = trainui.Run({out!r}, progress=False, heartbeat_interval=0.1)\n"
        "print('ready 0', flush=True)\n"
        "time.sleep(3)\n"
        "run.close()\n")])
    try:
        wait_ready(job)
        path = os.path.join(out, protocol.STATUS)
        first = protocol.read_json(path)["heartbeat_at"]
        deadline = time.monotonic() + 2
        while protocol.read_json(path)["heartbeat_at"] == first:
            assert time.monotonic() < deadline, "heartbeat did not move"
            time.sleep(0.02)
        assert protocol.read_json(path)["status"] == "running"
    finally:
        finish(job)


def test_import_trainui_is_light():
    """The server imports trainui.protocol: that must not import torch or any trainer code."""
    code = (
        "import sys\n"
        "import trainui.protocol\n"
        "assert not any(m.startswith('trainui.trainer') for m in sys.modules), 'trainer loaded'\n"
        "import trainui\n"
        "run_class = trainui.Run\n"
        "heavy = [m for m in ('torch', 'numpy', 'flask', 'sqlalchemy', 'watchdog', 'lightning') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "assert set(trainui.__all__) >= {'Run', 'load_snapshot'}\n"
    )
    result = subprocess.run([sys.executable, "-c", code], env=job_env(), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
