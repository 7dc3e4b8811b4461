"""The ``log`` file: a JSON array appended in place, so a report costs O(1) however long the log is.

Chainer's LogReport rewrites the whole file on every report, which is what made long runs slow.
Here the file always ends with ``\\n]``; a flush writes ``,\\n{entry}...\\n]`` over that tail with
one ``pwrite`` at a remembered offset. After every flush the file is a valid JSON array, and a
reader that sees a write in progress sees at worst a torn tail (protocol: append-only files are
read tolerantly).

Layout (the same bytes a reader gets)::

    [
    {"iteration":1,...},
    {"iteration":2,...}
    ]

Resuming into an existing log (``Run(resume=True)``, or a snapshot of the directory loaded
before the Run: see result_dir.py) appends to it. The steps such a job replays between its snapshot and the point where
the previous process stopped would repeat iterations already in ``log``; those reports go to
``.trainui/log.replayed.jsonl`` instead (one JSON object per line), so the ``log`` series holds
each iteration once, nothing is dropped, and ``log`` stays append-only for incremental readers.
A ``restore`` command rewinds the run to a snapshot's iteration N (see restore.py): ``rewind(N)``
cuts the entries after N out of ``log`` (rewritten once, atomically; readers see a replaced file
and read it again, the same path as any replaced log) and returns them, so the re-run iterations
take their place and the series stays one entry per iteration.
A torn tail left by a killed process (an entry cut in half) is cut off when the file is reopened.
(A run that does not resume never opens an existing log: it goes to a directory of its own.)
"""
from __future__ import annotations

import json
import os
import threading
import time
from typing import Any

from trainui import protocol

_TAIL = b"\n]"
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)
REPLAYED_LOG = os.path.join(protocol.META_DIR, "log.replayed.jsonl")


class LogWriter:
    """Buffered appender for one ``log`` file; flushes on a step count or a time interval.

    Thread-safe: the heartbeat thread flushes a stale buffer while the training loop reports.
    """

    def __init__(self, path: str, flush_every: int = 100, flush_interval: float = 1.0):
        self.path = path
        self.flush_every = max(1, int(flush_every))
        self.flush_interval = float(flush_interval)
        self._lock = threading.RLock()
        self._buffer: list[bytes] = []
        self._last_flush = time.monotonic()
        existing = _recover(path)
        self.entry_count = existing.count
        self.resume_ceiling = existing.last_iteration  # replayed iterations are <= this
        self.last_entry = existing.last_entry
        self._tail_offset = existing.tail_offset
        self._closed = False

    def append(self, entry: dict) -> None:
        """Buffer one report; flush when the step or time policy says so."""
        try:  # the common case, without protocol.dumps' walk over every value
            text = _ENCODER.encode(entry)
        except ValueError:  # NaN or infinity somewhere: spelled "NaN", "Infinity", "-Infinity"
            text = protocol.dumps_entry(entry)
        data = _utf8(text)
        with self._lock:
            self._buffer.append(data)
            self.last_entry = entry
            if len(self._buffer) >= self.flush_every or self.flush_due():
                self.flush()

    def flush_due(self) -> bool:
        return bool(self._buffer) and time.monotonic() - self._last_flush >= self.flush_interval

    def flush(self) -> None:
        """Write the buffer over the closing bracket in one call.

        Re-entrant on purpose: a SIGTERM handler may flush while the interrupted main thread was
        inside this method; until the offset moves, repeating the write puts the same bytes at the
        same place.
        """
        with self._lock:
            self._last_flush = time.monotonic()
            if not self._buffer or self._closed:
                return
            pending = len(self._buffer)
            first_sep = b"\n" if self.entry_count == 0 else b",\n"
            body = first_sep + b",\n".join(self._buffer[:pending])
            # open per flush, not once: on NFS, close-to-open consistency is what lets the
            # server's host see the new bytes; it costs microseconds per flush, not per report
            fd = os.open(self.path, os.O_RDWR)
            try:
                os.pwrite(fd, body + _TAIL, self._tail_offset)
            finally:
                os.close(fd)
            self._tail_offset += len(body)
            self.entry_count += pending
            del self._buffer[:pending]

    def rewind(self, iteration: int) -> list:
        """Cut every entry from the first one past ``iteration`` on; return the cut entries.

        O(length of the log), once per restore: the file is rewritten whole (atomically), since a
        JSON array cannot lose its tail in place without readers seeing a torn file.
        """
        with self._lock:
            self.flush()
            with open(self.path, "rb") as f:
                text = f.read().decode("utf-8", errors="replace")
            spans = _entry_spans(text)
            cut = next((i for i, (entry, _) in enumerate(spans) if _iteration_of(entry) is not None
                        and _iteration_of(entry) > iteration), len(spans))
            if self.resume_ceiling is not None:
                self.resume_ceiling = min(self.resume_ceiling, iteration)
            if cut == len(spans):
                return []
            end = spans[cut - 1][1] if cut else 1
            kept = text[:end].encode("utf-8")
            protocol.atomic_write_bytes(self.path, kept + _TAIL)
            self._tail_offset = len(kept)
            self.entry_count = cut
            self.last_entry = spans[cut - 1][0] if cut and isinstance(spans[cut - 1][0], dict) else None
            return [entry for entry, _ in spans[cut:]]

    def close(self) -> None:
        with self._lock:
            self.flush()
            self._closed = True


