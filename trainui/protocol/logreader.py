"""Incremental, tolerant reading of a `log` file (a JSON array of report objects).

The reader remembers the byte offset just past the last complete entry it consumed and a
fingerprint of the bytes before it. Next time it reads only what follows. The fingerprint tells
an appended (or, as Chainer does, rewritten-but-extended) file from one replaced by different
content, which must be read again from the start.

It belongs to the protocol because both sides read logs: the server's ingestion, and a job's
uploader that ships its own log to a server over HTTP.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field

from .safe_io import open_regular


def _fast_loads():
    """orjson's parser, if it bounds its nesting: before 3.9.15 a log of a million '[' overflowed
    its stack and killed the whole server (CVE-2024-27454). Else the standard one (slower, safe)."""
    try:
        import orjson
    except ImportError:  # pragma: no cover - orjson is a dependency, this is a safety net
        return json.loads
    version = tuple(int(p) for p in orjson.__version__.split(".")[:3] if p.isdigit())
    return orjson.loads if version >= (3, 9, 15) else json.loads


_loads = _fast_loads()

FINGERPRINT_BYTES = 64
CHUNK_BYTES = 8 * 1024 * 1024
MAX_ENTRY_BYTES = 32 * 1024 * 1024  # one entry larger than this stops the log with an error
_WHITESPACE = b" \t\r\n"
_decoder = json.JSONDecoder()


@dataclass
class LogChunk:
    entries: list = field(default_factory=list)  # the parsed array elements, in order
    start_offset: int = 0
    end_offset: int = 0
    fingerprint: str = ""
    reset: bool = False  # the file was replaced: everything stored for it must be dropped first
    at_eof: bool = True
    stopped_at: int | None = None  # byte where parsing stopped before the end of the file
    error: str | None = None
    closed: bool = False  # the bytes read end with the array's closing bracket: no writer is mid-flush
    incomplete: bool = False  # parsing stopped because the bytes read end inside an entry


def fingerprint_of(data: bytes) -> str:
    return hashlib.blake2b(data[-FINGERPRINT_BYTES:], digest_size=16).hexdigest() if data else ""


def read_chunk(path: str, offset: int, fingerprint: str, max_bytes: int = CHUNK_BYTES,
               root: str | None = None) -> LogChunk:
    """Read the entries after ``offset``; raises OSError when the file cannot be read (also when it
    is not a regular file, or, given ``root``, links outside it: see ``safe_io.open_regular``).

    About ``max_bytes`` are read; when they end inside one entry, more is read (doubling) until
    that entry is whole, up to ``MAX_ENTRY_BYTES``."""
    with open_regular(path, root) as f:
        size = os.fstat(f.fileno()).st_size
        reset = False
        if offset:
            head = max(0, offset - FINGERPRINT_BYTES)
            f.seek(head)
            before = f.read(offset - head)
            if size < offset or fingerprint_of(before) != fingerprint:
                reset, offset = True, 0
        f.seek(offset)
        data = f.read(max_bytes)
        chunk = _parse(data, offset)
        while chunk.incomplete and not chunk.entries and offset + len(data) < size:
            if len(data) >= MAX_ENTRY_BYTES:
                chunk.incomplete = False
                chunk.error = (f"an entry larger than {MAX_ENTRY_BYTES // (1024 * 1024)} MB at byte "
                               f"{chunk.stopped_at}; trainui does not read entries that large")
                break
            more = f.read(min(len(data), MAX_ENTRY_BYTES - len(data)) or max_bytes)
            if not more:
                break
            data += more
            chunk = _parse(data, offset)
    chunk.reset = reset
    chunk.at_eof = offset + len(data) >= size
    chunk.closed = data.rstrip(_WHITESPACE).endswith(b"]")
    if chunk.end_offset > offset:
        tail_start = max(0, chunk.end_offset - offset - FINGERPRINT_BYTES)
        consumed = data[tail_start:chunk.end_offset - offset]
        if chunk.end_offset - offset < FINGERPRINT_BYTES and offset:
            consumed = _reread_tail(path, chunk.end_offset, root)
        chunk.fingerprint = fingerprint_of(consumed)
    else:
        chunk.fingerprint = fingerprint if not reset else ""
    return chunk


def _reread_tail(path: str, end: int, root: str | None) -> bytes:
    with open_regular(path, root) as f:
        start = max(0, end - FINGERPRINT_BYTES)
        f.seek(start)
        return f.read(end - start)


def _parse(data: bytes, offset: int) -> LogChunk:
    pos = _skip_separators(data, 0, first=(offset == 0))
    chunk = LogChunk(start_offset=offset, end_offset=offset)
    if pos is None:
        chunk.stopped_at, chunk.error = offset, "log is not a JSON array"
        return chunk
    if pos >= len(data) or data[pos:pos + 1] == b"]":
        return chunk
    last = data.rfind(b"}")
    if last >= pos:
        try:
            entries = _load_array(b"[" + data[pos:last + 1] + b"]")
            chunk.entries = entries
            chunk.end_offset = offset + last + 1
            rest = _skip_separators(data, last + 1, first=False)
            if rest is not None and rest < len(data) and data[rest:rest + 1] != b"]":
                chunk.stopped_at = offset + rest
                chunk.error = f"unexpected {data[rest:rest + 12]!r} at byte {offset + rest}"
            return chunk
        except (ValueError, RecursionError):
            pass  # a torn tail with a nested value, garbage, or an entry nested too deep: the careful path
    return _parse_one_by_one(data, pos, offset, chunk)


def _load_array(text: bytes) -> list:
    """orjson first; the standard parser when the log holds NaN or Infinity (Chainer writes them)."""
    try:
        return _loads(text)
    except ValueError:
        return json.loads(text)


def _parse_one_by_one(data: bytes, pos: int, offset: int, chunk: LogChunk) -> LogChunk:
    text = data.decode("utf-8", errors="replace")
    # Byte and character positions differ only after non-ASCII text; map back through encoding.
    char_pos = len(data[:pos].decode("utf-8", errors="replace"))
    consumed_chars = char_pos
    while True:
        try:
            value, end = _decoder.raw_decode(text, char_pos)
        except json.JSONDecodeError as error:
            reason = error.msg.removesuffix(" at").lower()
            chunk.error = f"invalid JSON at byte {offset + len(text[:error.pos].encode('utf-8'))} ({reason})"
            chunk.stopped_at = offset + len(text[:consumed_chars].encode("utf-8"))
            # the bytes end inside this entry (a torn tail, or an entry larger than what was read)
            chunk.incomplete = error.msg.startswith("Unterminated string") or error.pos >= len(text.rstrip())
            break
        except RecursionError:
            chunk.stopped_at = offset + len(text[:consumed_chars].encode("utf-8"))
            chunk.error = f"an entry at byte {chunk.stopped_at} is nested too deeply to read"
            break
        chunk.entries.append(value)
        consumed_chars = end
        nxt = _skip_separators_text(text, end)
        if nxt is None or nxt >= len(text) or text[nxt] == "]":
            break
        char_pos = nxt
    chunk.end_offset = offset + len(text[:consumed_chars].encode("utf-8"))
    return chunk


def _skip_separators(data: bytes, pos: int, first: bool) -> int | None:
    """Skip white space and one '[' (at the start of the file) or one ',' between entries."""
    n = len(data)
    while pos < n and data[pos] in _WHITESPACE:
        pos += 1
    if pos < n and data[pos:pos + 1] == (b"[" if first else b","):
        pos += 1
        while pos < n and data[pos] in _WHITESPACE:
            pos += 1
    elif first and pos < n:
        return None  # not a JSON array
    return pos


def _skip_separators_text(text: str, pos: int) -> int | None:
    n = len(text)
    while pos < n and text[pos] in " \t\r\n":
        pos += 1
    if pos < n and text[pos] == ",":
        pos += 1
        while pos < n and text[pos] in " \t\r\n":
            pos += 1
    return pos
