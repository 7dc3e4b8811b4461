"""Which entries a chart's x range holds, found without decoding the x series.

A y point belongs to a chart when its entry also holds a non-NaN x inside the range. The x
key's blocks answer that from their summaries: a block whose extremes lie inside the range,
that holds no NaN and one point per entry (``count == last - first + 1``) puts its whole entry
run in the window; a block wholly outside is skipped; only the blocks the range cuts (two, for
a monotonic x) are decoded. Nothing assumes x monotonic: a non-monotonic x cuts more blocks,
which are decoded, so the answer is the same, only slower.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from .block_reads import INDEX_DTYPE, VALUE_DTYPE, decode_blocks, read_series_cached, values_at
from .models import MetricBlock
from .series_cache import SeriesCache

NO_ENTRIES = np.empty(0, INDEX_DTYPE)


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


class XValues:
    """x at entries of the window: from a decoded whole x series, or from the x blocks that hold
    them, each decoded once per query."""

    def __init__(self, session: Session, result_id: int, x_key: str, firsts: np.ndarray, numbers: np.ndarray,
                 decoded: dict, whole: tuple[np.ndarray, np.ndarray] | None = None):
        self.session, self.result_id, self.x_key = session, result_id, x_key
        self.firsts, self.numbers, self.decoded, self.whole = firsts, numbers, decoded, whole

    def at(self, entries: np.ndarray) -> np.ndarray:
        if self.whole is not None:
            return values_at(*self.whole, entries)
        if not len(entries) or not len(self.firsts):
            return np.full(len(entries), np.nan)
        holding = np.unique(self.numbers[np.maximum(np.searchsorted(self.firsts, entries, side="right") - 1, 0)])
        missing = [b for b in holding.tolist() if b not in self.decoded]
        if missing:
            self.decoded.update(decode_blocks(self.session, self.result_id, self.x_key, missing))
        parts = [self.decoded[b] for b in holding.tolist()]
        return values_at(np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]), entries)


def find_window(session: Session, cache: SeriesCache, result: dict, x_key: str, x_min: float | None,
                x_max: float | None) -> tuple[EntryWindow, XValues]:
    """The window of entries with x in [x_min, x_max] (a missing bound: open) and a way to read x
    there. An x series that the decoded-series cache holds, or could hold, is used whole."""
    version = (result["created_at"], result["log_generation"])
    fits = result["entry_count"] * (INDEX_DTYPE.itemsize + VALUE_DTYPE.itemsize) <= cache.max_bytes // 4
    if fits or cache.get(result["id"], x_key, version) is not None:
        whole = read_series_cached(session, cache, result["id"], x_key, version)
        return _from_series(*whole, x_min, x_max), XValues(session, result["id"], x_key, NO_ENTRIES, NO_ENTRIES,
                                                           {}, whole)
    return _from_blocks(session, result["id"], x_key, x_min, x_max)


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


def _from_blocks(session: Session, result_id: int, x_key: str, x_min, x_max) -> tuple[EntryWindow, XValues]:
    t = MetricBlock.__table__
    where = [t.c.result_id == result_id, t.c.key == x_key, t.c.min_index.isnot(None)]  # all-NaN: no point
    if x_min is not None:  # a NULL extreme is infinite: the block may reach into the range
        where.append(or_(t.c.max_value.is_(None), t.c.max_value >= x_min))
    if x_max is not None:
        where.append(or_(t.c.min_value.is_(None), t.c.min_value <= x_max))
    rows = session.execute(select(t.c.block_no, t.c.count, t.c.first_index, t.c.last_index, t.c.nan_count,
                                  t.c.min_value, t.c.max_value).where(*where).order_by(t.c.block_no)).all()
    low, high = -np.inf if x_min is None else x_min, np.inf if x_max is None else x_max
    inside = [r.last_index is not None and r.nan_count == 0 and r.count == r.last_index - r.first_index + 1
              and r.min_value is not None and r.max_value is not None and low <= r.min_value and r.max_value <= high
              for r in rows]
    decoded = decode_blocks(session, result_id, x_key, [r.block_no for r, whole in zip(rows, inside) if not whole])
    singles = []
    for block_no in sorted(decoded):
        indices, values = decoded[block_no]
        singles.append(indices[~np.isnan(values) & (values >= low) & (values <= high)])
    whole_rows = [r for r, whole in zip(rows, inside) if whole]
    runs = _merge([r.first_index for r in whole_rows], [r.last_index for r in whole_rows])
    window = EntryWindow(*runs, np.concatenate(singles) if singles else NO_ENTRIES)
    firsts = np.array([r.first_index for r in rows], dtype=np.int64)
    numbers = np.array([r.block_no for r in rows], dtype=np.int64)
    return window, XValues(session, result_id, x_key, firsts, numbers, decoded)


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
