"""Which entries a chart's x range holds, found without decoding the x series.

A y point belongs to a chart when its entry also holds a non-NaN x inside the range. The x
key's summaries answer that, coarsest first: a group of 64 blocks, or a block, whose extremes
lie inside the range, that holds no NaN and one point per entry (``count == last - first + 1``)
puts its whole entry run in the window; one wholly outside is skipped; a group the range cuts
is looked at block by block, and only the blocks the range cuts (two, for a monotonic x) are
decoded. Nothing assumes x monotonic: a non-monotonic x cuts more, which is decoded, so the
answer is the same, only slower.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..models import MetricBlock
from .block_reads import (INDEX_DTYPE, RANGE_CHUNK, VALUE_DTYPE, block_ranges_outside, block_values, decode_blocks,
                          in_block_ranges, read_groups, read_series_cached, values_at)
from .block_summary import BLOCK_SIZE, GROUP_BLOCKS
from .cache import SeriesCache

NO_ENTRIES = np.empty(0, INDEX_DTYPE)
WHOLE_X_ENTRIES = 4 * GROUP_BLOCKS * BLOCK_SIZE  # up to 262,144 entries (4 MB): x decoded whole, cached


@dataclass(frozen=True)
class EntryWindow:
    """Runs of entries wholly in the window (inclusive bounds; sorted, disjoint), and single
    entries from decoded x blocks, never inside a run."""
    starts: np.ndarray
    ends: np.ndarray
    entries: np.ndarray

    @property
    def empty(self) -> bool:
        return not len(self.starts) and not len(self.entries)

    @property
    def span(self) -> tuple[int, int]:
        lows = [int(a[0]) for a in (self.starts, self.entries) if len(a)]
        highs = [int(a[-1]) for a in (self.ends, self.entries) if len(a)]
        return min(lows), max(highs)

    def contains(self, entries: np.ndarray) -> np.ndarray:
        run = np.searchsorted(self.starts, entries, side="right") - 1
        inside = (run >= 0) & (entries <= self.ends[np.maximum(run, 0)]) if len(self.starts) else \
            np.zeros(len(entries), bool)
        if len(self.entries):
            pos = np.minimum(np.searchsorted(self.entries, entries), len(self.entries) - 1)
            inside |= self.entries[pos] == entries
        return inside

    def covers(self, first: np.ndarray, last: np.ndarray) -> np.ndarray:
        """Whether each entry range first..last lies inside one run (so every entry in it counts)."""
        if not len(self.starts):
            return np.zeros(len(first), bool)
        run = np.searchsorted(self.starts, first, side="right") - 1
        return (run >= 0) & (last <= self.ends[np.maximum(run, 0)])

    def touches(self, first: np.ndarray, last: np.ndarray) -> np.ndarray:
        """Whether each entry range first..last holds any entry of the window."""
        hit = np.zeros(len(first), bool)
        if len(self.starts):
            run = np.searchsorted(self.starts, last, side="right") - 1
            hit |= (run >= 0) & (self.ends[np.maximum(run, 0)] >= first)
        if len(self.entries):
            hit |= np.searchsorted(self.entries, first) < np.searchsorted(self.entries, last, side="right")
        return hit


@dataclass(frozen=True)
class XPieces:
    """Where the x points of the window's entries are stored: pieces of entries starting at
    ``first`` in block ``block``; in a dense piece (one point per entry, full blocks but maybe the
    last) entry e is point (e - first) % BLOCK_SIZE of block ``block + (e - first) // BLOCK_SIZE``."""
    first: np.ndarray
    block: np.ndarray
    dense: np.ndarray


NO_PIECES = XPieces(NO_ENTRIES, NO_ENTRIES, np.zeros(0, bool))


