"""Metric series stored as packed blocks of (entry index, value) per key.

A block holds up to BLOCK_SIZE points. Appending touches only the last block of each key, so
adding one point costs O(1) regardless of the series length; reading a series reads
len / BLOCK_SIZE rows.
"""
from __future__ import annotations

import numpy as np
from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.orm import Session

from .downsample import minmax_indices
from .models import MetricBlock
from .series_cache import CachedSeries, series_cache

BLOCK_SIZE = 1024
INDEX_DTYPE = np.dtype("<i8")
VALUE_DTYPE = np.dtype("<f8")


def append_points(session: Session, result_id: int, columns: dict[str, tuple[list[int], list[float]]]) -> None:
    """Append points per key; indices must be greater than any stored index of that key.

    Three statements whatever the number of keys: one read of every key's last block, one
    executemany to fill them, one executemany for new blocks.
    """
    columns = {key: col for key, col in columns.items() if col[0]}
    if not columns:
        return
    table = MetricBlock.__table__
    last_no = (select(table.c.key, func.max(table.c.block_no).label("last"))
               .where(table.c.result_id == result_id, table.c.key.in_(list(columns)))
               .group_by(table.c.key).subquery())
    last_blocks = {row.key: row for row in session.execute(
        select(table.c.key, table.c.block_no, table.c.count, table.c.indices, table.c["values"].label("vals"))
        .join(last_no, (table.c.key == last_no.c.key) & (table.c.block_no == last_no.c.last))
        .where(table.c.result_id == result_id))}
    updates, inserts = [], []
    for key, (indices, values) in columns.items():
        new_idx = np.asarray(indices, dtype=INDEX_DTYPE)
        new_val = np.asarray(values, dtype=VALUE_DTYPE)
        last = last_blocks.get(key)
        block_no = 0
        if last is not None:
            block_no = last.block_no + 1
            take = min(BLOCK_SIZE - last.count, len(new_idx))
            if take > 0:
                updates.append({"b_result_id": result_id, "b_key": key, "b_block_no": last.block_no,
                                "count": last.count + take,
                                "indices": last.indices + new_idx[:take].tobytes(),
                                "values": last.vals + new_val[:take].tobytes()})
                new_idx, new_val = new_idx[take:], new_val[take:]
        for start in range(0, len(new_idx), BLOCK_SIZE):
            chunk_idx = new_idx[start:start + BLOCK_SIZE]
            inserts.append({"result_id": result_id, "key": key, "block_no": block_no, "count": len(chunk_idx),
                            "first_index": int(chunk_idx[0]), "indices": chunk_idx.tobytes(),
                            "values": new_val[start:start + BLOCK_SIZE].tobytes()})
            block_no += 1
    if updates:
        session.execute(
            table.update().where(table.c.result_id == bindparam("b_result_id"), table.c.key == bindparam("b_key"),
                                 table.c.block_no == bindparam("b_block_no"))
            .values(count=bindparam("count"), indices=bindparam("indices"), values=bindparam("values")),
            updates)
    if inserts:
        session.execute(table.insert(), inserts)


def delete_points(session: Session, result_id: int) -> None:
    session.execute(delete(MetricBlock).where(MetricBlock.result_id == result_id))


