"""`trainui demo`: the dashboard with live quickstart jobs, so a newcomer sees curves move.

It behaves like a dev server: it says where to look and when its jobs end, reaps them, stops
them on Ctrl-C, SIGTERM and SIGHUP (a closed terminal) alike, and keeps its runs under the trainui
root (`<root>/demo`), registered as the project "demo", so a second start finds the first one's
runs. The quickstart it runs ships inside the package (setup.py maps `examples/quickstart` and its
data there), so the demo works from an installed wheel too.

Its jobs are stopped with SIGTERM, which a trainui job answers by ending as ``stopped``: SIGINT
would not do, since a shell script's background job (``trainui demo &``) starts with SIGINT
ignored and its children inherit that. A demo killed without a word takes its jobs with it
(trainui/child.py).
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import click

from ..config import DEFAULT_PORT, trainui_root
from .usage import load_config, user_errors

LEARNING_RATES = (0.05, 0.01, 0.2, 0.002, 0.1, 0.02, 0.005, 0.3)


def quickstart_script() -> Path | None:
    """Installed: trainui/examples/quickstart/train.py (mapped in setup.py). From a checkout:
    <repo>/examples/quickstart/train.py. The same file either way."""
    package_dir = Path(__file__).resolve().parent.parent
    for root in (package_dir, package_dir.parent):
        script = root / "examples" / "quickstart" / "train.py"
        if script.is_file():
            return script
    return None


class DemoJobs:
    """The quickstart jobs: started once the server listens, watched, reaped, stopped on exit."""

    def __init__(self, script: Path, directory: str, count: int, iterations: int):
        self.script, self.directory, self.count, self.iterations = script, directory, count, iterations
        self.procs: dict[str, subprocess.Popen] = {}
        self._watcher: threading.Thread | None = None
        self._stopping = False

    def start(self) -> None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        for lr in LEARNING_RATES[:self.count]:
            name = f"{stamp}-lr{lr}"
            cmd = [sys.executable, "-m", "trainui.child", str(os.getpid()), str(self.script),
                   "--out", os.path.join(self.directory, name), "--iterations", str(self.iterations),
                   "--lr", str(lr), "--sleep", "0.05", "--no-progress"]
            log = open(os.path.join(self.directory, f".{name}.out"), "ab")
            # own session: a Ctrl-C or a hang-up in the terminal reaches the demo, which stops its jobs
            # itself; started from the main thread, whose end is the parent's death for the child
            self.procs[name] = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            log.close()
        self._watcher = threading.Thread(target=self._watch, name="trainui-demo-jobs", daemon=True)
        self._watcher.start()

    def _watch(self) -> None:
        waiting = dict(self.procs)
        while waiting:
            for name, proc in list(waiting.items()):
                code = proc.poll()
                if code is not None:
                    del waiting[name]
                    if self._stopping:
                        continue  # stop() says how they ended
                    how = "finished" if code == 0 else f"ended with exit status {code}"
                    _say(f"demo job {name} {how} ({len(waiting)} still running)")
            time.sleep(0.5)
        if not self._stopping:
            _say("all demo jobs have ended; the dashboard keeps serving their runs (Ctrl-C to quit)")

    def stop(self) -> None:
        """SIGTERM: each job writes its log and ends as "stopped"; kill what does not end in 10 s."""
        self._stopping = True
        running = [p for p in self.procs.values() if p.poll() is None]
        for proc in running:
            proc.send_signal(signal.SIGTERM)
        deadline = time.time() + 10
        killed = 0
        for proc in running:
            try:
                proc.wait(timeout=max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                killed += 1
        if running:
            stopped = len(running) - killed
            _say(f"stopped {stopped} demo job{'s' if stopped != 1 else ''}"
                 + (f"; killed {killed} that did not end within 10 s" if killed else ""))


def _say(message: str) -> None:
    """A line on the demo's terminal, which may be gone (SIGHUP: the terminal was closed)."""
    try:
        click.echo(message, err=True)
    except OSError:
        pass


@click.command()
@click.option("--dir", "directory", type=click.Path(file_okay=False), default=None,
              help="Project directory for the demo runs (default: demo/ under $TRAINUI_ROOT or ~/.trainui).")
@click.option("--port", default=None, type=click.IntRange(0, 65535), help=f"Port [default: {DEFAULT_PORT}].")
@click.option("--jobs", default=2, show_default=True, type=click.IntRange(1, len(LEARNING_RATES)),
              help="How many quickstart jobs to start (with different learning rates).")
@click.option("--iterations", default=3000, show_default=True, type=click.IntRange(10))
@click.option("--db", "db_url", metavar="URL", default=None, help="Database URL (default: the usual one).")
@user_errors
def demo(directory, port, jobs, iterations, db_url):
    """Start the dashboard with live quickstart jobs in a project named "demo" (needs torch)."""
    from .project import register_project
    from .server import serve

    script = quickstart_script()
    if script is None:
        raise click.ClickException("the quickstart job is missing from this installation of trainui "
                                   "(trainui/examples/quickstart/train.py): reinstall it")
    config = load_config(port=port, db_url=db_url)
    directory = os.path.abspath(directory or trainui_root() / "demo")
    os.makedirs(directory, exist_ok=True)
    registered = register_project(config, directory, "demo", ingest=False)
    project_id = registered.project["id"]
    runs = DemoJobs(script, directory, jobs, iterations)

    def ready(url: str) -> None:
        runs.start()
        page = url.split("?", 1)[0] + f"projects/{project_id}"
        click.echo(f"demo: {jobs} quickstart job{'s' if jobs != 1 else ''} running in {directory}\n"
                   f"demo: watch them at {page}  (Ctrl-C stops the jobs and the server)", err=True)

    try:
        serve(config, on_ready=ready)
    finally:
        runs.stop()
