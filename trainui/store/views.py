"""Saved views: named states of a project's page (what its URL holds), shared by everyone using
the server. The web layer checks a state's shape against the OpenAPI document; the store bounds
what one project may hold (its size, how many) and keeps names unique per project."""
from __future__ import annotations

import json

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .errors import Conflict, Invalid, NotFound
from .models import Project, SavedView, now
from . import values

MAX_NAME = 255
MAX_STATE_CHARS = 65536  # a page's state is a few hundred characters; a link is at most a few thousand
MAX_VIEWS_PER_PROJECT = 200


def view_dict(view: SavedView, with_state: bool = True) -> dict:
    out = {"id": view.id, "project_id": view.project_id, "name": view.name, "created_at": view.created_at,
           "updated_at": view.updated_at}
    if with_state:
        out["state"] = values.servable(view.state)
    return out


def list_views(session: Session, project_id: int) -> list[dict]:
    """A project's views by name, without their states (the menu lists names; opening one reads it)."""
    _project(session, project_id)
    rows = session.scalars(select(SavedView).where(SavedView.project_id == project_id)
                           .order_by(func.lower(SavedView.name), SavedView.id))
    return [view_dict(v, with_state=False) for v in rows]


def get_view(session: Session, project_id: int, view_id: int) -> dict:
    return view_dict(_view(session, project_id, view_id))


def create_view(session: Session, project_id: int, name: str, state: dict) -> dict:
    _project(session, project_id)
    name, state = _name(name), _state(state)
    count = session.scalar(select(func.count(SavedView.id)).where(SavedView.project_id == project_id))
    if count >= MAX_VIEWS_PER_PROJECT:
        raise Conflict(f"a project holds at most {MAX_VIEWS_PER_PROJECT} saved views: delete one first")
    _check_free(session, project_id, name)
    view = SavedView(project_id=project_id, name=name, state=state, created_at=now(), updated_at=now())
    _insert(session, view, name)
    return view_dict(view)


def update_view(session: Session, project_id: int, view_id: int, changes: dict) -> dict:
    """Rename (``name``) and/or replace the state (``state``) of a view."""
    view = _view(session, project_id, view_id)
    if "name" in changes:
        name = _name(changes["name"])
        if name != view.name:
            _check_free(session, project_id, name)
            view.name = name
    if "state" in changes:
        view.state = _state(changes["state"])
    if changes:
        view.updated_at = now()
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as error:
        raise Conflict(f"a view named {view.name!r} exists already in this project") from error
    return view_dict(view)


def delete_view(session: Session, project_id: int, view_id: int) -> None:
    session.delete(_view(session, project_id, view_id))


def _project(session: Session, project_id: int) -> None:
    if session.get(Project, project_id) is None:
        raise NotFound(f"project {project_id} does not exist")


def _view(session: Session, project_id: int, view_id: int) -> SavedView:
    view = session.get(SavedView, view_id)
    if view is None or view.project_id != project_id:
        _project(session, project_id)
        raise NotFound(f"project {project_id} has no saved view {view_id}")
    return view


def _name(name) -> str:
    if not isinstance(name, str) or not name.strip():
        raise Invalid("'name' must be a non-empty string")
    name = name.strip()
    if len(name) > MAX_NAME:
        raise Invalid(f"'name' must be at most {MAX_NAME} characters")
    values.check(name, "name")
    return name


def _state(state) -> dict:
    if not isinstance(state, dict):
        raise Invalid("'state' must be a JSON object (the page's view)")
    try:
        values.check(state, "state")
    except values.Unstorable as error:
        raise Invalid(str(error)) from None
    size = len(json.dumps(state, separators=(",", ":")))
    if size > MAX_STATE_CHARS:
        raise Invalid(f"'state' is {size} characters of JSON; a saved view holds at most {MAX_STATE_CHARS}")
    return state


def _check_free(session: Session, project_id: int, name: str) -> None:
    taken = session.scalar(select(SavedView.id).where(SavedView.project_id == project_id, SavedView.name == name))
    if taken is not None:
        raise Conflict(f"a view named {name!r} exists already in this project")


def _insert(session: Session, view: SavedView, name: str) -> None:
    try:
        with session.begin_nested():  # another request may save the same name at the same moment
            session.add(view)
    except IntegrityError as error:
        raise Conflict(f"a view named {name!r} exists already in this project") from error
