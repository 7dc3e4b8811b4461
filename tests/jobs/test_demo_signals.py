"""`trainui demo`'s jobs die with it, however it is ended, and end as `stopped`: SIGTERM from the
shell script that started it in the background (whose children start with SIGINT ignored), and the
hang-up of a closed terminal. Read from the jobs' own status files, after the demo has exited."""
import json
import os
import pty
import select
import signal
import subprocess
import sys
import threading
import time

import pytest

pytest.importorskip("torch")

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def demo_env(tmp_path):
    env = dict(os.environ, TRAINUI_ROOT=str(tmp_path / "root"))
    env.pop("TRAINUI_DB_URL", None)
    return env


def job_states(tmp_path) -> dict[str, dict]:
    """Each demo job's `.trainui/status.json`, by run name."""
    demo_dir = tmp_path / "root" / "demo"
    states = {}
    for run in demo_dir.iterdir() if demo_dir.is_dir() else ():
        status = run / ".trainui" / "status.json"
        if run.is_dir() and status.is_file():
            try:
                states[run.name] = json.loads(status.read_text())
            except ValueError:
                pass  # never torn (atomic writes), but a run may be between its first files
    return states


def wait_for_two_training_jobs(tmp_path, said):
    deadline = time.time() + 120
    while True:
        states = job_states(tmp_path)
        if len(states) == 2 and all(s["status"] == "running" and (s.get("iteration") or 0) > 2
                                    for s in states.values()):
            return states
        assert time.time() < deadline, said()
        time.sleep(0.3)


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as f:
            return "\nState:\tZ" not in f.read()
    except FileNotFoundError:
        return False


def assert_jobs_ended_stopped(tmp_path, states, said):
    deadline = time.time() + 30
    while any(alive(s["pid"]) for s in states.values()):
        if time.time() > deadline:
            for pid in (s["pid"] for s in states.values() if alive(s["pid"])):
                os.kill(pid, signal.SIGKILL)  # no orphan left training after a failed test
            raise AssertionError("demo jobs outlived the demo\n" + said())
        time.sleep(0.2)
    ended = job_states(tmp_path)
    assert {name: s["status"] for name, s in ended.items()} == {name: "stopped" for name in states}, said()


def test_sigterm_from_the_script_that_started_it_in_the_background(tmp_path):
    go = tmp_path / "go"
    log = tmp_path / "script.log"
    script = (f"{sys.executable} -m trainui.cli demo --port 0 --iterations 100000 &\n"
              f"demo=$!\n"
              f"while [ ! -e {go} ]; do sleep 0.2; done\n"
              f"kill -TERM $demo\n"
              f"wait $demo\n"
              f"echo \"demo exited with $?\"\n")
    proc = subprocess.Popen(["bash", "-c", script], cwd=REPO, env=demo_env(tmp_path),
                            stdout=open(log, "wb"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        states = wait_for_two_training_jobs(tmp_path, log.read_text)
        go.touch()
        assert proc.wait(timeout=60) == 0, log.read_text()
    finally:
        if proc.poll() is None:
            go.touch()
            proc.kill()
    said = log.read_text()
    assert "demo exited with 0" in said and "stopped 2 demo jobs" in said and "killed" not in said, said
    assert_jobs_ended_stopped(tmp_path, states, log.read_text)
    assert "Traceback" not in said, said


def test_closing_its_terminal_stops_the_jobs(tmp_path):
    env = demo_env(tmp_path)
    pid, terminal = pty.fork()
    if pid == 0:  # the child: the demo, with the pseudo-terminal as its controlling terminal
        os.chdir(REPO)
        os.execve(sys.executable, [sys.executable, "-m", "trainui.cli", "demo", "--port", "0",
                                   "--iterations", "100000"], env)
    output = bytearray()
    closing = threading.Event()

    def drain():  # a terminal that nobody reads blocks its writer
        while not closing.is_set():  # a read blocked in this thread would keep the terminal open
            if not select.select([terminal], [], [], 0.1)[0]:
                continue
            try:
                chunk = os.read(terminal, 4096)
            except OSError:
                return
            if not chunk:
                return
            output.extend(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    said = lambda: output.decode(errors="replace")  # noqa: E731
    try:
        states = wait_for_two_training_jobs(tmp_path, said)
        closing.set()
        reader.join()
        os.close(terminal)  # the terminal window is closed: the kernel hangs up its session
        deadline = time.time() + 60
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            assert time.time() < deadline, "the demo did not end on SIGHUP\n" + said()
            time.sleep(0.2)
    finally:
        try:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
    assert os.waitstatus_to_exitcode(status) == 0, said()
    assert_jobs_ended_stopped(tmp_path, states, said)


def test_a_demo_killed_outright_takes_its_jobs_with_it(tmp_path):
    """SIGKILL (or the out-of-memory killer) gives the demo no chance to stop its jobs: the kernel
    does (trainui.child asks for SIGTERM when its parent dies), and they still end as stopped."""
    log = tmp_path / "demo.log"
    proc = subprocess.Popen([sys.executable, "-m", "trainui.cli", "demo", "--port", "0", "--iterations", "100000"],
                            cwd=REPO, env=demo_env(tmp_path), stdout=open(log, "wb"), stderr=subprocess.STDOUT)
    try:
        states = wait_for_two_training_jobs(tmp_path, log.read_text)
    finally:
        proc.kill()
        proc.wait()
    assert_jobs_ended_stopped(tmp_path, states, log.read_text)
