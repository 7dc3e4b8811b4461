"""Ingesting a 100k-entry, 8-key log (~30 MB) against a raw baseline measured in the same run.

Baseline: parse the whole file with the fastest JSON parser installed (orjson), then insert the
same values, one row per (entry, key), with one executemany into SQLite. Target: trainui <= 3x.
Then the logs query on that result (target: median < 30 ms of server time, < 50 ms right after
one more entry), measured in-process through the Flask app (no network).
"""
from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.common import append_entries, entry, ms, summary, write_log  # noqa: E402
from trainui.config import ServerConfig  # noqa: E402
from trainui.ingest.sync import sync_result  # noqa: E402
from trainui.store import Database  # noqa: E402
from trainui.store import projects  # noqa: E402
from trainui.store.schema import ensure_schema  # noqa: E402
from trainui.web import create_app  # noqa: E402


def baseline(log_path: Path, db_path: Path) -> float:
    start = time.perf_counter()
    entries = orjson.loads(log_path.read_bytes())
    rows = [(i, k, v) for i, e in enumerate(entries) for k, v in e.items()]
    con = sqlite3.connect(db_path)
    con.execute("CREATE TABLE metrics (entry INTEGER, key TEXT, value REAL)")
    con.executemany("INSERT INTO metrics VALUES (?, ?, ?)", rows)
    con.commit()
    con.close()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="trainui-bench-"))
    run = work / "project" / "run"
    run.mkdir(parents=True)
    log_path = run / "log"
    write_log(log_path, args.entries)
    print(f"log: {args.entries} entries x 8 keys, {log_path.stat().st_size / 1e6:.1f} MB")

    base_times, ours = [], []
    for i in range(args.repeat):
        base_times.append(baseline(log_path, work / f"baseline{i}.db"))
        db = Database(f"sqlite:///{work / f'trainui{i}.db'}")
        ensure_schema(db)
        with db.session(write=True) as s:
            project = projects.create_project(s, str(work / "project"), "bench")
        start = time.perf_counter()
        result_id = sync_result(db, project["id"], project["path"], str(run))
        ours.append(time.perf_counter() - start)
    b, o = min(base_times), min(ours)
    print(f"baseline (orjson + one executemany):  {b:.2f} s (best of {args.repeat})")
    print(f"trainui ingest:                       {o:.2f} s (best of {args.repeat})")
    print(f"ratio trainui / baseline:             {o / b:.2f}x   (target <= 3x)")

    app = create_app(ServerConfig(), db)
    client = app.test_client()
    url = f"/api/v1/results/{result_id}/logs?max_points=1000"
    start = time.perf_counter()
    body = client.get(url).get_json()
    print(f"GET logs, first (cold cache):         {ms(time.perf_counter() - start)}")
    largest = max(len(s["x"]) for s in body["series"].values())
    print(f"logs query returns {len(body['series'])} series, largest {largest} points (max_points=1000)")
    samples = []
    for _ in range(50):
        start = time.perf_counter()
        assert client.get(url).status_code == 200
        samples.append(time.perf_counter() - start)
    print(f"GET logs?max_points=1000:             {summary(samples)}   (target median < 30 ms)")
    after = []
    for i in range(20):
        append_entries(log_path, [entry(args.entries + i)])
        sync_result(db, project["id"], project["path"], str(run))
        start = time.perf_counter()
        assert client.get(url).status_code == 200
        after.append(time.perf_counter() - start)
    print(f"GET logs right after one append:      {summary(after)}   (target < 50 ms)")
    append_cost = []
    for i in range(20):
        append_entries(log_path, [entry(args.entries + 20 + i)])
        append_cost.append(_timed_sync(db, project, run))
    print(f"ingesting one appended entry:         {summary(append_cost)}")


def _timed_sync(db, project, run) -> float:
    start = time.perf_counter()
    sync_result(db, project["id"], project["path"], str(run))
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
