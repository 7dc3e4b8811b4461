"""What changed since a time, for the event stream of a project page or a result page: results
whose row was updated (entries, status, names, errors) and commands posted or answered."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .models import Asset, Command, Result
from .projects import get_project
from .results import get_result_row


def check_scope(session: Session, project_id: int | None, result_id: int | None) -> None:
    """NotFound when the watched project or result does not exist."""
    if project_id is not None:
        get_project(session, project_id)
    else:
        get_result_row(session, result_id)


def changes_since(session: Session, since: float, project_id: int | None = None,
                  result_id: int | None = None, commands_only: bool = False) -> list[tuple[str, int, tuple, dict]]:
    """(event kind, id, state, payload) of each result changed after ``since`` and, for a result
    page, of each of its commands and of its image count; the state tells a stream whether it has
    sent this change already. ``commands_only``: a result page told only that its commands changed
    (a command posted or answered) reads just them: the one query on a command's path."""
    where = Result.project_id == project_id if project_id is not None else Result.id == result_id
    out = []
    if commands_only and result_id is not None:
        return _commands_of(session, result_id)
    for r in session.execute(select(Result.id, Result.project_id, Result.entry_count, Result.status, Result.updated_at)
                             .where(where, Result.updated_at > since).order_by(Result.updated_at)):
        out.append(("result", r.id, (r.entry_count, r.status, r.updated_at),
                    {"id": r.id, "project_id": r.project_id, "entry_count": r.entry_count, "status": r.status,
                     "updated_at": r.updated_at}))
    if result_id is not None:
        out.extend(_commands_of(session, result_id))
        count = session.scalar(select(func.count()).select_from(Asset).where(Asset.result_id == result_id))
        out.append(("assets", result_id, (count,), {"result_id": result_id, "count": count}))
    return out


def _commands_of(session: Session, result_id: int) -> list[tuple[str, int, tuple, dict]]:
    """A result's commands are few: all of them; the stream sends what changed."""
    return [("command", c.id, (c.status,), {"result_id": c.result_id, "command_id": c.id, "status": c.status})
            for c in session.execute(select(Command.id, Command.result_id, Command.status)
                                     .where(Command.result_id == result_id).order_by(Command.id))]
