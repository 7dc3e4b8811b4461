"""Access tokens with roles. A token is shown once when it is made; only its SHA-256 is stored
(tokens are 32 random bytes, so a plain hash is enough: there is nothing to guess)."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from .errors import Invalid, NotFound
from .models import Project, Token, now

ROLES = ("viewer", "operator", "job", "admin")


@dataclass(frozen=True)
class Principal:
    """Who a request is: a role, and for a job token the one project it may write to."""

    role: str
    project_id: int | None = None
    token_id: int | None = None


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(session: Session, role: str, project: str | None = None, label: str = "") -> tuple[str, dict]:
    """Make a token; returns it (shown once, never stored) and its description."""
    if role not in ROLES:
        raise Invalid(f"role must be one of {', '.join(ROLES)}")
    project_id = None
    if project is not None:
        project_id = session.scalar(select(Project.id).where(Project.name == project))
        if project_id is None:
            raise NotFound(f"no project named {project!r}: register it first (trainui project create -d DIR -n NAME)")
    if role == "job" and project_id is None:
        raise Invalid("a job token writes to one project: give --project NAME")
    token = secrets.token_urlsafe(32)
    row = Token(digest=digest(token), role=role, project_id=project_id, label=(label or "")[:255], created_at=now())
    session.add(row)
    session.flush()
    return token, token_dict(row, project)


def authenticate(session: Session, token: str) -> Principal | None:
    row = session.scalars(select(Token).where(Token.digest == digest(token), Token.revoked.is_(False))).first()
    return Principal(row.role, row.project_id, row.id) if row else None


def list_tokens(session: Session) -> list[dict]:
    names = dict(session.execute(select(Project.id, Project.name)).all())
    return [token_dict(t, names.get(t.project_id)) for t in session.scalars(select(Token).order_by(Token.id))]


def revoke_token(session: Session, token_id: int) -> dict:
    row = session.get(Token, token_id)
    if row is None:
        raise NotFound(f"token {token_id} does not exist")
    row.revoked = True
    return token_dict(row, None)


def token_dict(t: Token, project: str | None) -> dict:
    return {"id": t.id, "role": t.role, "project": project, "label": t.label, "created_at": t.created_at,
            "revoked": t.revoked}