def read_series(session: Session, result_id: int, key: str, since: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Entry indices and values of one key, from entry index ``since`` on."""
    query = select(MetricBlock.indices, MetricBlock.values).where(
        MetricBlock.result_id == result_id, MetricBlock.key == key)
    if since > 0:
        first_block = session.scalar(
            select(func.max(MetricBlock.block_no)).where(
                MetricBlock.result_id == result_id, MetricBlock.key == key, MetricBlock.first_index <= since))
        if first_block is not None:
            query = query.where(MetricBlock.block_no >= first_block)
    rows = session.execute(query.order_by(MetricBlock.block_no)).all()
    if not rows:
        return np.empty(0, INDEX_DTYPE), np.empty(0, VALUE_DTYPE)
    indices = np.frombuffer(b"".join(r[0] for r in rows), dtype=INDEX_DTYPE)
    values = np.frombuffer(b"".join(r[1] for r in rows), dtype=VALUE_DTYPE)
    if since > 0:
        keep = indices >= since
        indices, values = indices[keep], values[keep]
    return indices, values


def read_series_cached(session: Session, result_id: int, key: str, generation: int
                       ) -> tuple[np.ndarray, np.ndarray]:
    """The whole series, reading from the database only the blocks added since the last call."""
    cached = series_cache.get(result_id, key, generation)
    first_block = cached.last_block_no if cached is not None else 0
    rows = session.execute(
        select(MetricBlock.block_no, MetricBlock.count, MetricBlock.indices, MetricBlock.values)
        .where(MetricBlock.result_id == result_id, MetricBlock.key == key, MetricBlock.block_no >= first_block)
        .order_by(MetricBlock.block_no)).all()
    if cached is not None:
        unchanged = len(rows) == 1 and rows[0].count == cached.last_block_count
        if unchanged or not rows:
            return cached.indices, cached.values
        keep = len(cached.indices) - cached.last_block_count
        head_idx, head_val = cached.indices[:keep], cached.values[:keep]
    else:
        if not rows:
            return np.empty(0, INDEX_DTYPE), np.empty(0, VALUE_DTYPE)
        head_idx, head_val = np.empty(0, INDEX_DTYPE), np.empty(0, VALUE_DTYPE)
    indices = np.concatenate([head_idx, np.frombuffer(b"".join(r.indices for r in rows), dtype=INDEX_DTYPE)])
    values = np.concatenate([head_val, np.frombuffer(b"".join(r.values for r in rows), dtype=VALUE_DTYPE)])
    series_cache.put(result_id, key, CachedSeries(generation, indices, values, rows[-1].block_no, rows[-1].count))
    return indices, values


def series_against(x: tuple[np.ndarray, np.ndarray], y: tuple[np.ndarray, np.ndarray]
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Pair a y series with the x values logged in the same entries (entries lacking either are dropped)."""
    x_idx, x_val = x
    y_idx, y_val = y
    if len(x_idx) == len(y_idx) and np.array_equal(x_idx, y_idx):
        return x_val, y_val
    if not len(x_idx) or not len(y_idx):
        return np.empty(0, VALUE_DTYPE), np.empty(0, VALUE_DTYPE)
    pos = np.searchsorted(x_idx, y_idx)
    pos_clipped = np.minimum(pos, len(x_idx) - 1)
    found = x_idx[pos_clipped] == y_idx
    return x_val[pos_clipped[found]], y_val[found]


def query_series(session: Session, result_id: int, keys: list[str], x_key: str, max_points: int,
                 x_min: float | None = None, x_max: float | None = None, since: int = 0,
                 generation: int | None = None) -> dict:
    """The series of ``keys`` against ``x_key``, each cut to at most ``max_points`` points.

    With ``since``, only entries from that index on (a live chart's increment). With the log's
    ``generation``, series come from the in-memory cache plus the blocks added since it was filled.
    """
    def read(key):
        if generation is None:
            return read_series(session, result_id, key, since)
        indices, values = read_series_cached(session, result_id, key, generation)
        if since:
            start = int(np.searchsorted(indices, since))
            indices, values = indices[start:], values[start:]
        return indices, values

    x_series = read(x_key)
    out = {}
    for key in keys:
        xs, ys = series_against(x_series, read(key))
        keep = ~np.isnan(xs)
        if x_min is not None:
            keep &= xs >= x_min
        if x_max is not None:
            keep &= xs <= x_max
        if not keep.all():
            xs, ys = xs[keep], ys[keep]
        picked = minmax_indices(ys, max_points)
        total = len(xs)
        if picked is not None:
            xs, ys = xs[picked], ys[picked]
        out[key] = {"x": xs, "y": ys, "total": total, "downsampled": picked is not None}
    return out
