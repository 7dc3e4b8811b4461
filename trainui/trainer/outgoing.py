"""What a result directory holds that its server run does not have yet, as the next batch.

The directory is the job's durable record; this module only reads it (the log through the same
incremental reader the server's ingestion uses) and remembers what the server acknowledged. A
batch covers log entries ``first_entry .. first_entry + n - 1``; the server applies each index once,
so a batch sent twice (a timeout, a restart) is harmless, and a gap is answered with the server's
count, from which reading resumes. Nothing here talks to the network.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any, Iterator

from trainui import protocol
from trainui.protocol.logreader import read_chunk
from trainui.trainer.upload_state import LogPosition, UploadState

MAX_LOG_BYTES = 2 * 1024 * 1024  # log bytes per batch: far below the server's 8 MB body limit
MAX_ANSWER_CHARS = 2 * 1024 * 1024
MAX_ANSWERS = 200


class LogReplaced(Exception):
    """The log is not the one the shipped entries came from (a new run started in the directory)."""


@dataclass
class LogPart:
    first_entry: int
    entries: list
    end: LogPosition  # the local position once the server holds these entries
    at_eof: bool
    signature: tuple  # (size, mtime) of the log when read


@dataclass
class Batch:
    """One request body and what it covers, so that an acknowledgement can be recorded."""

    body: dict = field(default_factory=dict)
    log: LogPart | None = None
    args_signature: Any = None
    labels_signature: Any = None
    status_signature: Any = None
    snapshots: list | None = None
    answer_uids: list = field(default_factory=list)


@dataclass
class AssetToSend:
    record: protocol.AssetRecord
    data: bytes | None  # None: the file is gone (skip the line)
    end_offset: int  # the assets index offset just past this record's line


class Outgoing:
    """Rank 0's (or ``trainui sync``'s) reading side of the upload for one directory."""

    def __init__(self, out: str, state: UploadState):
        self.out = out
        self.state = state
        self.server_entries = state.log.entries  # the server's count, once it said it
        self.problem: str | None = None  # why the log cannot be read further, for a warning
        self._log_seen: tuple | None = None  # log signature when the server held all of it
        self._args_sent: Any = None
        self._labels_sent: Any = None
        self._status_sent: Any = None
        self._snapshots_sent: list | None = None
        self._answered = set(state.answers)

    # ------------------------------------------------------------------------------ positions
    def set_server_entries(self, count: int) -> None:
        """The server says it holds ``count`` entries (run created, a batch or a gap answered)."""
        self.server_entries = count
        if count < self.state.log.entries:  # fewer than we believed: find entry ``count`` again
            self.state.log = LogPosition()
            self._log_seen = None

    def resend_everything(self) -> None:
        """A new server run (or a server that lost this one): nothing counts as sent."""
        self.server_entries = 0
        self.state.log = LogPosition()
        self.state.assets_offset = 0
        self.state.answers = []
        self._answered = set()
        self._log_seen = self._args_sent = self._labels_sent = self._status_sent = self._snapshots_sent = None

    def resend_status(self) -> None:
        """Send the status with the next batch even if unchanged: after an outage the server needs
        the heartbeat at once, not at the job's next beat."""
        self._status_sent = None

    # ------------------------------------------------------------------------------ batches
    def next_batch(self, full: bool = True) -> Batch | None:
        """The next request body, or None when the server has everything read so far.

        ``full=False`` looks only at the log and the status (cheap: two ``stat`` calls when
        nothing changed); ``full`` also lists snapshots and answers and reads ``args``.
        """
        batch = Batch()
        log = self._log_part()
        if log is not None:
            batch.log = log
            batch.body["log"] = {"first_entry": log.first_entry, "entries": log.entries}
        log_done = log is None or log.at_eof
        if full:
            self._add_args(batch)
            self._add_labels(batch)
            self._add_snapshots(batch)
            self._add_answers(batch)
        # every batch carries the status: the server judges the job alive by the newest heartbeat
        # it holds, and a batch without one (the first after an outage) would find it stale
        self._add_status(batch, log_done, always=bool(batch.body))
        return batch if batch.body else None

    def acknowledge(self, batch: Batch, answer: Any) -> None:
        """The server took ``batch`` (200) and answered ``{"entry_count": N, ...}``."""
        count = answer.get("entry_count") if isinstance(answer, dict) else None
        if batch.log is not None:
            sent_to = batch.log.first_entry + len(batch.log.entries)
            if type(count) is int and count >= sent_to:
                self.state.log = batch.log.end
                if batch.log.at_eof:
                    self._log_seen = batch.log.signature
        if type(count) is int and count >= 0:
            self.set_server_entries(count)
        if batch.args_signature is not None:
            self._args_sent = batch.args_signature
        if batch.labels_signature is not None:
            self._labels_sent = batch.labels_signature
        if batch.status_signature is not None:
            self._status_sent = batch.status_signature
        if batch.snapshots is not None:
            self._snapshots_sent = batch.snapshots
        for uid in batch.answer_uids:
            self._answered.add(uid)
            self.state.answers.append(uid)
            _remove_quietly(protocol.command_inbox_path(self.out, uid))  # done with, as the server does

    def unsent_entries(self) -> int:
        """Entries of the local log the server is not known to hold (reads the log from there on)."""
        path = os.path.join(self.out, protocol.LOG)
        position = self.state.log
        try:
            while True:
                chunk = read_chunk(path, position.offset, position.fingerprint, MAX_LOG_BYTES)
                if chunk.reset:  # another log: all of it is unsent
                    return self.unsent_entries_of_new_log(path)
                position = LogPosition(chunk.end_offset, chunk.fingerprint, position.entries + len(chunk.entries))
                if chunk.at_eof or not chunk.entries:
                    break
        except OSError:
            return 0
        return max(0, position.entries - self.server_entries)

    @staticmethod
    def unsent_entries_of_new_log(path: str) -> int:
        position, count = LogPosition(), 0
        while True:
            chunk = read_chunk(path, position.offset, position.fingerprint, MAX_LOG_BYTES)
            count += len(chunk.entries)
            position = LogPosition(chunk.end_offset, chunk.fingerprint, count)
            if chunk.at_eof or not chunk.entries:
                return count

    # ------------------------------------------------------------------------------ parts
    def _log_part(self) -> LogPart | None:
        path = os.path.join(self.out, protocol.LOG)
        try:
            st = os.stat(path)
        except FileNotFoundError:
            return None
        signature = (st.st_size, st.st_mtime_ns)
        if signature == self._log_seen:
            return None
        position = self.state.log
        while True:
            chunk = read_chunk(path, position.offset, position.fingerprint, MAX_LOG_BYTES)
            if chunk.reset:
                raise LogReplaced(f"{path} was replaced by another log")
            count = len(chunk.entries)
            end = LogPosition(chunk.end_offset, chunk.fingerprint, position.entries + count)
            skip = max(0, self.server_entries - position.entries)
            if count == 0 and not chunk.at_eof:
                self.problem = f"the log cannot be read past byte {chunk.stopped_at}: {chunk.error}"
                self._log_seen = signature  # read again when the file changes
                return None
            if skip < count:
                self.problem = None
                return LogPart(position.entries + skip, chunk.entries[skip:], end, chunk.at_eof, signature)
            if count:  # all of these are on the server already (it said so): step over them
                self.state.log = position = end
            if chunk.at_eof:
                self._log_seen = signature
                return None

    def _add_args(self, batch: Batch) -> None:
        found = _new_object(os.path.join(self.out, protocol.ARGS), self._args_sent)
        if found:
            batch.body["args"], batch.args_signature = found

    def _add_labels(self, batch: Batch) -> None:
        """The run's tags and notes (.trainui/labels.json), when they are new; the server checks them."""
        found = _new_object(os.path.join(self.out, protocol.LABELS), self._labels_sent, protocol.LABELS_MAX_BYTES)
        if found:
            batch.body["labels"], batch.labels_signature = found

    def _add_status(self, batch: Batch, log_done: bool, always: bool = False) -> None:
        path = os.path.join(self.out, protocol.STATUS)
        signature = _signature(path)
        if signature is None or (signature == self._status_sent and not always):
            return
        try:
            status = protocol.read_json(path)
        except (OSError, ValueError):
            return
        try:
            protocol.JobStatus.from_json(status)  # the server refuses the whole batch otherwise
        except (ValueError, TypeError) as error:
            self.problem = f"{protocol.STATUS} is not shipped: {error}"
            self._status_sent = signature  # look again when the file changes
            return
        if status.get("status") != protocol.RUNNING and not log_done:
            return  # the final word goes with the log's last entries, not before them
        batch.body["status"], batch.status_signature = status, signature

    def _add_snapshots(self, batch: Batch) -> None:
        found = protocol.list_snapshots(self.out)
        snapshots = None if found is None else [{"name": name, "iteration": iteration, "size": size, "mtime": mtime}
                                                for name, iteration, size, mtime in found]
        if snapshots is not None and snapshots != self._snapshots_sent:
            batch.body["snapshots"], batch.snapshots = snapshots, snapshots

    def _add_answers(self, batch: Batch) -> None:
        outbox = os.path.join(self.out, protocol.COMMANDS_OUTBOX)
        try:
            names = sorted(n for n in os.listdir(outbox) if n.endswith(".json") and not n.startswith("."))
        except FileNotFoundError:
            return
        answers, size = [], 0
        for name in names:
            uid = name[:-5]
            if uid in self._answered:
                continue
            try:
                answer = protocol.read_json(os.path.join(outbox, name))
            except (OSError, ValueError):
                continue
            if isinstance(answer, dict):
                answer["uid"] = uid  # the file name is the identity the server waits on
            try:
                protocol.CommandResponse.from_json(answer)  # the server refuses the whole batch otherwise
            except (ValueError, TypeError):
                self._answered.add(uid)  # never sendable; the server cancels the command in time
                continue
            size += len(protocol.dumps(answer))
            if answers and (size > MAX_ANSWER_CHARS or len(answers) >= MAX_ANSWERS):
                break
            answers.append(answer)
            batch.answer_uids.append(uid)
        if answers:
            batch.body["answers"] = answers

    # ------------------------------------------------------------------------------ assets
    def new_assets(self) -> Iterator[AssetToSend]:
        """Complete lines of the assets index after the acknowledged offset, with their files."""
        path = os.path.join(self.out, protocol.ASSETS_INDEX)
        offset = self.state.assets_offset
        try:
            with open(path, "rb") as f:
                if os.fstat(f.fileno()).st_size < offset:
                    offset = self.state.assets_offset = 0  # replaced: its records are idempotent anyway
                f.seek(offset)
                data = f.read()
        except FileNotFoundError:
            return
        position = offset
        for line in data.splitlines(keepends=True):
            if not line.endswith(b"\n"):
                return  # a line being written: next time
            position += len(line)
            try:
                record = protocol.AssetRecord.from_json(json.loads(line))
            except (ValueError, RecursionError):
                record = None
            if record is None:
                self.state.assets_offset = position
                continue
            yield AssetToSend(record, self._asset_bytes(record.path), position)

    def acknowledge_asset(self, asset: AssetToSend) -> None:
        self.state.assets_offset = asset.end_offset

    def _asset_bytes(self, relative: str) -> bytes | None:
        root = os.path.realpath(self.out)
        path = os.path.realpath(os.path.join(root, relative))
        if not path.startswith(root + os.sep):
            return None  # a record pointing outside the result directory is not shipped
        try:
            with open(path, "rb") as f:
                return f.read()
        except OSError:
            return None


def run_description(out: str, state: UploadState, host: str) -> dict:
    """The body of ``POST /runs`` for this directory."""
    return {"project": state.project, "run_uid": state.run_uid, "name": os.path.basename(out.rstrip(os.sep)),
            "host": host, "path": out}


def _new_object(path: str, sent: Any, max_bytes: int | None = None) -> tuple[dict, tuple] | None:
    """The JSON object in ``path`` and its signature, unless it is the one sent already (or the
    file is missing, too big, or holds no object: nothing to send)."""
    signature = _signature(path)
    if signature is None or signature == sent or (max_bytes is not None and signature[0] > max_bytes):
        return None
    try:
        found = protocol.read_json(path)
    except (OSError, ValueError):
        return None
    return (found, signature) if isinstance(found, dict) else None


def _signature(path: str) -> tuple | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


def _remove_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
