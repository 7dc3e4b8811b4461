"""Runs shipped over HTTP by a remote job's uploader. They go through the same ingest API as the
file reader (``apply_batch``): the batch's log part is entry-indexed, so a retried or repeated
batch stores each entry once and a batch that would leave a gap is refused."""
from __future__ import annotations

import os
import re
import time

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import protocol
from . import commands as command_store
from .batch import LogPart, ResultBatch
from .changes import PROJECT, RESULT
from .database import Database, database_of
from .errors import Conflict, Invalid, NotFound
from .ingest import apply_batch, heartbeat_expired
from .models import Command, Project, Result, now
from .projects import get_project
from .results import get_result, get_result_row

RUN_UID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


REMOTE = "remote:"  # the path of what exists only in the database (a remote run, a project of them)


def open_run(session: Session, project: str, run_uid: str, name: str | None = None, host: str = "",
             path: str = "", create_project: bool = True) -> tuple[dict, bool]:
    """The run ``run_uid`` of ``project`` (created, with the project if need be). Returns the result
    and whether it was created."""
    if not isinstance(project, str) or not project.strip() or len(project) > 255:
        raise Invalid("'project' must be a project name (1 to 255 characters)")
    if not isinstance(run_uid, str) or not RUN_UID.match(run_uid):
        raise Invalid("'run_uid' must be 8 to 64 letters, digits, '-' or '_'")
    project_row = session.scalars(select(Project).where(Project.name == project.strip())).first()
    if project_row is None:
        if not create_project:
            raise NotFound(f"no project named {project!r}")
        project_row = _remote_project_row(session, project.strip())
    existing = session.scalars(select(Result).where(Result.project_id == project_row.id,
                                                    Result.run_uid == run_uid)).first()
    if existing is not None:
        return get_result(session, existing.id), False
    shown = (name if isinstance(name, str) and name.strip() else os.path.basename(str(path or "")) or run_uid)
    shown = f"{str(host)[:80]}:{shown}" if host and not (isinstance(name, str) and name.strip()) else shown
    # where the job keeps its files (its snapshots stay there): said on the result page
    job = {k: v[:4096] for k, v in (("directory", path), ("host", host)) if isinstance(v, str) and v}
    result = Result(project_id=project_row.id, path=f"{REMOTE}{run_uid}", name=shown.replace("\x00", "")[:255], source="http",
                    run_uid=run_uid, args={}, last_values={}, keys=[], job=job, created_at=now(), updated_at=now())
    try:
        with session.begin_nested():
            session.add(result)
    except IntegrityError:  # the same run opened twice at once
        existing = session.scalars(select(Result).where(Result.project_id == project_row.id,
                                                        Result.run_uid == run_uid)).first()
        return get_result(session, existing.id), False
    database_of(session).changes.publish(session, RESULT, result.id, project_row.id)
    return get_result(session, result.id), True


def create_remote_project(session: Session, name: str) -> dict:
    """A project whose runs all ship over HTTP (no directory); the one of that name if it exists."""
    if not isinstance(name, str) or not name.strip() or len(name) > 255:
        raise Invalid("'name' must be 1 to 255 characters")
    return get_project(session, _remote_project_row(session, name.strip()).id)


def _remote_project_row(session: Session, name: str) -> Project:
    """A project of remote runs only: no directory (ingestion looks only at absolute paths).
    Returns the project of that name if there is one already."""
    project = Project(name=name, path=f"{REMOTE}{name}")
    try:
        with session.begin_nested():
            session.add(project)
    except IntegrityError:
        found = session.scalars(select(Project).where(Project.name == name)).first()
        if found is None:
            raise Conflict(f"project {name!r} could not be created; try again") from None
        return found
    database_of(session).changes.publish(session, PROJECT, project_id=project.id)
    return project


def upload_batch(db: Database, result_id: int, batch_fields: dict) -> dict:
    """Apply one uploaded batch to an HTTP run. ``batch_fields`` are already type-checked:
    log (first_entry, entries), args, labels, status (JobStatus), snapshots, answers."""
    with db.session() as s:
        result = get_result_row(s, result_id)
        project_id, path = result.project_id, result.path
    log = batch_fields.get("log")
    status = batch_fields.get("status")
    if status is not None and status.status == protocol.RUNNING:
        status.heartbeat_at = time.time()  # heard now, by this clock: a job's clock may be off
    batch = ResultBatch(
        project_id, path, source="http",
        log=LogPart(entries=log["entries"], first_entry=log["first_entry"]) if log else None,
        args=batch_fields.get("args"), labels=batch_fields.get("labels"), status=status,
        snapshots=batch_fields.get("snapshots"), answers=batch_fields.get("answers") or [],
        problems=list(batch_fields.get("problems") or []))
    applied = apply_batch(db, batch)  # the same store call as the file reader's
    if applied.result_id is None:
        raise Conflict(f"result {result_id} is read from its directory by this server; it takes no uploads")
    return {"entry_count": applied.entry_count, "gap": applied.stale, "status": applied.status,
            "pending": applied.pending}


def pending_records(session: Session, result_id: int) -> list[dict]:
    get_result_row(session, result_id)
    return [command_store.record_for(c).to_json() for c in command_store.pending_commands(session, result_id)]


def end_silent_runs(db: Database, watching_since: float = 0.0) -> int:
    """HTTP runs whose heartbeat stopped have crashed (no file to look at: the clock decides);
    their open commands are cancelled. Returns how many ended. Silence is counted from
    ``watching_since`` at the earliest (when this server started looking): a job cannot report
    to a server that was down, and must have the time to catch up before it is called crashed."""
    with db.session() as s:
        running = s.scalars(select(Result.id).where(Result.source == "http", Result.status == protocol.RUNNING)).all()
    ended = 0
    for result_id in running:
        with db.session(write=True) as s:
            r = s.scalars(select(Result).where(Result.id == result_id).with_for_update()).first()
            if r is None or r.status != protocol.RUNNING:
                continue
            if not heartbeat_expired(r.job or {}, max(r.heartbeat_at or 0.0, watching_since) or None):
                continue
            r.status, r.ended_at, r.updated_at = protocol.CRASHED, r.heartbeat_at, time.time()
            for command in s.scalars(select(Command).where(Command.result_id == r.id,
                                                           Command.status == protocol.PENDING)):
                command_store.cancel(command, "the job crashed (its heartbeat stopped); the command was never applied")
            db.changes.publish(s, RESULT, r.id, r.project_id)
            ended += 1
    return ended
