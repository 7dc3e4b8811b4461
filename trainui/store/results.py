"""Results: one row per result directory, with what the table shows (args, last values, status)."""
from __future__ import annotations

import math
import time

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import protocol
from .changes import RESULT
from .database import database_of
from .errors import Invalid, NotFound
from .models import Asset, Project, Result, Snapshot
from .values import fs_path


def result_dict(r) -> dict:
    """A result as the API lists it; ``r`` is a Result or a row of LISTED_COLUMNS."""
    started, end = r.started_at, r.ended_at if r.status != "running" else None
    if isinstance(r, Result):
        job = r.job or {}
        message, iteration = job.get("message"), job.get("iteration")
        notes_start = (r.notes or "")[:NOTES_EXCERPT]
    else:
        message, iteration, notes_start = r.end_message, r.end_iteration, r.notes_start or ""
    return {"id": r.id, "project_id": r.project_id, "name": r.name, "path": r.path, "status": r.status,
            "args": r.args, "last_values": r.last_values, "keys": r.keys, "entry_count": r.entry_count,
            "started_at": started, "ended_at": end, "updated_at": r.updated_at, "elapsed_time": elapsed_time(r),
            "end": end_of(r.status, message, last_iteration(iteration, r.last_values), end, r.missing),
            "unregistered": r.unregistered, "missing": r.missing, "ingest_error": r.ingest_error,
            "log_generation": r.log_generation, "created_at": r.created_at, "source": r.source,
            "tensorboard": reads_event_files(r.events_cursor), "tags": list(r.tags or []),
            "notes_excerpt": notes_excerpt(notes_start)}


NOTES_EXCERPT = 200  # characters of the notes a list reads: the table's tooltip (the whole notes: GET one result)


def notes_excerpt(start: str) -> str:
    """The notes' first non-blank line, cut: what a table cell can show of them."""
    line = next((line.strip() for line in start.splitlines() if line.strip()), "")
    return line[:120]


def elapsed_time(r) -> float | None:
    """How long the run has trained: the log's ``elapsed_time`` (it goes on across resumes) or the
    job's wall time from start to end (to its last heartbeat while it runs), whichever is longer, so
    a run that crashed long after its last log entry, or never logged the key, still shows it right."""
    logged = r.last_values.get("elapsed_time") if isinstance(r.last_values, dict) else None
    logged = logged if isinstance(logged, (int, float)) and not isinstance(logged, bool) else None
    last = r.ended_at if r.status != "running" else r.heartbeat_at
    wall = last - r.started_at if r.started_at and last and last >= r.started_at else None
    known = [t for t in (logged, wall) if t is not None]
    return max(known) if known else None


def last_iteration(reported: int | None, last_values) -> int | None:
    """The job's own iteration (its status), else the log's last: a killed job's status may be old."""
    logged = last_values.get("iteration") if isinstance(last_values, dict) else None  # stored as a float
    candidates = [int(i) for i in (reported, logged)
                  if isinstance(i, (int, float)) and not isinstance(i, bool) and math.isfinite(i)]
    return max(candidates) if candidates else None


def end_of(status: str | None, message: str | None, iteration: int | None, ended_at: float | None,
           missing: bool) -> dict | None:
    """Why a run ended: ``reason`` is finished, command (a stop command), signal (SIGTERM),
    interrupted (Ctrl-C), exception (``message`` names it), heartbeat (the job went silent: killed,
    out of memory, its machine lost), missing (its directory went away) or stopped; None while it
    runs or for a result without a job status."""
    if status in (None, "running"):
        return None
    if status == "finished":
        reason = "finished"
    elif status == "crashed":
        reason = "exception" if message else "missing" if missing else "heartbeat"
    elif (message or "").startswith("stopped by command"):
        reason = "command"
    elif (message or "").startswith("terminated by SIG"):
        reason = "signal"
    elif (message or "").startswith("interrupted"):
        reason = "interrupted"
    else:
        reason = "stopped"
    return {"reason": reason, "message": message, "iteration": iteration, "at": ended_at}


def reads_event_files(events_cursor: dict | None) -> bool:
    """Whether a result is (also) read from TensorBoard event files."""
    return bool((events_cursor or {}).get("files"))


LISTED_COLUMNS = (Result.id, Result.project_id, Result.name, Result.path, Result.status, Result.args,
                  Result.last_values, Result.keys, Result.entry_count, Result.started_at, Result.ended_at,
                  Result.updated_at, Result.unregistered, Result.missing, Result.ingest_error, Result.log_generation,
                  Result.created_at, Result.source, Result.events_cursor, Result.heartbeat_at, Result.tags,
                  func.substr(Result.notes, 1, NOTES_EXCERPT).label("notes_start"),
                  Result.job["message"].label("end_message"),  # as JSON, uncast: a stored value never breaks the list
                  Result.job["iteration"].label("end_iteration"))


def list_results(session: Session, project_id: int, include_unregistered: bool = False) -> list[dict]:
    """Plain rows, not ORM objects: a project can hold thousands of results."""
    if session.get(Project, project_id) is None:
        raise NotFound(f"project {project_id} does not exist")
    query = select(*LISTED_COLUMNS).where(Result.project_id == project_id)
    if not include_unregistered:
        query = query.where(Result.unregistered.is_(False))
    return [result_dict(r) for r in session.execute(query.order_by(Result.id))]


