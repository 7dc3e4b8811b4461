"""Metric series stored as packed blocks of (entry index, value) per key.

A block holds up to BLOCK_SIZE points. Appending touches only the last block of each key, so
adding one point costs O(1) regardless of the series length; reading a series reads
len / BLOCK_SIZE rows.
"""
from __future__ import annotations

import numpy as np
from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.orm import Session

from .block_summary import block_summary_columns
from .downsample import bucket_extremes, minmax_indices
from .models import MetricBlock
from .series_cache import CachedSeries, SeriesCache

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
                indices = last.indices + new_idx[:take].tobytes()
                values = last.vals + new_val[:take].tobytes()
                updates.append({"b_result_id": result_id, "b_key": key, "b_block_no": last.block_no,
                                "count": last.count + take, "indices": indices, "values": values,
                                **_summaries(np.frombuffer(indices, INDEX_DTYPE), np.frombuffer(values, VALUE_DTYPE))})
                new_idx, new_val = new_idx[take:], new_val[take:]
        for start in range(0, len(new_idx), BLOCK_SIZE):
            chunk_idx, chunk_val = new_idx[start:start + BLOCK_SIZE], new_val[start:start + BLOCK_SIZE]
            inserts.append({"result_id": result_id, "key": key, "block_no": block_no, "count": len(chunk_idx),
                            "first_index": int(chunk_idx[0]), "indices": chunk_idx.tobytes(),
                            "values": chunk_val.tobytes(), **_summaries(chunk_idx, chunk_val)})
            block_no += 1
    if updates:
        session.execute(
            table.update().where(table.c.result_id == bindparam("b_result_id"), table.c.key == bindparam("b_key"),
                                 table.c.block_no == bindparam("b_block_no"))
            .values(count=bindparam("count"), indices=bindparam("indices"), values=bindparam("values"),
                    min_value=bindparam("min_value"), min_index=bindparam("min_index"),
                    max_value=bindparam("max_value"), max_index=bindparam("max_index"),
                    last_index=bindparam("last_index"), nan_count=bindparam("nan_count"),
                    segments=bindparam("segments")),
            updates)
    if inserts:
        session.execute(table.insert(), inserts)


def _summaries(indices: np.ndarray, values: np.ndarray) -> dict:
    """Every summary column of a block: its extremes, and the finer ones of block_summary."""
    return {**_extremes(indices, values), **block_summary_columns(indices, values)}


def _extremes(indices: np.ndarray, values: np.ndarray) -> dict:
    """A block's minimum and maximum with their entry indices; NaN never wins, infinities may."""
    finite_or_nan = np.where(np.isnan(values), np.inf, values)
    if np.isnan(values).all():
        return {"min_value": None, "min_index": None, "max_value": None, "max_index": None}
    low = int(np.argmin(finite_or_nan))
    high = int(np.argmax(np.where(np.isnan(values), -np.inf, values)))
    return {"min_value": _storable(values[low]), "min_index": int(indices[low]),
            "max_value": _storable(values[high]), "max_index": int(indices[high])}


def _storable(value: float) -> float | None:
    """Databases differ on storing infinities; a block whose extreme is infinite is read in full."""
    return float(value) if np.isfinite(value) else None


def delete_points(session: Session, result_id: int) -> None:
    session.execute(delete(MetricBlock).where(MetricBlock.result_id == result_id))


def read_series_cached(session: Session, cache: SeriesCache, result_id: int, key: str, version
                       ) -> tuple[np.ndarray, np.ndarray]:
    """The whole series, reading from the database only the blocks added since the last call.
    ``version`` identifies the result's log (its creation and log generation)."""
    cached = cache.get(result_id, key, version)
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
    cache.put(result_id, key, CachedSeries(version, indices, values, rows[-1].block_no, rows[-1].count))
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


def query_series(session: Session, cache: SeriesCache, result: dict, keys: list[str], x_key: str,
                 max_points: int, x_min: float | None = None, x_max: float | None = None, since: int = 0) -> dict:
    """The series of ``keys`` against ``x_key``, each cut to at most ``max_points`` points.

    With ``since``, only entries from that index on (a live chart's increment). Series come from
    the cache plus the blocks added since it was filled. A whole very long series (enough entries
    that every bucket spans two blocks or more) is drawn from the blocks' stored extremes, without
    decoding the blocks.
    """
    result_id = result["id"]
    version = (result["created_at"], result["log_generation"])

    def read(key):
        indices, values = read_series_cached(session, cache, result_id, key, version)
        if since:
            start = int(np.searchsorted(indices, since))
            indices, values = indices[start:], values[start:]
        return indices, values

    from_summaries = (since == 0 and x_min is None and x_max is None
                      and result["entry_count"] >= BLOCK_SIZE * max_points)
    x_series, x_lookup, out = None, None, {}
    for key in keys:
        if from_summaries:
            x_lookup = x_lookup or _XLookup(session, cache, result_id, x_key, version)
            summary = _series_from_summaries(session, result_id, key, max_points, x_lookup)
            if summary is not None:
                out[key] = summary
                continue
        if x_series is None:
            x_series = read(x_key)
        xs, ys = series_against(x_series, read(key))
        keep = ~np.isnan(xs)
        if x_min is not None:
            keep &= xs >= x_min
        if x_max is not None:
            keep &= xs <= x_max
        if not keep.all():
            xs, ys = xs[keep], ys[keep]
        nonfinite = _nonfinite_points(xs, ys, max_points)
        picked = minmax_indices(ys, max_points)
        total = len(xs)
        if picked is not None:
            xs, ys = xs[picked], ys[picked]
        out[key] = {"x": xs, "y": ys, "total": total, "downsampled": picked is not None, "nonfinite": nonfinite}
    return out


