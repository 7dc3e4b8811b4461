"""Alembic driven from code, so `trainui db upgrade` works from an installed wheel."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from .database import Database
from .errors import Invalid, SchemaOutOfDate


def migrations_dir() -> Path:
    """Installed: trainui/migrations (mapped in setup.py). From a checkout: <repo>/migrations."""
    package_dir = Path(__file__).resolve().parent.parent
    for candidate in (package_dir / "migrations", package_dir.parent / "migrations"):
        if (candidate / "env.py").is_file():
            return candidate
    raise FileNotFoundError("trainui's migrations folder is missing from this installation")


def alembic_config(db: Database) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.set_main_option("sqlalchemy.url", db.url.replace("%", "%%"))
    return config


def upgrade(db: Database, revision: str = "head") -> None:
    """Migrate to ``revision``; two processes doing it at once take turns (the second finds the
    work done). An unknown revision is ``Invalid``."""
    from alembic.util import CommandError

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


def head_revision(db: Database) -> str | None:
    return ScriptDirectory.from_config(alembic_config(db)).get_current_head()


def current_revision(db: Database) -> str | None:
    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def status(db: Database) -> dict:
    current, head = current_revision(db), head_revision(db)
    return {"url": safe_url(db.url), "current": current, "head": head, "up_to_date": current == head}


def ensure_schema(db: Database, auto_create: bool = True) -> None:
    """A brand-new database is created on first use; an existing older one is refused with the fix."""
    current, head = current_revision(db), head_revision(db)
    if current == head:
        return
    if current is None and auto_create and _is_empty(db):
        upgrade(db)  # takes the schema lock; a process that lost the race finds the schema done
        return
    raise SchemaOutOfDate(
        f"the database schema is at {current or 'no version'}, this trainui needs {head}: "
        f"run `trainui db upgrade{'' if db.is_sqlite else ' --db URL'}` first")


def _is_empty(db: Database) -> bool:
    from sqlalchemy import inspect

    return not inspect(db.engine).get_table_names()


def safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