def get_result(session: Session, result_id: int, detail: bool = False) -> dict:
    r = get_result_row(session, result_id)
    out = result_dict(r)
    if detail:
        job = r.job or {}
        if out["end"] is not None:
            out["end"]["traceback"] = job.get("traceback")
        out.update({"notes": r.notes or "", "hyperparams": job.get("hyperparams") or [], "commands_available": job.get("commands") or [],
                    "world_size": job.get("world_size"), "iteration": job.get("iteration"),
                    "epoch": job.get("epoch"), "heartbeat_at": r.heartbeat_at, "message": job.get("message"),
                    "host": job.get("host") or None,
                    "job_directory": job.get("directory") or None if r.source == "http" else None})
        snaps = session.scalars(select(Snapshot).where(Snapshot.result_id == result_id)
                                .order_by(Snapshot.iteration)).all()
        out["snapshots"] = [{"id": s.id, "name": s.name, "iteration": s.iteration, "size": s.size,
                             "created_at": s.created_at, **snapshot_location(r, s.name)} for s in snaps]
        out["asset_tags"] = sorted(session.scalars(
            select(Asset.tag).where(Asset.result_id == result_id).distinct()).all())
    return out


def snapshot_location(r: Result, name: str) -> dict:
    """Where a snapshot's file is: "server" (downloadable from /snapshots/<id>/file) or, for a run
    shipped over HTTP (whose snapshots are not uploaded), "job" with the host and the path there."""
    if r.source != "http":
        return {"location": "server"}
    job = r.job or {}
    directory = job.get("directory") if isinstance(job.get("directory"), str) else ""
    separator = "\\" if "\\" in directory and "/" not in directory else "/"  # a Windows job's own path
    return {"location": "job", "host": job.get("host") or None,
            "job_path": f"{directory.rstrip(separator)}{separator}{name}" if directory else None}


EDITABLE = ("name", "unregistered", "tags", "notes")


def update_result(session: Session, result_id: int, changes: dict) -> dict:
    r = get_result_row(session, result_id)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise Invalid(f"cannot change {', '.join(sorted(unknown))}; only {', '.join(map(repr, EDITABLE))}")
    if "tags" in changes:
        _set_tags(r, changes["tags"])
    if "notes" in changes:
        _set_notes(r, "" if changes["notes"] is None else changes["notes"])
    if "name" in changes:
        name = changes["name"]
        if not isinstance(name, str) or not name.strip() or len(name) > 255:
            raise Invalid("'name' must be 1 to 255 characters")
        r.name = name.strip()
    if "unregistered" in changes:
        if not isinstance(changes["unregistered"], bool):
            raise Invalid("'unregistered' must be true or false")
        r.unregistered = changes["unregistered"]
    r.updated_at = time.time()
    session.flush()
    database_of(session).changes.publish(session, RESULT, r.id, r.project_id)
    return result_dict(r)


def change_tags(session: Session, result_id: int, add: list | None = None, remove: list | None = None) -> dict:
    """Add and remove tags in one transaction (two people tagging at once both keep theirs);
    adding a tag the run has, or removing one it lacks, changes nothing and is no error."""
    r = get_result_row(session, result_id, for_update=True)
    add, remove = _tags_or_invalid(add or []), set(_tags_or_invalid(remove or []))
    _set_tags(r, [t for t in (r.tags or []) if t not in remove] + [t for t in add if t not in remove])
    r.updated_at = time.time()
    session.flush()
    database_of(session).changes.publish(session, RESULT, r.id, r.project_id)
    return result_dict(r)


def _set_tags(r: Result, tags) -> None:
    """A user's edit: it wins over the job's labels file from now on."""
    r.tags, r.tags_edited_at = _tags_or_invalid(tags), time.time()


def _set_notes(r: Result, notes) -> None:
    try:
        r.notes = protocol.check_notes(notes)
    except ValueError as error:
        raise Invalid(str(error)) from None
    r.notes_edited_at = time.time()


def _tags_or_invalid(tags) -> list[str]:
    try:
        return protocol.check_tags(tags)
    except ValueError as error:
        raise Invalid(str(error)) from None


def seed_labels(r: Result, labels: dict) -> bool:
    """Take what a job's labels file (or upload) says, for each label no user has edited: the job
    seeds them, a user's edit wins afterwards. ``labels`` holds checked "tags" and/or "notes".
    Returns whether anything changed."""
    changed = False
    if "tags" in labels and r.tags_edited_at is None and list(r.tags or []) != labels["tags"]:
        r.tags, changed = list(labels["tags"]), True
    if "notes" in labels and r.notes_edited_at is None and (r.notes or "") != labels["notes"]:
        r.notes, changed = labels["notes"], True
    return changed


def get_result_row(session: Session, result_id: int, for_update: bool = False) -> Result:
    if for_update:
        r = session.scalars(select(Result).where(Result.id == result_id).with_for_update()).first()
    else:
        r = session.get(Result, result_id)
    if r is None:
        raise NotFound(f"result {result_id} does not exist")
    return r


def result_locations(session: Session, project_id: int | None = None) -> list[tuple[int, int, str]]:
    """(result id, project id, path) of every result read from a directory, for the ingestion's polling."""
    query = select(Result.id, Result.project_id, Result.path).where(Result.source == "file")
    if project_id is not None:
        query = query.where(Result.project_id == project_id)
    return [(rid, pid, fs_path(path)) for rid, pid, path in session.execute(query)]


def running_results(session: Session) -> list[int]:
    """Results read from a directory whose job runs: the poller re-checks them every time (a
    heartbeat may have stopped)."""
    return list(session.scalars(select(Result.id).where(Result.status == "running", Result.source == "file")))
