"""Results: one row per result directory, with what the table shows (args, last values, status)."""
from __future__ import annotations

import time

from sqlalchemy import select
from sqlalchemy.orm import Session

from .changes import RESULT
from .database import database_of
from .errors import Invalid, NotFound
from .models import Asset, Project, Result, Snapshot
from .values import fs_path


def result_dict(r: Result) -> dict:
    started, end = r.started_at, r.ended_at if r.status != "running" else None
    elapsed = r.last_values.get("elapsed_time") if isinstance(r.last_values, dict) else None
    return {"id": r.id, "project_id": r.project_id, "name": r.name, "path": r.path, "status": r.status,
            "args": r.args, "last_values": r.last_values, "keys": r.keys, "entry_count": r.entry_count,
            "started_at": started, "ended_at": end, "updated_at": r.updated_at, "elapsed_time": elapsed,
            "unregistered": r.unregistered, "missing": r.missing, "ingest_error": r.ingest_error,
            "log_generation": r.log_generation, "created_at": r.created_at, "source": r.source,
            "tensorboard": reads_event_files(r.events_cursor)}


def reads_event_files(events_cursor: dict | None) -> bool:
    """Whether a result is (also) read from TensorBoard event files."""
    return bool((events_cursor or {}).get("files"))


LISTED_COLUMNS = (Result.id, Result.project_id, Result.name, Result.path, Result.status, Result.args,
                  Result.last_values, Result.keys, Result.entry_count, Result.started_at, Result.ended_at,
                  Result.updated_at, Result.unregistered, Result.missing, Result.ingest_error, Result.log_generation,
                  Result.created_at, Result.source, Result.events_cursor)


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
        out.update({"hyperparams": job.get("hyperparams") or [], "commands_available": job.get("commands") or [],
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


def update_result(session: Session, result_id: int, changes: dict) -> dict:
    r = get_result_row(session, result_id)
    unknown = set(changes) - {"name", "unregistered"}
    if unknown:
        raise Invalid(f"cannot change {', '.join(sorted(unknown))}; only 'name' and 'unregistered'")
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
