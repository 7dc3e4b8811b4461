"""Resident memory of the server while it ingests a very large log (default 1 GB).

Target: the server stays under 300 MB resident (peak, VmHWM) while it ingests a 1 GB `log`,
because the log is read in bounded chunks, each committed with its offset.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.server_process import Server  # noqa: E402

TEMPLATE = ('{{"epoch": {e}, "iteration": {i}, "elapsed_time": {t:.6f}, "main/loss": {l:.9f}, '
            '"main/accuracy": {a:.9f}, "validation/main/loss": {vl:.9f}, "validation/main/accuracy": {va:.9f}, '
            '"lr": 0.001}}')


def write_big_log(path: Path, target_bytes: int) -> int:
    """Write entries until the file reaches ``target_bytes``; returns the entry count."""
    n, size = 0, 1
    with open(path, "w") as f:
        f.write("[")
        while size < target_bytes:
            lines = []
            for i in range(n, n + 10_000):
                x = 1.0 / (1 + i * 1e-4)
                lines.append(TEMPLATE.format(e=i // 10_000, i=i, t=i * 0.01, l=x, a=1 - x, vl=x * 1.1, va=1 - x * 1.1))
            chunk = ("," if n else "") + ",\n".join(lines)
            f.write(chunk)
            size += len(chunk)
            n += 10_000
        f.write("]")
    return n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=int, default=1024, help="log size in MB")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="trainui-bench-"))
    run = work / "project" / "huge"
    run.mkdir(parents=True)
    t = time.perf_counter()
    n = write_big_log(run / "log", args.mb * 1024 * 1024)
    print(f"wrote {(run / 'log').stat().st_size / 1e9:.2f} GB, {n} entries, in {time.perf_counter() - t:.0f} s")
    server = Server(work / "server")
    try:
        idle = server.peak_rss_mb()
        start = time.perf_counter()
        pid = server.post("projects", {"path": str(work / "project"), "name": "huge"}).json()["project"]["id"]
        session = requests.Session()
        while True:
            results = server.get(f"projects/{pid}/results", session).json()["results"]
            if results and results[0]["entry_count"] >= n:
                break
            time.sleep(1)
        elapsed = time.perf_counter() - start
        peak = server.peak_rss_mb()
        print(f"ingested {n} entries in {elapsed:.0f} s ({n / elapsed:,.0f} entries/s)")
        print(f"server resident memory: {idle:.0f} MB at start, peak {peak:.0f} MB   (target < 300 MB)")
        t = time.perf_counter()
        body = server.get(f"results/{results[0]['id']}/logs?max_points=1000", session).json()
        print(f"first GET logs on it (cold): {(time.perf_counter() - t) * 1000:.0f} ms, "
              f"{max(len(s['x']) for s in body['series'].values())} points per key")
        print(f"peak after the query: {server.peak_rss_mb():.0f} MB")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
