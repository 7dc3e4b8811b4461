"""The coarsest summaries, one per group of 64 full blocks: written as groups fill, used for the x
range and for the charts of windows holding many groups, and right against the data."""
from __future__ import annotations

import numpy as np
import pytest
import sqlalchemy as sa
from window_checks import check_answer, check_units, make_entries, store, window_of

from trainui.store import Database, Store
from trainui.store.series.block_summary import BLOCK_SIZE, GROUP_BLOCKS, group_units
from trainui.store.series.entry_window import WHOLE_X_ENTRIES, find_window
from trainui.store.models import MetricBlock
from trainui.store.results import get_result
from trainui.store.schema import ensure_schema
from trainui.store.series.window_series import _blocks_in, window_units

GROUP = GROUP_BLOCKS * BLOCK_SIZE
N = 5 * GROUP + 3000  # five full groups of v and t, and a tail


@pytest.fixture(scope="module")
def entries():
    return make_entries(N, seed=11, sprinkled_gaps=False)  # entries lacking iteration: in group 1 only


@pytest.fixture
def stored(tmp_path, entries):
    """A series this long has its x read block by block (WHOLE_X_ENTRIES), whatever the cache."""
    assert N > WHOLE_X_ENTRIES
    db = Database(f"sqlite:///{tmp_path / 'trainui.db'}")
    ensure_schema(db)
    (tmp_path / "project").mkdir()
    result_id = store(db, tmp_path / "project", entries)
    yield db, result_id
    db.dispose()


def test_full_groups_are_summarised_as_they_fill(stored, entries):
    db, result_id = stored
    with db.session() as s:
        rows = s.execute(sa.select(MetricBlock.block_no, MetricBlock.group_summary).where(
            MetricBlock.result_id == result_id, MetricBlock.key == "v", MetricBlock.group_summary.isnot(None))
            .order_by(MetricBlock.block_no)).all()
    assert [r.block_no for r in rows] == [GROUP_BLOCKS * g + GROUP_BLOCKS - 1 for g in range(5)]
    values = np.array([e["v"] for e in entries])
    for g, record in enumerate(group_units([r.group_summary for r in rows])):
        part = values[g * GROUP:(g + 1) * GROUP]
        nan = np.isnan(part)
        assert (record["first_entry"], record["last_entry"], record["count"]) == (g * GROUP, (g + 1) * GROUP - 1, GROUP)
        assert record["nan_count"] == nan.sum()
        assert record["nan_entry"] == (g * GROUP + np.flatnonzero(nan)[0] if nan.any() else -1)
        assert record["min"] == np.nanmin(part) and record["max"] == np.nanmax(part)
        assert values[record["min_entry"]] == record["min"] and values[record["max_entry"]] == record["max"]


@pytest.mark.parametrize("x_key", ["iteration", "t"])
def test_windows_of_many_groups_match_the_data(stored, entries, x_key):
    db, result_id = stored
    ts = np.array([e[x_key] for e in entries if x_key in e], dtype=float)
    ranges = [(None, None), (float(np.nanquantile(ts, 0.1)), float(np.nanquantile(ts, 0.95))),
              (float(np.nanquantile(ts, 0.3)), float(np.nanquantile(ts, 0.31)))]
    from_groups = 0
    for x_min, x_max in ranges:
        at, xs, ys = window_of(entries, "v", x_key, x_min, x_max)
        for max_points in (2, 4, 20, 1000):
            answer = Store(db).series.read(result_id, ["v"], x_key, max_points, x_min, x_max)["series"]["v"]
            check_answer(answer, at, xs, ys, max_points)
            with db.session() as s:
                window, _ = find_window(s, db.series_cache, get_result(s, result_id), x_key, x_min, x_max)
                units = window_units(s, result_id, "v", window, _blocks_in(s, result_id, "v", window, max_points),
                                     max_points)
            if units is not None and len(at):
                check_units(units, at, ys, max_points, answer)
                from_groups += int((units["count"] == GROUP).any())
    if x_key == "iteration":  # groups 0, 2, 3 and 4 are whole in the window: drawn from their summaries
        assert from_groups >= 3
