"""Charts of x windows drawn from block summaries match the data they come from.

Every answer is checked against the logged entries themselves (not against another code path):
its total, that each point is a real entry at its own x, that each bucket's two points are the
true minimum and maximum of that bucket's points, that no spike disappears, and what it says of
NaN and infinities. The data has what breaks shortcuts: spikes, a block of NaN, scattered NaN,
infinities, entries without the x key, a non-monotonic x with NaN in it, a sparse key, and
batches of uneven sizes (so last blocks were rewritten many times).
"""
from __future__ import annotations

import pytest
from window_checks import MAX_POINTS, N, check_answer, check_units, make_entries, store, window_of, windows

from trainui.store import Database, Store
from trainui.store.series.entry_window import find_window
from trainui.store.models import MetricBlock
from trainui.store.results import get_result
from trainui.store.schema import ensure_schema
from trainui.store.series.window_series import _blocks_in, window_units


@pytest.fixture(scope="module")
def entries():
    return make_entries()


@pytest.fixture(params=["x-from-blocks", "x-from-cache"])
def stored(request, db_url, tmp_path, entries):
    """A database (SQLite, PostgreSQL) holding the entries; x read from its blocks (no cache) or
    decoded whole (cached)."""
    cache_bytes = 0 if request.param == "x-from-blocks" else 64 * 1024 * 1024
    db = Database(db_url, series_cache_bytes=cache_bytes)
    ensure_schema(db)
    (tmp_path / "project").mkdir()
    result_id = store(db, tmp_path / "project", entries)
    yield db, result_id
    db.dispose()


@pytest.mark.parametrize("x_key", ["iteration", "t"])
@pytest.mark.parametrize("key", ["v", "sparse"])
def test_windows_match_the_data(stored, entries, x_key, key):
    db, result_id = stored
    levels = set()
    for x_min, x_max in windows(entries, x_key):
        answer = Store(db).series.read(result_id, [key], x_key, MAX_POINTS, x_min, x_max)["series"][key]
        at, xs, ys = window_of(entries, key, x_key, x_min, x_max)
        check_answer(answer, at, xs, ys, MAX_POINTS)
        with db.session() as s:
            result = get_result(s, result_id)
            window, _ = find_window(s, db.series_cache, result, x_key, x_min, x_max)
            units = window_units(s, result_id, key, window, _blocks_in(s, result_id, key, window, MAX_POINTS),
                                 MAX_POINTS)
        if units is not None and len(at):
            check_units(units, at, ys, MAX_POINTS, answer)
            levels.add("blocks" if units["count"].max() > 64 else "segments")
        else:
            levels.add("decoded")
    if key == "v" and x_key == "iteration":  # every way of answering was taken
        assert levels == {"blocks", "segments", "decoded"}


def test_blocks_written_before_their_finer_summaries_are_decoded_instead(stored, entries):
    """Blocks of a database upgraded from revision 0002 carry no finer summaries: answers stay right."""
    db, result_id = stored
    with db.session(write=True) as s:
        s.execute(MetricBlock.__table__.update().values(last_index=None, nan_count=None, segments=None))
    for x_key in ("iteration", "t"):
        for x_min, x_max in windows(entries, x_key):
            answer = Store(db).series.read(result_id, ["v"], x_key, MAX_POINTS, x_min, x_max)["series"]["v"]
            check_answer(answer, *window_of(entries, "v", x_key, x_min, x_max), MAX_POINTS)


def test_increments_since_a_cursor_are_every_new_point(stored, entries):
    db, result_id = stored
    for since in (N - 5000, N - 1025, N - 1024, N - 500, N - 1):
        answer = Store(db).series.read(result_id, ["v"], "iteration", 5000, since=since)
        assert answer["incremental"] and answer["cursor"] == N
        at, xs, ys = window_of(entries, "v", "iteration", None, None)
        new = at >= since
        check_answer(answer["series"]["v"], at[new], xs[new], ys[new], 5000)
    zoomed = Store(db).series.read(result_id, ["v"], "iteration", 5000, x_min=N - 700, x_max=N - 600, since=N - 1000)
    at, xs, ys = window_of(entries, "v", "iteration", N - 700, N - 600)
    check_answer(zoomed["series"]["v"], at, xs, ys, 5000)
