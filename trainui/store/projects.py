"""Projects: registered directories of results."""
from __future__ import annotations

import logging
import os

from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .changes import PROJECT
from .database import after_commit, database_of
from .errors import Conflict, Invalid, NotAllowed, NotFound
from .models import Project, Result
from .values import fs_path, stored_path, text

log = logging.getLogger("trainui.store")


def project_dict(project: Project, result_count: int = 0, running_count: int = 0,
                 last_activity: float | None = None) -> dict:
    return {"id": project.id, "name": project.name, "path": project.path, "created_at": project.created_at,
            "result_count": result_count, "running_count": running_count, "last_activity": last_activity}


def _stats_query():
    registered = Result.unregistered.is_(False)
    return (select(Result.project_id,
                   func.count(Result.id),
                   func.sum(case((Result.status == "running", 1), else_=0)),
                   func.max(Result.updated_at))
            .where(registered).group_by(Result.project_id))


def list_projects(session: Session) -> list[dict]:
    stats = {row[0]: row[1:] for row in session.execute(_stats_query())}
    projects = session.scalars(select(Project).order_by(Project.id)).all()
    return [project_dict(p, *(stats.get(p.id) or (0, 0, None))) for p in projects]


def get_project(session: Session, project_id: int) -> dict:
    project = _get(session, project_id)
    row = session.execute(_stats_query().where(Result.project_id == project_id)).first()
    return project_dict(project, *(row[1:] if row else (0, 0, None)))


def create_project(session: Session, path: str, name: str | None = None) -> dict:
    if not isinstance(path, str) or not path.strip():
        raise Invalid("'path' must be a non-empty string")
    try:
        path = os.path.realpath(os.path.expanduser(path))
        is_dir = os.path.isdir(path)
    except (OSError, ValueError) as error:
        raise Invalid(f"'path' is not usable: {error}") from error
    if not is_dir:  # nothing there is a reference to something missing (404); a file there is a wrong value
        if not os.path.lexists(path):
            raise NotFound(f"{path} is not a directory: nothing is there")
        raise Invalid(f"{path} is not a directory")
    problem = database_of(session).project_rules.problem(path)
    if problem:
        raise NotAllowed(problem)
    path = stored_path(path)
    name = text(name or os.path.basename(path) or path).strip()
    if not name or len(name) > 255:
        raise Invalid("'name' must be 1 to 255 characters")
    if session.scalar(select(Project.id).where(Project.path == path)) is not None:
        raise Conflict(f"{path} is already registered")
    if session.scalar(select(Project.id).where(Project.name == name)) is not None:
        raise Conflict(f"a project named {name!r} exists already")
    project = Project(path=path, name=name)
    try:
        with session.begin_nested():  # another process may register it at the same moment
            session.add(project)
    except IntegrityError as error:
        raise Conflict(f"project {name!r} ({path}) is already registered") from error
    database_of(session).changes.publish(session, PROJECT, project_id=project.id)
    _adopt_nested_results(session, project)
    return get_project(session, project.id)


def _adopt_nested_results(session: Session, project: Project) -> None:
    """A project registered inside another one takes the results below it, in the caller's
    transaction: a result belongs to the innermost project holding its directory, so the new
    project shows at once what its later runs join, and no folder's runs end up split over two.
    A result keeps a name given by hand; one named after its path is renamed relative to the new
    project (``ex/run1`` in ``nest`` is ``run1`` in ``nest/ex``)."""
    paths = project_paths(session)
    outer = {pid: p for pid, p in paths.items() if pid != project.id and contains(p, project.path)}
    if not outer:
        return
    moved_from = set()
    for result in session.scalars(select(Result).where(Result.project_id.in_(outer), Result.source == "file")).all():
        owner = owner_of(result.path, paths)
        if owner is None or owner[0] != project.id:
            continue
        if result.name == _default_name(result.path, outer[result.project_id]):
            result.name = _default_name(result.path, project.path)
        moved_from.add(result.project_id)
        result.project_id = project.id
    session.flush()
    for project_id in sorted(moved_from):  # one notice per project, not one per result moved
        database_of(session).changes.publish(session, PROJECT, project_id=project_id)


def _default_name(path: str, project_path: str) -> str:
    """The name ingestion gives a new result: its path relative to the project (as in store/ingest.py)."""
    name = os.path.relpath(path, project_path)
    return (name if name != "." else os.path.basename(path))[:255]


def find_project_by_path(session: Session, path: str) -> dict | None:
    """The project registered at ``path`` (resolved like ``create_project`` does), if any."""
    stored = stored_path(os.path.realpath(os.path.expanduser(path)))
    project = session.scalars(select(Project).where(Project.path == stored)).first()
    return get_project(session, project.id) if project else None


def rename_project(session: Session, project_id: int, name: str) -> dict:
    if not isinstance(name, str) or not name.strip() or len(name) > 255:
        raise Invalid("'name' must be 1 to 255 characters")
    project = _get(session, project_id)
    clash = session.scalar(select(Project.id).where(Project.name == name.strip(), Project.id != project_id))
    if clash is not None:
        raise Conflict(f"a project named {name!r} exists already")
    project.name = name.strip()
    session.flush()
    database_of(session).changes.publish(session, PROJECT, project_id=project_id)
    return get_project(session, project_id)


def delete_project(session: Session, project_id: int) -> None:
    """Unregister a project (its files stay); its results' rows and cached series go."""
    db = database_of(session)
    result_ids = session.scalars(select(Result.id).where(Result.project_id == project_id)).all()
    session.delete(_get(session, project_id))
    after_commit(session, lambda: db.series_cache.invalidate(result_ids))
    db.changes.publish(session, PROJECT, project_id=project_id)


def contains(root: str, path: str) -> bool:
    """``path`` is ``root`` or lies below it (both absolute and normalised)."""
    if path == root:
        return True
    return path.startswith(root if root.endswith(os.sep) else root + os.sep)


def owner_of(path: str, projects: dict[int, str]) -> tuple[int, str] | None:
    """(project id, project path) of the innermost project containing ``path``, or None."""
    best = None
    for project_id, project_path in projects.items():
        if contains(project_path, path) and (best is None or len(project_path) > len(best[1])):
            best = (project_id, project_path)
    return best


def project_paths(session: Session) -> dict[int, str]:
    """Projects that are directories (not those of remote runs only), for the file ingestion."""
    rules = database_of(session).project_rules
    out = {}
    for pid, path in session.execute(select(Project.id, Project.path)):
        if os.path.isabs(path) and not _refused_now(rules, pid, fs_path(path)):
            out[pid] = fs_path(path)
    return out


_said_refused: set[tuple[int, str]] = set()


def _refused_now(rules, project_id: int, path: str) -> bool:
    """A project registered before the rules existed (``/``, say) is not read; said once."""
    problem = rules.problem(path)
    if problem and (project_id, path) not in _said_refused:
        _said_refused.add((project_id, path))
        log.warning("project %s is not read: %s; remove it (trainui project list shows it)", project_id, problem)
    return problem is not None


def project_path(session: Session, project_id: int) -> str | None:
    return session.scalar(select(Project.path).where(Project.id == project_id))


def _get(session: Session, project_id: int) -> Project:
    project = session.get(Project, project_id)
    if project is None:
        raise NotFound(f"project {project_id} does not exist")
    return project
