"""Deleting a result: its rows (series blocks, commands, snapshots, assets: the foreign keys
cascade) in one transaction and, only when asked, its directory on disk.

Hostile by default. A running result is refused unless forced (its job would write on). A result
whose directory is still there is refused unless its files go too: ingestion would find the
directory on its next scan and register it again, so a delete that kept the files would silently
come undone (unregister hides a run and keeps everything). Files are deleted only from a directory
strictly inside its project's directory, symbolic links resolved, holding no other result or project.

The directory is first moved aside, into the project's ``.trainui/deleting/`` (discovery never
looks inside a ``.trainui`` folder), before the rows go; it is moved back if the transaction
fails, and removed from disk after the commit. An ingestion turn that read the result before the
delete cannot bring it back: its batch says which result it read (``ResultBatch.read_from``) and
the store files no new result for a batch read from one that is gone.
"""
from __future__ import annotations

import os
import secrets
import shutil
from dataclasses import dataclass

from sqlalchemy import select

from .. import protocol
from .changes import RESULT
from .database import Database, after_commit
from .errors import Conflict, NotFound
from .models import Project, Result
from .projects import contains
from .results import get_result_row
from .values import fs_path

TRASH = os.path.join(protocol.META_DIR, "deleting")  # under the project's directory


@dataclass(frozen=True)
class _Target:
    """What a delete looked at before it moved anything."""

    result_id: int
    project_id: int
    name: str
    path: str  # the directory as stored (fs form)
    real: str | None  # its real path, when its files are to go (None: they stay)
    root: str | None  # the project's real directory (None: a project of remote runs)


def delete_result(db: Database, result_id: int, files: bool = False, force: bool = False) -> dict:
    target = _check(db, result_id, files, force)
    moved = _move_aside(target) if target.real else None
    try:
        with db.session(write=True) as session:
            r = get_result_row(session, result_id, for_update=True)
            if r.status == protocol.RUNNING and not force:
                raise Conflict(_running_message(r.name))
            session.delete(r)
            session.flush()
            db.changes.publish(session, RESULT, result_id, target.project_id)
            after_commit(session, lambda: db.series_cache.invalidate([result_id]))
    except BaseException:
        if moved:
            _move_back(moved, target)
        raise
    left = _remove(moved, target) if moved else None
    return {"id": result_id, "name": target.name, "path": target.path, "files_deleted": bool(moved) and left is None,
            **({"files_left": left} if left else {})}


def _check(db: Database, result_id: int, files: bool, force: bool) -> _Target:
    with db.session() as session:
        r = get_result_row(session, result_id)
        if r.status == protocol.RUNNING and not force:
            raise Conflict(_running_message(r.name))
        project_path = session.scalar(select(Project.path).where(Project.id == r.project_id))
        path = fs_path(r.path)
        if r.source != "file":
            if files:
                raise Conflict(f"result {result_id} was shipped over HTTP: its files are on the job's machine, "
                               "not on this server; delete it without files=true")
            return _Target(result_id, r.project_id, r.name, path, None, None)
        if not files:
            if _would_be_found(path):
                raise Conflict(f"the files of result {result_id} are still in {path}: the next scan would register "
                               "them again. Delete them too (files=true), or unregister the result to hide it")
            return _Target(result_id, r.project_id, r.name, path, None, None)
        root = os.path.realpath(fs_path(project_path))
        real = os.path.realpath(path)
        if not os.path.isdir(real):
            raise Conflict(f"the directory of result {result_id} ({path}) is gone already: delete it without "
                           "files=true")
        if real == root or not contains(root, real):
            raise Conflict(f"refused: {path} is {'the project directory itself' if real == root else 'not inside'} "
                           f"its project's directory {root} (symbolic links resolved); trainui deletes only a "
                           "result's own directory inside its project")
        others = [p for (p,) in session.execute(select(Result.path).where(Result.id != result_id,
                                                                          Result.source == "file"))]
        projects = [p for (p,) in session.execute(select(Project.path).where(Project.id != r.project_id))]
        inside = [p for p in others + projects
                  if os.path.isabs(fs_path(p)) and contains(real, os.path.realpath(fs_path(p)))]
        if inside:
            raise Conflict(f"refused: {path} holds other results or projects ({', '.join(sorted(inside)[:3])}); "
                           "delete those first")
        return _Target(result_id, r.project_id, r.name, path, real, root)


def _would_be_found(path: str) -> bool:
    """Whether ingestion would register the directory again (it holds a `log` or event files)."""
    try:
        return os.path.isfile(os.path.join(path, protocol.LOG)) or any("tfevents" in n for n in os.listdir(path))
    except OSError:
        return False


def _running_message(name: str) -> str:
    return (f"result {name!r} is running: stop it first (the stop command), or pass force=true "
            "(its job may write its directory again)")


def _move_aside(target: _Target) -> str:
    """Move the directory into the project's trash (same file system: an atomic rename)."""
    trash = os.path.join(target.root, TRASH)
    if not contains(target.root, os.path.realpath(trash)):  # checked before anything is made there
        raise Conflict(f"refused: {trash} leads outside the project's directory")
    try:
        os.makedirs(trash, exist_ok=True)
    except OSError as error:
        raise Conflict(f"cannot delete the files of {target.path}: {error.strerror or error}") from None
    moved = os.path.join(trash, f"{target.result_id}-{secrets.token_hex(4)}")
    try:
        os.rename(target.real, moved)
    except OSError as error:
        raise Conflict(f"cannot delete the files of {target.path}: {error.strerror or error}") from None
    return moved


def _move_back(moved: str, target: _Target) -> None:
    try:
        os.rename(moved, target.real)
    except OSError:
        pass  # the rows are kept; the result shows its directory missing


def _remove(moved: str, target: _Target) -> str | None:
    """Remove the moved directory (and a link that named it); returns what could not be removed."""
    if os.path.islink(target.path):
        try:
            os.unlink(target.path)
        except OSError:
            pass
    shutil.rmtree(moved, ignore_errors=True)
    return moved if os.path.lexists(moved) else None
