"""The store's ingest API, one path for every source of results: ``position`` says where the store
stands for a result directory, ``apply_batch`` applies what a source read from there, in one
short write transaction, at most once (compare-and-set on the log position).
"""
from __future__ import annotations

import os
import time

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import protocol
from . import commands as command_store
from . import files as file_store
from . import series
from .batch import Applied, EventsPart, LogCursor, LogPart, Position, ResultBatch
from .changes import RESULT
from .database import Database
from .errors import Conflict
from .models import Result, now
from .rules import evaluate_rules
from .results import seed_labels
from .values import fs_path, stored_path, text

JOB_FIELDS = ("world_size", "iteration", "epoch", "message", "traceback", "commands", "hyperparams",
              "heartbeat_interval", "pid", "host", "resumes")


def position(db: Database, project_id: int, path: str) -> Position:
    """Where the store stands for the result directory ``path`` (result_id None: not known yet)."""
    from .projects import project_path

    with db.session() as s:
        root = project_path(s, project_id)
        root = fs_path(root) if root is not None else None
        r = _find(s, project_id, stored_path(path))
        if r is None:
            return Position(result_id=None, project_path=root)
        return Position(result_id=r.id, log=LogCursor(r.log_offset, r.log_fingerprint), entry_count=r.entry_count,
                        assets_offset=r.assets_offset, events=r.events_cursor or {}, status=r.status,
                        ingest_error=r.ingest_error, project_path=root)


def apply_batch(db: Database, batch: ResultBatch) -> Applied:
    """Apply ``batch`` in one transaction. A log part that does not start where the store stands is
    not applied (``stale``): another reader got there first, and the source reads again."""
    with db.session(write=True) as s:
        path = stored_path(batch.path)
        r = _find(s, batch.project_id, path, lock=True)
        if r is None:
            if batch.missing or batch.source != "file" or batch.read_from is not None:
                return Applied(result_id=None)  # read_from: deleted while it was read (store.deletion)
            r = _create(s, batch.project_id, path)
            if r is None:  # its project was removed meanwhile: nothing to file it under
                return Applied(result_id=None)
        if r.source != batch.source:
            raise Conflict(f"result {r.id} is {'shipped over HTTP' if r.source == 'http' else 'read from its directory'}"
                           f"; it takes no batches from the {batch.source} source")
        out = Applied(result_id=r.id)
        problems = list(batch.problems)
        status_before = r.status
        changed = r.missing != batch.missing
        r.missing = batch.missing
        if batch.args is not None and batch.args != r.args:
            r.args, changed = batch.args, True
        if batch.labels:
            changed |= seed_labels(r, batch.labels)
        fresh: list = []  # the entries stored now, for the rules
        if batch.log is not None:
            applied = _apply_log(s, db, r, batch.log, problems, fresh)
            out.stale = applied is None
            changed |= bool(applied)
        if batch.events is not None:
            applied = _apply_events(s, r, batch.events, problems)
            out.stale |= applied is None
            changed |= bool(applied)
        if batch.status is not None:
            changed |= _apply_status(r, batch.status)
        _end_if_dead(r, batch.process_gone)
        if batch.source == "http":  # an uploaded batch carries the job's answers: recorded with it
            command_store.settle(s, r.id, r.project_id, r.status, batch.answers)
            out.pending = command_store.open_count(s, r.id)
        # a file job's answers and its commands' end are the delivery loop's (ingest.delivery)
        out.ended = status_before == protocol.RUNNING and r.status != protocol.RUNNING
        changed |= r.status != status_before
        if fresh:  # after the status: a rule's command goes only to a job known to be running
            replayed_to = batch.log.rewound_to if batch.log.reset else None
            evaluate_rules(s, r, fresh, r.entry_count - len(fresh), replayed_to)
        if batch.snapshots is not None:
            file_store.replace_snapshots(s, r.id, batch.snapshots)
        if batch.imported_commands:
            command_store.import_history(s, r.id, batch.imported_commands)
        if batch.assets is not None and batch.assets.start in (r.assets_offset, 0):
            if batch.assets.start < r.assets_offset:
                file_store.clear_assets(s, r.id)
            if batch.assets.records:
                file_store.add_assets(s, r.id, batch.assets.records)
            r.assets_offset = batch.assets.end
        if not out.stale:  # a stale pass saw an older file: its opinion of the log is not news
            problems = _still_true(r.ingest_error, batch, problems) + problems
            error = text("; ".join(dict.fromkeys(problems))) or None
            out.error_changed = error != r.ingest_error
            r.ingest_error, changed = error, changed or out.error_changed
        out.ingest_error, out.entry_count = r.ingest_error, r.entry_count
        out.finished, out.status = r.status != protocol.RUNNING, r.status
        if changed:
            r.updated_at = time.time()
            db.changes.publish(s, RESULT, r.id, r.project_id)
        return out


def _find(s: Session, project_id: int, path: str, lock: bool = False) -> Result | None:
    """The result at ``path``: in this project, else wherever it is filed (a result moves only when
    a project is registered inside its project: ``projects.create_project`` moves it there)."""
    query = select(Result).where(Result.path == path).order_by((Result.project_id != project_id), Result.id)
    if lock:
        query = query.with_for_update()
    return s.scalars(query.limit(1)).first()


