"""Bring one result directory's files into the store. Idempotent: calling it again with nothing
new changes nothing, and every step records how far it got in the same transaction as the data."""
from __future__ import annotations

import logging
import os
import socket
import time

from sqlalchemy import select

from .. import protocol
from ..store import commands as command_store
from ..store import files as file_store
from ..store import metrics
from ..store.database import Database
from ..store.models import Result
from ..store.results import find_or_create_result
from .logreader import read_chunk
from .parsers import (json_safe, list_snapshots, numeric, read_args, read_asset_records, read_chainerui_commands,
                      read_response, read_status, shown_value)

log = logging.getLogger("trainui.ingest")

TORN_TAIL_GRACE = 2.0  # seconds a log may end in a half-written entry before it counts as broken
HOSTNAME = socket.gethostname()


class Warnings:
    """Log each distinct problem of a result once, not at every poll."""

    def __init__(self):
        self._seen: set[tuple[str, str]] = set()

    def warn(self, where: str, message: str) -> None:
        if (where, message) not in self._seen:
            self._seen.add((where, message))
            log.warning("%s: %s", where, message)


def sync_result(db: Database, project_id: int, project_path: str, result_dir: str,
                warnings: Warnings | None = None, chunk_bytes: int | None = None) -> int | None:
    """Ingest what is new in ``result_dir``; returns the result id (None if it has no log and is unknown)."""
    warnings = warnings or Warnings()
    log_path = os.path.join(result_dir, protocol.LOG)
    exists = os.path.isfile(log_path)
    with db.session(write=True) as session:
        if not exists:
            result = session.scalars(select(Result).where(Result.project_id == project_id,
                                                          Result.path == result_dir)).first()
            if result is None:
                return None
            if not result.missing:
                result.missing = True
                warnings.warn(result_dir, "result directory or its log is gone; keeping what was ingested")
            _end_if_dead(session, result, result_dir)
            return result.id
        result = find_or_create_result(session, project_id, result_dir, project_path)
        result.missing = False
        _sync_args(result, result_dir, warnings)
        problems = _sync_log(db, session, result, log_path, warnings, chunk_bytes)
        _sync_status(result, result_dir, warnings)
        _sync_commands(session, result, result_dir)  # answers first: a job may answer, then end
        _end_if_dead(session, result, result_dir)
        _sync_files(session, result, result_dir)
        result.ingest_error = "; ".join(problems) or None
        return result.id


def _sync_args(result: Result, result_dir: str, warnings: Warnings) -> None:
    args, problem = read_args(os.path.join(result_dir, protocol.ARGS))
    if problem:
        warnings.warn(result_dir, problem)
    if args != result.args:
        result.args = args


def _sync_log(db: Database, session, result: Result, log_path: str, warnings: Warnings,
              chunk_bytes: int | None) -> list:
    """Read the log chunk by chunk, each chunk committed with its new offset (bounded memory).

    The result row is re-read under a lock before each chunk, so two processes ingesting the same
    result (a server and `trainui project create`) never store an entry twice.
    """
    while True:
        session.flush()
        session.refresh(result, with_for_update=True)
        try:
            chunk = read_chunk(log_path, result.log_offset, result.log_fingerprint,
                               **({"max_bytes": chunk_bytes} if chunk_bytes else {}))
            mtime = os.path.getmtime(log_path)
        except OSError as error:
            message = f"cannot read log: {error.strerror or error}"
            warnings.warn(os.path.dirname(log_path), message)
            return [message]
        if chunk.reset:
            warnings.warn(os.path.dirname(log_path), "log was replaced; reading it again from the start")
            metrics.delete_points(session, result.id)
            result.entry_count, result.last_values, result.keys = 0, {}, []
            result.log_generation = (result.log_generation or 0) + 1
        if chunk.entries:
            _store_entries(session, result, chunk.entries)
            result.updated_at = time.time()
        result.log_offset, result.log_fingerprint = chunk.end_offset, chunk.fingerprint
        if not chunk.at_eof and chunk.end_offset > chunk.start_offset:
            db.commit_and_continue(session)
            continue
        if chunk.stopped_at is None:
            return []
        if chunk.at_eof and time.time() - mtime < TORN_TAIL_GRACE and chunk.error != "log is not a JSON array":
            return []  # most likely a writer in the middle of a flush
        message = f"log: {chunk.error or 'incomplete entry at the end'} (read {result.entry_count} entries)"
        warnings.warn(os.path.dirname(log_path), message)
        return [message]


