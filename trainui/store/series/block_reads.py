"""Reading metric blocks back: a whole series (through the decoded-series cache), the blocks
that hold a range of entries, or chosen blocks by number. Only these decode the packed arrays."""
from __future__ import annotations

import numpy as np
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ..models import MetricBlock
from .block_summary import BLOCK_SIZE, GROUP_BLOCKS, group_units
from .cache import CachedSeries, SeriesCache

INDEX_DTYPE = np.dtype("<i8")
VALUE_DTYPE = np.dtype("<f8")
IN_CHUNK = 500  # block numbers per IN (...) list
RANGE_CHUNK = 200  # block ranges per statement (SQLite bounds how deep an expression nests)
GROUPS_WORTH_READING = 4  # up to an entry before 4 groups' worth, a key's groups are not looked up


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


def read_entry_range(session: Session, result_id: int, key: str, low: int, high: int | None = None
                     ) -> tuple[np.ndarray, np.ndarray]:
    """The points of entries ``low``..``high`` (inclusive; no ``high``: to the end), decoding only
    the blocks that may hold them."""
    t = MetricBlock.__table__
    where = (t.c.result_id == result_id, t.c.key == key)
    query = select(t.c.indices, t.c["values"].label("vals")).where(*where, t.c.block_no >= block_holding(t, where, low))
    if high is not None:
        query = query.where(t.c.first_index <= high)
    rows = session.execute(query.order_by(t.c.block_no)).all()
    indices = np.frombuffer(b"".join(r.indices for r in rows), dtype=INDEX_DTYPE)
    values = np.frombuffer(b"".join(r.vals for r in rows), dtype=VALUE_DTYPE)
    start = int(np.searchsorted(indices, low))
    stop = len(indices) if high is None else int(np.searchsorted(indices, high, side="right"))
    return indices[start:stop], values[start:stop]


def block_holding(t, where, entry: int):
    """SQL: the number of the block holding ``entry`` (0 if none starts before it). Walked from
    the series' end, so an increment's, near the end, is found in a row or two."""
    found = select(t.c.block_no).where(*where, t.c.first_index <= entry).order_by(t.c.block_no.desc()).limit(1)
    return func.coalesce(found.scalar_subquery(), 0)


def read_groups(session: Session, result_id: int, key: str, up_to_entry: int) -> tuple[np.ndarray, np.ndarray]:
    """The key's group summaries starting at or before ``up_to_entry`` and the first one after,
    with the numbers of the blocks carrying them (each group's last), looked up by primary key: a
    100M-entry series has 1,500 of them among 98,000 blocks. Block b holds points 1024 b on, so
    it starts at entry 1024 b or later: no group past the one after can start by ``up_to_entry``."""
    t = MetricBlock.__table__
    if up_to_entry < GROUPS_WORTH_READING * GROUP_BLOCKS * BLOCK_SIZE:
        return group_units([]), np.empty(0, np.int64)  # a few groups at most: their blocks are read instead
    closing = list(range(GROUP_BLOCKS - 1, up_to_entry // BLOCK_SIZE + 2 * GROUP_BLOCKS, GROUP_BLOCKS))
    found = []
    for start in range(0, len(closing), IN_CHUNK):
        found += session.execute(select(t.c.block_no, t.c.group_summary).where(
            t.c.result_id == result_id, t.c.key == key, t.c.block_no.in_(closing[start:start + IN_CHUNK]),
            t.c.group_summary.isnot(None))).all()
    found.sort(key=lambda row: row[0])
    return group_units([r.group_summary for r in found]), np.array([r.block_no for r in found], dtype=np.int64)


def in_block_ranges(t, ranges: list[tuple[int, int | None]]):
    """SQL: block numbers within any of ``ranges`` (inclusive; an upper bound None: to the end)."""
    return or_(*(t.c.block_no >= low if high is None else t.c.block_no.between(low, high) for low, high in ranges))


def block_ranges_outside(closing: np.ndarray, low: int = 0, high: int | None = None) -> list[tuple[int, int | None]]:
    """Block ranges within low..high (None: to the end) left once the groups ending at
    ``closing`` (sorted) are taken out."""
    ranges, start = [], low
    for last in closing.tolist():
        first = last - GROUP_BLOCKS + 1
        if last < start:
            continue
        if high is not None and first > high:
            break
        if first > start:
            ranges.append((start, first - 1))
        start = last + 1
    if high is None or start <= high:
        ranges.append((start, high))
    return ranges


def decode_blocks(session: Session, result_id: int, key: str, block_nos) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Chosen blocks of a key, decoded: block number -> (entry indices, values)."""
    t = MetricBlock.__table__
    wanted = sorted(set(int(b) for b in block_nos))
    out = {}
    for start in range(0, len(wanted), IN_CHUNK):
        for r in session.execute(select(t.c.block_no, t.c.indices, t.c["values"].label("vals"))
                                 .where(t.c.result_id == result_id, t.c.key == key,
                                        t.c.block_no.in_(wanted[start:start + IN_CHUNK]))):
            out[r.block_no] = (np.frombuffer(r.indices, INDEX_DTYPE), np.frombuffer(r.vals, VALUE_DTYPE))
    return out


def block_values(session: Session, result_id: int, key: str, block_nos) -> dict[int, np.ndarray]:
    """Chosen blocks' values alone (their entries not decoded): block number -> values."""
    t = MetricBlock.__table__
    wanted = sorted(set(int(b) for b in block_nos))
    out = {}
    for start in range(0, len(wanted), IN_CHUNK):
        for r in session.execute(select(t.c.block_no, t.c["values"].label("vals"))
                                 .where(t.c.result_id == result_id, t.c.key == key,
                                        t.c.block_no.in_(wanted[start:start + IN_CHUNK]))):
            out[r.block_no] = np.frombuffer(r.vals, VALUE_DTYPE)
    return out


def stored_segments(session: Session, result_id: int, key: str, block_nos: np.ndarray) -> list[bytes]:
    """Chosen blocks' packed segment summaries (block_summary), without their points, in the
    order of ``block_nos`` (sorted). Read as one range of block numbers when they are most of it."""
    t = MetricBlock.__table__
    where = (t.c.result_id == result_id, t.c.key == key)
    if not len(block_nos):
        return []
    found = {}
    low, high = int(block_nos[0]), int(block_nos[-1])
    if 2 * len(block_nos) >= high - low + 1:
        chunks = [select(t.c.block_no, t.c.segments).where(*where, t.c.block_no.between(low, high))]
    else:
        wanted = block_nos.tolist()
        chunks = [select(t.c.block_no, t.c.segments).where(*where, t.c.block_no.in_(wanted[i:i + IN_CHUNK]))
                  for i in range(0, len(wanted), IN_CHUNK)]
    for query in chunks:
        found.update((r.block_no, r.segments) for r in session.execute(query))
    return [found[b] for b in block_nos.tolist()]


def values_at(indices: np.ndarray, values: np.ndarray, entries: np.ndarray) -> np.ndarray:
    """The values at ``entries`` (NaN where the series has no point there)."""
    if not len(indices):
        return np.full(len(entries), np.nan)
    pos = np.minimum(np.searchsorted(indices, entries), len(indices) - 1)
    return np.where(indices[pos] == entries, values[pos], np.nan)
