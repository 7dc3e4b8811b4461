"""The `trainui` command: wires the store, ingestion and web app together."""
from __future__ import annotations

import logging
import os
import sys

import click

from . import config as settings


def _open_db(db_url: str | None, auto_create: bool = True):
    from .store import Database, SchemaOutOfDate
    from .store.migrate import ensure_schema

    db = Database(settings.database_url(db_url))
    try:
        ensure_schema(db, auto_create=auto_create)
    except SchemaOutOfDate as error:
        raise click.ClickException(str(error)) from None
    return db


DB_OPTION = click.option("--db", "db_url", metavar="URL", default=None,
                         help="Database URL (default: $TRAINUI_DB_URL, else SQLite under $TRAINUI_ROOT or ~/.trainui).")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="trainui", message="trainui %(version)s")
def main() -> None:
    """trainui: watch PyTorch training runs live and steer them from the browser.

    \b
    Quick start:
      trainui project create -d ./results -n my-project
      trainui server                # then open http://127.0.0.1:5000
    """


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind. Anything but loopback requires an access token.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(0, 65535))
@DB_OPTION
@click.option("--base-url", default=lambda: os.environ.get("TRAINUI_BASE_URL", "/"), show_default="/",
              help="Serve under a sub-path, e.g. /trainui/ behind a reverse proxy.")
@click.option("--token", default=lambda: os.environ.get("TRAINUI_TOKEN"),
              help="Access token required on every request (generated when binding beyond loopback).")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64))
@click.option("--poll-interval", default=2.0, show_default=True, type=click.FloatRange(0.1, 600),
              help="Seconds between polling passes (the fallback where file events do not arrive).")
@click.option("--no-watchdog", is_flag=True, help="Poll only (e.g. on network file systems without events).")
def server(host, port, db_url, base_url, token, threads, poll_interval, no_watchdog):
    """Serve the dashboard and the API, and ingest registered projects."""
    from waitress.server import create_server

    from .ingest import IngestionService
    from .web import create_app

    _configure_logging()
    cfg = settings.ServerConfig(host=host, port=port, db_url=settings.database_url(db_url), base_url=base_url,
                                token=token)
    cfg.ensure_token()
    db = _open_db(cfg.db_url)
    ingestion = IngestionService(db, poll_interval=poll_interval, use_watchdog=not no_watchdog).start()
    app = create_app(cfg, db)
    wsgi = create_server(app, host=host, port=port, threads=threads, ident="trainui",
                         channel_timeout=120, clear_untrusted_proxy_headers=False)
    bound_port = wsgi.effective_port
    shown_host = f"[{host}]" if ":" in host else host
    url = f"http://{shown_host}:{bound_port}{cfg.base_url}"
    if cfg.token:
        url += f"?token={cfg.token}"
    click.echo(f"trainui serving on {url}  (database: {_safe(cfg.db_url)})", err=True)
    sys.stderr.flush()
    try:
        wsgi.run()
    except KeyboardInterrupt:
        pass
    finally:
        ingestion.stop()
        db.dispose()


@main.group()
def project() -> None:
    """Register and list project directories."""


@project.command("create")
@click.option("-d", "--dir", "directory", required=True, type=click.Path(file_okay=False),
              help="Directory holding result directories (each with a `log`).")
@click.option("-n", "--name", default=None, help="Project name (default: the directory's name).")
@DB_OPTION
@click.option("--no-ingest", is_flag=True, help="Only register; a running server ingests the results.")
def project_create(directory, name, db_url, no_ingest):
    """Register DIR as a project (works while a server runs) and ingest its results."""
    from .ingest.discovery import find_result_dirs
    from .ingest.sync import Warnings, sync_result
    from .store import StoreError
    from .store import projects as store

    db = _open_db(db_url)
    if not os.path.isdir(directory):
        raise click.ClickException(f"{directory} is not a directory")
    try:
        with db.session(write=True) as session:
            created = store.create_project(session, directory, name)
    except StoreError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"registered project {created['name']!r} (id {created['id']}) at {created['path']}")
    if no_ingest:
        return
    found = find_result_dirs(created["path"])
    warnings = Warnings()
    with click.progressbar(found, label=f"ingesting {len(found)} results", show_pos=True,
                           item_show_func=lambda d: os.path.relpath(d, created["path"]) if d else "") as bar:
        for result_dir in bar:
            sync_result(db, created["id"], created["path"], result_dir, warnings)
    click.echo(f"{len(found)} results ingested")


@project.command("list")
@DB_OPTION
def project_list(db_url):
    """List registered projects."""
    from .store import projects as store

    db = _open_db(db_url)
    with db.session() as session:
        rows = store.list_projects(session)
    if not rows:
        click.echo("no projects yet: trainui project create -d DIR -n NAME")
        return
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        click.echo(f"{r['id']:>4}  {r['name']:<{width}}  {r['result_count']:>5} results  "
                   f"{r['running_count']:>3} running  {r['path']}")


@main.group()
def db() -> None:
    """Database schema migrations (SQLite or PostgreSQL)."""


@db.command("upgrade")
@DB_OPTION
@click.option("--revision", default="head", show_default=True)
def db_upgrade(db_url, revision):
    """Migrate the database schema to the latest version."""
    from .store import Database
    from .store.migrate import status, upgrade

    database = Database(settings.database_url(db_url))
    upgrade(database, revision)
    click.echo(f"database at revision {status(database)['current']}")


@db.command("status")
@DB_OPTION
def db_status(db_url):
    """Show the schema revision of the database and the one this trainui needs."""
    from .store import Database
    from .store.migrate import status

    info = status(Database(settings.database_url(db_url)))
    click.echo(f"database: {info['url']}\ncurrent:  {info['current'] or '(empty)'}\nhead:     {info['head']}")
    click.echo("up to date" if info["up_to_date"] else "out of date: run `trainui db upgrade`")
    if not info["up_to_date"]:
        sys.exit(1)


def _safe(url: str) -> str:
    from .store.migrate import safe_url

    return safe_url(url)


def _configure_logging() -> None:
    logging.basicConfig(level=os.environ.get("TRAINUI_LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    logging.getLogger("alembic").setLevel(logging.WARNING)


from .demo import demo  # noqa: E402  (registered last: it uses the commands above)

main.add_command(demo)

if __name__ == "__main__":
    main()