def _create(s: Session, project_id: int, path: str) -> Result | None:
    """A new result is filed in the innermost project that holds its directory now, by the
    projects table in this transaction: the caller's idea of the owner may predate a project
    registered a moment ago. None when no project holds it (the one the caller read it for was
    removed meanwhile)."""
    from .projects import owner_of, project_path, project_paths

    owner = owner_of(fs_path(path), project_paths(s))
    if owner is not None:
        project_id = owner[0]
    base = project_path(s, project_id)
    if base is None:
        return None
    name = os.path.relpath(path, base)
    r = Result(project_id=project_id, path=path, name=text(name if name != "." else os.path.basename(path))[:255],
               args={}, last_values={}, keys=[], job={}, created_at=now(), updated_at=now())
    try:
        with s.begin_nested():  # another process may create it at the same moment
            s.add(r)
    except IntegrityError:
        return _find(s, project_id, path, lock=True)
    return r


# Problems found in what a source sends once (entries read, args or a status uploaded, an answer)
# start with their part's name; they stay shown until that part comes again. Problems of the files
# as they are now (unreadable, damaged at byte N) are found again on every pass.
ONCE_SEEN_PARTS = ("log", "args", "status", "answers", "labels")


def _still_true(previous: str | None, batch: ResultBatch, problems: list[str]) -> list[str]:
    if not previous:
        return []
    renewed = {"log": batch.log is not None and batch.log.reset, "args": batch.args is not None,
               "status": batch.status is not None, "answers": bool(batch.answers),
               "labels": batch.labels is not None}
    fresh = {_part(p) for p in problems}
    return [p for p in previous.split("; ") if (part := _part(p)) and not renewed[part] and part not in fresh]


def _part(problem: str) -> str | None:
    head = problem.split(": ", 1)[0]
    return head if head in ONCE_SEEN_PARTS else None


def _apply_log(s: Session, db: Database, r: Result, part: LogPart, problems: list, fresh: list) -> bool | None:
    """Store the part's entries (put in ``fresh``); None when it is stale, else whether anything changed."""
    if part.start is not None:  # a file source: its start must be exactly where the store stands
        if (r.log_offset, r.log_fingerprint, r.entry_count) != (part.start.offset, part.start.fingerprint,
                                                                part.first_entry):
            return None
        entries = part.entries
    else:  # an entry-indexed source: entries the store holds are skipped, a gap is refused
        if part.first_entry > r.entry_count and not part.reset:
            return None
        entries = part.entries if part.reset else part.entries[r.entry_count - part.first_entry:]
    changed = False
    if part.reset:
        series.delete_series(s, r.id)
        r.events_cursor = {}  # the event files beside it are read again too
        r.entry_count, r.last_values, r.keys = 0, {}, []
        r.log_generation = (r.log_generation or 0) + 1
        changed = True
    if entries:
        _store_entries(s, r, entries, problems)
        fresh.extend(entries)
        changed = True
    if part.end is not None:
        r.log_offset, r.log_fingerprint = part.end.offset, part.end.fingerprint
    if part.error:
        problems.append(part.error)
    return changed


def _apply_events(s: Session, r: Result, part: EventsPart, problems: list) -> bool | None:
    """Store what was read from the event files; None when it is stale (the cursor it read from
    is not the one stored), else whether anything changed."""
    if (r.events_cursor or {}) != part.start:
        return None
    changed = False
    if part.reset:  # an event file was replaced: what was read from the old one goes
        series.delete_series(s, r.id)
        file_store.clear_event_images(s, r.id)
        r.entry_count, r.last_values, r.keys = 0, {}, []
        r.log_offset, r.log_fingerprint = 0, ""  # a `log` beside them is read again too
        r.log_generation = (r.log_generation or 0) + 1
        changed = True
    if part.entries:
        _store_entries(s, r, part.entries, problems)
        changed = True
    if part.images:
        file_store.add_assets(s, r.id, part.images)
        changed = True
    if r.started_at is None and part.end.get("start_time"):
        r.started_at = part.end["start_time"]
    r.events_cursor = part.end
    if part.error:
        problems.append(part.error)
    return changed


def _store_entries(s: Session, r: Result, entries: list, problems: list) -> None:
    appended = series.append_entries(s, r.id, entries, r.entry_count)
    r.entry_count += appended.count
    r.last_values = {**(r.last_values or {}), **appended.last_values}
    new_keys = set(appended.last_values) - set(r.keys or [])
    if new_keys:
        r.keys = sorted(set(r.keys or []) | new_keys)
    if appended.problem:
        problems.append(appended.problem)


def _apply_status(r: Result, status: protocol.JobStatus) -> bool:
    """Returns whether something a viewer sees changed (a heartbeat alone is not news)."""
    job = protocol.finite({k: v for k, v in status.to_json().items() if k in JOB_FIELDS})
    if (r.job or {}).get("directory"):  # a remote run's folder on the job's machine, from POST /runs
        job["directory"] = r.job["directory"]
    changed = job != r.job or status.status != r.status
    if job != r.job:
        r.job = job
    r.heartbeat_at = status.heartbeat_at or None
    r.started_at = status.started_at or r.started_at
    r.ended_at = status.ended_at
    r.status = status.status
    return changed


def _end_if_dead(r: Result, process_gone: bool) -> None:
    """A running job whose heartbeat stopped (or whose process is gone, or whose directory) has crashed."""
    if r.status == protocol.RUNNING and (r.missing or process_gone or heartbeat_expired(r.job or {}, r.heartbeat_at)):
        r.status = protocol.CRASHED
        r.ended_at = r.heartbeat_at


def heartbeat_expired(job: dict, heartbeat_at: float | None) -> bool:
    interval = job.get("heartbeat_interval") or protocol.DEFAULT_HEARTBEAT_INTERVAL
    return heartbeat_at is not None and time.time() - heartbeat_at > protocol.HEARTBEAT_TIMEOUT_FACTOR * interval
