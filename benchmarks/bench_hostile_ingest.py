"""Hostile files next to live runs: ingestion of ordinary runs stays as fast, the server stays small.

One project holds N ordinary live runs, written by the real trainer library (trainui.Run) in this
process. Their latency (an entry written -> visible through the API) is measured first alone, then
with hostile results added to the same project, on the same server, in the same run:

- a FIFO as ``args``, as ``.trainui/status.json`` and as ``.trainui/assets.jsonl`` (an open of one
  blocks forever unless it is refused or made non-blocking);
- ``args`` as a symbolic link to ``/dev/zero`` (a read of it never ends);
- a 300 MB ``args`` (read whole, it costs the server a gigabyte or more).

Targets: the ratio of median latencies (with / without the hostile results) within 2x, and the
server's peak resident memory (VmHWM, from /proc/<pid>/status) under 300 MB. Each hostile result is
also checked to be listed with an ingest error that names its file (nothing is silent).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.common import ms, wait  # noqa: E402
from benchmarks.server_process import Server  # noqa: E402
from trainui import Run  # noqa: E402

HOSTILE = {  # result name -> the file it holds (relative to it) and the word its ingest error must hold
    "fifo-args": ("args", "FIFO"),
    "fifo-status": (".trainui/status.json", "FIFO"),
    "fifo-assets": (".trainui/assets.jsonl", "FIFO"),
    "zero-args": ("args", "character device"),
    "huge-args": ("args", "MB"),
}


def make_hostile(project: Path, args_mb: int) -> None:
    for name, (relative, _) in HOSTILE.items():
        folder = project / name
        (folder / ".trainui").mkdir(parents=True)
        (folder / "log").write_text('[{"iteration": 1, "main/loss": 1.0}]')
        target = folder / relative
        if name.startswith("fifo"):
            os.mkfifo(target)
        elif name == "zero-args":
            os.symlink("/dev/zero", target)
        else:
            block, partial = b"x" * (1 << 20), folder / ".args.partial"
            with open(partial, "wb") as f:
                f.write(b'{"padding": "')
                for _ in range(args_mb):
                    f.write(block)
                f.write(b'"}')
            os.replace(partial, target)  # whole at once: the server sees the full size


def latencies(server: Server, session, runs: list[tuple[Run, int]], trials: int) -> list[float]:
    """Each trial writes one entry to each live run in turn and waits until the API shows it."""
    delays = []
    for _ in range(trials):
        for run, result_id in runs:
            time.sleep(0.05)
            count = run.iteration + 1
            run.log({"main/loss": 1.0 / count}, iteration=count)
            written = time.perf_counter()
            while server.get(f"results/{result_id}", session).json()["result"]["entry_count"] < count:
                time.sleep(0.002)
            delays.append(time.perf_counter() - written)
    return delays


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=4, help="ordinary live runs")
    parser.add_argument("--trials", type=int, default=10, help="entries written to each live run per phase")
    parser.add_argument("--args-mb", type=int, default=300, help="size of the huge args file")
    options = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="trainui-bench-hostile-"))
    project = work / "project"
    project.mkdir()
    server = Server(work / "server")
    session = requests.Session()
    runs: list[Run] = []
    try:
        for i in range(options.runs):
            run = Run(str(project / f"live-{i}"), args={"lr": 0.1, "seed": i}, progress=False, handle_signals=False,
                      poll_interval=0, flush_every=1, flush_interval=0)
            run.log({"main/loss": 1.0}, iteration=1)
            runs.append(run)
        project_id = server.post("projects", {"path": str(project), "name": "hostile"}).json()["project"]["id"]

        def listed():
            return server.get(f"projects/{project_id}/results", session).json()["results"]
        wait(lambda: len(listed()) == options.runs and all(r["entry_count"] == 1 for r in listed()), timeout=60)
        ids = {r["name"]: r["id"] for r in listed()}
        live = [(run, ids[Path(run.out).name]) for run in runs]
        alone = latencies(server, session, live, options.trials)
        rss_alone = server.peak_rss_mb()

        started = time.perf_counter()
        make_hostile(project, options.args_mb)
        print(f"hostile results written in {time.perf_counter() - started:.1f} s "
              f"({options.args_mb} MB args, 3 FIFOs, a /dev/zero link)")
        hostile = wait(lambda: [r for r in listed() if r["name"] in HOSTILE and r["ingest_error"]]
                       if sum(r["name"] in HOSTILE and bool(r["ingest_error"]) for r in listed()) == len(HOSTILE)
                       else None, timeout=120)
        for result in hostile:
            relative, word = HOSTILE[result["name"]]
            assert os.path.basename(relative) in result["ingest_error"] and word in result["ingest_error"], result
        beside = latencies(server, session, live, options.trials)
        rss = server.peak_rss_mb()
        ratio = statistics.median(beside) / statistics.median(alone)
        print(f"{options.runs} live runs, entry -> API, alone:               median {ms(statistics.median(alone))}, "
              f"worst {ms(max(alone))} (n={len(alone)})")
        print(f"{options.runs} live runs, entry -> API, with hostile results: median {ms(statistics.median(beside))}, "
              f"worst {ms(max(beside))} (n={len(beside)})")
        print(f"ratio of medians (with / alone): {ratio:.2f}x   (target: within 2x)  "
              f"{'ok' if ratio <= 2 else 'MISSED'}")
        print(f"server peak resident memory (VmHWM): {rss:.0f} MB, {rss_alone:.0f} MB before the hostile results "
              f"(target: < 300 MB)  "
              f"{'ok' if rss < 300 else 'MISSED'}")
        for result in sorted(hostile, key=lambda r: r["name"]):
            print(f"  {result['name']}: {result['ingest_error'][:110]}")
    finally:
        for run in runs:
            run.close()
        server.stop()


if __name__ == "__main__":
    main()
