"""The file source: one result directory read from where the store stands into one ``ResultBatch``.

Only file reading and parsing happen here, outside any transaction; the store applies the batch.
The log is read a bounded number of bytes per turn, so one huge log never holds up the others.
"""
from __future__ import annotations

import json
import os
import socket
import time
from dataclasses import dataclass

from .. import protocol
from ..store import AssetsPart, LogCursor, LogPart, Position, ResultBatch
from ..protocol.logreader import read_chunk
from . import tfevents
from ..protocol.safe_io import folder_problem, read_capped
from .parsers import read_args, read_asset_records, read_chainerui_commands, read_labels, read_status

TORN_TAIL_GRACE = 2.0  # seconds a log may end in a half-written entry before it counts as damaged
HOSTNAME = socket.gethostname()


@dataclass
class Read:
    batch: ResultBatch
    recheck_in: float | None = None  # read again after this many seconds even if nothing changes


def read_result(project_id: int, result_dir: str, position: Position, max_bytes: int,
                root: str | None = None) -> Read:
    """``root``: the project's directory; files that link outside it are not read."""
    log_path = os.path.join(result_dir, protocol.LOG)
    has_log, event_files = os.path.isfile(log_path), tfevents.event_file_names(result_dir)
    if not has_log and not event_files:
        return Read(ResultBatch(project_id, result_dir, missing=True))
    batch = ResultBatch(project_id, result_dir, read_from=position.result_id)
    problems = batch.problems
    batch.args, found = read_args(os.path.join(result_dir, protocol.ARGS), root)
    problems.extend(found)
    recheck_in = None
    try:
        if has_log:
            batch.log, recheck_in = _read_log(log_path, position, max_bytes, problems, root)
    except FileNotFoundError:  # deleted between the check above and the read: gone, not an error
        return Read(ResultBatch(project_id, result_dir, missing=True))
    if event_files:
        batch.events, events_recheck = tfevents.read_events(result_dir, event_files, position.events, max_bytes, root)
        recheck_in = min(filter(None, (recheck_in, events_recheck)), default=None)
    batch.labels, found = read_labels(result_dir, root)
    problems.extend(found)
    batch.status, found = read_status(result_dir, root)
    problems.extend(found)
    batch.process_gone = batch.status is not None and process_gone(batch.status)
    # commands and their answers are the delivery loop's (delivery.py); an inbox it could not write
    # through is said here, where a result's problems are shown
    problem = folder_problem(result_dir, protocol.COMMANDS_INBOX)
    _note(problems, problem and f"commands cannot be delivered: {problem} (trainui writes through no link)")
    batch.snapshots = protocol.list_snapshots(result_dir)
    batch.imported_commands = read_chainerui_commands(result_dir, root)
    records, start, end, problem = read_asset_records(result_dir, position.assets_offset, root)
    _note(problems, problem)
    batch.assets = AssetsPart(start, end, records)
    return Read(batch, recheck_in)


MAX_REWINDS_BYTES = 1 << 20


def last_rewind(result_dir: str, root: str | None) -> int | None:
    """The iteration the job's last restore rewound it to (``protocol.REWINDS_LOG``), if any."""
    try:
        data = read_capped(os.path.join(result_dir, protocol.REWINDS_LOG), MAX_REWINDS_BYTES, root)
        last = json.loads(data.strip().splitlines()[-1])
        to = last.get("to_iteration") if isinstance(last, dict) else None
        return to if isinstance(to, int) and not isinstance(to, bool) else None
    except (OSError, ValueError, IndexError):  # none, damaged or too large: judged as a new log
        return None


def _read_log(log_path: str, position: Position, max_bytes: int, problems: list,
              root: str | None) -> tuple[LogPart | None, float | None]:
    try:
        chunk = read_chunk(log_path, position.log.offset, position.log.fingerprint, max_bytes, root)
        mtime = os.path.getmtime(log_path)
    except FileNotFoundError:
        raise
    except OSError as error:
        problems.append(f"cannot read log: {error.strerror or error}")
        return None, None
    part = LogPart(entries=chunk.entries, first_entry=position.entry_count, start=position.log,
                   end=LogCursor(chunk.end_offset, chunk.fingerprint), reset=chunk.reset, at_end=chunk.at_eof,
                   rewound_to=last_rewind(os.path.dirname(log_path), root) if chunk.reset else None)
    if chunk.stopped_at is None:
        return part, None
    entries_before = (0 if chunk.reset else position.entry_count) + len(chunk.entries)
    if not chunk.at_eof:
        if chunk.end_offset > chunk.start_offset:
            return part, None  # the rest comes next turn
        part.at_end = True  # nothing parses here and more follows: damaged in the middle
    elif not chunk.closed and chunk.error != "log is not a JSON array":
        age = time.time() - mtime
        if age < TORN_TAIL_GRACE:
            return part, TORN_TAIL_GRACE - age + 0.05  # most likely a writer in the middle of a flush
        part.error = (f"log ends in an incomplete entry at byte {chunk.stopped_at} "
                      f"({entries_before} entries read before it)")
        return part, None
    part.error = (f"log cannot be read past byte {chunk.stopped_at}: {chunk.error or 'unexpected content'} "
                  f"({entries_before} entries read before it; nothing after that byte is shown)")
    return part, None


def process_gone(status: protocol.JobStatus) -> bool:
    """Whether a running job's process is seen to be gone (it ran on this host): crash at once."""
    if status.status != protocol.RUNNING or status.host != HOSTNAME or status.pid <= 0:
        return False
    try:
        os.kill(status.pid, 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OverflowError):
        return False
    return False


def _note(problems: list, problem: str | None) -> None:
    if problem:
        problems.append(problem)