def _nonfinite_points(xs: np.ndarray, ys: np.ndarray, max_points: int) -> dict:
    """Where the series is NaN or infinite, which JSON cannot carry (y is null there): x and a label
    ("NaN", "Infinity", "-Infinity") per point, spread evenly over at most ``max_points`` of them."""
    bad = np.flatnonzero(~np.isfinite(ys))
    if len(bad) > max_points:
        bad = bad[np.linspace(0, len(bad) - 1, max_points).astype(np.int64)]
    values = ys[bad]
    labels = np.where(np.isnan(values), "NaN", np.where(values > 0, "Infinity", "-Infinity"))
    return {"x": xs[bad], "value": labels.tolist()}


def _series_from_summaries(session: Session, result_id: int, key: str, max_points: int,
                           x_lookup: "_XLookup") -> dict | None:
    """Min/max buckets of whole blocks, from each block's stored extremes; None if too short."""
    t = MetricBlock.__table__
    rows = session.execute(select(t.c.count, t.c.min_value, t.c.min_index, t.c.max_value, t.c.max_index)
                           .where(t.c.result_id == result_id, t.c.key == key).order_by(t.c.block_no)).all()
    buckets = max(1, max_points // 2)
    if len(rows) < 2 * buckets:
        return None
    if any(r.min_index is not None and (r.min_value is None or r.max_value is None) for r in rows):
        return None  # an infinite extreme: the exact path handles it
    low = np.array([np.nan if r.min_value is None else r.min_value for r in rows])
    high = np.array([np.nan if r.max_value is None else r.max_value for r in rows])
    arg_low, arg_high = bucket_extremes(low, high, buckets)
    valid = ~np.isnan(low[arg_low])  # a bucket of NaN only has nothing to show
    min_entry = np.array([rows[i].min_index for i in arg_low[valid]], dtype=np.int64)
    max_entry = np.array([rows[i].max_index for i in arg_high[valid]], dtype=np.int64)
    min_value, max_value = low[arg_low[valid]], high[arg_high[valid]]
    max_first = max_entry < min_entry  # each bucket's pair in entry order
    entries = np.stack([np.where(max_first, max_entry, min_entry), np.where(max_first, min_entry, max_entry)],
                       axis=1).reshape(-1)
    values = np.stack([np.where(max_first, max_value, min_value), np.where(max_first, min_value, max_value)],
                      axis=1).reshape(-1)
    xs = x_lookup.at(entries)
    keep = ~np.isnan(xs)
    return {"x": xs[keep], "y": values[keep], "total": int(sum(r.count for r in rows)), "downsampled": True,
            "nonfinite": {"x": [], "value": []}}  # NaN is not summarised per block yet


class _XLookup:
    """x values at chosen entry indices, decoding only the x blocks that hold them."""

    def __init__(self, session: Session, cache: SeriesCache, result_id: int, x_key: str, version):
        self.session, self.result_id, self.x_key = session, result_id, x_key
        self.cached = cache.get(result_id, x_key, version)
        self.blocks: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self.first = None

    def at(self, entries: np.ndarray) -> np.ndarray:
        if self.cached is not None:
            return _values_at(self.cached.indices, self.cached.values, entries)
        t = MetricBlock.__table__
        where = (t.c.result_id == self.result_id, t.c.key == self.x_key)
        if self.first is None:
            rows = self.session.execute(select(t.c.block_no, t.c.first_index).where(*where)
                                        .order_by(t.c.block_no)).all()
            self.first = (np.array([r.first_index for r in rows], dtype=np.int64),
                          np.array([r.block_no for r in rows], dtype=np.int64))
        firsts, numbers = self.first
        if not len(firsts):
            return np.full(len(entries), np.nan)
        containing = numbers[np.maximum(np.searchsorted(firsts, entries, side="right") - 1, 0)]
        missing = sorted(set(containing.tolist()) - set(self.blocks))
        for start in range(0, len(missing), 500):
            for r in self.session.execute(select(t.c.block_no, t.c.indices, t.c["values"].label("vals"))
                                          .where(*where, t.c.block_no.in_(missing[start:start + 500]))):
                self.blocks[r.block_no] = (np.frombuffer(r.indices, INDEX_DTYPE), np.frombuffer(r.vals, VALUE_DTYPE))
        out = np.full(len(entries), np.nan)
        for i, (entry, block_no) in enumerate(zip(entries.tolist(), containing.tolist())):
            indices, values = self.blocks[block_no]
            pos = int(np.searchsorted(indices, entry))
            if pos < len(indices) and indices[pos] == entry:
                out[i] = values[pos]
        return out


def _values_at(indices: np.ndarray, values: np.ndarray, entries: np.ndarray) -> np.ndarray:
    pos = np.minimum(np.searchsorted(indices, entries), max(len(indices) - 1, 0))
    if not len(indices):
        return np.full(len(entries), np.nan)
    return np.where(indices[pos] == entries, values[pos], np.nan)
