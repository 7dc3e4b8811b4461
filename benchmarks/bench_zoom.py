"""Zooming into millions of points, and the first look at many long series, server side.

Targets (trainui issue 12):
1. A 2% window of a 5M-entry series (`GET /results/<id>/logs?x_min=&x_max=&max_points=1000`):
   server answer under 50 ms.
2. The whole-series view of that series (no range).
3. The project page's first look: 50 results x 100k entries x 3 keys in one
   `GET /logs?results=...&max_points=250`, answered within 1 s after the first visit.
4. With --huge N (e.g. 100000000; a 3.4 GB database, built in ~4 min): the whole view and
   windows of an N-entry series, drawn from the group summaries (no baseline: decoding it
   whole takes seconds and gigabytes).

Each figure is printed next to a baseline measured in the same run on the same database: the
decode-everything computation these answers replaced (read every block of x and y, pair them,
filter the range, min/max buckets with numpy). Answers go through the real Flask app (routing,
ETag, orjson), in process: the loopback socket is left out of both sides alike.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.common import ms  # noqa: E402
from trainui.config import ServerConfig  # noqa: E402
from trainui.store import Database  # noqa: E402
from trainui.store import projects as project_store  # noqa: E402
from trainui.store.batch import LogPart, ResultBatch  # noqa: E402
from trainui.store.series.downsample import minmax_indices  # noqa: E402
from trainui.store.ingest import apply_batch  # noqa: E402
from trainui.store.series.read import series_against  # noqa: E402
from trainui.store.models import MetricBlock  # noqa: E402
from trainui.store.schema import ensure_schema  # noqa: E402
from trainui.web import create_app  # noqa: E402

KEYS = ("main/loss", "main/accuracy", "lr")


def make_result(db: Database, project_id: int, path: str, n: int, keys: tuple, seed: int, chunk: int = 250_000) -> int:
    """A result of ``n`` entries {iteration, *keys} stored through the store's ingest API."""
    rng = np.random.default_rng(seed)
    result_id = None
    for start in range(0, n, chunk):
        i = np.arange(start, min(n, start + chunk))
        columns = {"iteration": i.tolist()}
        for k, key in enumerate(keys):
            y = 1.0 / (1 + i * 1e-5 * (k + 1)) + 0.01 * rng.standard_normal(len(i))
            y[rng.random(len(i)) < 1e-5] = 25.0  # spikes that must survive
            columns[key] = y.tolist()
        entries = [dict(zip(columns, row)) for row in zip(*columns.values())]
        applied = apply_batch(db, ResultBatch(project_id, path, log=LogPart(entries, first_entry=start)))
        result_id = applied.result_id
    return result_id


def baseline(db: Database, result_id: int, keys, x_key: str, max_points: int, x_min=None, x_max=None) -> dict:
    """The decode-everything answer: every block of x and of each key read and decoded."""
    def whole(key):
        with db.session() as s:
            rows = s.execute(select(MetricBlock.indices, MetricBlock.values)
                             .where(MetricBlock.result_id == result_id, MetricBlock.key == key)
                             .order_by(MetricBlock.block_no)).all()
        return (np.frombuffer(b"".join(r.indices for r in rows), "<i8"),
                np.frombuffer(b"".join(r.values for r in rows), "<f8"))

    x = whole(x_key)
    out = {}
    for key in keys:
        xs, ys = series_against(x, whole(key))
        keep = ~np.isnan(xs)
        if x_min is not None:
            keep &= (xs >= x_min) & (xs <= x_max)
        xs, ys = xs[keep], ys[keep]
        picked = minmax_indices(ys, max_points)
        out[key] = (xs, ys) if picked is None else (xs[picked], ys[picked])
    return out


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def get(client, url: str) -> dict:
    response = client.get(url)
    assert response.status_code == 200, (response.status_code, response.get_data(as_text=True)[:300])
    return response.get_json()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=5_000_000, help="entries of the long series")
    parser.add_argument("--results", type=int, default=50, help="results of the first look")
    parser.add_argument("--result-entries", type=int, default=100_000, help="entries of each of those")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--huge", type=int, default=0, help="entries of an extra, huge series (0: none)")
    parser.add_argument("--db", help="an existing benchmark database to reuse (SQLite path)")
    args = parser.parse_args()

    path = Path(args.db) if args.db else Path(tempfile.mkdtemp(prefix="trainui-zoom-")) / "trainui.db"
    fresh = not path.exists()
    db = Database(f"sqlite:///{path}")
    ensure_schema(db)
    if fresh:
        started = time.perf_counter()
        (path.parent / "project").mkdir(exist_ok=True)
        with db.session(write=True) as s:
            project_id = project_store.create_project(s, str(path.parent / "project"), "zoom")["id"]
        make_result(db, project_id, str(path.parent / "project" / "long"), args.entries, ("main/loss",), seed=1)
        for r in range(args.results):
            make_result(db, project_id, str(path.parent / "project" / f"run{r:02d}"), args.result_entries, KEYS,
                        seed=100 + r)
        if args.huge:
            make_result(db, project_id, str(path.parent / "project" / "huge"), args.huge, ("main/loss",), seed=2,
                        chunk=500_000)
        print(f"built {path} in {time.perf_counter() - started:.0f} s")
    with db.session() as s:
        from trainui.store.models import Result
        ids = {row.name: row.id for row in s.execute(select(Result.id, Result.name))}
    long_id = ids["long"]
    run_ids = [ids[f"run{r:02d}"] for r in range(args.results)]
    app = create_app(ServerConfig(db_url=db.url), db)
    client = app.test_client()

    rng = np.random.default_rng(7)
    n = args.entries
    print(f"\n1. a 2% window of a {n:,}-entry series, max_points=1000 ({args.repeat} windows each)")
    windows = []
    for _ in range(args.repeat):
        low = float(rng.integers(0, int(n * 0.98)))
        windows.append((low, low + n * 0.02 - 1))
    new = [timed(lambda w=w: get(client, f"/api/v1/results/{long_id}/logs?keys=main/loss&max_points=1000"
                                          f"&x_min={w[0]}&x_max={w[1]}")) for w in windows]
    old = [timed(lambda w=w: baseline(db, long_id, ["main/loss"], "iteration", 1000, *w)) for w in windows[:5]]
    ratio = statistics.median(old) / statistics.median(new)
    print(f"   server answer: median {ms(statistics.median(new))}, max {ms(max(new))} (target < 50 ms)")
    print(f"   baseline (decode everything): median {ms(statistics.median(old))}; {ratio:.0f}x faster")

    print(f"\n2. the whole {n:,}-entry series, max_points=1000")
    url = f"/api/v1/results/{long_id}/logs?keys=main/loss&max_points=1000"
    new = [timed(lambda: get(client, url)) for _ in range(args.repeat)]
    old = [timed(lambda: baseline(db, long_id, ["main/loss"], "iteration", 1000)) for _ in range(3)]
    print(f"   server answer: median {ms(statistics.median(new))}, first {ms(new[0])}")
    print(f"   baseline (decode everything): median {ms(statistics.median(old))}; "
          f"{statistics.median(old) / statistics.median(new):.0f}x faster")

    m = args.result_entries
    print(f"\n3. first look: {args.results} results x {m:,} entries x {len(KEYS)} keys, max_points=250, one request")
    url = f"/api/v1/logs?results={','.join(map(str, run_ids))}&keys={','.join(KEYS)}&x=iteration&max_points=250"
    first = timed(lambda: get(client, url))
    again = [timed(lambda: get(client, url)) for _ in range(5)]
    old = [timed(lambda: [baseline(db, rid, KEYS, "iteration", 250) for rid in run_ids]) for _ in range(2)]
    print(f"   first visit: {ms(first)}; after it: median {ms(statistics.median(again))}, "
          f"max {ms(max(again))} (target < 1 s)")
    print(f"   baseline (decode everything, every visit): median {ms(statistics.median(old))}; "
          f"{statistics.median(old) / statistics.median(again):.1f}x faster")
    if "huge" in ids:
        bench_huge(client, ids["huge"], args.huge, args.repeat, rng)
    db.dispose()


def bench_huge(client, result_id: int, n: int, repeat: int, rng) -> None:
    print(f"\n4. a {n:,}-entry series, max_points=1000")
    base = f"/api/v1/results/{result_id}/logs?keys=main/loss&max_points=1000"
    whole = [timed(lambda: get(client, base)) for _ in range(repeat)]
    print(f"   whole series: median {ms(statistics.median(whole))}, first {ms(whole[0])}")
    for share in (0.5, 0.02, 0.001):
        lows = rng.integers(0, int(n * (1 - share)), repeat).tolist()
        times = [timed(lambda low=low: get(client, f"{base}&x_min={low}&x_max={low + n * share - 1}")) for low in lows]
        print(f"   a {share:.1%} window: median {ms(statistics.median(times))}, max {ms(max(times))}")


if __name__ == "__main__":
    main()
