"""A command's round trip through the API to a local job: POST -> SUCCESS visible in the API.

The job is a real trainui script stepping at 1 kHz with the default inbox poll (0.2 s). File events
seen here (inotify, through watchdog) split each round trip into its parts:

  delivery = POST sent      -> the inbox file appears   (server)
  job      = inbox file     -> the outbox answer appears (the job's poll interval, mostly)
  answer   = outbox answer  -> SUCCESS visible in the API (server)

The server's share is delivery + answer (target: < 10 ms median). With ``--baseline REF`` the same
measurement runs first against a server started from that git revision (a temporary worktree), so
the before and after figures come from one run on one machine:

    python benchmarks/bench_commands.py --baseline e46502e
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import requests

from benchmarks.server_process import REPO, Server

JOB = textwrap.dedent("""
    import sys, time
    import trainui
    run = trainui.Run(out=sys.argv[1], args={"bench": "commands"})
    run.command("ping", lambda body: {"pong": body.get("n")})
    end = time.time() + float(sys.argv[2])
    i = 0
    while time.time() < end:
        i += 1
        if run.step(iteration=i):
            break
        if i % 200 == 0:
            run.log({"iteration": i, "loss": 1.0 / i})
        time.sleep(0.001)
    run.close()
""")


class FileTimes:
    """When each command's inbox and outbox files appeared (inotify, seen in this process)."""

    def __init__(self, commands_dir: Path):
        from watchdog.events import FileSystemEventHandler
        from watchdog.observers import Observer

        self.inbox: dict[str, float] = {}
        self.outbox: dict[str, float] = {}
        times = self

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event):
                path = Path(os.fsdecode(getattr(event, "dest_path", "") or event.src_path))
                if path.suffix != ".json" or path.name.startswith("."):
                    return
                seen = times.inbox if path.parent.name == "inbox" else times.outbox
                seen.setdefault(path.stem, time.perf_counter())

        self.observer = Observer()
        self.observer.schedule(Handler(), str(commands_dir), recursive=True)
        self.observer.start()

    def stop(self):
        self.observer.stop()
        self.observer.join()


def measure(repo: Path, work: Path, n: int) -> dict:
    server = Server(work / "root", repo=repo)
    job = None
    try:
        project = work / "project"
        run_dir = project / "run"
        run_dir.mkdir(parents=True)
        job = subprocess.Popen([sys.executable, "-c", JOB, str(run_dir), str(30 + n * 0.6)], cwd=repo,
                               env=dict(os.environ, PYTHONPATH=str(repo)))
        while not (run_dir / ".trainui" / "commands" / "inbox").is_dir():
            time.sleep(0.05)
        files = FileTimes(run_dir / ".trainui" / "commands")
        session = requests.Session()
        pid = session.post(server.api + "projects", json={"path": str(project), "name": "bench"}).json()["project"]["id"]
        rid = _wait_running(server, session, pid)
        rounds = []
        for i in range(n):
            start = time.perf_counter()
            made = session.post(server.api + f"results/{rid}/commands", json={"name": "ping", "body": {"n": i}})
            made.raise_for_status()
            command = made.json()["command"]
            while True:
                listed = session.get(server.api + f"results/{rid}/commands").json()["commands"]
                status = next(c["status"] for c in listed if c["id"] == command["id"])
                if status != "PENDING":
                    break
                time.sleep(0.001)  # a tight loop of GETs would take the server's core from it
            visible = time.perf_counter()
            if status != "SUCCESS":
                raise RuntimeError(f"command {i} answered {status}")
            time.sleep(0.05)  # let the file events arrive
            uid = command["uid"]
            if uid not in files.inbox or uid not in files.outbox:
                raise RuntimeError(f"no file events for command {i}")
            rounds.append({"total": visible - start, "delivery": files.inbox[uid] - start,
                           "job": files.outbox[uid] - files.inbox[uid], "answer": visible - files.outbox[uid]})
            time.sleep(0.03 + (i % 7) * 0.011)  # post at varying points of the job's poll cycle
        files.stop()
        return {part: statistics.median(r[part] for r in rounds) for part in rounds[0]} | {
            "p90": sorted(r["total"] for r in rounds)[int(0.9 * len(rounds))],
            "server": statistics.median(r["delivery"] + r["answer"] for r in rounds)}
    finally:
        if job is not None:
            job.kill()
            job.wait()
        server.stop()


def _wait_running(server: Server, session: requests.Session, pid: int) -> int:
    deadline = time.time() + 60
    while time.time() < deadline:
        results = session.get(server.api + f"projects/{pid}/results").json()["results"]
        if results and results[0]["status"] == "running":
            return results[0]["id"]
        time.sleep(0.1)
    raise RuntimeError("the job never showed as running")


def _worktree(ref: str, where: Path) -> Path:
    subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(where), ref], check=True,
                   capture_output=True)
    return where


def report(name: str, figures: dict) -> None:
    ms = {k: f"{v * 1000:6.1f} ms" for k, v in figures.items()}
    print(f"{name:>9}: round trip {ms['total']} median (p90 {ms['p90']}); server {ms['server']} "
          f"= delivery {ms['delivery']} + answer {ms['answer']}; job {ms['job']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=40, help="commands per measurement (default 40)")
    parser.add_argument("--baseline", metavar="REF", help="also measure a server from this git revision first")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        figures = {}
        if options.baseline:
            base = _worktree(options.baseline, tmp / "baseline-repo")
            try:
                figures["baseline"] = measure(base, tmp / "baseline", options.n)
            finally:
                subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(base)], check=False)
        figures["this tree"] = measure(REPO, tmp / "current", options.n)
    print(f"command round trip, {options.n} commands, job inbox poll 0.2 s")
    for name, values in figures.items():
        report(name, values)
    if "baseline" in figures:
        b, c = figures["baseline"], figures["this tree"]
        print(f"server share: {b['server'] / max(c['server'], 1e-9):.1f}x smaller; "
              f"round trip {b['total'] / c['total']:.2f}x faster")
    print(f"target: server share < 10 ms median -> {'met' if figures['this tree']['server'] < 0.010 else 'MISSED'}")


if __name__ == "__main__":
    main()
