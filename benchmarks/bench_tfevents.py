"""Event-file ingestion against the `log` reader's, on the same data.

One run of N steps x 5 scalars is written twice: as a Chainer-format `log` and as a TensorBoard
event file (tensorboard's own writer). Each round, alternating, ingests one of them into a fresh
SQLite store with `sync_result` (read, parse, store, as the server's ingestion does) and times it.
Prints entries per second for both and the ratio (event files / log). Needs the tensorboard extra.

    python benchmarks/bench_tfevents.py [--steps 100000] [--rounds 3]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_tensorboard import write_event_file, write_trainui_log  # noqa: E402
from trainui.ingest.sync import sync_result  # noqa: E402
from trainui.store import Database  # noqa: E402
from trainui.store import projects as project_store  # noqa: E402
from trainui.store import results as result_store  # noqa: E402
from trainui.store.schema import ensure_schema  # noqa: E402


def ingest(project_dir: Path, run_dir: Path, work: Path) -> tuple[float, int]:
    """Seconds to ingest ``run_dir`` whole into a new store, and the entries it then holds."""
    db = Database(f"sqlite:///{tempfile.mkdtemp(dir=work)}/trainui.db")
    ensure_schema(db)
    try:
        with db.session(write=True) as s:
            project = project_store.create_project(s, str(project_dir), "bench")
        start = time.perf_counter()
        rid = sync_result(db, project["id"], str(run_dir))
        elapsed = time.perf_counter() - start
        with db.session() as s:
            count = result_store.get_result(s, rid)["entry_count"]
        return elapsed, count
    finally:
        db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        log_project, tb_project = work / "log-project", work / "tb-project"
        write_trainui_log(log_project / "run", args.steps)
        write_event_file(tb_project / "run", args.steps)
        times: dict[str, list[float]] = {"log": [], "events": []}
        for _ in range(args.rounds):
            for kind, project in (("log", log_project), ("events", tb_project)):
                elapsed, count = ingest(project, project / "run", work)
                assert count == args.steps, (kind, count)
                times[kind].append(elapsed)
        log_s, events_s = statistics.median(times["log"]), statistics.median(times["events"])
        print(f"{args.steps} steps x 5 scalars, median of {args.rounds} rounds each, one fresh SQLite store per round")
        print(f"  log reader:   {log_s:6.2f} s  {args.steps / log_s:10,.0f} entries/s")
        print(f"  event files:  {events_s:6.2f} s  {args.steps / events_s:10,.0f} entries/s")
        print(f"  ratio event files / log: {events_s / log_s:.2f}x the time")


if __name__ == "__main__":
    main()
