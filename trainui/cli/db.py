"""`trainui db upgrade` and `trainui db status`, and how every command opens the database: its
schema checked, a brand-new one created, an unreachable server waited for or reported in one line."""
from __future__ import annotations

import sys
import time
from typing import Callable

import click

from ..config import DATABASE_RETRY_INTERVAL, ServerConfig, default_database_url
from .usage import DB_OPTION, UserError, load_config, user_errors


def open_database(config: ServerConfig, create: bool = True, wait: bool = False):
    """The database of ``config``, its schema checked. ``create=False`` (read-only commands) never
    creates a file, a folder or a schema. ``wait=True`` (the long-running commands) waits for a
    database server that cannot be reached yet, saying so once, instead of giving up."""
    from sqlalchemy.exc import OperationalError

    from ..store import Database, ProjectRules, Store, StoreError, first_line

    rules = ProjectRules(data_root=config.data_root, allowed_roots=config.projects_root)
    try:
        db = Database(config.db_url, config.series_cache_bytes, must_exist=not create,
                      create_folder=create and config.db_url == default_database_url(), project_rules=rules)
    except StoreError as error:
        raise UserError(str(error)) from None
    said = False
    while True:
        try:
            Store(db).schema.ensure(auto_create=create)
            if said:
                print("the database is reachable now", file=sys.stderr, flush=True)
            return db
        except StoreError as error:
            db.dispose()
            raise UserError(str(error)) from None
        except OperationalError as error:
            if not wait or db.is_sqlite:
                db.dispose()
                raise UserError(f"cannot open the database {shown_database(config.db_url)}: {first_line(error)}") \
                    from None
            if not said:
                print(f"waiting for the database {shown_database(config.db_url)} ({first_line(error)}); "
                      f"retrying every {DATABASE_RETRY_INTERVAL:g} s, Ctrl-C to give up", file=sys.stderr, flush=True)
                said = True
            time.sleep(DATABASE_RETRY_INTERVAL)


def in_store(config: ServerConfig, work: Callable, create: bool = False):
    """``work(store)`` on the configured database's store, its value returned; a store error
    becomes a ``UserError``. Without ``create`` nothing is created (read-only commands)."""
    from ..store import Store, StoreError

    db = open_database(config, create=create)
    try:
        return work(Store(db))
    except StoreError as error:
        raise UserError(str(error)) from None
    finally:
        db.dispose()


def shown_database(url: str) -> str:
    """The URL without its password, and for SQLite the absolute file it resolved to."""
    from ..store import safe_url, sqlite_path

    path = sqlite_path(url)
    return f"{safe_url(url)} (the file {path})" if path and path != url.split("sqlite:///", 1)[-1] else safe_url(url)


@click.group()
def db() -> None:
    """Database schema migrations (SQLite or PostgreSQL)."""


@db.command("upgrade")
@DB_OPTION
@click.option("--revision", default="head", show_default=True)
@user_errors
def db_upgrade(db_url, revision):
    """Migrate the database schema to the latest version (creates the database if needed)."""
    from ..store import Database, Store, StoreError, check_revision

    try:
        check_revision(revision)
        url = load_config(db_url=db_url).db_url
        store = Store(Database(url, create_folder=url == default_database_url()))
        store.schema.upgrade(revision)
        click.echo(f"database at revision {store.schema.revision()}")
    except StoreError as error:
        raise UserError(str(error)) from None


@db.command("status")
@DB_OPTION
@user_errors
def db_status(db_url):
    """Show the schema revision of the database and the one this trainui needs."""
    from ..store import Database, Store, StoreError

    try:
        info = Store(Database(load_config(db_url=db_url).db_url, must_exist=True)).schema.status()
    except StoreError as error:
        raise UserError(str(error)) from None
    click.echo(f"database: {info['url']}\ncurrent:  {info['current'] or '(empty)'}\nhead:     {info['head']}")
    click.echo("up to date" if info["up_to_date"] else "out of date: run `trainui db upgrade`")
    if not info["up_to_date"]:
        sys.exit(1)
