"""Alembic driven from code, so `trainui db upgrade` works from an installed wheel. The everyday
schema check is store.schema's (no alembic import). A brand-new database is not walked through
every migration: it is created from the models and stamped at the head revision, in the few
milliseconds that costs; alembic moves existing databases forward. tests/store/test_migrations.py
holds the two ways to the same schema."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .database import Database
from .errors import Invalid
from .schema import create_if_empty, safe_url

if TYPE_CHECKING:  # alembic itself is imported where a migration runs: a new database needs none of it
    from alembic.config import Config


def migrations_dir() -> Path:
    """Installed: trainui/migrations (mapped in setup.py). From a checkout: <repo>/migrations."""
    package_dir = Path(__file__).resolve().parent.parent
    for candidate in (package_dir / "migrations", package_dir.parent / "migrations"):
        if (candidate / "env.py").is_file():
            return candidate
    raise FileNotFoundError("trainui's migrations folder is missing from this installation")


def alembic_config(db: Database | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    if db is not None:
        config.set_main_option("sqlalchemy.url", db.url.replace("%", "%%"))
    return config


def upgrade(db: Database, revision: str = "head") -> None:
    """Migrate to ``revision``; two processes doing it at once take turns (the second finds the
    work done). An unknown revision is ``Invalid``."""
    check_revision(revision)
    if revision in ("head", "heads") and create_if_empty(db):  # new (or already at head): nothing to migrate
        return
    _refuse_foreign(db)
    run_migrations(db, revision)


def _refuse_foreign(db: Database) -> None:
    """Tables without a trainui schema version are another program's: never migrate into them."""
    from sqlalchemy import inspect

    from .schema import VERSION_TABLE, current_revision as stored_revision

    if stored_revision(db) is None:
        with db.engine.connect() as connection:
            tables = sorted(set(inspect(connection).get_table_names()) - {VERSION_TABLE})
        if tables:
            raise Invalid(f"the database {safe_url(db.url)} holds tables ({', '.join(tables[:5])}) but no trainui "
                          "schema version: it is not a trainui database; give a new or a trainui one")


def run_migrations(db: Database, revision: str = "head") -> None:
    """Alembic's way to ``revision``, one migration after the other (a new database too)."""
    from alembic import command
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


def check_revision(revision: str) -> None:
    """An unknown revision is ``Invalid``; checked before connecting, so a typo creates nothing."""
    if revision in ("head", "heads", "base"):
        return
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    try:
        ScriptDirectory.from_config(alembic_config()).get_revision(revision)
    except CommandError as error:
        raise Invalid(f"cannot upgrade to {revision!r}: {error}") from None


def head_revision(db: Database) -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(db)).get_current_head()


def current_revision(db: Database) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def status(db: Database) -> dict:
    current, head = current_revision(db), head_revision(db)
    return {"url": safe_url(db.url), "current": current, "head": head, "up_to_date": current == head}
