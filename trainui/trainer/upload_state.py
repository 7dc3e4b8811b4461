"""``.trainui/upload.json``: which server run a result directory ships to, and how far it got.

A job restarted into the same directory, and ``trainui sync`` after it, continue the same run:
the run's identity (``run_uid``, made once per directory) lives here, not in the process. The
positions are a hint that saves re-reading the log: the server's ``entry_count`` is the truth,
and every position saved here is at or behind what the server holds (it is written after the
server acknowledged). Only the uploader (or ``trainui sync``) writes the file, atomically.
"""
from __future__ import annotations

import os
import uuid
from dataclasses import asdict, dataclass, field

from trainui import protocol

UPLOAD_STATE = os.path.join(protocol.META_DIR, "upload.json")


@dataclass(frozen=True)
class LogPosition:
    """A place in the local ``log`` between two entries: byte offset, the reader's fingerprint of
    the bytes before it, and how many entries come before it."""

    offset: int = 0
    fingerprint: str = ""
    entries: int = 0


@dataclass
class UploadState:
    server: str
    project: str
    run_uid: str = field(default_factory=lambda: uuid.uuid4().hex)
    result_id: int | None = None
    log: LogPosition = LogPosition()
    assets_offset: int = 0
    answers: list = field(default_factory=list)  # uids of command answers the server acknowledged
    consoles: dict = field(default_factory=dict)  # rank -> where its console upload is (console_outgoing.py)

    def retarget(self, server: str, project: str) -> None:
        """Ship to another server or project: the same run identity, positions from scratch."""
        if (server, project) != (self.server, self.project):
            self.server, self.project = server, project
            self.forget_positions()

    def forget_positions(self) -> None:
        self.result_id, self.log, self.assets_offset, self.answers, self.consoles = None, LogPosition(), 0, [], {}

    def new_run(self) -> None:
        """The log was replaced by another one: it is another run on the server."""
        self.run_uid = uuid.uuid4().hex
        self.forget_positions()

    def to_json(self) -> dict:
        return asdict(self)


def load_state(out: str, server: str, project: str) -> UploadState:
    """The saved state retargeted to (server, project), or a new one (a new run identity)."""
    state = read_state(out)
    if state is None:
        return UploadState(server, project)
    state.retarget(server, project)
    return state


def read_state(out: str) -> UploadState | None:
    """What ``upload.json`` says, or None when there is none (or it is unusable)."""
    try:
        data = protocol.read_json(os.path.join(out, UPLOAD_STATE))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not _is_uid(data.get("run_uid")):
        return None
    log = data.get("log") if isinstance(data.get("log"), dict) else {}
    try:
        position = LogPosition(_count(log.get("offset")), str(log.get("fingerprint") or ""),
                               _count(log.get("entries")))
    except ValueError:
        position = LogPosition()
    answers = data.get("answers")
    result_id = data.get("result_id")
    return UploadState(
        server=str(data.get("server") or ""), project=str(data.get("project") or ""), run_uid=data["run_uid"],
        result_id=result_id if type(result_id) is int and result_id > 0 else None, log=position,
        assets_offset=_count(data.get("assets_offset"), 0),
        answers=[a for a in answers if isinstance(a, str)] if isinstance(answers, list) else [],
        consoles=_consoles(data.get("consoles")))


def save_state(out: str, state: UploadState) -> None:
    protocol.atomic_write_json(os.path.join(out, UPLOAD_STATE), state.to_json())


def _is_uid(value) -> bool:
    return isinstance(value, str) and len(value) == 32 and all(c in "0123456789abcdef" for c in value)


def _count(value, default=None) -> int:
    if type(value) is int and value >= 0:
        return value
    if default is None:
        raise ValueError("not a count")
    return default


def _consoles(value) -> dict:
    """The saved console positions that are whole (a damaged one starts that rank's upload afresh)."""
    if not isinstance(value, dict):
        return {}
    kept = {}
    for rank, where in value.items():
        if isinstance(rank, str) and rank.isdigit() and isinstance(where, dict) and all(
                type(where.get(k)) is int and where[k] >= 0 for k in ("shipped", "inode", "position")):
            head = where.get("head")
            kept[rank] = {k: where[k] for k in ("shipped", "inode", "position")} | {
                "head": head if isinstance(head, str) and len(head) <= 128 else ""}
    return kept
