"""Alembic driven from code, so `trainui db upgrade` works from an installed wheel. The everyday
schema check is store.schema's (no alembic import)."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from .database import Database
from .errors import Invalid
from .schema import safe_url


def migrations_dir() -> Path:
    """Installed: trainui/migrations (mapped in setup.py). From a checkout: <repo>/migrations."""
    package_dir = Path(__file__).resolve().parent.parent
    for candidate in (package_dir / "migrations", package_dir.parent / "migrations"):
        if (candidate / "env.py").is_file():
            return candidate
    raise FileNotFoundError("trainui's migrations folder is missing from this installation")


def alembic_config(db: Database | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    if db is not None:
        config.set_main_option("sqlalchemy.url", db.url.replace("%", "%%"))
    return config


def upgrade(db: Database, revision: str = "head") -> None:
    """Migrate to ``revision``; two processes doing it at once take turns (the second finds the
    work done). An unknown revision is ``Invalid``."""
    from alembic.util import CommandError

    check_revision(revision)
    config = alembic_config(db)
    # The write lock up front (SQLite: BEGIN IMMEDIATE; PostgreSQL: an advisory lock): a second
    # process waits here, then finds the schema at the revision and has nothing to do.
    with db.engine.connect() as connection, connection.execution_options(trainui_write=True).begin():
        if db.is_postgresql:
            connection.exec_driver_sql("SELECT pg_advisory_xact_lock(29298, 1)")
        config.attributes["connection"] = connection
        try:
            command.upgrade(config, revision)
        except CommandError as error:
            raise Invalid(f"cannot upgrade to {revision!r}: {error}") from None


def check_revision(revision: str) -> None:
    """An unknown revision is ``Invalid``; checked before connecting, so a typo creates nothing."""
    from alembic.util import CommandError

    if revision in ("head", "heads", "base"):
        return
    try:
        ScriptDirectory.from_config(alembic_config()).get_revision(revision)
    except CommandError as error:
        raise Invalid(f"cannot upgrade to {revision!r}: {error}") from None


def head_revision(db: Database) -> str | None:
    return ScriptDirectory.from_config(alembic_config(db)).get_current_head()


def current_revision(db: Database) -> str | None:
    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def status(db: Database) -> dict:
    current, head = current_revision(db), head_revision(db)
    return {"url": safe_url(db.url), "current": current, "head": head, "up_to_date": current == head}
