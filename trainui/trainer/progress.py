"""A one-line terminal progress bar: iteration, rate, ETA, last loss.

Redrawn at most every ``refresh`` seconds on a terminal; when the stream is not a terminal (a
log file, CI) it prints a plain line every ``plain_every`` seconds instead of carriage returns.
"""
from __future__ import annotations

import sys
import time
from typing import TextIO


class ProgressBar:
    def __init__(self, total: int | None = None, stream: TextIO | None = None,
                 refresh: float = 0.2, plain_every: float = 10.0, width: int = 24):
        self.total = total
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.interval = refresh if self.tty else plain_every
        self.width = width
        self.loss: float | None = None
        self._start_time = time.monotonic()
        self._start_iteration: int | None = None
        self._next_draw = 0.0 if self.tty else self._start_time + plain_every
        self._drawn = False

    def update(self, iteration: int | None, loss: float | None = None) -> None:
        if loss is not None:
            self.loss = loss
        if iteration is None:
            return
        if self._start_iteration is None:
            self._start_iteration = iteration
            self._start_time = time.monotonic()
        now = time.monotonic()
        if now < self._next_draw:
            return
        self._next_draw = now + self.interval
        self._draw(iteration, now)

    def close(self, iteration: int | None = None) -> None:
        if iteration is not None:
            self._draw(iteration, time.monotonic())
        if self._drawn and self.tty:
            self.stream.write("\n")
            self.stream.flush()

    def line(self, iteration: int, now: float | None = None) -> str:
        now = time.monotonic() if now is None else now
        done = iteration - (self._start_iteration or 0)
        elapsed = max(now - self._start_time, 1e-9)
        rate = done / elapsed
        parts = []
        if self.total:
            fraction = min(max(iteration / self.total, 0.0), 1.0)
            filled = int(fraction * self.width)
            parts.append(f"[{'#' * filled}{'.' * (self.width - filled)}] {fraction * 100:5.1f}%")
            parts.append(f"iter {iteration}/{self.total}")
        else:
            parts.append(f"iter {iteration}")
        parts.append(f"{rate:.1f} it/s")
        if self.total and rate > 0 and iteration < self.total:
            parts.append(f"ETA {_duration((self.total - iteration) / rate)}")
        if self.loss is not None:
            parts.append(f"loss {self.loss:.4g}")
        return "  ".join(parts)

    def _draw(self, iteration: int, now: float) -> None:
        text = self.line(iteration, now)
        try:
            if self.tty:
                self.stream.write("\r" + text + "\x1b[K")
            else:
                self.stream.write(text + "\n")
            self.stream.flush()
            self._drawn = True
        except (OSError, ValueError):
            pass  # a closed terminal must not stop training


def _duration(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"
