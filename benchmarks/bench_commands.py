"""A command's round trip through the API to a local job: POST -> SUCCESS visible in the API.

The job is a real trainui script stepping at 1 kHz with the default inbox poll (0.2 s). File events
seen here (inotify, through watchdog) split each round trip into its parts:

  delivery = POST sent      -> the inbox file appears   (server)
  job      = inbox file     -> the outbox answer appears (the job's poll interval, mostly)
  answer   = outbox answer  -> SUCCESS visible in the API (server)

"Visible" is when the API tells a watcher: the result page's event stream (`GET /stream?result=R`,
pushed the moment the answer commits), and, as a second figure, a client polling
`GET /results/R/commands` every millisecond (each poll costs the server about a millisecond of the
same cores, and a poll sees the answer up to one poll late: the figure a page without the stream gets).

The server's share is delivery + answer (target: < 10 ms median). With ``--baseline REF`` the same
measurement runs first against a server started from that git revision (a temporary worktree), so
the before and after figures come from one run on one machine:

    python benchmarks/bench_commands.py --baseline e46502e
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script too
from benchmarks.server_process import REPO, Server  # noqa: E402

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


class StreamTimes:
    """When the result's event stream first told each command's end (SUCCESS, FAILURE, ...)."""

    def __init__(self, server: Server, result_id: int):
        self.ended: dict[int, float] = {}
        self._told = threading.Condition()
        self._response = requests.get(server.api + f"stream?result={result_id}", stream=True, timeout=(5, 600))
        self._response.raise_for_status()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self):
        kind = None
        try:
            for line in self._response.iter_lines(chunk_size=1, decode_unicode=True):
                if line.startswith("event: "):
                    kind = line[len("event: "):]
                elif line.startswith("data: ") and kind == "command":
                    data = json.loads(line[len("data: "):])
                    if data["status"] != "PENDING":
                        with self._told:
                            self.ended.setdefault(data["command_id"], time.perf_counter())
                            self._told.notify_all()
        except (requests.RequestException, AttributeError, ValueError):
            pass  # closed by stop()

    def wait(self, command_id: int, timeout: float = 30.0) -> float:
        with self._told:
            if not self._told.wait_for(lambda: command_id in self.ended, timeout):
                raise RuntimeError(f"the stream never told the end of command {command_id}")
            return self.ended[command_id]

    def stop(self):
        self._response.close()


def measure(repo: Path, work: Path, n: int, watch: str = "stream") -> dict:
    """Median parts of ``n`` round trips; ``watch``: how the client sees the answer ("stream" or "poll")."""
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
        stream = StreamTimes(server, rid) if watch == "stream" else None
        rounds = []
        for i in range(n):
            start = time.perf_counter()
            made = session.post(server.api + f"results/{rid}/commands", json={"name": "ping", "body": {"n": i}})
            made.raise_for_status()
            command = made.json()["command"]
            if stream is not None:
                visible = stream.wait(command["id"])
                listed = session.get(server.api + f"results/{rid}/commands").json()["commands"]
                status = next(c["status"] for c in listed if c["id"] == command["id"])
            else:
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
        if stream is not None:
            stream.stop()
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
    print(f"{name:>18}: round trip {ms['total']} median (p90 {ms['p90']}); server {ms['server']} "
          f"= delivery {ms['delivery']} + answer {ms['answer']}; job {ms['job']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=40, help="commands per measurement (default 40)")
    parser.add_argument("--baseline", metavar="REF", help="also measure a server from this git revision first")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        trees = {"this tree": REPO}
        figures = {}
        try:
            if options.baseline:
                trees = {"baseline": _worktree(options.baseline, tmp / "baseline-repo"), **trees}
            for watch in ("stream", "poll"):
                for name, repo in trees.items():
                    figures[(name, watch)] = measure(repo, tmp / f"{name}-{watch}".replace(" ", "-"), options.n, watch)
        finally:
            if "baseline" in trees:
                subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(trees["baseline"])],
                               check=False)
    print(f"command round trip, {options.n} commands, job inbox poll 0.2 s")
    for (name, watch), values in figures.items():
        report(f"{name}, {watch}", values)
    if options.baseline:
        for watch in ("stream", "poll"):
            b, c = figures[("baseline", watch)], figures[("this tree", watch)]
            print(f"{watch}: server share {b['server'] / max(c['server'], 1e-9):.1f}x smaller; "
                  f"round trip {b['total'] / c['total']:.2f}x faster")
    share = figures[("this tree", "stream")]["server"]
    print(f"target: server share < 10 ms median (seen on the stream) -> {share * 1000:.1f} ms: "
          f"{'met' if share < 0.010 else 'MISSED'}")


if __name__ == "__main__":
    main()
