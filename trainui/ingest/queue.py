"""The results waiting for an ingestion turn: each at most once, served round-robin, each with a
time before which it is not due (retries back off; a torn tail is looked at again after its
grace). A result with more to read goes to the back after its turn, so one huge log never
starves the live runs."""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

MAX_BACKOFF = 30.0


@dataclass
class Item:
    result_dir: str
    project_id: int
    project_path: str
    due: float = 0.0
    failures: int = 0


class WorkQueue:
    def __init__(self):
        self._items: OrderedDict[str, Item] = OrderedDict()
        self._busy: set[str] = set()
        self._cond = threading.Condition()
        self._closed = False

    def mark(self, result_dir: str, project_id: int, project_path: str, delay: float = 0.0,
             urgent: bool = False) -> None:
        """Ask for a turn of ``result_dir`` (at the back, or the front when ``urgent``). A result
        already waiting keeps its place; a sooner due time wins."""
        due = time.monotonic() + delay
        with self._cond:
            item = self._items.get(result_dir)
            if item is None:
                item = self._items[result_dir] = Item(result_dir, project_id, project_path, due)
            else:
                item.project_id, item.project_path = project_id, project_path
                if item.failures == 0:
                    item.due = min(item.due, due)
            if urgent:
                self._items.move_to_end(result_dir, last=False)
            self._cond.notify()

    def take(self, timeout: float) -> Item | None:
        """The first due item not in a turn already, waiting up to ``timeout`` s for one."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not self._closed:
                now = time.monotonic()
                next_due = deadline
                for key, item in self._items.items():
                    if key in self._busy:
                        continue
                    if item.due <= now:
                        del self._items[key]
                        self._busy.add(key)
                        return item
                    next_due = min(next_due, item.due)
                if now >= deadline:
                    return None
                self._cond.wait(max(0.0, next_due - now))
            return None

    def done(self, item: Item, more: bool = False, recheck_in: float | None = None) -> None:
        """The turn went well; ``more``: it goes to the back for another turn."""
        with self._cond:
            self._busy.discard(item.result_dir)
            if more or recheck_in is not None:
                waiting = self._items.get(item.result_dir)
                delay = 0.0 if more else recheck_in
                if waiting is None:
                    self._items[item.result_dir] = Item(item.result_dir, item.project_id, item.project_path,
                                                        time.monotonic() + delay)
                else:
                    waiting.due = min(waiting.due, time.monotonic() + delay)
            self._cond.notify()

    def failed(self, item: Item) -> float:
        """The turn raised: try again later, waiting longer after each failure (0.5 s ... 30 s)."""
        with self._cond:
            self._busy.discard(item.result_dir)
            item.failures += 1
            delay = min(MAX_BACKOFF, 0.5 * 2 ** (item.failures - 1))
            item.due = time.monotonic() + delay
            self._items[item.result_dir] = item
            self._cond.notify()
            return delay

    def hurry(self) -> None:
        """Everything waiting is due now (the database is back: no need to sit out the backoff)."""
        now = time.monotonic()
        with self._cond:
            for item in self._items.values():
                item.due, item.failures = min(item.due, now), 0
            self._cond.notify()

    def __len__(self) -> int:
        with self._cond:
            return len(self._items) + len(self._busy)

    def idle(self) -> bool:
        """Nothing waiting that is due now and nothing in a turn."""
        now = time.monotonic()
        with self._cond:
            return not self._busy and all(item.due > now for item in self._items.values())

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
