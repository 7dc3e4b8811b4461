"""Live latency and results-list speed against a real server process.

1. Append latency: an entry appended to a `log` by another process is visible through the API
   (median of 20 target <= 0.3 s, worst <= 1 s).
2. A project with 1,000 results of 1,000 entries each: GET /projects/<id>/results
   (target < 200 ms, measured from the client over loopback).
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.common import append_entries, entry, ms, summary, write_log  # noqa: E402
from benchmarks.common import wait as common_wait  # noqa: E402
from benchmarks.server_process import Server  # noqa: E402


def wait(predicate, timeout=600):
    """Polled every 2 ms: the figures measured through it are tens of milliseconds."""
    return common_wait(predicate, timeout, interval=0.002)


def bench_latency(work: Path) -> None:
    root = work / "latency"
    run = root / "live"
    run.mkdir(parents=True)
    write_log(run / "log", 1)
    server = Server(work / "server-latency")
    try:
        pid = server.post("projects", {"path": str(root), "name": "latency"}).json()["project"]["id"]
        session = requests.Session()
        rid = wait(lambda: [r["id"] for r in server.get(f"projects/{pid}/results", session).json()["results"]])[0]
        delays = []
        for i in range(1, 21):
            time.sleep(0.2)
            append_entries(run / "log", [entry(i)])
            start = time.perf_counter()
            wait(lambda: server.get(f"results/{rid}", session).json()["result"]["entry_count"] == i + 1)
            delays.append(time.perf_counter() - start)
        print(f"append -> visible in the API: median {ms(statistics.median(delays))}, "
              f"worst {ms(max(delays))}   (targets: median <= 300 ms, worst <= 1000 ms)")
    finally:
        server.stop()


def bench_results_list(work: Path, results: int, entries: int) -> None:
    root = work / "many"
    for r in range(results):
        run = root / f"run{r:04d}"
        run.mkdir(parents=True)
        write_log(run / "log", entries, indent=None)
        (run / "args").write_text(json.dumps({"lr": 0.1 / (r + 1), "batchsize": 32 * (r % 4 + 1), "seed": r}))
    server = Server(work / "server-many")
    try:
        start = time.perf_counter()
        pid = server.post("projects", {"path": str(root), "name": "many"}).json()["project"]["id"]
        session = requests.Session()
        wait(lambda: sum(r["entry_count"] for r in server.get(f"projects/{pid}/results", session).json()["results"])
             == results * entries, interval=0.5)
        print(f"ingested {results} results x {entries} entries in {time.perf_counter() - start:.1f} s")
        samples = []
        for _ in range(30):
            t = time.perf_counter()
            response = server.get(f"projects/{pid}/results", session)
            samples.append(time.perf_counter() - t)
            assert response.status_code == 200
        print(f"GET /projects/<id>/results ({results} results, {len(response.content) / 1e6:.1f} MB): "
              f"{summary(samples)}   (target < 200 ms)")
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", type=int, default=1000)
    parser.add_argument("--entries", type=int, default=1000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="trainui-bench-"))
    bench_latency(work)
    bench_results_list(work, args.results, args.entries)


if __name__ == "__main__":
    main()
