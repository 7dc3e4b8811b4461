"""A job's console (``.trainui/console.log``, written by trainer/console.py), served from disk.

The console is never ingested: a job may print megabytes a second, or binary, and none of it
may slow the ingestion of its curves. The page asks for byte ranges instead: the last lines
(``tail``), then what follows ``next_offset`` while the run runs. Each answer reads at most
``MAX_RANGE`` bytes from a file opened the hostile-safe way (protocol/safe_io.py: a regular file
inside the result directory, never blocking), so a FIFO, a link to ``/dev/zero`` or elsewhere, or a
50 GB file costs the server one bounded read or a clear 422. Bytes that are not UTF-8 are
replaced; a range never ends inside a character, so following ``next_offset`` loses none.
A run shipped over HTTP is read the same way from the copy its uploader shipped (web/remote_console.py).
"""
from __future__ import annotations

import os
import re

from flask import current_app

from ... import protocol
from ...protocol.safe_io import UnsafeFile, open_regular
from ...store import Invalid, values
from ..auth import may_touch_project
from ..errors import Forbidden
from .. import remote_console
from ..responses import json_response
from . import api
from .params import int_arg, store

DEFAULT_RANGE = 64 * 1024
MAX_RANGE = 1024 * 1024  # bytes one answer reads, whatever the file's size
MAX_TAIL_LINES = 10_000
MAX_RANKS_LISTED = 1024
RANK_FILE = re.compile(r"^console\.rank([1-9][0-9]{0,5})\.log$")


@api.get("/results/<id:result_id>/console")
def result_console(result_id: int):
    offset = int_arg("offset", None, low=0)
    limit = int_arg("limit", DEFAULT_RANGE, low=1, high=MAX_RANGE)
    tail = int_arg("tail", None, low=1, high=MAX_TAIL_LINES)
    rank = int_arg("rank", 0, low=0, high=999_999)
    result = store().results.get(result_id)
    project_id, source, directory = result["project_id"], result["source"], values.fs_path(result["path"])
    if not may_touch_project(project_id):
        raise Forbidden("a job token reads only runs of its own project")
    if source == "http":  # what its job shipped, kept by the server in the same layout
        directory = remote_console.directory(current_app.config["TRAINUI"].data_root, result)
    answer = {"rank": rank, "ranks": _ranks(directory)}
    path = os.path.join(directory, protocol.console_file(rank))
    try:
        f = open_regular(path, root=directory)
    except FileNotFoundError:
        return json_response(answer | {"exists": False, "size": 0, "offset": 0, "next_offset": 0, "text": "",
                                       "reset": False})
    except UnsafeFile as error:
        raise Invalid(f"the console file is not read: {error}") from None
    except OSError as error:
        raise Invalid(f"the console file cannot be read: {error.strerror or error}") from None
    with f:
        size = os.fstat(f.fileno()).st_size
        if tail is not None:
            return json_response(answer | _tail(f, size, tail, offset or 0))
        reset = offset is not None and offset > size  # rotated (or replaced) since: start again
        start = 0 if offset is None or reset else offset
        f.seek(start)
        data = f.read(min(limit, MAX_RANGE))
    data = _whole_characters(data)
    return json_response(answer | {"exists": True, "size": size, "offset": start, "next_offset": start + len(data),
                                   "text": data.decode("utf-8", "replace"), "reset": reset})


def _tail(f, size: int, lines: int, since: int = 0) -> dict:
    """The last ``lines`` lines, read from at most the file's last MAX_RANGE bytes, none before byte
    ``since`` (the last lines printed after a range already shown; beyond the end: the whole tail)."""
    since = since if since <= size else 0
    start = max(since, size - MAX_RANGE)
    f.seek(start)
    data = f.read(size - start)
    end = start + len(data)
    if start > since:  # a line cut by the window is not shown half
        cut = data.find(b"\n")
        data = data[cut + 1:] if cut >= 0 else data[_first_character(data):]
    body = data[:-1] if data.endswith(b"\n") else data
    keep = body.split(b"\n")[-lines:]
    text = b"\n".join(keep) + (b"\n" if data.endswith(b"\n") else b"")
    return {"exists": True, "size": size, "offset": end - len(text), "next_offset": end,
            "text": text.decode("utf-8", "replace"), "reset": False}


def _whole_characters(data: bytes) -> bytes:
    """``data`` without a UTF-8 character cut at its end: the next range starts with it (never
    nothing: a range advances by at least its first byte, whatever the bytes are)."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte < 0x80 or byte >= 0xF8:  # ASCII, or a byte no character starts with
            return data
        if byte >= 0xC0:  # the lead byte of the last character
            need = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return data if back >= need or back == len(data) else data[:-back]
    return data


def _first_character(data: bytes) -> int:
    for i, byte in enumerate(data[:4]):
        if not 0x80 <= byte < 0xC0:
            return i
    return 0


def _ranks(directory: str) -> list[int]:
    """The ranks with a console file (0 first), from a bounded look at ``.trainui``."""
    found = []
    try:
        with os.scandir(os.path.join(directory, protocol.META_DIR)) as entries:
            for n, entry in enumerate(entries):
                if n >= 10 * MAX_RANKS_LISTED:
                    break
                if entry.name == os.path.basename(protocol.CONSOLE):
                    found.append(0)
                elif (m := RANK_FILE.match(entry.name)) and len(found) < MAX_RANKS_LISTED:
                    found.append(int(m.group(1)))
    except OSError:
        return []
    return sorted(found)
