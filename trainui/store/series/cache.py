"""Decoded series kept in memory between queries, so a chart refresh reads only the new blocks.

One cache per ``Database`` (a result id means something only within its database), bounded
(least recently used out first). An entry is valid for one *version* of its result's log: the
result's creation time and its log generation. A new result that reuses a deleted one's id
(SQLite does) or a replaced log that is read again never gets the old curves.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Hashable

import numpy as np


@dataclass(frozen=True)
class CachedSeries:
    version: Hashable
    indices: np.ndarray
    values: np.ndarray
    last_block_no: int
    last_block_count: int

    @property
    def nbytes(self) -> int:
        return self.indices.nbytes + self.values.nbytes


class SeriesCache:
    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple[int, str], CachedSeries] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, result_id: int, key: str, version: Hashable) -> CachedSeries | None:
        with self._lock:
            entry = self._entries.get((result_id, key))
            if entry is None or entry.version != version:
                return None
            self._entries.move_to_end((result_id, key))
            return entry

    def put(self, result_id: int, key: str, entry: CachedSeries) -> None:
        if entry.nbytes > self.max_bytes // 4:
            return  # one huge series must not flush everything else
        with self._lock:
            self._drop((result_id, key))
            self._entries[(result_id, key)] = entry
            self._bytes += entry.nbytes
            while self._bytes > self.max_bytes and self._entries:
                _, evicted = self._entries.popitem(last=False)
                self._bytes -= evicted.nbytes

    def invalidate(self, result_ids) -> None:
        """Forget every series of these results (they were deleted or their log replaced)."""
        wanted = set(result_ids)
        with self._lock:
            for cache_key in [k for k in self._entries if k[0] in wanted]:
                self._drop(cache_key)

    def _drop(self, cache_key: tuple[int, str]) -> None:
        old = self._entries.pop(cache_key, None)
        if old is not None:
            self._bytes -= old.nbytes
