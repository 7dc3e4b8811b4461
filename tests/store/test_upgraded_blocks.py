"""A database written by trainui at revision 0002 (blocks without finer summaries), upgraded with
`trainui db upgrade`, still answers every chart right, on SQLite and PostgreSQL; the blocks it
appends from then on carry summaries."""
from __future__ import annotations

import numpy as np
import sqlalchemy as sa
from window_checks import check_answer, make_entries, window_of, windows

from trainui.store import Database, Store
from trainui.store import projects as project_store
from trainui.store.batch import LogPart, ResultBatch
from trainui.store.series.entries import to_columns
from trainui.store.ingest import apply_batch
from trainui.store.migrate import status, upgrade
from trainui.store.models import MetricBlock

BLOCK = 1024
# metric_blocks as revision 0002 knew it
OLD_BLOCKS = sa.table("metric_blocks", *(sa.column(name) for name in (
    "result_id", "key", "block_no", "count", "first_index", "indices", "values",
    "min_value", "min_index", "max_value", "max_index")))
# results as revision 0002 knew it (later revisions add columns the ORM model would select)
OLD_RESULTS = sa.table("results", *(sa.column(name) for name in (
    "project_id", "path", "name", "unregistered", "missing", "entry_count", "log_offset", "log_fingerprint",
    "log_generation", "assets_offset", "created_at", "updated_at")),
    *(sa.column(name, sa.JSON) for name in ("args", "last_values", "keys", "job")))


def old_result_row(project_id: int, path: str) -> dict:
    return {"project_id": project_id, "path": path, "name": "run", "unregistered": False, "missing": False,
            "entry_count": 0, "log_offset": 0, "log_fingerprint": "", "log_generation": 0, "assets_offset": 0,
            "created_at": 0.0, "updated_at": 0.0, "args": {}, "last_values": {}, "keys": [], "job": {}}


def old_block_rows(result_id: int, key: str, indices: list[int], values: list[float]) -> list[dict]:
    """Blocks the way revision 0002 wrote them: points and block extremes (NULL when infinite)."""
    rows = []
    for block_no, start in enumerate(range(0, len(indices), BLOCK)):
        idx = np.array(indices[start:start + BLOCK], dtype="<i8")
        val = np.array(values[start:start + BLOCK], dtype="<f8")
        real = ~np.isnan(val)
        extremes = {"min_value": None, "min_index": None, "max_value": None, "max_index": None}
        if real.any():
            low, high = np.argmin(np.where(real, val, np.inf)), np.argmax(np.where(real, val, -np.inf))
            extremes = {"min_value": float(val[low]) if np.isfinite(val[low]) else None, "min_index": int(idx[low]),
                        "max_value": float(val[high]) if np.isfinite(val[high]) else None, "max_index": int(idx[high])}
        rows.append({"result_id": result_id, "key": key, "block_no": block_no, "count": len(idx),
                     "first_index": int(idx[0]), "indices": idx.tobytes(), "values": val.tobytes(), **extremes})
    return rows


def test_an_upgraded_database_answers_from_its_old_blocks(db_url, tmp_path):
    entries = make_entries(12_000, seed=5)
    old, new = entries[:10_000], entries[10_000:]
    db = Database(db_url)
    upgrade(db, "0002")
    (tmp_path / "project").mkdir()
    with db.session(write=True) as s:
        project_id = project_store.create_project(s, str(tmp_path / "project"), "p")["id"]
    columns = to_columns(old, 0)
    with db.session(write=True) as s:
        result_id = s.execute(OLD_RESULTS.insert().returning(sa.column("id")),
                              [old_result_row(project_id, str(tmp_path / "project" / "run"))]).scalar_one()
        for key, (indices, values) in columns.points.items():
            s.execute(OLD_BLOCKS.insert(), old_block_rows(result_id, key, indices, values))
        s.execute(sa.update(OLD_RESULTS).where(sa.column("id") == result_id)
                  .values(entry_count=len(old), keys=sorted(columns.points)))

    upgrade(db)
    assert status(db)["up_to_date"]
    with db.session() as s:
        assert s.scalar(sa.select(sa.func.count()).where(MetricBlock.segments.isnot(None))) == 0
    for x_key in ("iteration", "t"):
        for x_min, x_max in windows(old, x_key):
            for max_points in (20, 1000):
                answer = Store(db).series.read(result_id, ["v"], x_key, max_points, x_min, x_max)["series"]["v"]
                check_answer(answer, *window_of(old, "v", x_key, x_min, x_max), max_points)

    # appending after the upgrade: the old last block and the new ones get their summaries
    apply_batch(db, ResultBatch(project_id, str(tmp_path / "project" / "run"), log=LogPart(new, len(old))))
    with db.session() as s:
        summarised = s.execute(sa.select(MetricBlock.block_no).where(
            MetricBlock.result_id == result_id, MetricBlock.key == "v", MetricBlock.segments.isnot(None))
            .order_by(MetricBlock.block_no)).scalars().all()
    assert summarised == [9, 10, 11]  # block 9 held entries 9216..9999 before: rewritten with summaries
    for x_key in ("iteration", "t"):
        for x_min, x_max in windows(entries, x_key):
            answer = Store(db).series.read(result_id, ["v"], x_key, 20, x_min, x_max)["series"]["v"]
            check_answer(answer, *window_of(entries, "v", x_key, x_min, x_max), 20)
    db.dispose()
