"""`trainui demo`: a newcomer's first command starts the dashboard with live jobs, says where to
look and when its jobs end, reaps them, stops them on SIGTERM as on Ctrl-C, and keeps its runs
where a second start finds them."""
import os
import re
import signal
import subprocess
import sys
import time

import pytest
import requests

pytest.importorskip("torch")


def start_demo(tmp_path, log, *extra):
    env = dict(os.environ, TRAINUI_ROOT=str(tmp_path / "root"))
    env.pop("TRAINUI_DB_URL", None)
    before = log.stat().st_size if log.exists() else 0
    proc = subprocess.Popen([sys.executable, "-m", "trainui.cli", "demo", "--port", "0", *extra], env=env,
                            stdout=open(log, "ab"), stderr=subprocess.STDOUT)
    for _ in range(600):
        found = re.findall(r"watch them at (http://\S+/projects/(\d+))", log.read_text(errors="replace")[before:])
        if found:
            return proc, found[-1][0].split("projects/")[0], int(found[-1][1])
        assert proc.poll() is None, log.read_text()
        time.sleep(0.1)
    raise AssertionError(log.read_text())


def children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as f:
            return "\nState:\tZ" not in f.read()  # a zombie is dead but not reaped
    except FileNotFoundError:
        return False


def results(url, project_id):
    return requests.get(url + f"api/v1/projects/{project_id}/results", timeout=10).json()["results"]


def test_demo_serves_live_jobs_stops_them_on_sigterm_and_finds_them_again(tmp_path):
    log = tmp_path / "demo.log"
    proc, url, project_id = start_demo(tmp_path, log, "--iterations", "100000")
    try:
        deadline = time.time() + 90
        while not (len(results(url, project_id)) == 2 and all(
                r["status"] == "running" and r["entry_count"] > 2 for r in results(url, project_id))):
            assert time.time() < deadline, log.read_text()
            time.sleep(0.5)
        assert requests.get(url, timeout=10).status_code == 200
        jobs = children(proc.pid)
        assert len(jobs) == 2
        proc.send_signal(signal.SIGTERM)  # as a process manager stops it: not the whole process group
        assert proc.wait(timeout=30) == 0, log.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert not [pid for pid in jobs if alive(pid)], log.read_text()
    assert "stopped 2 demo jobs" in log.read_text()
    demo_dir = tmp_path / "root" / "demo"
    first_runs = sorted(p.name for p in demo_dir.iterdir() if p.is_dir())
    assert len(first_runs) == 2

    # A second start: the same project and the first runs (shown as stopped), plus two new short jobs
    # whose end is announced, with nothing left as a zombie.
    proc, url, again = start_demo(tmp_path, log, "--iterations", "30")
    try:
        assert again == project_id
        deadline = time.time() + 120
        while "all demo jobs have ended" not in log.read_text():
            assert time.time() < deadline and proc.poll() is None, log.read_text()
            time.sleep(0.5)
        jobs = children(proc.pid)
        assert not [pid for pid in jobs if not alive(pid)], "finished jobs are reaped, not left as zombies"
        assert log.read_text().count("finished (") == 2
        listed = {r["name"]: r for r in results(url, project_id)}
        assert set(first_runs) <= set(listed) and len(listed) == 4
        assert all(listed[name]["status"] == "stopped" for name in first_runs)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
    said = log.read_text()
    assert "Traceback" not in said and "Warning" not in said, said  # a user reads this terminal
