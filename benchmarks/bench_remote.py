"""Remote jobs under load: 10 jobs ship 1,000 entries/s each over HTTP to one server for 60 s.

Each job is a real trainer-library process (``trainui.Run(server=..., project=..., token=...)``,
without torch) logging at a fixed rate; its result directory is not under any registered project,
so the server learns of it only through the uploads. In the same run, local jobs (no server) log
at the same rate: the baseline for the job-side cost of ``log()``, measured under the same load.

Prints, against the issue's targets:
- entry-to-API latency: from the ``log()`` call (the entry carries its wall time ``t``) to the
  first answer of ``GET /projects/<id>/results`` that counts it (polled every 20 ms: an upper
  bound by that much); p99 < 1 s;
- entries lost (written by a job but not held by the server at the end) and doubled: 0;
- ``log()`` per call, remote vs local: the mean of each job's calls, median over jobs; <= 1.5x.

    nice -n 19 python benchmarks/bench_remote.py [--jobs 10] [--rate 1000] [--seconds 60]
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.common import summary  # noqa: E402
from benchmarks.server_process import Server  # noqa: E402


def job(out: str, remote: dict | None, rate: float, seconds: float, stats_path: str) -> None:
    """A training loop at ``rate`` reports per second: log() (timed) and step() every iteration."""
    import trainui

    costs = []
    perf = time.perf_counter
    with trainui.Run(out, args={"rate": rate}, progress=False, handle_signals=False, **(remote or {})) as run:
        i, start = 1, time.time()
        while time.time() - start < seconds:
            values = {"t": time.time(), "main/loss": 1.0 / i, "main/accuracy": (i % 100) / 100,
                      "validation/main/loss": 1.1 / i}
            began = perf()
            run.log(values, iteration=i, epoch=i // 1000)
            costs.append(perf() - began)
            run.step(iteration=i)
            i += 1
            delay = start + (i - 1) / rate - time.time()
            if delay > 0:
                time.sleep(delay)
        closing = perf()
    close_seconds = perf() - closing
    costs.sort()
    with open(stats_path, "w") as f:
        json.dump({"out": out, "written": i - 1, "mean_us": statistics.fmean(costs) * 1e6,
                   "p99_us": costs[int(len(costs) * 0.99)] * 1e6, "close_seconds": close_seconds}, f)


class Probe:
    """An API client polling the project's results list (every run's ``entry_count`` in one cheap
    request, so the instrument adds little load): when did the API first count each entry?"""

    def __init__(self, server: Server, project_id: int, interval: float = 0.02):
        self.server, self.project_id, self.interval = server, project_id, interval
        self.timelines: dict[str, list[tuple[float, int]]] = {}  # run name -> (seen at, entry_count) changes
        self.errors: list = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._follow, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def join(self) -> None:
        self.stop.set()
        self.thread.join()

    def _follow(self) -> None:
        session = requests.Session()
        while not self.stop.is_set():
            try:
                response = self.server.get(f"projects/{self.project_id}/results", session)
                seen = time.time()
                if response.status_code != 200:
                    self.errors.append(response.status_code)
                    continue
                for result in response.json()["results"]:
                    timeline = self.timelines.setdefault(result["name"].rsplit(":", 1)[-1], [])
                    if not timeline or timeline[-1][1] != result["entry_count"]:
                        timeline.append((seen, result["entry_count"]))
            except (requests.RequestException, ValueError, KeyError) as error:
                self.errors.append(repr(error))
            time.sleep(self.interval)

    def latencies(self, name: str, written_at: list[float]) -> list[float]:
        """Per entry (in log order, written at ``written_at``): first seen in the API minus written."""
        out, timeline, k = [], self.timelines.get(name, []), 0
        for index, t in enumerate(written_at):
            while k < len(timeline) and timeline[k][1] <= index:
                k += 1
            if k == len(timeline):
                break  # never counted while the probe looked (the final check counts it)
            out.append(timeline[k][0] - t)
        return out


def job_token(server: Server, project: str) -> str:
    env = dict(os.environ, TRAINUI_ROOT=str(server.root))
    env.pop("TRAINUI_DB_URL", None)
    done = subprocess.run([sys.executable, "-m", "trainui.cli", "token", "create", "--role", "job",
                           "--project", project], env=env, capture_output=True, text=True, check=True)
    return done.stdout.splitlines()[0].strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--jobs", type=int, default=10, help="remote jobs")
    parser.add_argument("--local-jobs", type=int, default=2, help="local jobs (the log() baseline), at the same time")
    parser.add_argument("--rate", type=float, default=1000, help="entries per second per job")
    parser.add_argument("--threads", type=int, default=None, help="server request threads [server default]")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="trainui-bench-remote-"))
    (work / "project").mkdir()
    server = Server(work / "server", ("--threads", str(args.threads)) if args.threads else ())
    try:
        project_id = server.post("projects", {"path": str(work / "project"), "name": "bench"}).json()["project"]["id"]
        remote = {"server": server.url, "project": "bench", "token": job_token(server, "bench")}
        probe = Probe(server, project_id)
        probe.start()
        plan = [(f"remote{j}", remote) for j in range(args.jobs)] + [(f"local{j}", None) for j in range(args.local_jobs)]
        processes = [mp.Process(target=job, args=(str(work / "job-host" / name), settings, args.rate, args.seconds,
                                                  str(work / f"{name}.json")))
                     for name, settings in plan]
        for p in processes:
            p.start()
        for p in processes:
            p.join()
        time.sleep(1.0)  # the probe's last sweep
        probe.join()
        stats = {name: json.loads((work / f"{name}.json").read_text()) for name, _ in plan}
        report(server, project_id, args, stats, probe)
    finally:
        server.stop()


def report(server: Server, project_id: int, args, stats: dict, probe: Probe) -> None:
    results = {r["name"].rsplit(":", 1)[-1]: r for r in server.get(f"projects/{project_id}/results").json()["results"]}
    written = held = doubled = 0
    for name, s in stats.items():
        if not name.startswith("remote"):
            continue
        written += s["written"]
        result = results.get(name)
        if result is None:
            continue
        series = server.get(f"results/{result['id']}/logs?keys=t&x=iteration&max_points=100000").json()["series"]["t"]
        unique = set(series["x"])
        held += len(unique & set(float(i) for i in range(1, s["written"] + 1)))
        doubled += result["entry_count"] - len(unique)
    latencies = []
    for name, s in stats.items():
        if name.startswith("remote"):
            with open(Path(s["out"]) / "log") as f:
                latencies += probe.latencies(name, [e["t"] for e in json.load(f)])
    remote_costs = [s["mean_us"] for n, s in stats.items() if n.startswith("remote")]
    local_costs = [s["mean_us"] for n, s in stats.items() if n.startswith("local")]
    remote_p99 = statistics.median(s["p99_us"] for n, s in stats.items() if n.startswith("remote"))
    local_p99 = statistics.median(s["p99_us"] for n, s in stats.items() if n.startswith("local"))
    ratio = statistics.median(remote_costs) / statistics.median(local_costs)
    statuses = sorted({r["status"] for n, r in results.items() if n.startswith("remote")})
    print(f"{args.jobs} remote jobs x {args.rate:.0f} entries/s for {args.seconds:.0f} s, {args.local_jobs} local jobs "
          f"at the same rate beside them; server threads: {args.threads or 'default'}; machine load average at "
          f"the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"entry-to-API latency: {summary(latencies)}   (target p99 < 1 s)")
    print(f"entries written by the remote jobs: {written}; held by the server: {held}; lost: {written - held}; "
          f"doubled: {doubled}   (target 0 lost, 0 doubled); run statuses: {statuses}")
    print(f"log() per call, mean (median over jobs): remote {statistics.median(remote_costs):.1f} us, local "
          f"{statistics.median(local_costs):.1f} us: ratio {ratio:.2f}   (target <= 1.5); p99 remote {remote_p99:.1f} us, "
          f"local {local_p99:.1f} us")
    print(f"close() with its final upload: at most {max(s['close_seconds'] for s in stats.values()):.2f} s; "
          f"probe errors: {len(probe.errors)} {probe.errors[:3]}")


if __name__ == "__main__":
    main()
