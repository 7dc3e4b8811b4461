"""The reading side of a remote run's console upload: the next piece of each rank's console file.

The job's console (trainer/console.py) is a rotating file: ``console.log`` becomes ``console.log.1``
when full. The uploader follows it by identity (the inode it was reading, checked with the file's
first bytes since a deleted file's inode is soon given to a new one, and the byte position in it,
kept in ``upload.json`` once the server acknowledged), so a rotation between two looks neither
loses the rest of the old file nor sends the new one twice: the rest of the renamed file goes
first, then the new file from its start. If the file it was reading is gone (rotated out before it
was shipped: a server down for long, a job printing fast), it starts again at the oldest file left
and says in the console itself that output was lost there.

The server counts the bytes it holds per rank (``shipped`` here, the stream offset of the next
piece); pieces are UTF-8 text with NUL replaced, cut at a whole character, so what the server
counts is what it was sent. Standard library only.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass

from trainui import protocol

PIECE_BYTES = 256 * 1024  # read per piece: at most 3x that after replacement, below the server's 1 MiB
MAX_FILES = 101  # a console and its backups (trainer/console.py allows up to 100)
MAX_RANKS = 1024
HEAD_BYTES = 64
RANK_FILE = re.compile(r"^console\.rank([1-9][0-9]{0,5})\.log$")
LOST = "[trainui: console output was lost here: it was rotated out before it could be shipped]\n"


@dataclass
class Piece:
    rank: int
    offset: int  # in the stream of what was shipped for the rank
    data: bytes  # UTF-8 text
    inode: int
    position: int  # in the file with ``inode``, after this piece
    head: str  # that file's first bytes (hex): with the inode, which file it is
    more: bool  # the file holds more right after this piece


class ConsoleOutgoing:
    """Which pieces of the consoles in ``out`` the server still needs; the positions live in the
    upload state (``state.consoles``: rank -> {"shipped", "inode", "position", "head"})."""

    def __init__(self, out: str, state):
        self.out = out
        self.state = state

    @property
    def consoles(self) -> dict:
        return self.state.consoles  # (a new server run gives the state a new, empty one)

    def pieces(self) -> list[Piece]:
        """The next piece of every rank's console that has something new (one per rank)."""
        found = []
        for rank in self.ranks():
            piece = self.next_piece(rank)
            if piece is not None:
                found.append(piece)
        return found

    def ranks(self) -> list[int]:
        ranks = []
        try:
            with os.scandir(os.path.join(self.out, protocol.META_DIR)) as entries:
                for entry in entries:
                    if entry.name == os.path.basename(protocol.CONSOLE):
                        ranks.append(0)
                    elif (m := RANK_FILE.match(entry.name)) and len(ranks) < MAX_RANKS:
                        ranks.append(int(m.group(1)))
        except OSError:
            return []
        return sorted(ranks)

    def next_piece(self, rank: int) -> Piece | None:
        where = self.consoles.get(str(rank)) or {}
        shipped, inode, position = where.get("shipped", 0), where.get("inode"), where.get("position", 0)
        files = self._files(rank)  # oldest first: (path, inode, size)
        if not files:
            return None
        head = where.get("head", "")  # the file's first bytes: a deleted file's inode is soon reused
        index = next((i for i, (path, ino, _) in enumerate(files)
                      if ino == inode and (_read(path, 0, len(head) // 2) or b"").hex() == head), None)
        prefix = b""
        if index is None or files[index][2] < position:
            if inode is not None and shipped:
                prefix = LOST.encode()
            index, position = 0, 0
        while index < len(files) - 1 and position >= files[index][2]:
            index, position = index + 1, 0  # done with a rotated file: the next one from its start
        path, ino, size = files[index]
        raw = _read(path, position, min(PIECE_BYTES, size - position))
        if raw is None:
            return None
        last = index == len(files) - 1
        whole = _whole_characters(raw) if last else raw  # a rotated file is complete as it is
        if not whole and not prefix:
            return None
        data = prefix + whole.decode("utf-8", "replace").replace("\x00", "\ufffd").encode("utf-8")
        end = position + len(whole)
        first = raw[:HEAD_BYTES] if position == 0 else _read(path, 0, min(HEAD_BYTES, end)) or b""
        return Piece(rank, shipped, data, ino, end, first[:end].hex(), more=end < size or not last)

    def acknowledge(self, piece: Piece, received: int) -> None:
        """The server holds ``received`` bytes of the rank's console after taking ``piece``."""
        self.state.consoles[str(piece.rank)] = {"shipped": received, "inode": piece.inode, "position": piece.position,
                                                "head": piece.head}

    def server_holds(self, rank: int, received: int) -> None:
        """A gap: the server holds less than was shipped (it lost some); go on from its count."""
        where = dict(self.consoles.get(str(rank)) or {})
        where["shipped"] = received
        self.state.consoles[str(rank)] = where

    def _files(self, rank: int) -> list[tuple[str, int, int]]:
        base = os.path.join(self.out, protocol.console_file(rank))
        files = []
        for n in range(MAX_FILES):  # the current file, then its backups .1, .2, ... until one is missing
            path = f"{base}.{n}" if n else base
            try:
                st = os.stat(path)
            except OSError:
                if n:
                    break
                continue
            files.append((path, st.st_ino, st.st_size))
        return files[::-1]


def _read(path: str, position: int, count: int) -> bytes | None:
    try:
        with open(path, "rb") as f:
            f.seek(position)
            return f.read(max(0, count))
    except OSError:
        return None


def _whole_characters(data: bytes) -> bytes:
    """``data`` without a UTF-8 character its writer has not finished (it comes with the next piece)."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte < 0x80 or byte >= 0xF8:
            return data
        if byte >= 0xC0:
            need = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return data if back >= need else data[:-back]
    return data
