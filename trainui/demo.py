"""`trainui demo`: the dashboard with live quickstart jobs, so a newcomer sees curves move.

It behaves like a dev server: it says where to look and when its jobs end, reaps them, stops
them on Ctrl-C and SIGTERM alike, and keeps its runs under the trainui root (`<root>/demo`),
registered as the project "demo", so a second start finds the first one's runs.
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

from .config import trainui_root
from .usage import load_config, user_errors

LEARNING_RATES = (0.05, 0.01, 0.2, 0.002, 0.1, 0.02, 0.005, 0.3)


def quickstart_script() -> Path | None:
    here = Path(__file__).resolve().parent
    for root in (here.parent, Path.cwd()):
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

    def start(self) -> None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        for lr in LEARNING_RATES[:self.count]:
            name = f"{stamp}-lr{lr}"
            cmd = [sys.executable, str(self.script), "--out", os.path.join(self.directory, name),
                   "--iterations", str(self.iterations), "--lr", str(lr), "--sleep", "0.05", "--no-progress"]
            log = open(os.path.join(self.directory, f".{name}.out"), "ab")
            # own process group: a Ctrl-C in the terminal reaches the demo, which stops its jobs itself
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
                    how = "finished" if code == 0 else f"ended with exit status {code}"
                    click.echo(f"demo job {name} {how} ({len(waiting)} still running)", err=True)
            time.sleep(0.5)
        click.echo("all demo jobs have ended; the dashboard keeps serving their runs (Ctrl-C to quit)", err=True)

    def stop(self) -> None:
        """SIGINT: each job writes its log and ends as "stopped"; kill what does not end in 10 s."""
        running = [p for p in self.procs.values() if p.poll() is None]
        for proc in running:
            proc.send_signal(signal.SIGINT)
        deadline = time.time() + 10
        for proc in running:
            try:
                proc.wait(timeout=max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if running:
            click.echo(f"stopped {len(running)} demo job{'s' if len(running) != 1 else ''}", err=True)


@click.command()
@click.option("--dir", "directory", type=click.Path(file_okay=False), default=None,
              help="Project directory for the demo runs (default: demo/ under $TRAINUI_ROOT or ~/.trainui).")
@click.option("--port", default=None, type=click.IntRange(0, 65535), help="Port [default: 5000].")
@click.option("--jobs", default=2, show_default=True, type=click.IntRange(1, len(LEARNING_RATES)),
              help="How many quickstart jobs to start (with different learning rates).")
@click.option("--iterations", default=3000, show_default=True, type=click.IntRange(10))
@click.option("--db", "db_url", metavar="URL", default=None, help="Database URL (default: the usual one).")
@user_errors
def demo(directory, port, jobs, iterations, db_url):
    """Start the dashboard with live quickstart jobs in a project named "demo" (needs torch)."""
    from .serve import register_project, serve

    script = quickstart_script()
    if script is None:
        raise click.ClickException("examples/quickstart/train.py not found: run the demo from a trainui checkout")
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
