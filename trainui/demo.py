"""`trainui demo`: the dashboard with a live quickstart job, so a newcomer sees curves move."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import click


def quickstart_script() -> Path | None:
    here = Path(__file__).resolve().parent
    for root in (here.parent, Path.cwd()):
        script = root / "examples" / "quickstart" / "train.py"
        if script.is_file():
            return script
    return None


@click.command()
@click.option("--dir", "directory", type=click.Path(file_okay=False), default=None,
              help="Project directory for the demo runs (default: a new temporary directory).")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--jobs", default=2, show_default=True, type=click.IntRange(1, 8),
              help="How many quickstart jobs to start (with different learning rates).")
@click.option("--iterations", default=3000, show_default=True, type=click.IntRange(10))
@click.pass_context
def demo(ctx, directory, port, jobs, iterations):
    """Start the dashboard with live quickstart jobs in a demo project (needs torch and scikit-learn)."""
    from .cli import project_create, server

    script = quickstart_script()
    if script is None:
        raise click.ClickException("examples/quickstart/train.py not found: run the demo from a trainui checkout")
    directory = directory or tempfile.mkdtemp(prefix="trainui-demo-")
    os.environ.setdefault("TRAINUI_ROOT", os.path.join(directory, ".trainui-server"))
    os.makedirs(directory, exist_ok=True)
    ctx.invoke(project_create, directory=directory, name=f"demo-{os.path.basename(directory)}", db_url=None,
               no_ingest=True)
    procs = []
    for i, lr in enumerate([0.05, 0.01, 0.2, 0.002, 0.1, 0.02, 0.005, 0.3][:jobs]):
        out = os.path.join(directory, f"quickstart-lr{lr}")
        cmd = [sys.executable, str(script), "--out", out, "--iterations", str(iterations), "--lr", str(lr),
               "--sleep", "0.05", "--no-progress"]
        procs.append(subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT))
    click.echo(f"demo project in {directory}; {len(procs)} quickstart jobs running", err=True)
    try:
        ctx.invoke(server, host="127.0.0.1", port=port, db_url=None, base_url="/", token=None, threads=8,
                   poll_interval=2.0, no_watchdog=False)
    finally:
        for proc in procs:  # SIGINT: the jobs end as "stopped", as after Ctrl-C in their own terminal
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
