"""Fairness: while a very large log (default 1 GB) is being ingested, a live run's new entries
still reach the API fast.

Target: entry appended by a job -> visible through the API, median of 20 under 0.5 s while the
big log is ingested. Baseline, measured in the same run on the same server: the same latency with
nothing else to ingest. Also printed: how fast the big log goes in meanwhile.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.bench_memory import write_big_log  # noqa: E402
from benchmarks.common import append_entries, entry, ms, write_log  # noqa: E402
from benchmarks.server_process import Server  # noqa: E402


def live_latencies(server: Server, session, result_id: int, log_path: Path, start: int, trials: int) -> list[float]:
    delays = []
    for i in range(start, start + trials):
        time.sleep(0.25)
        append_entries(log_path, [entry(i)])
        written = time.perf_counter()
        while server.get(f"results/{result_id}", session).json()["result"]["entry_count"] < i + 1:
            time.sleep(0.005)
        delays.append(time.perf_counter() - written)
    return delays


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=int, default=1024, help="size of the big log in MB")
    parser.add_argument("--trials", type=int, default=20)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="trainui-bench-"))
    live, huge = work / "live-project" / "live", work / "big-project" / "huge"
    live.mkdir(parents=True)
    huge.mkdir(parents=True)
    write_log(live / "log", 1, indent=None)
    t = time.perf_counter()
    n = write_big_log(huge / "log", args.mb * 1024 * 1024)
    print(f"wrote the big log: {(huge / 'log').stat().st_size / 1e9:.2f} GB, {n:,} entries "
          f"({time.perf_counter() - t:.0f} s)")
    server = Server(work / "server")
    session = requests.Session()
    try:
        live_pid = server.post("projects", {"path": str(live.parent), "name": "live"}).json()["project"]["id"]
        while not server.get(f"projects/{live_pid}/results", session).json()["results"]:
            time.sleep(0.05)
        rid = server.get(f"projects/{live_pid}/results", session).json()["results"][0]["id"]
        baseline = live_latencies(server, session, rid, live / "log", 1, args.trials)

        big_pid = server.post("projects", {"path": str(huge.parent), "name": "big"}).json()["project"]["id"]
        started = time.perf_counter()

        def big_count():
            listed = server.get(f"projects/{big_pid}/results", session).json()["results"]
            return listed[0]["entry_count"] if listed else 0
        while big_count() == 0:
            time.sleep(0.05)
        before = big_count()
        loaded = live_latencies(server, session, rid, live / "log", 1 + args.trials, args.trials)
        during = big_count()
        if during >= n:
            print("warning: the big log was fully ingested before the measurement ended; use a larger --mb")
        while big_count() < n:
            time.sleep(0.5)
        total = time.perf_counter() - started
        print(f"live entry -> API, nothing else ingesting: median {ms(statistics.median(baseline))}, "
              f"worst {ms(max(baseline))} (n={len(baseline)})")
        print(f"live entry -> API, while the big log is ingested: median {ms(statistics.median(loaded))}, "
              f"worst {ms(max(loaded))} (n={len(loaded)})   (target: median < 500 ms)")
        print(f"ratio of medians (loaded / idle): {statistics.median(loaded) / statistics.median(baseline):.1f}x; "
              f"the big log was at {before:,} entries when the trials began and {during:,} when they ended")
        print(f"the whole big log: {n:,} entries in {total:.0f} s ({n / total:,.0f} entries/s), "
              f"server peak resident memory {server.peak_rss_mb():.0f} MB")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
