"""Automations, measured on a real server with real trainer jobs:

1. firing latency: a job's loss goes NaN (20 times, finite in between); a NaN-guard rule sends
   take_snapshot; from the NaN entry written (the job's clock) to the command in the job's inbox
   (seen by inotify here). Targets: median < 0.5 s, worst < 1.5 s.
2. rules cost: 100 live runs each write an entry every second (``--every``); a probe measures how long a new
   entry takes to show in the API, with no rules and with 100 rules on the project (thresholds,
   spikes, plateaus, NaN, none of which fires). Target: with rules at most 1.2 x without.

    python benchmarks/bench_rules.py [--runs 100] [--rules 100] [--seconds 30]
"""
from __future__ import annotations

import argparse
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

NAN_JOB = textwrap.dedent("""
    import math, sys, time
    import trainui
    out, episodes, times = sys.argv[1], int(sys.argv[2]), open(sys.argv[3], "w", buffering=1)
    run = trainui.Run(out=out, args={"bench": "rules"}, progress=False, flush_every=1, poll_interval=0.05)
    i, nan_at = 0, time.time() + 2.0
    while episodes:
        i += 1
        if time.time() >= nan_at:
            run.log({"main/loss": math.nan}, iteration=i)  # flush_every=1: in the file now
            times.write(f"{time.perf_counter()}\\n")
            episodes -= 1
            nan_at = time.time() + 0.7
        else:
            run.log({"main/loss": 1.0 / i}, iteration=i)
        run.step(iteration=i)
        time.sleep(0.01)
    for _ in range(100):  # answer what is still due
        i += 1
        run.step(iteration=i)
        time.sleep(0.01)
    run.close()
""")

LIVE_JOBS = textwrap.dedent("""
    import sys, time, random
    import trainui
    root, n, seconds, every = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
    runs = [trainui.Run(out=f"{root}/run{k:03d}", args={"k": k}, progress=False, flush_every=1,
                        poll_interval=1.0, handle_signals=False) for k in range(n)]
    i, end = 0, time.time() + seconds
    while time.time() < end:
        i += 1
        for k, run in enumerate(runs):
            run.log({"main/loss": 1.0 / i + random.random() * 1e-3, "acc": i / (i + 1)}, iteration=i)
        time.sleep(every)
    for run in runs:
        run.close()
""")


class InboxTimes:
    def __init__(self, folder: Path):
        from watchdog.events import FileSystemEventHandler
        from watchdog.observers import Observer

        self.seen: dict[str, float] = {}
        times = self

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event):
                path = Path(os.fsdecode(getattr(event, "dest_path", "") or event.src_path))
                if path.parent.name == "inbox" and path.suffix == ".json" and not path.name.startswith("."):
                    times.seen.setdefault(path.stem, time.perf_counter())

        self.observer = Observer()
        self.observer.schedule(Handler(), str(folder), recursive=True)
        self.observer.start()


def firing_latency(work: Path, episodes: int) -> list[float]:
    server = Server(work / "server-a")
    job = None
    try:
        project = work / "nan"
        (project / "run").mkdir(parents=True)
        pid = server.post("projects", {"path": str(project), "name": "nan"}).json()["project"]["id"]
        made = server.post(f"projects/{pid}/rules", {"name": "NaN guard", "condition": {"kind": "nan", "key": "main/loss"},
                                                    "action": {"kind": "take_snapshot"}})
        made.raise_for_status()
        inbox = InboxTimes(project)
        times_file = work / "nan-times.txt"
        job = subprocess.Popen([sys.executable, "-c", NAN_JOB, str(project / "run"), str(episodes), str(times_file)],
                               cwd=REPO, env=dict(os.environ, PYTHONPATH=str(REPO)))
        job.wait(timeout=120)
        time.sleep(0.5)
        inbox.observer.stop()
        nan_times = [float(line) for line in times_file.read_text().split()]
        rid = server.get(f"projects/{pid}/results").json()["results"][0]["id"]
        firings = server.get(f"results/{rid}/firings").json()["firings"]
        commands = {c["id"]: c for c in server.get(f"results/{rid}/commands").json()["commands"]}
        if len(firings) != episodes:
            raise RuntimeError(f"{len(firings)} firings for {episodes} NaN episodes")
        out = []
        for nan_time, firing in zip(nan_times, firings):
            uid = commands[firing["command_id"]]["uid"]
            out.append(inbox.seen[uid] - nan_time)
        return out
    finally:
        if job is not None and job.poll() is None:
            job.kill()
        server.stop()


