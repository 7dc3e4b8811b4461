"""The console of a run shipped over HTTP, kept by the server in the job's own layout.

A remote job's console lives on the job's machine; its uploader ships it here in pieces. The
server keeps them under its data folder (``$TRAINUI_ROOT/consoles/<result id>-<run uid>/``) in the
files a local job writes (``.trainui/console.log``, rotated into ``console.log.1``, ranks > 0 in
``console.rank<N>.log``), so the console API and the page read a remote run's console exactly as a
local one's, with the same bounds: at most ``MAX_BYTES * (BACKUPS + 1)`` bytes per rank on disk.

Exactly once across lost answers and restarts: each piece says where it starts in the stream of
everything shipped for that rank (``offset``); the server knows how much it holds (``received``:
the bytes before the current file, kept in ``console.log.base`` at each rotation, plus the current
file's size, so an append and its count cannot disagree). A piece that starts before ``received``
was partly or wholly taken already and only its new tail is written; one that starts after it would
leave a hole, and is refused with the count to start from. Pieces are UTF-8 text (the job replaces
what is not); one lock per file orders the appends of this process.
"""
from __future__ import annotations

import os
import shutil
import threading

from .. import protocol

CONSOLES_DIR = "consoles"
MAX_PIECE = 1024 * 1024  # bytes per request (web/limits.py refuses more before it is read)
MAX_BYTES = 10 * 1024 * 1024  # per file, as the job's default
BACKUPS = 1
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


class Gap(Exception):
    """The piece starts after what the server holds: send from ``received`` on."""

    def __init__(self, received: int):
        super().__init__(f"the server holds {received} bytes of this console: send from that offset on")
        self.received = received


class NotText(ValueError):
    """The piece is not UTF-8 text without NUL characters."""


def directory(data_root: str, result: dict) -> str:
    """Where the server keeps the console of the HTTP run ``result`` (its id and run uid name it, so
    a later run that gets the same id after a delete never shows this one's console)."""
    run_uid = str(result.get("path") or "").removeprefix("remote:") or "run"
    return os.path.join(data_root, CONSOLES_DIR, f"{int(result['id'])}-{run_uid}")


def forget(data_root: str, result: dict) -> None:
    """Remove the console kept for a deleted HTTP run (nothing there: nothing to do)."""
    folder = directory(data_root, result)
    if os.path.isdir(folder) and not os.path.islink(folder):
        shutil.rmtree(folder, ignore_errors=True)


def received(folder: str, rank: int) -> int:
    path = os.path.join(folder, protocol.console_file(rank))
    return _base(path) + _size(path)


def append(folder: str, rank: int, offset: int, data: bytes) -> int:
    """Keep the piece of rank ``rank``'s console that starts at stream offset ``offset``; returns
    how many bytes the server now holds. Raises Gap or NotText; an OSError for a full disk."""
    check_text(data)
    path = os.path.join(folder, protocol.console_file(rank))
    with _lock(path):
        held = _base(path) + _size(path)
        if offset > held:
            raise Gap(held)
        data = data[held - offset:]  # what an earlier try (whose answer was lost) did not bring
        if data:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            if _size(path) and _size(path) + len(data) > MAX_BYTES:
                _rotate(path, held)
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | _NOFOLLOW, 0o644)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
            finally:
                os.close(fd)
        return held + len(data)


def check_text(data: bytes) -> None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise NotText(f"the console piece is not UTF-8 text (byte {error.start}); the job's uploader sends "
                      "text, with what is not UTF-8 replaced") from None
    if "\x00" in text:
        raise NotText(f"the console piece holds a NUL character (at {text.index(chr(0))})")


def _rotate(path: str, held: int) -> None:
    """The current file becomes ``.1`` (older copies move up); the count of what came before the new
    file is written after the rename: a crash between the two resends a piece, never skips one."""
    for n in range(BACKUPS - 1, 0, -1):
        if os.path.lexists(f"{path}.{n}"):
            os.replace(f"{path}.{n}", f"{path}.{n + 1}")
    if BACKUPS:
        os.replace(path, f"{path}.1")
    else:
        os.unlink(path)
    protocol.atomic_write_json(f"{path}.base", {"received": held})


def _base(path: str) -> int:
    try:
        value = protocol.read_json(f"{path}.base").get("received")
    except (OSError, ValueError, AttributeError):
        return 0
    return value if type(value) is int and value >= 0 else 0


def _size(path: str) -> int:
    try:
        return os.lstat(path).st_size
    except OSError:
        return 0


def _lock(path: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(path, threading.Lock())
