"""Under load: 20 API clients polling while 10 jobs append 1,000 entries/s in all, for 60 s.

Targets: no error, p99 request latency under 200 ms, and no entry lost (every entry written is
counted by the server at the end).
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.common import append_entries, entry, summary, write_log  # noqa: E402
from benchmarks.server_process import Server  # noqa: E402


def job(log_path: str, rate: float, seconds: float, written) -> None:
    """Append ``rate`` entries per second in batches of a tenth of a second, like a flushing trainer."""
    i, start = 1, time.time()
    batch = max(1, int(rate / 10))
    while time.time() - start < seconds:
        append_entries(log_path, [entry(i + k) for k in range(batch)])
        i += batch
        written.value = i
        time.sleep(max(0.0, start + (i - 1) / rate - time.time()))


def client(server: Server, project_id: int, stop: threading.Event, latencies: list, errors: list) -> None:
    session = requests.Session()
    cursors: dict[int, int] = {}
    while not stop.is_set():
        try:
            t = time.perf_counter()
            response = server.get(f"projects/{project_id}/results", session)
            latencies.append(time.perf_counter() - t)
            if response.status_code != 200:
                errors.append(response.status_code)
                continue
            result = random.choice(response.json()["results"])
            since = cursors.get(result["id"], 0)
            t = time.perf_counter()
            response = server.get(f"results/{result['id']}/logs?max_points=1000&since={since}", session)
            latencies.append(time.perf_counter() - t)
            if response.status_code != 200:
                errors.append(response.status_code)
                continue
            cursors[result["id"]] = response.json()["cursor"]
        except requests.RequestException as error:
            errors.append(repr(error))
        time.sleep(0.05)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--jobs", type=int, default=10)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--rate", type=float, default=1000, help="entries per second over all jobs")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="trainui-bench-"))
    logs = []
    for j in range(args.jobs):
        run = work / "project" / f"job{j}"
        run.mkdir(parents=True)
        write_log(run / "log", 1, indent=None)
        logs.append(run / "log")
    server = Server(work / "server")
    try:
        pid = server.post("projects", {"path": str(work / "project"), "name": "load"}).json()["project"]["id"]
        while len(server.get(f"projects/{pid}/results").json()["results"]) < args.jobs:
            time.sleep(0.1)
        written = [mp.Value("l", 1) for _ in logs]
        jobs = [mp.Process(target=job, args=(str(p), args.rate / args.jobs, args.seconds, w))
                for p, w in zip(logs, written)]
        stop, latencies, errors = threading.Event(), [], []
        clients = [threading.Thread(target=client, args=(server, pid, stop, latencies, errors))
                   for _ in range(args.clients)]
        for p in jobs:
            p.start()
        for c in clients:
            c.start()
        for p in jobs:
            p.join()
        stop.set()
        for c in clients:
            c.join()
        total = sum(w.value for w in written)
        deadline = time.time() + 30
        while time.time() < deadline:
            counted = sum(r["entry_count"] for r in server.get(f"projects/{pid}/results").json()["results"])
            if counted >= total:
                break
            time.sleep(0.2)
        print(f"{args.jobs} jobs wrote {total} entries in {args.seconds:.0f} s ({total / args.seconds:.0f}/s); "
              f"{args.clients} clients made {len(latencies)} requests")
        print(f"request latency: {summary(latencies)}   (target p99 < 200 ms)")
        print(f"errors: {len(errors)} {errors[:5]}   (target 0)")
        print(f"entries counted by the server: {counted} of {total} written   (target: all)")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