class XValues:
    """x at entries of the window: from a decoded whole x series, or from the x blocks that hold
    them, each read once per query (a dense block for its values only)."""

    def __init__(self, session: Session, result_id: int, x_key: str, pieces: XPieces, decoded: dict,
                 whole: tuple[np.ndarray, np.ndarray] | None = None):
        self.session, self.result_id, self.x_key = session, result_id, x_key
        self.pieces, self.decoded, self.whole = pieces, decoded, whole
        self.values: dict[int, np.ndarray] = {}

    def at(self, entries: np.ndarray) -> np.ndarray:
        if self.whole is not None:
            return values_at(*self.whole, entries)
        out = np.full(len(entries), np.nan)
        if not len(entries) or not len(self.pieces.first):
            return out
        piece = np.maximum(np.searchsorted(self.pieces.first, entries, side="right") - 1, 0)
        offset = entries - self.pieces.first[piece]
        by_position = self.pieces.dense[piece]
        block = self.pieces.block[piece] + np.where(by_position, offset // BLOCK_SIZE, 0)
        if by_position.any():
            wanted = np.unique(block[by_position])
            missing = [b for b in wanted.tolist() if b not in self.values and b not in self.decoded]
            self.values.update(block_values(self.session, self.result_id, self.x_key, missing))
            parts = [self.values[b] if b in self.values else self.decoded[b][1] for b in wanted.tolist()]
            sizes = np.array([len(p) for p in parts], dtype=np.int64)
            base = (np.cumsum(sizes) - sizes)[np.searchsorted(wanted, block[by_position])]
            out[by_position] = np.concatenate(parts)[base + offset[by_position] % BLOCK_SIZE]
        searched = ~by_position
        if searched.any():
            blocks = np.unique(block[searched]).tolist()
            missing = [b for b in blocks if b not in self.decoded]
            self.decoded.update(decode_blocks(self.session, self.result_id, self.x_key, missing))
            out[searched] = values_at(np.concatenate([self.decoded[b][0] for b in blocks]),
                                      np.concatenate([self.decoded[b][1] for b in blocks]), entries[searched])
        return out


def find_window(session: Session, cache: SeriesCache, result: dict, x_key: str, x_min: float | None,
                x_max: float | None) -> tuple[EntryWindow, XValues]:
    """The window of entries with x in [x_min, x_max] (a missing bound: open) and a way to read x
    there. A short x series (a few MB) is decoded whole and kept in the decoded-series cache: the
    next chart of that result reads it from memory; longer ones are read block by block."""
    version = (result["created_at"], result["log_generation"])
    fits = result["entry_count"] * (INDEX_DTYPE.itemsize + VALUE_DTYPE.itemsize) <= cache.max_bytes // 4
    if fits and result["entry_count"] <= WHOLE_X_ENTRIES:
        whole = read_series_cached(session, cache, result["id"], x_key, version)
        return _from_series(*whole, x_min, x_max), XValues(session, result["id"], x_key, NO_PIECES, {}, whole)
    return _from_blocks(session, result["id"], x_key, x_min, x_max, result["entry_count"])


def _from_series(indices: np.ndarray, values: np.ndarray, x_min, x_max) -> EntryWindow:
    keep = ~np.isnan(values)
    if x_min is not None:
        keep &= values >= x_min
    if x_max is not None:
        keep &= values <= x_max
    return _runs(indices[keep])


def _runs(entries: np.ndarray) -> EntryWindow:
    """Sorted entries as runs of consecutive entries."""
    if not len(entries):
        return EntryWindow(NO_ENTRIES, NO_ENTRIES, NO_ENTRIES)
    breaks = np.flatnonzero(np.diff(entries) != 1)
    return EntryWindow(entries[np.r_[0, breaks + 1]], entries[np.r_[breaks, len(entries) - 1]], NO_ENTRIES)


def _from_blocks(session: Session, result_id: int, x_key: str, x_min, x_max, entry_count: int
                 ) -> tuple[EntryWindow, XValues]:
    """Groups of blocks first: a group inside the range is a run, one outside is skipped; the
    blocks of the groups the range cuts, and of no group, are read and sorted out the same way."""
    low, high = -np.inf if x_min is None else x_min, np.inf if x_max is None else x_max
    groups, closing = read_groups(session, result_id, x_key, entry_count)
    group_dense = (groups["last_entry"] - groups["first_entry"] + 1 == groups["count"]) & (groups["nan_count"] == 0)
    group_inside = group_dense & (groups["min"] >= low) & (groups["max"] <= high)
    group_outside = (groups["count"] == groups["nan_count"]) | (groups["max"] < low) | (groups["min"] > high)
    ranges = block_ranges_outside(closing[group_inside | group_outside])
    t = MetricBlock.__table__
    where = [t.c.result_id == result_id, t.c.key == x_key, t.c.min_index.isnot(None)]  # all-NaN: no point
    if x_min is not None:  # a NULL extreme is infinite: the block may reach into the range
        where.append(or_(t.c.max_value.is_(None), t.c.max_value >= x_min))
    if x_max is not None:
        where.append(or_(t.c.min_value.is_(None), t.c.min_value <= x_max))
    rows = []
    for start in range(0, len(ranges), RANGE_CHUNK):
        rows += session.execute(select(t.c.block_no, t.c.count, t.c.first_index, t.c.last_index, t.c.nan_count,
                                       t.c.min_value, t.c.max_value)
                                .where(*where, in_block_ranges(t, ranges[start:start + RANGE_CHUNK]))).all()
    rows.sort(key=lambda row: row[0])
    numbers, count, firsts, lasts, nan_count, lows, highs = (
        (np.array(c, dtype=float if i >= 3 else np.int64) for i, c in enumerate(zip(*rows))) if rows
        else (np.zeros(0, dtype=np.int64 if i < 3 else float) for i in range(7)))
    # NULL (not summarised, or infinite) is NaN here: such blocks are never whole
    dense = (lasts - firsts + 1 == count) & (nan_count == 0)
    inside = dense & (lows >= low) & (highs <= high)
    decoded = decode_blocks(session, result_id, x_key, numbers[~inside])
    singles = []
    for block_no in sorted(decoded):
        indices, values = decoded[block_no]
        singles.append(indices[~np.isnan(values) & (values >= low) & (values <= high)])
    run_first = np.concatenate([groups["first_entry"][group_inside], firsts[inside]])
    run_last = np.concatenate([groups["last_entry"][group_inside], lasts[inside].astype(np.int64)])
    order = np.argsort(run_first, kind="stable")
    window = EntryWindow(*_merge(run_first[order].tolist(), run_last[order].tolist()),
                         np.concatenate(singles) if singles else NO_ENTRIES)
    piece_first = np.concatenate([groups["first_entry"][group_inside], firsts])
    order = np.argsort(piece_first, kind="stable")
    pieces = XPieces(piece_first[order],
                     np.concatenate([closing[group_inside] - GROUP_BLOCKS + 1, numbers])[order],
                     np.concatenate([np.ones(int(group_inside.sum()), bool), dense])[order])
    return window, XValues(session, result_id, x_key, pieces, decoded)


def _merge(firsts: list[int], lasts: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Entry runs of whole blocks, adjacent ones joined."""
    starts, ends = [], []
    for first, last in zip(firsts, lasts):
        if ends and first == ends[-1] + 1:
            ends[-1] = last
        else:
            starts.append(first)
            ends.append(last)
    return np.array(starts, dtype=np.int64), np.array(ends, dtype=np.int64)