def _store_entries(session, result: Result, entries: list) -> None:
    columns: dict[str, tuple[list[int], list[float]]] = {}
    last = dict(result.last_values or {})
    index = result.entry_count
    for entry in entries:
        if type(entry) is dict:
            for key, value in entry.items():
                number = numeric(value)
                if number is None:
                    continue
                column = columns.get(key)
                if column is None:
                    column = columns[key] = ([], [])
                column[0].append(index)
                column[1].append(number)
        index += 1
    for key, (_, values) in columns.items():
        last[key] = shown_value(values[-1])  # a diverged run says so instead of showing null
    metrics.append_points(session, result.id, columns)
    result.entry_count = index
    result.last_values = last
    new_keys = set(columns) - set(result.keys or [])
    if new_keys:
        result.keys = sorted(set(result.keys or []) | new_keys)


def _sync_status(result: Result, result_dir: str, warnings: Warnings) -> None:
    status, problem = read_status(result_dir)
    if problem:
        warnings.warn(result_dir, problem)
    if status is not None:
        job = json_safe({k: v for k, v in status.to_json().items()
                         if k in ("world_size", "iteration", "epoch", "message", "commands",
                                  "hyperparams", "heartbeat_interval", "pid", "host")})
        if job != result.job:
            result.job = job
        result.heartbeat_at = status.heartbeat_at or None
        result.started_at = status.started_at or result.started_at
        result.ended_at = status.ended_at
        result.status = status.status
    # No status file: a Chainer job; trainui cannot tell whether it runs, and shows no status.


def _end_if_dead(session, result: Result, result_dir: str) -> None:
    """A running job whose heartbeat stopped (or whose process is gone) has crashed."""
    if result.status == protocol.RUNNING and job_is_dead(result.job or {}, result.heartbeat_at, result.missing):
        result.status = protocol.CRASHED
        result.ended_at = result.heartbeat_at
    if result.status != protocol.RUNNING:
        for command in command_store.pending_commands(session, result.id):
            command_store.cancel(command, f"the job is {result.status or 'gone'}; the command was never applied")
            _remove(protocol.command_inbox_path(result_dir, command.uid))


def job_is_dead(job: dict, heartbeat_at: float | None, missing: bool = False) -> bool:
    if missing:
        return True
    interval = float(job.get("heartbeat_interval") or protocol.DEFAULT_HEARTBEAT_INTERVAL)
    if heartbeat_at is not None and time.time() - heartbeat_at > protocol.HEARTBEAT_TIMEOUT_FACTOR * interval:
        return True
    pid = job.get("pid")
    if job.get("host") == HOSTNAME and isinstance(pid, int) and pid > 0:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
    return False


def _sync_commands(session, result: Result, result_dir: str) -> None:
    for command in command_store.pending_commands(session, result.id):
        response = read_response(result_dir, command.uid)
        if isinstance(response, protocol.CommandResponse):
            command_store.apply_response(command, response)
            _remove(protocol.command_inbox_path(result_dir, command.uid))
        elif response is None and result.status == protocol.RUNNING:
            inbox = protocol.command_inbox_path(result_dir, command.uid)
            if not os.path.exists(inbox):  # stored but never delivered (server stopped in between)
                protocol.deliver_command(result_dir, command_store.record_for(command))


def _sync_files(session, result: Result, result_dir: str) -> None:
    file_store.replace_snapshots(session, result.id, list_snapshots(result_dir))
    command_store.import_history(session, result.id, read_chainerui_commands(result_dir))
    records, offset = read_asset_records(result_dir, result.assets_offset)
    if offset < result.assets_offset:
        file_store.clear_assets(session, result.id)
    if records:
        file_store.add_assets(session, result.id, records)
    result.assets_offset = offset


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass
