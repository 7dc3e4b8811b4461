"""What every chart answer must be, checked against the logged entries themselves: shared by the
tests of charts drawn from block summaries."""
from __future__ import annotations

import math

import numpy as np

from trainui.store import Database
from trainui.store import projects as project_store
from trainui.store.batch import LogPart, ResultBatch
from trainui.store.series.downsample import groups_by_count
from trainui.store.ingest import apply_batch

N = 30_000
SPIKES = (40.0, -30.0, 55.0)
MAX_POINTS = 20  # 10 buckets: whole blocks serve from 20 blocks on, segments from 20 segments on


def make_entries(n: int = N, seed: int = 3, sprinkled_gaps: bool = True) -> list[dict]:
    rng = np.random.default_rng(seed)
    at = lambda fraction: int(n * fraction)  # noqa: E731
    v = rng.normal(size=n)
    v[[at(0.041), at(0.567), at(0.852)]] = SPIKES
    v[4096:5120] = np.nan  # block 4 of v: NaN only
    v[rng.choice(n, 30, replace=False)] = np.nan
    v[at(0.233)], v[at(0.233) + 1], v[at(0.667)] = np.inf, -np.inf, np.inf
    t = np.cumsum(rng.normal(size=n))  # a non-monotonic x (a random walk), its values unique
    t[[at(0.017), at(0.5)]] = np.nan
    entries = []
    for i in range(n):
        entry = {"iteration": i, "v": float(v[i]), "t": float(t[i])}
        if at(0.3) <= i < at(0.3) + 100 or (sprinkled_gaps and i % 997 == 0):
            del entry["iteration"]  # entries without the x key never count
        if i % 3 == 0:
            entry["sparse"] = float(np.sin(i / 50.0))
        entries.append(entry)
    return entries


def store(db: Database, root, entries: list[dict]) -> int:
    """Through the store's ingest API, in batches of uneven sizes."""
    with db.session(write=True) as s:
        project_id = project_store.create_project(s, str(root), "p")["id"]
    sizes = [1, 2, 700, 1, 5000, 333, 1024, 1023]
    start, k = 0, 0
    while start < len(entries):
        stop = min(len(entries), start + sizes[k % len(sizes)])
        applied = apply_batch(db, ResultBatch(project_id, str(root / "run"), log=LogPart(entries[start:stop], start)))
        start, k = stop, k + 1
    return applied.result_id


def window_of(entries, key, x_key, x_min, x_max):
    """The chart's points by definition: entries holding both keys, x not NaN, x in the range."""
    points = [(i, e[x_key], e[key]) for i, e in enumerate(entries)
              if key in e and x_key in e and not math.isnan(e[x_key])
              and (x_min is None or e[x_key] >= x_min) and (x_max is None or e[x_key] <= x_max)]
    if not points:
        return np.empty(0, np.int64), np.empty(0), np.empty(0)
    at, xs, ys = zip(*points)
    return np.array(at), np.array(xs, dtype=float), np.array(ys, dtype=float)


def same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


def label(y: float) -> str:
    return "NaN" if math.isnan(y) else ("Infinity" if y > 0 else "-Infinity")


def check_answer(answer: dict, at, xs, ys, max_points: int) -> None:
    by_x = {x: (e, y) for e, x, y in zip(at.tolist(), xs.tolist(), ys.tolist())}
    assert answer["total"] == len(at)
    assert len(answer["x"]) <= max_points
    assert answer["downsampled"] == (len(at) > max_points)
    for x, y in zip(np.asarray(answer["x"]).tolist(), np.asarray(answer["y"]).tolist()):
        assert x in by_x and same(by_x[x][1], y), (x, y)  # a real entry, at its own x
    shown = np.asarray(answer["y"], dtype=float)
    if not answer["downsampled"]:
        assert np.asarray(answer["x"]).tolist() == xs.tolist()
        assert all(same(a, b) for a, b in zip(shown.tolist(), ys.tolist()))
    elif (~np.isnan(ys)).any():
        assert np.nanmax(shown) == np.nanmax(ys) and np.nanmin(shown) == np.nanmin(ys)
    if max_points >= 20:  # ten buckets or more: the spikes, far apart, are each the extreme of its own
        for spike in SPIKES:
            assert (spike in ys.tolist()) == (spike in shown.tolist())
    marks = answer["nonfinite"]
    for x, word in zip(np.asarray(marks["x"]).tolist(), marks["value"]):
        assert word == label(by_x[x][1])
    kinds = {label(y) for y in ys.tolist() if not math.isfinite(y)}
    if len(marks["value"]) < max_points:  # not thinned out: every kind of non-finite value is marked
        assert set(marks["value"]) == kinds


def check_units(units, at, ys, max_points: int, answer: dict) -> None:
    """Each unit summarises exactly the window's points from its first entry to the next unit's;
    each bucket's two points are the minimum and maximum of its units' points."""
    starts = units["first_entry"]
    owner = np.searchsorted(starts, at, side="right") - 1  # at is sorted: each unit's points are a slice
    assert (owner >= 0).all() and units["count"].sum() == len(at)
    bounds = np.searchsorted(owner, np.arange(len(units) + 1))
    for u in range(len(units)):
        mine, values = at[bounds[u]:bounds[u + 1]], ys[bounds[u]:bounds[u + 1]]
        assert len(mine) == units["count"][u] and mine[0] == starts[u]
        nan = np.isnan(values)
        assert units["nan_entry"][u] == (mine[nan][0] if nan.any() else -1)
        if nan.all():
            assert math.isnan(units["min"][u]) and math.isnan(units["max"][u])
            continue
        low, high = np.nanmin(values), np.nanmax(values)
        assert units["min"][u] == low and units["max"][u] == high
        assert units["min_entry"][u] == mine[~nan & (values == low)][0]
        assert units["max_entry"][u] == mine[~nan & (values == high)][0]
    groups = groups_by_count(units["count"], max(1, max_points // 2))
    expected = []
    for g in np.unique(groups):
        members = np.flatnonzero(groups == g)
        values = ys[bounds[members[0]]:bounds[members[-1] + 1]]
        if (~np.isnan(values)).any():
            expected.append(sorted([np.nanmin(values), np.nanmax(values)]))
    shown = np.asarray(answer["y"], dtype=float).reshape(-1, 2)
    assert [sorted(pair) for pair in shown.tolist()] == expected


X_WINDOWS = {
    "iteration": [(None, None), (100.0, 149.0), (2000.0, 6000.0), (8990.0, 9110.0), (1000.0, 25_000.0),
                  (-5.0, 10.0), (29_990.0, 1e9), (1e9, 2e9)],
    "t": [(None, None), "q10-q30", "q45-q55", "q0-q90"],
}


def windows(entries, x_key):
    ts = np.array([e[x_key] for e in entries if x_key in e], dtype=float)
    for w in X_WINDOWS[x_key]:
        if isinstance(w, str):
            low, high = (float(np.nanquantile(ts, int(q[1:]) / 100)) for q in w.split("-"))
            yield low, high
        else:
            yield w
