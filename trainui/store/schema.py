"""The schema check every command does at start, without importing alembic (a second of start-up
on a busy machine): compare the stored revision with the one this trainui was written for, and
create a brand-new database from the models, stamped at that revision, as Airflow does. Moving
an existing database forward is alembic's work (`trainui db upgrade`, store.migrate); a test
keeps ``HEAD_REVISION`` and the models equal to what the migrations build."""
from __future__ import annotations

from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from .database import Database
from .errors import SchemaOutOfDate
from .models import Base

HEAD_REVISION = "0008"
VERSION_TABLE = "alembic_version"


def current_revision(db: Database) -> str | None:
    with db.engine.connect() as connection:
        if not inspect(connection).has_table(VERSION_TABLE):
            return None
        return connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()


def ensure_schema(db: Database, auto_create: bool = True) -> None:
    """A brand-new database is created on first use; an existing older one is refused with the fix."""
    current = current_revision(db)
    if current == HEAD_REVISION:
        return
    if current is None and auto_create and create_if_empty(db):
        return
    raise SchemaOutOfDate(
        f"the database schema is at {current or 'no version'}, this trainui needs {HEAD_REVISION}: "
        f"run `trainui db upgrade{'' if db.is_sqlite else ' --db URL'}` first")


def create_if_empty(db: Database) -> bool:
    """Create every table and stamp the revision, under the write lock (SQLite: BEGIN IMMEDIATE;
    PostgreSQL: an advisory lock) so that two processes starting at once take turns. True when the
    schema is at the head revision afterwards."""
    with db.engine.connect() as connection, connection.execution_options(trainui_write=True).begin():
        if db.is_postgresql:
            connection.exec_driver_sql("SELECT pg_advisory_xact_lock(29298, 1)")
        tables = inspect(connection).get_table_names()
        if VERSION_TABLE in tables:  # another process created it while this one waited
            return connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar() == HEAD_REVISION
        if tables:
            return False  # not empty, and not ours: refuse rather than write into it
        Base.metadata.create_all(connection)
        connection.exec_driver_sql(f"CREATE TABLE {VERSION_TABLE} (version_num VARCHAR(32) NOT NULL, "
                                   f"CONSTRAINT {VERSION_TABLE}_pkc PRIMARY KEY (version_num))")
        connection.execute(text(f"INSERT INTO {VERSION_TABLE} (version_num) VALUES (:v)"), {"v": HEAD_REVISION})
    return True


def safe_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)
