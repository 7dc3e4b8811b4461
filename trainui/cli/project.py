"""`trainui project create/list`, and registering a project directory (with its results ingested
now) as `trainui server DIR` and `trainui demo` do too. Works while a server runs on the same database."""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Callable

import click

from ..config import ServerConfig, default_database_url
from .db import in_store, open_database
from .usage import DB_OPTION, PROJECTS_ROOT_OPTION, UserError, count, load_config, user_errors


@dataclass
class Registered:
    project: dict
    created: bool  # False: the directory was registered already and is reused
    results: int = 0


def register_project(config: ServerConfig, directory: str, name: str | None = None, ingest: bool = True,
                     on_found: Callable[[int], None] | None = None,
                     on_done: Callable[[str], None] | None = None) -> Registered:
    """Register ``directory`` (reused when it is registered already) and, with ``ingest``, bring
    its results in now. Works while a server runs on the same database."""
    from ..store import Store, StoreError

    if not os.path.isdir(directory):
        raise UserError(f"{directory} is not a directory")
    db = open_database(config)
    store = Store(db)
    try:
        try:
            registered = Registered(*store.projects.register(directory, name))
        except StoreError as error:
            raise UserError(str(error)) from None
        if not ingest:
            return registered
        from ..ingest import IngestionService  # numpy's writers: not for a project only registered
        from ..ingest.discovery import find_result_dirs, nested_projects

        path = registered.project["path"]
        inner = nested_projects(path, store.projects.paths())  # their results are theirs
        result_dirs = find_result_dirs(path, skip=inner)
        if on_found is not None:
            on_found(len(result_dirs))
        # one result at a time here, nothing live to be fair to: bigger turns, fewer transactions
        service = IngestionService(db, config.poll_interval, use_watchdog=False,
                                   chunk_bytes=max(config.ingest_chunk_bytes, 8 * 1024 * 1024))
        service.run_until_idle(result_dirs, on_turn=lambda d, more: on_done(d) if on_done and not more else None)
        # what the project shows now (results moved in from an outer one too)
        registered.project = store.projects.get(registered.project["id"])
        registered.results = registered.project["result_count"]
        return registered
    finally:
        db.dispose()


def register_remote_project(config: ServerConfig, name: str) -> Registered:
    """A project for runs that ship over HTTP only (no directory); a project of that name (of either
    kind) is reused, and ``created`` says which happened."""
    return in_store(config, lambda store: Registered(*store.projects.create_remote(name)), create=True)


@click.group()
def project() -> None:
    """Register and list project directories."""


@project.command("create")
@click.option("-d", "--dir", "directory", default=None, type=click.Path(file_okay=False),
              help="Directory holding result directories (each with a `log`). Without it, a project "
                   "for runs that ship over HTTP only (give -n).")
@click.option("-n", "--name", default=None, help="Project name (default: the directory's name).")
@DB_OPTION
@click.option("--no-ingest", is_flag=True, help="Only register; a running server ingests the results.")
@PROJECTS_ROOT_OPTION
@user_errors
def project_create(directory, name, db_url, no_ingest, projects_root):
    """Register DIR as a project (works while a server runs) and ingest its results.

    A directory registered already is reused: its new results are ingested.
    """
    if directory is None:
        if not name:
            raise click.UsageError("give -d DIR (a directory of results), or -n NAME for a project of remote runs")
        registered = register_remote_project(load_config(db_url=db_url), name)
        p = registered.project
        if registered.created:
            click.echo(f"registered project {p['name']!r} (id {p['id']}) for runs that ship over HTTP "
                       f"(jobs name it with TRAINUI_PROJECT={p['name']})")
        elif os.path.isabs(p["path"]):
            click.echo(f"project {p['name']!r} (id {p['id']}) exists already, for the directory {p['path']}; "
                       "reused: runs shipped over HTTP to it are listed beside that directory's results")
        else:
            click.echo(f"project {p['name']!r} (id {p['id']}) exists already, for runs that ship over HTTP; reused")
        return

    registered = register_with_progress(load_config(db_url=db_url, projects_root=projects_root or None), directory,
                                         name, ingest=not no_ingest)
    p = registered.project
    verb = "registered" if registered.created else "already registered:"
    click.echo(f"{verb} project {p['name']!r} (id {p['id']}) at {p['path']}")
    if not no_ingest:
        click.echo(f"{count(registered.results, 'result')} ingested")


def register_with_progress(config: ServerConfig, directory: str, name: str | None, ingest: bool):
    """Register (or reuse) ``directory`` and ingest its results with a progress bar on stderr."""
    bar = None

    def found(total):
        nonlocal bar
        bar = click.progressbar(length=total, label=f"ingesting {count(total, 'result')}",
                                show_pos=True, file=sys.stderr)
        bar.__enter__()

    try:
        return register_project(config, directory, name, ingest=ingest,
                                on_found=found, on_done=lambda d: bar.update(1) if bar else None)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)


@project.command("list")
@DB_OPTION
@user_errors
def project_list(db_url):
    """List registered projects."""
    config = load_config(db_url=db_url)
    if _no_default_database_yet(db_url, config):
        click.echo("no projects yet: trainui project create -d DIR -n NAME")
        return
    rows = in_store(config, lambda store: store.projects.list())
    if not rows:
        click.echo("no projects yet: trainui project create -d DIR -n NAME")
        return
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        results = "result " if r["result_count"] == 1 else "results"
        click.echo(f"{r['id']:>4}  {r['name']:<{width}}  {r['result_count']:>5} {results}  "
                   f"{r['running_count']:>3} running  {r['path']}")


def _no_default_database_yet(db_url: str | None, config: ServerConfig) -> bool:
    """The default SQLite file does not exist yet (nothing was ever registered); an explicit --db
    that does not exist is a mistake, reported as one."""
    if db_url or config.db_url != default_database_url():
        return False
    return not os.path.exists(config.db_url.split("sqlite:///", 1)[1])
