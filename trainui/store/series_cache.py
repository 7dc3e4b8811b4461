"""Decoded series kept in memory between queries, so a chart refresh reads only the new blocks.

Bounded (least recently used out first). An entry is valid for one log generation of its
result: when a replaced log is read again, the generation changes and the entry is rebuilt.
"""
from __future__ import annotations

import os
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

DEFAULT_MAX_BYTES = int(os.environ.get("TRAINUI_SERIES_CACHE_MB", "128")) * 1024 * 1024


@dataclass(frozen=True)
class CachedSeries:
    generation: int
    indices: np.ndarray
    values: np.ndarray
    last_block_no: int
    last_block_count: int

    @property
    def nbytes(self) -> int:
        return self.indices.nbytes + self.values.nbytes


class SeriesCache:
    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES):
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple[int, str], CachedSeries] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, result_id: int, key: str, generation: int) -> CachedSeries | None:
        with self._lock:
            entry = self._entries.get((result_id, key))
            if entry is None or entry.generation != generation:
                return None
            self._entries.move_to_end((result_id, key))
            return entry

    def put(self, result_id: int, key: str, entry: CachedSeries) -> None:
        if entry.nbytes > self.max_bytes // 4:
            return  # one huge series must not flush everything else
        with self._lock:
            old = self._entries.pop((result_id, key), None)
            if old is not None:
                self._bytes -= old.nbytes
            self._entries[(result_id, key)] = entry
            self._bytes += entry.nbytes
            while self._bytes > self.max_bytes and self._entries:
                _, evicted = self._entries.popitem(last=False)
                self._bytes -= evicted.nbytes


series_cache = SeriesCache()