RULE_SHAPES = [
    {"kind": "above", "key": "main/loss", "threshold": 1e6, "count": 3},
    {"kind": "below", "key": "acc", "threshold": -1.0},
    {"kind": "spike", "key": "main/loss", "factor": 1e9},
    {"kind": "spike", "key": "acc", "zscore": 50.0, "window": 20},
    {"kind": "plateau", "key": "acc", "patience": 100000, "mode": "max"},
    {"kind": "nan", "key": "acc"},
]


def live_latency(work: Path, name: str, runs: int, rules: int, seconds: float, every: float) -> list[float]:
    server = Server(work / f"server-{name}")
    jobs = None
    try:
        project = work / name
        project.mkdir()
        pid = server.post("projects", {"path": str(project), "name": name}).json()["project"]["id"]
        for k in range(rules):
            server.post(f"projects/{pid}/rules", {"name": f"rule {k}", "condition": RULE_SHAPES[k % len(RULE_SHAPES)],
                                                 "action": {"kind": "mark"}}).raise_for_status()
        jobs = subprocess.Popen([sys.executable, "-c", LIVE_JOBS, str(project), str(runs), str(seconds + 15), str(every)],
                                cwd=REPO, env=dict(os.environ, PYTHONPATH=str(REPO)))
        session = requests.Session()
        deadline = time.time() + 60
        while len(server.get(f"projects/{pid}/results", session).json()["results"]) < runs:
            if time.time() > deadline:
                raise RuntimeError("the runs never all showed")
            time.sleep(0.2)
        latencies, end = [], time.time() + seconds
        listed = server.get(f"projects/{pid}/results", session).json()["results"]
        probe = listed[0]["id"]
        while time.time() < end:  # how long until the probe run's next entry shows
            before = server.get(f"results/{probe}", session).json()["result"]["entry_count"]
            while True:
                now = server.get(f"results/{probe}", session).json()["result"]["entry_count"]
                if now > before:
                    break
                time.sleep(0.005)
            seen = time.time()
            written = (Path(listed[0]["path"]) / "log").stat().st_mtime  # the job's flush of that entry
            latencies.append(max(0.0, seen - written))
        fired = sum(len(server.get(f"results/{r['id']}/firings", session).json()["firings"]) for r in listed[:5])
        if fired:
            raise RuntimeError(f"{fired} firings: the benchmark's rules must not fire")
        return latencies
    finally:
        if jobs is not None:
            jobs.kill()
            jobs.wait()
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--episodes", type=int, default=20)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--rules", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--every", type=float, default=1.0, help="seconds between a live run's entries (default 1)")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        delays = firing_latency(work, options.episodes)
        print(f"firing latency, NaN written -> command in the job's inbox, {len(delays)} firings: "
              f"median {statistics.median(delays) * 1000:.0f} ms, worst {max(delays) * 1000:.0f} ms "
              f"(targets 500 / 1500 ms: {'met' if statistics.median(delays) < 0.5 and max(delays) < 1.5 else 'MISSED'})")
        without = live_latency(work, "without", options.runs, 0, options.seconds, options.every)
        with_rules = live_latency(work, "with", options.runs, options.rules, options.seconds, options.every)
    a, b = statistics.median(without), statistics.median(with_rules)
    print(f"{options.runs} live runs (an entry every {options.every:g} s each), entry written -> shown by the API: median {a * 1000:.0f} ms without rules, "
          f"{b * 1000:.0f} ms with {options.rules} rules ({len(without)} / {len(with_rules)} probes): "
          f"{b / a:.2f}x (target <= 1.2x: {'met' if b / a <= 1.2 else 'MISSED'})")


if __name__ == "__main__":
    main()