class _Existing:
    def __init__(self, count: int = 0, tail_offset: int = 1, last_entry: Any = None):
        self.count = count
        self.tail_offset = tail_offset
        self.last_entry = last_entry if isinstance(last_entry, dict) else None
        iteration = self.last_entry.get("iteration") if self.last_entry else None
        self.last_iteration = iteration if isinstance(iteration, int) and not isinstance(iteration, bool) else None


def _utf8(text: str) -> bytes:
    """``text`` as UTF-8; a lone surrogate (which UTF-8 cannot spell) kept as a JSON ``\\uXXXX`` escape.

    A job must never die of a value it reports: the escaped form is valid JSON and the server
    shows it (replaced, with an ingest note), like any other damaged text in a file.
    """
    # a surrogate sits only inside a JSON string, where Python's "\\udXXX" spelling is JSON's escape
    return text.encode("utf-8", "backslashreplace")


def _recover(path: str) -> _Existing:
    """Open or create ``path`` and leave it ending in exactly ``\\n]`` after its last whole entry.

    Reads the file once (O(n) at start-up only). Anything after the last complete entry (a torn
    tail, Chainer's indented closing bracket) is replaced by the canonical tail.
    """
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        raw = b""
    text = raw.decode("utf-8", errors="replace")
    count, end, last = _scan_entries(text)
    if count == 0:
        protocol.atomic_write_bytes(path, b"[" + _TAIL)
        return _Existing()
    tail_offset = len(text[:end].encode("utf-8"))
    if raw[tail_offset:] != _TAIL:
        with open(path, "r+b") as f:
            f.truncate(tail_offset)
            f.seek(tail_offset)
            f.write(_TAIL)
    return _Existing(count, tail_offset, last)


def _scan_entries(text: str) -> tuple[int, int, Any]:
    """Count the complete values of a possibly torn JSON array; return (count, end index, last)."""
    decoder = json.JSONDecoder()
    pos = _skip_ws(text, 0)
    if pos >= len(text) or text[pos] != "[":
        return 0, 0, None
    pos += 1
    count, end, last = 0, pos, None
    while True:
        pos = _skip_ws(text, pos)
        if pos >= len(text) or text[pos] == "]":
            break
        try:
            value, pos = decoder.raw_decode(text, pos)
        except ValueError:
            break
        count, end, last = count + 1, pos, value
        pos = _skip_ws(text, pos)
        if pos < len(text) and text[pos] == ",":
            pos += 1
            continue
        break
    return count, end, last


def _entry_spans(text: str) -> list[tuple[Any, int]]:
    """Each complete value of the array with the index just past it."""
    decoder = json.JSONDecoder()
    pos = _skip_ws(text, 0)
    spans: list[tuple[Any, int]] = []
    if pos >= len(text) or text[pos] != "[":
        return spans
    pos += 1
    while True:
        pos = _skip_ws(text, pos)
        if pos >= len(text) or text[pos] == "]":
            return spans
        try:
            value, pos = decoder.raw_decode(text, pos)
        except ValueError:
            return spans
        spans.append((value, pos))
        pos = _skip_ws(text, pos)
        if pos >= len(text) or text[pos] != ",":
            return spans
        pos += 1


def _iteration_of(entry: Any) -> int | None:
    value = entry.get("iteration") if isinstance(entry, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _skip_ws(text: str, pos: int) -> int:
    n = len(text)
    while pos < n and text[pos] in " \t\r\n":
        pos += 1
    return pos


def append_jsonl(path: str, obj: Any) -> None:
    """Append one line; one ``write`` on an O_APPEND descriptor, so lines never interleave."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    line = _utf8(protocol.dumps(obj)) + b"\n"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)
